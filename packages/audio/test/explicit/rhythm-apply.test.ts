import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { MalformedInputError, UsageError } from '@aigc-label/core';
import { describe, expect, it } from 'vitest';
import { musicLike, toChannels, writeWav } from '../../scripts/test-signals.mjs';
import { ffprobePath } from '../../src/pcm/ffmpeg.js';
import { applyRhythmLabel } from '../../src/rhythm/apply.js';
import { detectRhythm } from '../../src/rhythm/detect.js';
import { synthesizeRhythm } from '../../src/rhythm/generate.js';
import { ffmpeg, ffprobe, firstDifference, readPcm, tempDir } from './helpers.js';

const file = tempDir();
const AIGC = '{"Label":"1","ContentProducer":"001191110108MA01XXXXXX"}';

interface Case {
  name: string;
  args: string[];
  ext: string;
  lossless: boolean;
  tag?: boolean;
}

// Two seconds of a low tone with a little noise in each source format.
const SOURCE = [
  '-f',
  'lavfi',
  '-i',
  'sine=frequency=220:duration=2',
  '-f',
  'lavfi',
  '-i',
  'anoisesrc=d=2:a=0.02',
  '-filter_complex',
  'amix=inputs=2',
];
const CASES: Case[] = [
  { name: 'WAV s16 stereo 44.1 kHz', args: ['-ac', '2', '-ar', '44100', '-c:a', 'pcm_s16le'], ext: 'wav', lossless: true },
  { name: 'WAV s24 mono 48 kHz', args: ['-ac', '1', '-ar', '48000', '-c:a', 'pcm_s24le'], ext: 'wav', lossless: true },
  {
    name: 'FLAC 24-bit 5.1 48 kHz',
    args: ['-ac', '6', '-ar', '48000', '-c:a', 'flac', '-sample_fmt', 's32'],
    ext: 'flac',
    lossless: true,
    tag: true,
  },
  { name: 'FLAC 16-bit stereo 22.05 kHz', args: ['-ac', '2', '-ar', '22050', '-c:a', 'flac'], ext: 'flac', lossless: true },
  {
    name: 'MP3 64 kbit/s stereo 44.1 kHz',
    args: ['-ac', '2', '-ar', '44100', '-c:a', 'libmp3lame', '-b:a', '64k'],
    ext: 'mp3',
    lossless: false,
    tag: true,
  },
  {
    name: 'MP3 160 kbit/s mono 32 kHz',
    args: ['-ac', '1', '-ar', '32000', '-c:a', 'libmp3lame', '-b:a', '160k'],
    ext: 'mp3',
    lossless: false,
  },
  {
    name: 'M4A AAC 96 kbit/s stereo 48 kHz',
    args: ['-ac', '2', '-ar', '48000', '-c:a', 'aac', '-b:a', '96k', '-movflags', 'use_metadata_tags'],
    ext: 'm4a',
    lossless: false,
    tag: true,
  },
  {
    name: 'Opus 48 kbit/s mono',
    args: ['-ac', '1', '-ar', '48000', '-c:a', 'libopus', '-b:a', '48k'],
    ext: 'opus',
    lossless: false,
    tag: true,
  },
  {
    name: 'Ogg Vorbis stereo 44.1 kHz',
    args: ['-ac', '2', '-ar', '44100', '-c:a', 'libvorbis', '-b:a', '112k'],
    ext: 'ogg',
    lossless: false,
  },
];

const bitRate = (probe: ReturnType<typeof ffprobe>) => Number(probe.audio.bit_rate ?? probe.format.bit_rate);

describe('applyRhythmLabel keeps the source format', () => {
  it.each(CASES)('$name', async (testCase) => {
    const input = file(`src-${testCase.name.replace(/\W+/g, '-')}.${testCase.ext}`);
    const output = file(`out-${testCase.name.replace(/\W+/g, '-')}.${testCase.ext}`);
    ffmpeg([...SOURCE, ...testCase.args, ...(testCase.tag ? ['-metadata', `AIGC=${AIGC}`] : []), input]);
    const result = await applyRhythmLabel({ input, output });
    const before = ffprobe(input);
    const after = ffprobe(output);
    expect(after.format.format_name).toBe(before.format.format_name);
    expect(after.audio.codec_name).toBe(before.audio.codec_name);
    expect(after.audio.sample_rate).toBe(before.audio.sample_rate);
    expect(after.audio.channels).toBe(before.audio.channels);
    expect(after.audio.channel_layout).toBe(before.audio.channel_layout);
    if (testCase.lossless) {
      expect(after.audio.sample_fmt).toBe(before.audio.sample_fmt);
      expect(after.audio.bits_per_raw_sample).toBe(before.audio.bits_per_raw_sample);
    } else {
      // The encoder is asked for at least the source's rate; constant-rate encoders deliver it.
      const requested = result.encoderOptions[result.encoderOptions.findIndex((o) => o.startsWith('-b:')) + 1]!;
      expect(Number.parseInt(requested, 10) * 1000).toBeGreaterThanOrEqual(bitRate(before));
      // The native AAC encoder is average-rate and spends less on silence and a pure tone.
      if (testCase.ext !== 'm4a') expect(bitRate(after)).toBeGreaterThanOrEqual(bitRate(before));
    }
    if (testCase.tag) {
      const tags = { ...after.format.tags, ...(after.audio as { tags?: Record<string, string> }).tags };
      expect(tags.AIGC ?? tags.aigc).toBe(AIGC);
    }
    // The label went in at the start: the output is longer by the label and detection finds it there.
    expect(Number(after.format.duration) - Number(before.format.duration)).toBeCloseTo(result.labelSeconds, 1);
    const detection = await detectRhythm({ path: output });
    expect(detection.occurrences).toHaveLength(1);
    expect(detection.occurrences[0].position).toBe('start');
    expect(detection.occurrences[0].toneHz).toBeGreaterThan(980);
    expect(detection.occurrences[0].toneHz).toBeLessThan(1020);
  });
});

describe('applyRhythmLabel keeps cover art', () => {
  it.each(['mp3', 'flac'])('%s with an attached picture', async (ext) => {
    const cover = file(`cover-${ext}.png`);
    ffmpeg(['-f', 'lavfi', '-i', 'color=c=red:s=16x16', '-frames:v', '1', cover]);
    const input = file(`art.${ext}`);
    const tone = ['-f', 'lavfi', '-i', 'sine=frequency=220:duration=2'];
    ffmpeg([...tone, '-i', cover, '-map', '0:a', '-map', '1:v', '-c:v', 'png', '-disposition:v:0', 'attached_pic', input]);
    const output = file(`art-out.${ext}`);
    await applyRhythmLabel({ input, output });
    const streams = (path: string) =>
      JSON.parse(execFileSync(ffprobePath(), ['-v', 'error', '-show_streams', '-of', 'json', path], { encoding: 'utf8' })).streams as {
        codec_type: string;
        codec_name: string;
        disposition: { attached_pic: number };
      }[];
    const picture = streams(output).find((s) => s.codec_type === 'video');
    expect(picture?.codec_name).toBe('png');
    expect(picture?.disposition.attached_pic).toBe(1);
    expect(streams(input).find((s) => s.codec_type === 'video')?.disposition.attached_pic).toBe(1);
  });
});

describe('applyRhythmLabel placement', () => {
  const RATE = 44_100;
  const content = toChannels(musicLike(RATE, 4, 3), 2);
  const input = file('content.wav');
  writeWav(input, content, RATE, 2);

  it('insert shifts the content by exactly the label length, at start, middle and end', async () => {
    const output = file('insert-3.wav');
    const result = await applyRhythmLabel({ input, output, positions: ['end', 'start', 'middle'] });
    const source = await readPcm(input, RATE, 2);
    const labelled = await readPcm(output, RATE, 2);
    const labelFrames = Math.round(result.labelSeconds * RATE);
    expect(labelFrames).toBe(synthesizeRhythm(RATE, {}, true).length);
    expect(labelled.length).toBe(source.length + 3 * labelFrames * 2);
    const half = Math.floor(source.length / 4) * 2; // the middle, in interleaved samples
    // Content before and after the middle label is the source sample for sample, shifted.
    expect(firstDifference(labelled.subarray(labelFrames * 2, labelFrames * 2 + half), source.subarray(0, half))).toBe(-1);
    expect(firstDifference(labelled.subarray(2 * labelFrames * 2 + half, 2 * labelFrames * 2 + source.length), source.subarray(half))).toBe(
      -1,
    );
    expect(result.labelStartsSeconds.map((s) => Math.round(s * RATE))).toEqual([
      0,
      labelFrames + half / 2,
      2 * labelFrames + source.length / 2,
    ]);
    const detection = await detectRhythm({ path: output });
    expect(detection.occurrences.map((o) => o.position)).toEqual(['start', 'middle', 'end']);
  });

  it('mix keeps the duration and leaves the content outside the label untouched', async () => {
    const output = file('mix-end.wav');
    const result = await applyRhythmLabel({ input, output, positions: ['end'], mode: 'mix' });
    const source = await readPcm(input, RATE, 2);
    const labelled = await readPcm(output, RATE, 2);
    expect(labelled.length).toBe(source.length);
    const labelFrames = synthesizeRhythm(RATE).length; // no padding when mixed
    expect(Math.round(result.labelSeconds * RATE)).toBe(labelFrames);
    const from = source.length - labelFrames * 2;
    expect(firstDifference(labelled.subarray(0, from), source.subarray(0, from))).toBe(-1);
    expect(firstDifference(labelled.subarray(from), source.subarray(from))).not.toBe(-1);
    const detection = await detectRhythm({ path: output });
    expect(detection.occurrences).toHaveLength(1);
    expect(detection.occurrences[0].position).toBe('end');
  });

  it('scales the tone to the programme level and honours an explicit level', async () => {
    const quiet = file('level.wav');
    await applyRhythmLabel({ input, output: quiet, level: { reference: 'full-scale', db: -30 } });
    const pcm = await readPcm(quiet, RATE, 2);
    let peak = 0;
    for (let i = 0; i < 2 * RATE; i++) peak = Math.max(peak, Math.abs(pcm[i]));
    // −30 dBFS RMS for a sine is a −27 dBFS peak
    expect(20 * Math.log10(peak)).toBeCloseTo(-27, 0);
  });

  it('refuses to overwrite its input and reports undecodable input without writing', async () => {
    await expect(applyRhythmLabel({ input, output: input })).rejects.toThrow(UsageError);
    const junk = file('junk.mp3');
    writeFileSync(junk, new Uint8Array(4096).fill(7));
    const output = file('junk-out.mp3');
    await expect(applyRhythmLabel({ input: junk, output })).rejects.toThrow(MalformedInputError);
    expect(existsSync(output)).toBe(false);
    await expect(applyRhythmLabel({ input, output: file('x.wav'), mode: 'mix', positions: ['start', { atSeconds: 0.5 }] })).rejects.toThrow(
      /overlap/,
    );
  });
});
