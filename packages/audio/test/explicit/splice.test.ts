import { readFileSync, writeFileSync } from 'node:fs';
import { bytesSource, materialize, u32le } from '@aigc-label/core';
import { describe, expect, it } from 'vitest';
import { musicLike, toChannels, writeWav } from '../../scripts/test-signals.mjs';
import { mpegFrameHeader } from '../../src/mp3/frame-header.js';
import { decodePcm } from '../../src/pcm/ffmpeg.js';
import { lameTagIntact, readXingHeader, walkMpegFrames } from '../../src/pcm/mpeg-frames.js';
import type { ExplicitLabelResult } from '../../src/pcm/relabel.js';
import { applyRhythmLabel } from '../../src/rhythm/apply.js';
import { detectRhythm } from '../../src/rhythm/detect.js';
import { synthesizeRhythm } from '../../src/rhythm/generate.js';
import { ffmpeg, tempDir } from './helpers.js';

const file = tempDir();
const RATE = 44_100;

/** Labels `input` with its bytes given, so the label is spliced; returns the result and the labeled bytes. */
async function splice(input: string, options: Partial<Parameters<typeof applyRhythmLabel>[0]> = {}) {
  const bytes = new Uint8Array(readFileSync(input));
  const source = bytesSource(bytes);
  const result: ExplicitLabelResult = await applyRhythmLabel({ input, output: `${input}.unused`, source, ...options });
  expect(result.spliced, JSON.stringify(result.findings)).toBeDefined();
  const out = await materialize(result.spliced!, source);
  const path = `${input}.labeled.${input.split('.').pop()}`;
  writeFileSync(path, out);
  return { result, bytes, out, path };
}

/** Where `needle` occurs in `haystack` (the first time), or −1. */
function find(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

async function pcm(path: string, channels: number, sampleRate = RATE): Promise<Float32Array> {
  const parts: Float32Array[] = [];
  for await (const part of decodePcm({ path }, { sampleRate, channels })) parts.push(part);
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** Where `part` (its middle, exactly) sits in `whole`, as the offset of part[0]; −1 when nowhere. */
function offsetOf(whole: Float32Array, part: Float32Array): number {
  const mid = Math.floor(part.length / 2);
  outer: for (let s = 0; s + part.length <= whole.length; s++) {
    for (let i = 0; i < 256; i++) if (whole[s + mid + i] !== part[mid + i]) continue outer;
    return s;
  }
  return -1;
}

/** Largest step between neighbouring samples of one channel in `[from, to)`: a click shows as a step far above the content's. */
function largestStep(samples: Float32Array, channels: number, from: number, to: number): number {
  let step = 0;
  for (let i = Math.max(channels, from * channels); i < to * channels; i++)
    step = Math.max(step, Math.abs(samples[i]! - samples[i - channels]!));
  return step;
}

const content = toChannels(musicLike(RATE, 8, 21), 2) as Float32Array;
const wavSource = file('music.wav');
writeWav(wavSource, content, RATE, 2);

describe('MP3: the label frames are spliced in, every frame of the file is kept', () => {
  const CASES = [
    { name: 'CBR 128 kbit/s with an Info frame', args: ['-b:a', '128k'], channels: 2, rate: RATE },
    { name: 'VBR with a Xing frame', args: ['-q:a', '4'], channels: 2, rate: RATE },
    { name: 'CBR without an Info frame', args: ['-b:a', '96k', '-write_xing', '0'], channels: 2, rate: RATE },
    { name: 'MPEG-2 mono 24 kHz', args: ['-b:a', '48k', '-ac', '1', '-ar', '24000'], channels: 1, rate: 24_000 },
  ];
  for (const { name, args, channels, rate } of CASES) {
    const placements: { where: ('start' | 'end')[] }[] = [{ where: ['start'] }, { where: ['end'] }, { where: ['start', 'end'] }];
    it.each(placements)(`${name}, at $where`, async ({ where }) => {
      const input = file(`${name.replace(/\W+/g, '-')}-${where.join('-')}.mp3`);
      ffmpeg(['-i', wavSource, '-c:a', 'libmp3lame', ...args, '-metadata', 'title=Kept', input]);
      const { result, bytes, out, path } = await splice(input, { positions: [...where] });
      // The file's frames, all of them, are one unbroken run of the output: byte for byte.
      const frames = (await walkMpegFrames(
        bytesSource(bytes),
        10 + ((bytes[6]! << 21) | (bytes[7]! << 14) | (bytes[8]! << 7) | bytes[9]!),
      ))!;
      const first = mpegFrameHeader(bytes, frames.offsets[0]!)!;
      const xing = readXingHeader(bytes.subarray(frames.offsets[0]!, frames.offsets[1]!), first);
      const audio = bytes.subarray(frames.offsets[xing ? 1 : 0]!, frames.end);
      expect(find(out, audio)).toBeGreaterThan(0);
      expect(out.subarray(0, frames.offsets[0]!)).toEqual(bytes.subarray(0, frames.offsets[0]!)); // the ID3 tag
      expect(out.subarray(out.length - (bytes.length - frames.end))).toEqual(bytes.subarray(frames.end));
      const labeledFrames = (await walkMpegFrames(bytesSource(out), frames.offsets[0]!))!;
      if (xing) {
        const outXing = readXingHeader(out.subarray(labeledFrames.offsets[0]!, labeledFrames.offsets[1]!), first)!;
        expect(outXing.frames! - xing.frames!).toBe(labeledFrames.count - frames.count);
        expect(lameTagIntact(out.subarray(labeledFrames.offsets[0]!, labeledFrames.offsets[1]!), outXing)).toBe(true);
        expect(outXing.delay).toBe(xing.delay);
        if (!where.includes('end')) expect(outXing.padding).toBe(xing.padding);
      }
      // Decoded (gapless), the content after the label is the source's, sample for sample, and the splice makes no click.
      const before = await pcm(input, channels, rate);
      const after = await pcm(path, channels, rate);
      const compared = offsetOf(after, before);
      expect(compared === 0).toBe(!where.includes('start'));
      let differing = 0;
      for (let i = 0; i < before.length; i++) if (after[compared + i] !== before[i]) differing++;
      expect(differing).toBe(0);
      const steps = largestStep(after, channels, compared / channels - 2000, compared / channels + 2000);
      expect(steps).toBeLessThanOrEqual(largestStep(before, channels, 0, before.length / channels) + 1e-6);
      // Longer by the label and at most two frames of codec delay and padding per label.
      const added = (after.length - before.length) / channels / rate;
      expect(added).toBeGreaterThanOrEqual(where.length * result.labelSeconds);
      expect(added).toBeLessThan(where.length * (result.labelSeconds + (2 * 1152) / rate));
      const found = await detectRhythm({ path });
      expect(found.occurrences.map((o) => o.position)).toEqual([...where]);
    });
  }

  it('re-encodes a label in the middle, or mixed over the content, and says why', async () => {
    const input = file('middle.mp3');
    ffmpeg(['-i', wavSource, '-c:a', 'libmp3lame', '-b:a', '128k', input]);
    for (const options of [{ positions: ['middle' as const] }, { mode: 'mix' as const }]) {
      const result = await applyRhythmLabel({
        input,
        output: file('middle-out.mp3'),
        source: bytesSource(new Uint8Array(readFileSync(input))),
        ...options,
      });
      expect(result.spliced).toBeUndefined();
      expect(result.findings.map((f) => f.rule)).toEqual(['explicit/audio-reencoded']);
    }
  });
});

describe('WAV: the label samples are spliced into the data chunk, every other byte kept', () => {
  it.each<[string, string[], number]>([
    ['16-bit stereo', ['-c:a', 'pcm_s16le'], 2],
    ['8-bit mono (odd sizes, pad byte)', ['-c:a', 'pcm_u8', '-ac', '1'], 1],
    ['24-bit stereo', ['-c:a', 'pcm_s24le'], 2],
    ['32-bit float with a fact chunk', ['-c:a', 'pcm_f32le'], 2],
    ['RF64 16-bit', ['-c:a', 'pcm_s16le', '-rf64', 'always'], 2],
  ])('%s: inserted at start, middle and end', async (_name, args, channels) => {
    const input = file(`wav-${args.join('')}.wav`);
    ffmpeg(['-i', wavSource, ...args, input]);
    const { result, bytes, out, path } = await splice(input, { positions: ['start', 'middle', 'end'] });
    const labelFrames = Math.round(result.labelSeconds * RATE);
    const before = await pcm(input, channels);
    const after = await pcm(path, channels);
    expect(after.length - before.length).toBe(3 * labelFrames * channels);
    // The content between the labels is the source's, sample for sample.
    const half = Math.floor(before.length / channels / 2) * channels;
    expect(after.subarray(labelFrames * channels, labelFrames * channels + half)).toEqual(before.subarray(0, half));
    expect(after.subarray(2 * labelFrames * channels + half, 2 * labelFrames * channels + before.length)).toEqual(before.subarray(half));
    // Bytes before the data chunk differ only in the sizes (RIFF/ds64/fact); the stored content bytes are found whole.
    const dataAt = find(
      bytes,
      Uint8Array.from('data', (c) => c.charCodeAt(0)),
    );
    expect(find(out, bytes.subarray(dataAt + 8, dataAt + 8 + 4000))).toBeGreaterThan(dataAt);
    expect((await detectRhythm({ path })).occurrences.map((o) => o.position)).toEqual(['start', 'middle', 'end']);
    if (args.includes('pcm_f32le')) {
      const factAt = find(
        out,
        Uint8Array.from('fact', (c) => c.charCodeAt(0)),
      );
      expect(u32le(out, factAt + 8)).toBe(after.length / channels);
    }
  });

  it('mixes over the content in place: same size, only the label region changed', async () => {
    const { out, bytes } = await splice(wavSource, { positions: ['end'], mode: 'mix' });
    expect(out.length).toBe(bytes.length);
    const labelBytes = synthesizeRhythm(RATE).length * 4;
    let firstDifference = -1;
    for (let i = 0; i < out.length; i++) {
      if (out[i] !== bytes[i]) {
        firstDifference = i;
        break;
      }
    }
    expect(firstDifference).toBeGreaterThanOrEqual(bytes.length - labelBytes);
  });

  it('shifts cue points after an inserted label', async () => {
    const wav = new Uint8Array(readFileSync(wavSource));
    // A cue list with one point at frame 1000 of the data chunk.
    const cue = new Uint8Array(8 + 4 + 24);
    cue.set([0x63, 0x75, 0x65, 0x20, 28, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0]);
    const view = new DataView(cue.buffer);
    view.setUint32(16, 1000, true);
    cue.set([0x64, 0x61, 0x74, 0x61], 20);
    view.setUint32(32, 1000, true);
    const withCue = new Uint8Array(wav.length + cue.length);
    withCue.set(wav);
    withCue.set(cue, wav.length);
    new DataView(withCue.buffer).setUint32(4, withCue.length - 8, true);
    const input = file('cue.wav');
    writeFileSync(input, withCue);
    const { out, result } = await splice(input);
    const at = find(
      out,
      Uint8Array.from('cue ', (c) => c.charCodeAt(0)),
    );
    const labelFrames = Math.round(result.labelSeconds * RATE);
    expect(u32le(out, at + 8 + 8)).toBe(1000 + labelFrames);
    expect(u32le(out, at + 8 + 24)).toBe(1000 + labelFrames);
  });
});
