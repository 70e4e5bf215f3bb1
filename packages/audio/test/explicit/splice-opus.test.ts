import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { bytesSource, concat, materialize, u16le, u32le } from '@aigc-label/core';
import { describe, expect, it } from 'vitest';
import { sampleLabel } from '../../../../test/handler-contract.js';
import { musicLike, noiseLike, toChannels, writeWav } from '../../scripts/test-signals.mjs';
import { ogg } from '../../src/ogg/index.js';
import { ffmpegPath } from '../../src/pcm/ffmpeg.js';
import { applyRhythmLabel } from '../../src/rhythm/apply.js';
import { detectRhythm } from '../../src/rhythm/detect.js';
import { compareSamples, expectReencoded, ffmpeg, splice, tempDir } from './helpers.js';

const file = tempDir();
const RATE = 48_000;

/** Bitwise Ogg CRC (RFC 3533), independent of the module's table. */
function crcOf(page: Uint8Array): number {
  let crc = 0;
  for (let i = 0; i < page.length; i++) {
    crc ^= (i >= 22 && i < 26 ? 0 : page[i]!) << 24;
    for (let k = 0; k < 8; k++) crc = crc & 0x80000000 ? (crc << 1) ^ 0x04c11db7 : crc << 1;
  }
  return crc >>> 0;
}

/** Samples in an Opus packet (RFC 6716 §3.1), read independently of the module. */
function samplesOf(packet: Uint8Array): number {
  const config = packet[0]! >> 3;
  const frame =
    config < 12 ? [480, 960, 1920, 2880][config % 4]! : config < 16 ? [480, 960][config % 2]! : [120, 240, 480, 960][config % 4]!;
  const code = packet[0]! & 3;
  return frame * (code === 0 ? 1 : code < 3 ? 2 : packet[1]! & 0x3f);
}

/** Every page checked, every packet collected: the headers, the audio packets, the last granule. */
function parseOggOpus(bytes: Uint8Array) {
  const packets: Uint8Array[] = [];
  const serials = new Set<number>();
  let pending: Uint8Array[] = [];
  let sequence = -1;
  let lastGranule = 0n;
  let eosPages = 0;
  for (let offset = 0; offset < bytes.length; ) {
    expect(String.fromCharCode(...bytes.subarray(offset, offset + 4))).toBe('OggS');
    const segments = bytes[offset + 26]!;
    let size = 27 + segments;
    for (let i = 0; i < segments; i++) size += bytes[offset + 27 + i]!;
    const page = bytes.subarray(offset, offset + size);
    expect(crcOf(page)).toBe(u32le(page, 22));
    expect(u32le(page, 18)).toBe(sequence + 1);
    sequence = u32le(page, 18);
    serials.add(u32le(page, 14));
    if (page[5]! & 4) eosPages++;
    let at = 27 + segments;
    for (let i = 0; i < segments; i++) {
      pending.push(page.subarray(at, at + page[27 + i]!));
      at += page[27 + i]!;
      if (page[27 + i]! < 255) {
        packets.push(concat(pending));
        pending = [];
      }
    }
    const granule = new DataView(page.buffer, page.byteOffset + 6, 8).getBigInt64(0, true);
    if (granule !== -1n) lastGranule = granule;
    offset += size;
  }
  expect(serials.size).toBe(1);
  expect(eosPages).toBe(1);
  const [head, tags, ...audio] = packets;
  return { head: head!, tags: tags!, audio, preSkip: u16le(head!, 10), lastGranule: Number(lastGranule) };
}

/** Where the run `needle` of packets starts in `haystack`, byte for byte; −1 when nowhere. */
function runAt(haystack: Uint8Array[], needle: Uint8Array[]): number {
  const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((v, i) => v === b[i]);
  outer: for (let s = 0; s + needle.length <= haystack.length; s++) {
    for (let i = 0; i < needle.length; i++) if (!same(haystack[s + i]!, needle[i]!)) continue outer;
    return s;
  }
  return -1;
}

/** Interleaved PCM at 48 kHz through ffmpeg: its own Opus decoder, or libopus (the reference decoder). */
function decode(path: string, channels: number, decoder: 'opus' | 'libopus'): Float32Array {
  const out = execFileSync(
    ffmpegPath(),
    ['-v', 'quiet', '-c:a', decoder, '-i', path, '-f', 'f32le', '-ac', String(channels), '-ar', String(RATE), 'pipe:1'],
    { maxBuffer: 1 << 28 },
  );
  return new Float32Array(out.buffer, out.byteOffset, out.length / 4);
}

/** Largest step between neighbouring samples of one channel in frames `[from, to)`. */
function largestStep(samples: Float32Array, channels: number, from: number, to: number): number {
  let step = 0;
  for (let i = Math.max(channels, from * channels); i < Math.min(to * channels, samples.length); i++)
    step = Math.max(step, Math.abs(samples[i]! - samples[i - channels]!));
  return step;
}

const CASES = [
  // CELT-only packets: the common case for music.
  { name: 'stereo 96 kbit/s music (CELT)', channels: 2, args: ['-b:a', '96k'], signal: musicLike },
  // Hybrid (SILK + CELT) packets.
  { name: 'mono 48 kbit/s noise (hybrid)', channels: 1, args: ['-b:a', '48k'], signal: noiseLike },
  // SILK-only packets.
  { name: 'mono 8 kbit/s voip (SILK)', channels: 1, args: ['-application', 'voip', '-b:a', '8k'], signal: noiseLike },
];

describe('Ogg Opus: the label packets are spliced in, every packet of the file is kept', () => {
  for (const { name, channels, args, signal } of CASES) {
    const wav = file(`${name.replace(/\W+/g, '-')}.wav`);
    writeWav(wav, toChannels(signal(RATE, 6, 5), channels), RATE, channels);
    const placements: ('start' | 'end')[][] = [['start'], ['end'], ['start', 'end']];
    it.each(placements.map((where) => [where.join(' and '), where] as const))(`${name}, at %s`, async (_, where) => {
      const input = file(`${name.replace(/\W+/g, '-')}-${where.join('-')}.opus`);
      ffmpeg(['-i', wav, '-c:a', 'libopus', ...args, '-metadata', 'title=Kept', input]);
      // The file carries our metadata label too: it must come through the splice.
      const labeled = await materialize(
        await ogg.write(bytesSource(new Uint8Array(readFileSync(input))), sampleLabel()),
        bytesSource(new Uint8Array(readFileSync(input))),
      );
      writeFileSync(input, labeled);
      const { result, path, out } = await splice(input, { positions: where });
      expect(result.findings).toEqual([]);

      // It decodes cleanly.
      const stderr = execFileSync(ffmpegPath(), ['-v', 'error', '-i', path, '-f', 'null', '-'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      expect(stderr).toBe('');
      // Every packet of the file, byte for byte, in one run; the headers kept but for the pre-skip.
      const before = parseOggOpus(new Uint8Array(readFileSync(input)));
      const after = parseOggOpus(out);
      const at = runAt(after.audio, before.audio);
      expect(at).toBeGreaterThanOrEqual(0);
      expect(at > 0).toBe(where.includes('start'));
      expect(at + before.audio.length < after.audio.length).toBe(where.includes('end'));
      expect(after.tags).toEqual(before.tags);
      expect([...after.head.subarray(0, 10), ...after.head.subarray(12)]).toEqual([
        ...before.head.subarray(0, 10),
        ...before.head.subarray(12),
      ]);
      if (!where.includes('start')) expect(after.preSkip).toBe(before.preSkip);
      // Durations from the granule positions: the file's own, plus the label packets.
      const sum = (packets: Uint8Array[]) => packets.reduce((n, p) => n + samplesOf(p), 0);
      const ahead = sum(after.audio.slice(0, at));
      const behind = sum(after.audio.slice(at + before.audio.length));
      const labelFrames = Math.round(result.labelSeconds * RATE);
      if (!where.includes('end')) expect(after.lastGranule).toBe(before.lastGranule + ahead);
      else {
        // The label's end trimmed by the last page: its own warm-up and the label, nothing of its padding.
        const trimmed = ahead + sum(before.audio) + behind - after.lastGranule;
        expect(trimmed).toBeGreaterThanOrEqual(0);
        expect(trimmed).toBeLessThan(behind - labelFrames);
      }
      const duration = (after.lastGranule - after.preSkip) / RATE;
      expect(duration - (before.lastGranule - before.preSkip) / RATE).toBeGreaterThanOrEqual(where.length * result.labelSeconds);
      expect(duration - (before.lastGranule - before.preSkip) / RATE).toBeLessThan(where.length * (result.labelSeconds + 0.1));

      // Decoded, the content is the source's: after a label in front of it from its first
      // sample (the label ends in a mode switch, so the decoder starts over), before one behind it.
      for (const decoder of ['libopus', 'opus'] as const) {
        const a = decode(input, channels, decoder);
        const b = decode(path, channels, decoder);
        const offset = where.includes('start') ? ahead - after.preSkip + before.preSkip : 0;
        expect(b.length / channels).toBe(after.lastGranule - after.preSkip);
        const frames = a.length / channels;
        // 20 ms on the content's side of each seam, and all the rest.
        const head = compareSamples(a, b, offset, channels, 0, 960);
        const tail = compareSamples(a, b, offset, channels, frames - 960, frames);
        const rest = compareSamples(a, b, offset, channels, 960, frames - 960);
        const db = (x: number) => x.toFixed(1);
        console.log(
          `${name} at ${where.join('+')}, ${decoder} decoder: first 20 ms SNR ${db(head.snrDb)} dB, peak error ${db(head.peakErrorDb)} dBFS; ` +
            `last 20 ms ${db(tail.snrDb)} dB, ${db(tail.peakErrorDb)} dBFS; between ${db(rest.snrDb)} dB, ${db(rest.peakErrorDb)} dBFS`,
        );
        expect(rest.peakErrorDb).toBeLessThan(-100);
        if (where.includes('start')) expect(head.peakErrorDb).toBeLessThan(-100);
        // libopus decodes the content before a label behind it as before; ffmpeg's own decoder
        // flushes its SILK resampler into the last 20 ms of a SILK-only stream when CELT follows.
        if (where.includes('end')) expect(tail.peakErrorDb).toBeLessThan(decoder === 'libopus' || !name.includes('SILK') ? -100 : -15);
        if (where.includes('end')) {
          // No click where the label follows the content.
          const end = offset + a.length / channels;
          expect(largestStep(b, channels, end - 2000, end + 2000)).toBeLessThanOrEqual(
            largestStep(a, channels, 0, a.length / channels) + 1e-3,
          );
        }
      }
      // The label is heard where it was put, and the metadata label is still there.
      expect((await detectRhythm({ path })).occurrences.map((o) => o.position)).toEqual(where);
      const read = await ogg.read(bytesSource(out));
      expect(read.carriers.map((c) => c.label?.ContentProducer)).toEqual([sampleLabel().ContentProducer]);
    });
  }

  it('re-encodes a chained file, a label in the middle or one mixed over the content, and says why', async () => {
    const wav = file('short.wav');
    writeWav(wav, toChannels(musicLike(RATE, 3, 2), 2), RATE, 2);
    const one = file('one.opus');
    ffmpeg(['-i', wav, '-c:a', 'libopus', '-b:a', '64k', one]);
    const chained = file('chained.opus');
    writeFileSync(chained, concat([readFileSync(one), readFileSync(one)].map((b) => new Uint8Array(b))));
    await expectReencoded(
      [
        [chained, {}, /chained/],
        [one, { positions: ['middle' as const] }, /inside Opus content/],
        [one, { mode: 'mix' as const }, /mixed over Opus/],
      ],
      (i) => file(`fallback-${i}.opus`),
    );
  });

  it('gives a reason for a damaged page instead of splicing it', async () => {
    const input = file('damaged.opus');
    const wav = file('damaged.wav');
    writeWav(wav, toChannels(musicLike(RATE, 2, 3), 1), RATE, 1);
    ffmpeg(['-i', wav, '-c:a', 'libopus', '-b:a', '32k', input]);
    const bytes = new Uint8Array(readFileSync(input));
    bytes[bytes.length - 10]! ^= 0xff;
    const result = await applyRhythmLabel({ input, output: file('damaged-out.opus'), source: bytesSource(bytes) });
    expect(result.spliced).toBeUndefined();
    expect(result.findings[0]!.message).toMatch(/damaged|bad CRC/);
  });
});
