/**
 * Visible labels on the kinds of files users bring (issue 14: the file-type and exiftool sample
 * files, rebuilt small here): MJPEG in QuickTime, H.263 in 3GP, a one-frame AVI, a 0.7 s FLV, an
 * MP4 cut with an edit list, H.264 recorded into WebM without a duration, and a Matroska file with
 * its sound first, two languages, subtitles and an attachment. Debian's ffprobe is the oracle:
 * codec, frame count and every other stream as they were.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bytesSource, materialize } from '@aigc-label/core';
import { afterAll, describe, expect } from 'vitest';
import { withTool } from '../../../../test/oracles.js';
import { applyVisibleVideoLabel, visibleVideoLabel } from '../../src/explicit/index.js';
import { boxDifference, boxOverlay, ffmpeg, frameAt, overlayPixels, scratchDir } from './helpers.js';

const dir = scratchDir();
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const path = (name: string) => join(dir, name);
const itWithProbe = withTool('ffprobe', 'reads the labelled videos');

interface Stream {
  index: number;
  codec_type: string;
  codec_name: string;
  codec_tag_string: string;
  nb_read_frames?: string;
  disposition: Record<string, number>;
  tags?: Record<string, string>;
}

/** Debian ffprobe's view of every stream: codec, FourCC, decoded frame count, disposition and tags. */
function streams(file: string): Stream[] {
  const out = execFileSync('/usr/bin/ffprobe', ['-v', 'error', '-count_frames', '-show_streams', '-of', 'json', file]).toString();
  return (JSON.parse(out) as { streams: Stream[] }).streams.map(
    ({ index, codec_type, codec_name, codec_tag_string, nb_read_frames, disposition, tags }) => ({
      index,
      codec_type,
      codec_name,
      codec_tag_string,
      ...(nb_read_frames === undefined ? {} : { nb_read_frames }),
      disposition,
      // Muxers stamp their own encoder name and durations; what a user set (language, title, file names) must stay.
      tags: Object.fromEntries(
        Object.entries(tags ?? {}).filter(([key]) => !/^(encoder|DURATION|handler_name|vendor_id|creation_time)$/i.test(key)),
      ),
    }),
  );
}

/** Same streams, codecs, FourCCs, frame counts, dispositions and tags; the labelled video's frames show the label. */
async function expectKept(input: string, output: string, labelAt: number) {
  expect(streams(output)).toEqual(streams(input));
  const frame = await frameAt(output, labelAt);
  expect(boxDifference(frame, await overlayPixels(frame))).toBeLessThan(16);
}

describe('visible labels keep the codec, the frames and every other stream', () => {
  itWithProbe('MJPEG in QuickTime stays MJPEG (1.5 s, raw 8-bit sound)', async () => {
    const input = path('mjpeg.mov');
    ffmpeg(
      ...['-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=10:duration=1.5', '-f', 'lavfi', '-i', 'sine=duration=1.5:sample_rate=8000'],
      ...['-c:v', 'mjpeg', '-c:a', 'pcm_u8', input],
    );
    const result = await applyVisibleVideoLabel({ input, output: path('mjpeg-out.mov'), workDir: dir, overlay: boxOverlay });
    expect(result.encoder).toBe('mjpeg');
    expect(result.findings.map((f) => f.rule)).toEqual(['gb45438/5.4-short-video']);
    await expectKept(input, path('mjpeg-out.mov'), 1.2);
  });

  itWithProbe('H.263 in 3GP stays H.263 with every frame', async () => {
    const input = path('h263.3gp');
    ffmpeg(
      ...['-f', 'lavfi', '-i', 'testsrc=size=176x144:rate=15:duration=2.6', '-f', 'lavfi', '-i', 'sine=duration=2.6:sample_rate=8000'],
      ...['-c:v', 'h263', '-c:a', 'aac', '-ac', '1', input],
    );
    const result = await applyVisibleVideoLabel({ input, output: path('h263-out.3gp'), workDir: dir, overlay: boxOverlay, duration: 2 });
    expect(result.encoder).toBe('h263');
    expect(result.checks.frames).toMatchObject({ ok: true, source: 39, output: 39 });
    await expectKept(input, path('h263-out.3gp'), 1);
  });

  itWithProbe('a one-frame (0.04 s) AVI is labelled on its frame, codec and FourCC kept, with a finding', async () => {
    const input = path('one-frame.avi');
    ffmpeg(
      ...['-f', 'lavfi', '-i', 'testsrc=size=320x176:rate=25:duration=0.04', '-f', 'lavfi', '-i', 'sine=duration=0.2:sample_rate=11025'],
      ...['-c:v', 'msmpeg4v2', '-c:a', 'adpcm_ms', input],
    );
    const result = await applyVisibleVideoLabel({ input, output: path('one-frame-out.avi'), workDir: dir, overlay: boxOverlay });
    expect(result.findings.map((f) => f.rule)).toEqual(['gb45438/5.4-short-video']);
    expect(result.findings[0]!.message).toMatch(/lasts 0\.04 s/);
    await expectKept(input, path('one-frame-out.avi'), 0);
  });

  itWithProbe('a 0.7 s FLV (Sorenson H.263, no frame durations stored) keeps its codec and frames', async () => {
    const input = path('short.flv');
    ffmpeg(
      ...['-f', 'lavfi', '-i', 'testsrc=size=268x156:rate=30:duration=0.7', '-f', 'lavfi', '-i', 'sine=duration=0.7:sample_rate=44100'],
      ...['-c:v', 'flv', '-c:a', 'libmp3lame', input],
    );
    const result = await applyVisibleVideoLabel({ input, output: path('short-out.flv'), workDir: dir, overlay: boxOverlay });
    expect(result.encoder).toBe('flv');
    expect(result.checks.duration.ok).toBe(true);
    await expectKept(input, path('short-out.flv'), 0.3);
  });

  itWithProbe('an MP4 cut with an edit list keeps the frames it shows', async () => {
    const cut = path('long.mp4');
    ffmpeg(
      '-f',
      'lavfi',
      '-i',
      'testsrc=size=320x240:rate=25:duration=4',
      '-c:v',
      'libx264',
      '-preset',
      'veryfast',
      '-g',
      '50',
      '-bf',
      '2',
      cut,
    );
    const input = path('edit.mov');
    ffmpeg('-ss', '1.3', '-i', cut, '-c', 'copy', '-t', '1.5', input);
    const result = await applyVisibleVideoLabel({ input, output: path('edit-out.mov'), workDir: dir, overlay: boxOverlay });
    expect(result.checks.frames.ok).toBe(true);
    expect(result.checks.frames.output).toBe(Number(streams(input)[0]!.nb_read_frames));
    expect(streams(path('edit-out.mov'))[0]!.nb_read_frames).toBe(streams(input)[0]!.nb_read_frames);
  });

  itWithProbe('H.264 recorded into WebM without a duration is labelled and stays WebM', async () => {
    const mkv = path('live.mkv');
    // A live recording: written to a pipe, so no Duration and no Cues; then its DocType set to webm.
    writeFileSync(
      mkv,
      ffmpeg(
        ...['-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25:duration=4', '-f', 'lavfi', '-i', 'sine=duration=4'],
        ...['-c:v', 'libx264', '-preset', 'veryfast', '-g', '25', '-c:a', 'libopus', '-f', 'matroska', 'pipe:1'],
      ),
    );
    const bytes = readFileSync(mkv);
    const at = bytes.indexOf('matroska');
    const input = path('recorded.webm');
    // DocType "matroska" (8 bytes) → "webm" and a 4-byte Void, as a browser writes it.
    writeFileSync(
      input,
      Buffer.concat([
        bytes.subarray(0, at - 3),
        Buffer.from([0x42, 0x82, 0x84]),
        Buffer.from('webm'),
        Buffer.from([0xec, 0x82, 0, 0]),
        bytes.subarray(at + 8),
      ]),
    );
    expect(
      execFileSync('/usr/bin/ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', input]).toString().trim(),
    ).toBe('N/A');
    const capability = visibleVideoLabel({
      renderOverlay: (frame) => boxOverlay(frame),
      readFrame: async () => ({ evidence: [], findings: [] }),
      audibleSearch: { enabledBy: 'audible', cost: 'media', run: async () => ({ evidence: [], findings: [] }) },
    });
    const rendered = path('recorded-rendered.webm');
    const labeler = capability.labeler!;
    if (labeler.input !== 'file') throw new Error('the video labeler works on files');
    const applied = await labeler.apply({ input, output: rendered, workDir: dir }, {});
    const source = bytesSource(new Uint8Array(readFileSync(rendered)));
    const finished = await applied.finish!(source);
    const output = path('recorded-out.webm');
    writeFileSync(output, await materialize({ segments: [{ from: 0, length: finished.source.size }] }, finished.source));
    expect(readFileSync(output).subarray(0, 64).includes(Buffer.from('webm'))).toBe(true);
    expect(readFileSync(output).subarray(0, 64).includes(Buffer.from('matroska'))).toBe(false);
    const out = streams(output);
    expect(out.map((s) => s.codec_name)).toEqual(['h264', 'opus']);
    expect(out[0]!.nb_read_frames).toBe(streams(input)[0]!.nb_read_frames);
  });

  itWithProbe('Matroska with the sound first, two languages, subtitles and a font: every stream copied, smart render', async () => {
    const subtitles = path('s.srt');
    writeFileSync(subtitles, '1\n00:00:00,500 --> 00:00:02,000\nhello\n');
    const font = path('font.ttf');
    writeFileSync(font, 'not really a font');
    const input = path('multi.mkv');
    ffmpeg(
      ...['-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25:duration=5', '-f', 'lavfi', '-i', 'sine=f=440:duration=5'],
      ...['-f', 'lavfi', '-i', 'sine=f=880:duration=5', '-i', subtitles, '-map', '1', '-map', '0', '-map', '2', '-map', '3'],
      ...['-c:v', 'libx264', '-preset', 'veryfast', '-g', '25', '-c:a', 'aac', '-c:s', 'srt'],
      ...['-metadata:s:a:0', 'language=eng', '-metadata:s:a:1', 'language=fra', '-metadata:s:v:0', 'title=Main'],
      ...['-attach', font, '-metadata:s:t', 'mimetype=application/x-truetype-font', input],
    );
    const result = await applyVisibleVideoLabel({ input, output: path('multi-out.mkv'), workDir: dir, overlay: boxOverlay });
    expect(result.mode, result.reason).toBe('smart');
    expect(result.checks.copiedStreams).toMatchObject({ ok: true, streams: 4, different: [] });
    await expectKept(input, path('multi-out.mkv'), 1);
  });
});
