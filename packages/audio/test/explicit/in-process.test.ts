import { readFileSync } from 'node:fs';
import { bytesSource, MalformedInputError } from '@aigc-label/core';
import { describe, expect, it, vi } from 'vitest';
import { musicLike, toChannels, writeWav } from '../../scripts/test-signals.mjs';
import { analysisPcm } from '../../src/pcm/analysis.js';
import { decodePcm } from '../../src/pcm/ffmpeg.js';
import { inProcessCodec } from '../../src/pcm/in-process.js';
import { detectAudibleLabels } from '../../src/rhythm/audible.js';
import { synthesizeRhythm } from '../../src/rhythm/generate.js';
import { ffmpeg, tempDir } from './helpers.js';

const file = tempDir();
const RATE = 44_100;

async function collect(blocks: AsyncIterable<Float32Array>): Promise<Float32Array> {
  const parts: Float32Array[] = [];
  for await (const block of blocks) parts.push(block);
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** Signal-to-difference ratio of `a` against the reference `b` over their common middle, in dB. */
function agreementDb(a: Float32Array, b: Float32Array): number {
  const n = Math.min(a.length, b.length);
  let signal = 0;
  let difference = 0;
  for (let i = 200; i < n - 200; i++) {
    signal += b[i]! * b[i]!;
    difference += (a[i]! - b[i]!) ** 2;
  }
  return 10 * Math.log10(signal / difference);
}

// Music-like content with the rhythm mixed in at 1.5 s, stereo 44.1 kHz.
const source = file('source.wav');
const content = musicLike(RATE, 5, 11) as Float32Array;
const tone = synthesizeRhythm(RATE);
for (let i = 0; i < tone.length; i++) content[Math.round(1.5 * RATE) + i]! += 0.3 * tone[i]!;
writeWav(source, toChannels(content, 2), RATE, 2);

const cover = file('cover.png');
ffmpeg(['-f', 'lavfi', '-i', 'color=c=blue:s=32x32', '-frames:v', '1', cover]);
const art = ['-i', cover, '-map', '0:a', '-map', '1:v', '-c:v', 'png', '-disposition:v:0', 'attached_pic'];

const CASES: { name: string; ext: string; args: string[]; codec: string; minimumDb: number }[] = [
  { name: 'WAV 16-bit', ext: 'wav', args: ['-c:a', 'pcm_s16le'], codec: 'pcm', minimumDb: 35 },
  { name: 'WAV 8-bit', ext: 'wav', args: ['-c:a', 'pcm_u8'], codec: 'pcm', minimumDb: 30 },
  { name: 'WAV 24-bit mono 48 kHz', ext: 'wav', args: ['-c:a', 'pcm_s24le', '-ac', '1', '-ar', '48000'], codec: 'pcm', minimumDb: 35 },
  { name: 'WAV 32-bit integer', ext: 'wav', args: ['-c:a', 'pcm_s32le'], codec: 'pcm', minimumDb: 35 },
  { name: 'WAV 32-bit float', ext: 'wav', args: ['-c:a', 'pcm_f32le'], codec: 'pcm', minimumDb: 35 },
  { name: 'WAV 64-bit float 22.05 kHz', ext: 'wav', args: ['-c:a', 'pcm_f64le', '-ar', '22050'], codec: 'pcm', minimumDb: 35 },
  { name: 'MP3 with cover art', ext: 'mp3', args: [...art, '-c:a', 'libmp3lame', '-b:a', '96k'], codec: 'mp3', minimumDb: 30 },
  {
    name: 'MP3 MPEG-2 24 kHz mono',
    ext: 'mp3',
    args: ['-c:a', 'libmp3lame', '-ar', '24000', '-ac', '1', '-b:a', '48k'],
    codec: 'mp3',
    minimumDb: 30,
  },
  { name: 'FLAC with cover art', ext: 'flac', args: [...art, '-c:a', 'flac'], codec: 'flac', minimumDb: 35 },
  { name: 'Ogg Vorbis', ext: 'ogg', args: ['-c:a', 'libvorbis', '-q:a', '4'], codec: 'vorbis', minimumDb: 25 },
  { name: 'Ogg Opus', ext: 'opus', args: ['-c:a', 'libopus', '-b:a', '64k'], codec: 'opus', minimumDb: 15 },
];

describe('in-process decoding for the audible-label searches', () => {
  it.each(CASES)(
    '$name: decoded samples agree with ffmpeg, and the search finds the same label',
    async ({ ext, args, codec, minimumDb }) => {
      const path = file(`case-${args.join('')}.${ext}`.replace(/[^\w.-]/g, ''));
      ffmpeg(['-i', source, ...args, path]);
      const bytes = new Uint8Array(readFileSync(path));
      const found = await inProcessCodec(bytesSource(bytes));
      expect(found?.codec).toBe(codec);
      const ours = await collect(analysisPcm({ source: bytesSource(bytes) }, 8000));
      const theirs = await collect(decodePcm({ path }, { sampleRate: 8000, channels: 1 }));
      // Same length (Vorbis: ffmpeg keeps a few samples of the last block's padding), same signal.
      expect(Math.abs(ours.length - theirs.length)).toBeLessThanOrEqual(16);
      expect(agreementDb(ours, theirs)).toBeGreaterThan(minimumDb);
      const inProcess = await detectAudibleLabels({ source: bytesSource(bytes) });
      const viaFfmpeg = await detectAudibleLabels({ path });
      expect(inProcess.rhythm.occurrences).toHaveLength(1);
      expect(viaFfmpeg.rhythm.occurrences).toHaveLength(1);
      expect(inProcess.rhythm.occurrences[0]!.startSeconds).toBeCloseTo(viaFfmpeg.rhythm.occurrences[0]!.startSeconds, 1);
      expect(inProcess.rhythm.occurrences[0]!.toneHz).toBeCloseTo(1000, -1);
      expect(inProcess.rhythm.durationSeconds).toBeCloseTo(viaFfmpeg.rhythm.durationSeconds, 2);
    },
  );

  it('leaves AAC, multiplexed Ogg and ADPCM WAV to ffmpeg, which still decodes them', async () => {
    const m4a = file('aac.m4a');
    ffmpeg(['-i', source, '-c:a', 'aac', '-b:a', '96k', m4a]);
    const adpcm = file('adpcm.wav');
    ffmpeg(['-i', source, '-c:a', 'adpcm_ms', adpcm]);
    const twoStreams = file('two.ogg');
    ffmpeg(['-i', source, '-i', source, '-map', '0:a', '-map', '1:a', '-c:a', 'libvorbis', twoStreams]);
    for (const path of [m4a, adpcm, twoStreams]) {
      const bytes = new Uint8Array(readFileSync(path));
      expect(await inProcessCodec(bytesSource(bytes))).toBeNull();
      const detection = await detectAudibleLabels({ source: bytesSource(bytes), path });
      expect(detection.rhythm.occurrences).toHaveLength(1);
    }
  });

  it('reports a file with no decodable audio as MalformedInputError, and prints nothing', async () => {
    const printed: unknown[] = [];
    const spies = [vi.spyOn(console, 'error'), vi.spyOn(console, 'warn'), vi.spyOn(console, 'log')];
    for (const spy of spies) spy.mockImplementation((...args: unknown[]) => printed.push(args));
    try {
      // An empty ID3v2 tag, then an MPEG sync with the forbidden bit-rate index 15 and nothing decodable after it.
      const junk = new Uint8Array(20_000).fill(0x11);
      junk.set([0x49, 0x44, 0x33, 3, 0, 0, 0, 0, 0, 10]);
      junk.set([0xff, 0xfb, 0xf0, 0x64], 20);
      expect((await inProcessCodec(bytesSource(junk)))?.codec).toBe('mp3');
      await expect(collect(analysisPcm({ source: bytesSource(junk) }, 8000))).rejects.toThrow(MalformedInputError);
      // A FLAC file whose frames are overwritten with junk: damaged frames are skipped, quietly.
      const path = file('damaged.flac');
      ffmpeg(['-i', source, '-c:a', 'flac', path]);
      const flac = new Uint8Array(readFileSync(path));
      flac.fill(0x33, 20_000, 60_000);
      const decoded = await collect(analysisPcm({ source: bytesSource(flac) }, 8000));
      expect(decoded.length).toBeGreaterThan(0);
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
    expect(printed).toEqual([]);
  });
});
