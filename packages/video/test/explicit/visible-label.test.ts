import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { UnsupportedFormatError, UsageError } from '@aigc-label/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyVisibleVideoLabel } from '../../src/explicit/index.js';
import { boxDifference, boxOverlay, ffmpeg, ffprobeJson, frameAt, overlayPixels, packetHashes, scratchDir } from './helpers.js';

const dir = scratchDir();
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const SECONDS = 10;
const source = (name: string) => join(dir, name);

/** H.264 test pattern with a 1 s GOP and a tone; extra arguments change the video encoding or container. */
function makeClip(name: string, videoArgs: string[], size = '320x240', audio = true): string {
  const file = source(name);
  ffmpeg(
    '-f',
    'lavfi',
    '-i',
    `testsrc=size=${size}:rate=25:duration=${SECONDS}`,
    ...(audio ? ['-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${SECONDS}`] : []),
    ...(audio ? ['-c:a', 'aac', '-b:a', '64k'] : []),
    ...videoArgs,
    file,
  );
  return file;
}

const x264 = ['-c:v', 'libx264', '-preset', 'veryfast', '-g', '25', '-pix_fmt', 'yuv420p', '-b:v', '400k'];

/** The label box looks like the overlay in frames at `shown` and like the source in frames at `hidden`. */
async function expectLabel(input: string, output: string, shown: number[], hidden: number[]) {
  const first = await frameAt(output, 0);
  const mark = await overlayPixels({ width: first.width, height: first.height });
  for (const t of shown) {
    expect(boxDifference(await frameAt(output, t), mark), `label at ${t} s`).toBeLessThan(12);
  }
  for (const t of hidden) {
    const frame = await frameAt(output, t);
    expect(boxDifference(frame, mark), `no label at ${t} s`).toBeGreaterThan(40);
    expect(boxDifference(frame, await frameAt(input, t)), `source picture at ${t} s`).toBeLessThan(12);
  }
}

describe('applyVisibleVideoLabel', () => {
  let mp4: string;
  beforeAll(() => {
    mp4 = makeClip('gop1s.mp4', x264);
  });

  it('smart-renders an H.264 MP4: only the first 3 s are re-encoded and every later packet is the source packet', async () => {
    const output = source('gop1s-labelled.mp4');
    const frames: { width: number; height: number }[] = [];
    const result = await applyVisibleVideoLabel({
      input: mp4,
      output,
      workDir: dir,
      overlay: (frame) => {
        frames.push(frame);
        return boxOverlay(frame);
      },
    });
    expect(result.mode, result.reason).toBe('smart');
    expect(frames).toEqual([{ width: 320, height: 240 }]);
    expect(result.reencodedSeconds).toBeCloseTo(3, 6);
    expect(result.checks.ok).toBe(true);
    expect(result.checks.copiedPackets).toEqual({ ok: true, compared: 175, different: 0 });
    expect(result.checks.copiedStreams).toMatchObject({ ok: true, streams: 1, different: [] });

    const before = packetHashes(mp4);
    const after = packetHashes(output);
    expect(after).toHaveLength(before.length);
    expect(after.slice(75)).toEqual(before.slice(75));
    expect(after.slice(0, 75)).not.toEqual(before.slice(0, 75));
    // Audio is copied untouched.
    const audioHash = (file: string) => ffmpeg('-i', file, '-map', '0:a', '-c', 'copy', '-f', 'md5', 'pipe:1').toString();
    expect(audioHash(output)).toBe(audioHash(mp4));

    await expectLabel(mp4, output, [0, 1.5, 2.9], [3.1, 6]);
  });

  it('checks an MP4 labelled into Matroska against ffprobe listing the source too (the output is not indexed as the source was)', async () => {
    const input = makeClip('video-only.mp4', x264, '320x240', false);
    const result = await applyVisibleVideoLabel({ input, output: source('video-only-labelled.mkv'), workDir: dir, overlay: boxOverlay });
    expect(result.mode, result.reason).toBe('smart');
    expect(result.checks.copiedPackets).toEqual({ ok: true, compared: 175, different: 0 });
  });

  it('re-encodes everything when asked, at the source bit rate', async () => {
    const output = source('gop1s-full.mp4');
    const result = await applyVisibleVideoLabel({ input: mp4, output, workDir: dir, overlay: boxOverlay, mode: 'full' });
    expect(result.mode).toBe('full');
    expect(result.reason).toBe('full re-encode requested');
    expect(result.checks.ok).toBe(true);
    expect(result.checks.decode.scope).toBe('whole');
    await expectLabel(mp4, output, [0, 2.9], [3.1]);
  });

  it('labels the end and the middle too, re-encoding only those GOPs', async () => {
    const output = source('gop1s-three.mp4');
    const result = await applyVisibleVideoLabel({
      input: mp4,
      output,
      workDir: dir,
      overlay: boxOverlay,
      at: ['start', 'middle', 'end'],
      duration: 2,
    });
    expect(result.mode, result.reason).toBe('smart');
    expect(result.intervals).toEqual([
      { start: 0, end: 2 },
      { start: 4, end: 6 },
      { start: 8, end: 10 },
    ]);
    expect(result.reencodedSeconds).toBeCloseTo(6, 6);
    expect(result.checks.ok).toBe(true);
    await expectLabel(mp4, output, [0.5, 4.5, 9.5], [2.5, 7]);
  });

  it('draws at the display size of a rotated video and keeps the rotation', async () => {
    const plain = makeClip('rotated-plain.mp4', x264);
    const rotated = source('rotated.mp4');
    ffmpeg('-i', plain, '-c', 'copy', '-metadata:s:v:0', 'rotate=90', rotated);
    const output = source('rotated-labelled.mp4');
    const frames: { width: number; height: number }[] = [];
    const result = await applyVisibleVideoLabel({
      input: rotated,
      output,
      workDir: dir,
      overlay: (frame) => {
        frames.push(frame);
        return boxOverlay(frame);
      },
    });
    expect(frames).toEqual([{ width: 240, height: 320 }]);
    expect(result.mode, result.reason).toBe('smart');
    // The 2018 ffmpeg stores a stream-copy `rotate=90` as a 270° clockwise turn; what matters is that it survives unchanged.
    expect(result.checks.rotation).toEqual({ ok: true, source: 270, output: 270 });
    expect(await frameAt(output, 0)).toMatchObject({ width: 240, height: 320 });
    await expectLabel(rotated, output, [1], [4]);
  });

  it('draws at the display size of anamorphic video (non-square pixels)', async () => {
    const input = makeClip('anamorphic.mp4', [...x264, '-vf', 'setsar=4/3']);
    const output = source('anamorphic-labelled.mp4');
    const frames: { width: number; height: number }[] = [];
    const result = await applyVisibleVideoLabel({
      input,
      output,
      workDir: dir,
      overlay: (frame) => {
        frames.push(frame);
        return boxOverlay(frame);
      },
    });
    expect(frames).toEqual([{ width: 426, height: 240 }]);
    expect(result.mode, result.reason).toBe('smart');
    await expectLabel(input, output, [1], [4]);
  });

  it('smart-renders Matroska', async () => {
    // FLAC audio: with AAC's negative start the 2018 Matroska muxer writes B-frame times 23 ms off the frame grid.
    const input = makeClip('clip.mkv', [...x264, '-c:a', 'flac']);
    const output = source('clip-labelled.mkv');
    const result = await applyVisibleVideoLabel({ input, output, workDir: dir, overlay: boxOverlay, at: ['start', 'end'] });
    expect(result.mode, result.reason).toBe('smart');
    expect(result.checks.ok).toBe(true);
    expect(result.checks.copiedPackets?.different).toBe(0);
    await expectLabel(input, output, [1, 9], [5]);
  });

  it('smart-renders H.265 from x265 by reproducing its parameter sets from the source SEI', async () => {
    const input = makeClip('hevc.mp4', [
      '-c:v',
      'libx265',
      '-x265-params',
      'keyint=25:min-keyint=25:scenecut=0:open-gop=0:log-level=error',
      '-tag:v',
      'hvc1',
      '-pix_fmt',
      'yuv420p',
    ]);
    const output = source('hevc-labelled.mp4');
    const result = await applyVisibleVideoLabel({ input, output, workDir: dir, overlay: boxOverlay });
    expect(result.mode, result.reason).toBe('smart');
    expect(result.checks.ok).toBe(true);
    expect(result.checks.copiedPackets?.different).toBe(0);
    await expectLabel(input, output, [1], [4]);
  });

  it('falls back to a full re-encode for MPEG-4 Part 2 in AVI and says why', async () => {
    const input = makeClip('clip.avi', ['-c:v', 'mpeg4', '-g', '25', '-b:v', '600k'], '320x240', false);
    const output = source('clip-labelled.avi');
    const result = await applyVisibleVideoLabel({ input, output, workDir: dir, overlay: boxOverlay });
    expect(result.mode).toBe('full');
    expect(result.reason).toMatch(/H\.264 and H\.265, not mpeg4/);
    expect(result.checks.ok).toBe(true);
    await expectLabel(input, output, [1], [4]);
  });

  it('falls back on an open GOP, and refuses in smart mode', async () => {
    const input = makeClip('open-gop.mp4', [...x264, '-x264-params', 'open-gop=1:keyint=25:min-keyint=25:scenecut=0:bframes=3']);
    const keyframes = (ffprobeJson('-select_streams', 'v:0', '-show_entries', 'packet=flags', input) as { packets: { flags: string }[] })
      .packets;
    expect(keyframes.filter((packet) => packet.flags.startsWith('K')).length).toBeGreaterThan(1);
    const output = source('open-gop-labelled.mp4');
    const result = await applyVisibleVideoLabel({ input, output, workDir: dir, overlay: boxOverlay });
    expect(result.mode).toBe('full');
    expect(result.reason).toMatch(/open GOP/);
    await expect(applyVisibleVideoLabel({ input, output, workDir: dir, overlay: boxOverlay, mode: 'smart' })).rejects.toThrow(
      UnsupportedFormatError,
    );
  });

  it('refuses a label shorter than 2 s (GB 45438 §5.4) and an overlay of the wrong size', async () => {
    const output = source('never.mp4');
    await expect(applyVisibleVideoLabel({ input: mp4, output, workDir: dir, overlay: boxOverlay, duration: 1.5 })).rejects.toThrow(
      UsageError,
    );
    await expect(
      applyVisibleVideoLabel({ input: mp4, output, workDir: dir, overlay: () => boxOverlay({ width: 100, height: 100 }) }),
    ).rejects.toThrow(/100x100, the displayed frame is 320x240/);
  });
});

describe('applyVisibleVideoLabel with the audio rhythm label', () => {
  /** Root mean square of the decoded mono audio between two times. */
  const rms = (file: string, from: number, to: number) => {
    const raw = ffmpeg(
      '-i',
      file,
      '-map',
      '0:a',
      '-ss',
      String(from),
      '-t',
      String(to - from),
      '-ac',
      '1',
      '-f',
      's16le',
      '-acodec',
      'pcm_s16le',
      'pipe:1',
    );
    const samples = new Int16Array(raw.buffer, raw.byteOffset, Math.floor(raw.length / 2));
    return Math.sqrt(samples.reduce((sum, value) => sum + value * value, 0) / samples.length);
  };

  it('mixes the rhythm label into the audio where each label starts and still copies the untouched video packets', async () => {
    const input = makeClip('rhythm.mp4', x264);
    const wav = ffmpeg('-f', 'lavfi', '-i', 'sine=frequency=1000:sample_rate=16000:duration=1', '-f', 'wav', 'pipe:1');
    const asked: { sampleRate: number; channels: number }[] = [];
    const output = source('rhythm-labelled.mp4');
    const result = await applyVisibleVideoLabel({
      input,
      output,
      workDir: dir,
      overlay: boxOverlay,
      at: ['start', 'end'],
      audioLabel: {
        wav: async (audio) => {
          asked.push(audio);
          return new Uint8Array(wav);
        },
      },
    });
    expect(result.mode, result.reason).toBe('smart');
    expect(asked).toEqual([expect.objectContaining({ sampleRate: 48000, channels: 1 })]);
    expect(result.checks.ok).toBe(true);
    expect(result.checks.copiedPackets?.different).toBe(0);
    // The sound track the rhythm was mixed into is re-encoded, so no packet of it is compared.
    expect(result.checks.copiedStreams).toMatchObject({ ok: true, packets: 0 });
    // The tone adds energy during the first second of each label (start: 0 s, end: 7 s) and nowhere else.
    expect(rms(output, 0.1, 0.9)).toBeGreaterThan(rms(input, 0.1, 0.9) * 1.3);
    expect(rms(output, 7.1, 7.9)).toBeGreaterThan(rms(input, 7.1, 7.9) * 1.3);
    for (const [from, to] of [
      [1.1, 2.9],
      [5, 6],
      [8.1, 9.5],
    ] as const) {
      expect(rms(output, from, to) / rms(input, from, to)).toBeCloseTo(1, 1);
    }
  });
});
