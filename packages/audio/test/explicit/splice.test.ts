import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { bytesSource, crc8Smbus, u32le } from '@aigc-label/core';
import { ffmpegPath } from '@aigc-label/ffmpeg';
import { describe, expect, it } from 'vitest';
import { musicLike, toChannels, writeWav } from '../../scripts/test-signals.mjs';
import { listBlocks } from '../../src/flac/blocks.js';
import { type FlacFrames, flacFrameHeader, readStreamInfo, renumberedHeader, walkFlacFrames } from '../../src/flac/frames.js';
import { flac } from '../../src/flac/index.js';
import { mpegFrameHeader } from '../../src/mp3/frame-header.js';
import { decodePcm } from '../../src/pcm/ffmpeg.js';
import { lameTagIntact, readXingHeader, walkMpegFrames } from '../../src/pcm/mpeg-frames.js';
import { applyRhythmLabel } from '../../src/rhythm/apply.js';
import { detectRhythm } from '../../src/rhythm/detect.js';
import { synthesizeRhythm } from '../../src/rhythm/generate.js';
import { expectReencoded, ffmpeg, splice, tempDir } from './helpers.js';

const file = tempDir();
const RATE = 44_100;

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

describe('FLAC: the label frames are spliced in, the subframes of every frame of the file are kept', () => {
  /** The stream's metadata (as bytes, before the first frame), STREAMINFO and frames. */
  async function layout(bytes: Uint8Array) {
    const source = bytesSource(bytes);
    const { blocks, audioStart } = await listBlocks(source, 0);
    const info = readStreamInfo(bytes.subarray(blocks[0]!.offset + 4, blocks[0]!.offset + 38));
    const frames = await walkFlacFrames(source, audioStart, info);
    if ('reason' in frames) throw new Error(frames.reason);
    return { blocks, audioStart, info, frames };
  }
  const frameBytes = (bytes: Uint8Array, frames: FlacFrames, i: number) => bytes.subarray(frames.offsets[i]!, frames.offsets[i + 1]!);
  const subframes = (bytes: Uint8Array, frames: FlacFrames, i: number) =>
    bytes.subarray(frames.offsets[i]! + frames.headerLengths[i]!, frames.offsets[i + 1]! - 2);
  /** Decoded integer samples as ffmpeg gives them, as bytes. */
  const decoded = (path: string, bits: number) =>
    new Uint8Array(
      execFileSync(ffmpegPath(), ['-v', 'error', '-i', path, '-f', bits === 16 ? 's16le' : 's24le', '-'], { maxBuffer: 1 << 28 }),
    );
  const md5 = (bytes: Uint8Array) => createHash('md5').update(bytes).digest('hex');
  const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

  const CASES: { name: string; args: string[]; bits: number; where: readonly ('start' | 'end')[] }[] = [
    { name: '16-bit, a short last frame', args: ['-sample_fmt', 's16'], bits: 16, where: ['start'] },
    { name: '16-bit, a short last frame', args: ['-sample_fmt', 's16'], bits: 16, where: ['end'] },
    { name: '16-bit, a short last frame', args: ['-sample_fmt', 's16'], bits: 16, where: ['start', 'end'] },
    { name: '16-bit, whole blocks', args: ['-sample_fmt', 's16', '-af', `atrim=end_sample=${4608 * 60}`], bits: 16, where: ['end'] },
    { name: '24-bit', args: ['-sample_fmt', 's32'], bits: 24, where: ['start', 'end'] },
  ];
  it.each(CASES)('$name, at $where', async ({ name, args, bits, where }) => {
    const input = file(`${name.replace(/\W+/g, '-')}-${where.join('-')}.flac`);
    ffmpeg(['-i', wavSource, ...args, '-c:a', 'flac', '-metadata', 'title=Kept', '-metadata', 'AIGC={"Label":"1"}', input]);
    const { result, bytes, out, path } = await splice(input, { positions: [...where] });
    expect(result.findings).toEqual([]);
    const before = await layout(bytes);
    const after = await layout(out);
    // Every metadata block but STREAMINFO byte for byte (the Vorbis comment with the label among them).
    expect(after.blocks.map((b) => b.type)).toEqual(before.blocks.map((b) => b.type));
    expect(out.subarray(after.blocks[1]!.offset, after.audioStart)).toEqual(bytes.subarray(before.blocks[1]!.offset, before.audioStart));
    expect((await flac.read(bytesSource(out))).carriers.length).toBe((await flac.read(bytesSource(bytes))).carriers.length);
    expect((await flac.read(bytesSource(out))).carriers.length).toBeGreaterThan(0);
    // The label: whole blocks at the start; at the end, whole blocks with the file's short last block re-encoded in front.
    const { blockSize, count, lastBlockSize, totalSamples } = before.frames;
    expect(lastBlockSize < blockSize).toBe(!name.includes('whole blocks'));
    const labelFrames = Math.round(result.labelSeconds * RATE);
    const startBlocks = where.includes('start') ? Math.ceil(labelFrames / blockSize) : 0;
    const short = where.includes('end') && lastBlockSize < blockSize ? 1 : 0;
    for (let i = 0; i < count - short; i++) {
      expect(subframes(out, after.frames, startBlocks + i)).toEqual(subframes(bytes, before.frames, i));
      if (startBlocks === 0) expect(frameBytes(out, after.frames, i)).toEqual(frameBytes(bytes, before.frames, i));
    }
    const endSamples = where.includes('end')
      ? Math.ceil((labelFrames + (short ? lastBlockSize : 0)) / blockSize) * blockSize - (short ? lastBlockSize : 0)
      : 0;
    expect(after.info.totalSamples).toBe(totalSamples + startBlocks * blockSize + endSamples);
    expect(after.frames.totalSamples).toBe(after.info.totalSamples);
    // Decodes cleanly, losslessly: the content's samples are the source's, at their place; the MD5 is the decoded audio's.
    const check = spawnSync(ffmpegPath(), ['-v', 'error', '-i', path, '-f', 'null', '-'], { encoding: 'utf8' });
    expect(check.stderr).toBe('');
    const sourceSamples = decoded(input, bits);
    const outputSamples = decoded(path, bits);
    const frameBytesOf = (bits / 8) * 2;
    expect(outputSamples.length).toBe(after.info.totalSamples * frameBytesOf);
    const at = startBlocks * blockSize * frameBytesOf;
    expect(md5(outputSamples.subarray(at, at + sourceSamples.length))).toBe(md5(sourceSamples));
    expect(hex(after.info.md5)).toBe(md5(outputSamples));
    const found = await detectRhythm({ path });
    expect(found.occurrences.map((o) => o.position)).toEqual([...where]);
  });

  it('renumbers a frame header: coded numbers of 1 to 6 bytes, the other fields and a valid CRC-8 kept', () => {
    // A fixed-block-size header: 4096 samples, 44.1 kHz, stereo, 16 bits, frame 0.
    const header = Uint8Array.of(0xff, 0xf8, 0xc9, 0x18, 0x00, 0);
    header[5] = crc8Smbus(header, 0, 0, 5);
    const parsed = flacFrameHeader(header, 0)!;
    expect(parsed).toMatchObject({ blockSize: 4096, sampleRate: 44_100, channels: 2, bitsPerSample: 16, number: 0, length: 6 });
    for (const [number, length] of [
      [127, 1],
      [128, 2],
      [2047, 2],
      [2048, 3],
      [65_535, 3],
      [65_536, 4],
      [2 ** 21, 5],
      [2 ** 26, 6],
      [2 ** 31 - 1, 6],
    ]) {
      const renumbered = renumberedHeader(header, parsed, number!);
      expect(renumbered.length).toBe(5 + length!);
      expect(flacFrameHeader(renumbered, 0)).toMatchObject({ ...parsed, number, numberEnd: 4 + length!, length: 5 + length! });
    }
  });

  it('moves SEEKTABLE points with their frames and keeps placeholders', async () => {
    const plain = file('seek-plain.flac');
    ffmpeg(['-i', wavSource, '-sample_fmt', 's16', '-c:a', 'flac', plain]);
    const bytes = new Uint8Array(readFileSync(plain));
    const { frames, audioStart } = await layout(bytes);
    const points = [0, 10, 40];
    const table = new Uint8Array(4 + 18 * (points.length + 1));
    const view = new DataView(table.buffer);
    view.setUint32(0, (3 << 24) | (table.length - 4));
    points.forEach((frame, i) => {
      view.setUint32(4 + 18 * i + 4, frame * frames.blockSize);
      view.setUint32(4 + 18 * i + 12, frames.offsets[frame]! - audioStart);
      view.setUint16(4 + 18 * i + 16, frames.blockSize);
    });
    table.fill(0xff, 4 + 18 * points.length, 4 + 18 * points.length + 8); // a placeholder point
    const input = file('seek.flac');
    writeFileSync(input, new Uint8Array([...bytes.subarray(0, 42), ...table, ...bytes.subarray(42)]));
    const { out, bytes: source } = await splice(input);
    const after = await layout(out);
    const { blocks } = await layout(source);
    const outTable = new DataView(out.buffer, out.byteOffset + after.blocks[1]!.offset + 4, table.length - 4);
    const shift = after.frames.count - frames.count;
    points.forEach((frame, i) => {
      expect(outTable.getUint32(18 * i + 4)).toBe((frame + shift) * frames.blockSize);
      expect(after.frames.offsets[frame + shift]! - after.audioStart).toBe(outTable.getUint32(18 * i + 12));
    });
    expect(out.subarray(after.blocks[1]!.offset + 4 + 18 * points.length, after.blocks[2]!.offset)).toEqual(
      source.subarray(blocks[1]!.offset + 4 + 18 * points.length, blocks[2]!.offset),
    );
  });

  it("checks STREAMINFO's MD5 before an end label, writes the spliced audio's after a start label, and keeps an unknown one unknown", async () => {
    const input = file('md5.flac');
    ffmpeg(['-i', wavSource, '-sample_fmt', 's16', '-c:a', 'flac', input]);
    const bytes = new Uint8Array(readFileSync(input));
    const { blocks } = await layout(bytes);
    const md5At = blocks[0]!.offset + 4 + 18; // STREAMINFO: the MD5 is its last 16 bytes (RFC 9639 §8.2)
    const withMd5 = (fill: (md5: Uint8Array) => void, name: string) => {
      const copy = bytes.slice();
      fill(copy.subarray(md5At, md5At + 16));
      writeFileSync(file(name), copy);
      return file(name);
    };
    const wrong = withMd5((md5) => {
      md5[3]! ^= 0x01;
    }, 'md5-wrong.flac');
    await expectReencoded([[wrong, { positions: ['end'] }, /do not match STREAMINFO's MD5/]], (i) => file(`md5-wrong-${i}.flac`));
    // A start label's hash starts with the label: the output's MD5 is its decoded audio's, whatever the file stored.
    const started = await splice(wrong, { positions: ['start'] });
    expect(started.result.findings).toEqual([]);
    expect(hex((await layout(started.out)).info.md5)).toBe(md5(decoded(started.path, 16)));
    const unknown = await splice(
      withMd5((md5) => md5.fill(0), 'md5-unknown.flac'),
      { positions: ['end'] },
    );
    expect(unknown.result.findings).toEqual([]);
    expect(hex((await layout(unknown.out)).info.md5)).toBe('0'.repeat(32));
  });

  it('re-encodes a damaged stream, a label in the middle, or a mixed label, and says why', async () => {
    const input = file('damaged.flac');
    ffmpeg(['-i', wavSource, '-sample_fmt', 's16', '-c:a', 'flac', input]);
    const bytes = new Uint8Array(readFileSync(input));
    const { frames } = await layout(bytes);
    const damaged = bytes.slice();
    damaged[Math.floor((frames.offsets[10]! + frames.offsets[11]!) / 2)]! ^= 0x10;
    writeFileSync(file('damaged-1.flac'), damaged);
    for (const [path, options] of [
      [file('damaged-1.flac'), {}],
      [input, { positions: ['middle' as const] }],
      [input, { mode: 'mix' as const }],
    ] as const) {
      const result = await applyRhythmLabel({
        input: path,
        output: `${path}.out.flac`,
        source: bytesSource(new Uint8Array(readFileSync(path))),
        ...options,
      });
      expect(result.spliced).toBeUndefined();
      expect(result.findings.map((f) => f.rule)).toEqual(['explicit/audio-reencoded']);
      if (path !== input) expect(result.findings[0]!.message).toMatch(/FLAC frame 10 .* fails its CRC-16/);
    }
  });
});
