import { execFileSync } from 'node:child_process';
import { toHex, watermarkPayload } from '@aigc-label/core';
import { describe, expect, it } from 'vitest';
import { noiseToMask } from '../../scripts/ear-model.mjs';
import { musicLike, noiseLike, random, writeWav } from '../../scripts/test-signals.mjs';
import { tonalLike, toStereo } from '../../scripts/watermark-signals.mjs';
import { ffmpegPath } from '../../src/pcm/ffmpeg.js';
import { Fft } from '../../src/rhythm/fft.js';
import { detectWatermark, WatermarkDetector } from '../../src/watermark/detect.js';
import { WatermarkEmbedder } from '../../src/watermark/embed.js';
import { WATERMARK_RATE } from '../../src/watermark/layout.js';
import { watermarkPcm } from '../../src/watermark/stream.js';
import { tempDir } from '../explicit/helpers.js';

const path = tempDir();
const payload = watermarkPayload({ ContentProducer: '001191440300708461136T1XGW3', ProduceID: '0190f0a1-7d2c-7a6b-9c1e-5f3a2b1c0d9e' });
// the audio mark carries the payload's first 32 bits
const hex = toHex(payload.subarray(0, 4));

function embed(samples: Float32Array, rate: number, channels: number, chunk: number, key?: string): Float32Array {
  const embedder = new WatermarkEmbedder(payload, rate, channels, { key });
  const parts: Float32Array[] = [];
  for (let i = 0; i < samples.length; i += chunk * channels)
    parts.push(embedder.push(samples.subarray(i, Math.min(samples.length, i + chunk * channels))));
  parts.push(embedder.finish());
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function detect8k(samples: Float32Array, key?: string) {
  const detector = new WatermarkDetector({ key });
  for (let i = 0; i < samples.length; i += 4000) detector.push(samples.subarray(i, i + 4000));
  return detector.finish();
}

describe('audio watermark at the analysis rate (no codec)', () => {
  const host = noiseLike(WATERMARK_RATE, 32, 7); // five blocks: a one-chunk push plans ahead of the frames
  const marked = embed(host, WATERMARK_RATE, 1, 1000);

  it('keeps the length and stays below the programme', () => {
    expect(marked.length).toBe(host.length);
    let signal = 0;
    let mark = 0;
    for (let i = 0; i < host.length; i++) {
      signal += host[i]! ** 2;
      mark += (marked[i]! - host[i]!) ** 2;
    }
    expect(mark).toBeGreaterThan(0);
    expect(10 * Math.log10(signal / mark)).toBeGreaterThan(20);
  });

  it('reads the payload back, after any time shift', () => {
    for (const shift of [0, 1, 7, 100, 255, 3001]) {
      const shifted = new Float32Array(marked.length + shift);
      shifted.set(marked, shift);
      const found = detect8k(shifted);
      expect(found.found, `shift ${shift}`).toBe(true);
      expect(found.payloadHex).toBe(hex);
    }
  });

  it('finds nothing with another key, nor in the unmarked programme', () => {
    expect(detect8k(marked, 'another key').found).toBe(false);
    expect(detect8k(host).found).toBe(false);
  });

  it('reads each programme alone: a detector taking the buffers of finished ones reads as a fresh one', () => {
    const soft = (found: ReturnType<typeof detect8k>) => Array.from(found.softBits);
    const alone = detect8k(marked.subarray(0, WATERMARK_RATE * 9));
    // A long marked programme, then the short clip, the unmarked one and the short clip again.
    expect(detect8k(marked).found).toBe(true);
    expect(soft(detect8k(marked.subarray(0, WATERMARK_RATE * 9)))).toEqual(soft(alone));
    expect(detect8k(host).found).toBe(false);
    expect(soft(detect8k(marked.subarray(0, WATERMARK_RATE * 9)))).toEqual(soft(alone));
    const finished = new WatermarkDetector();
    finished.finish();
    expect(() => finished.push(host)).toThrow(/finished/);
    expect(() => finished.finish()).toThrow(/finished/);
  });

  it('gives the same output whatever the chunking, the whole programme in one chunk included', () => {
    expect(Array.from(embed(host, WATERMARK_RATE, 1, 4321))).toEqual(Array.from(marked));
    expect(Array.from(embed(host, WATERMARK_RATE, 1, host.length))).toEqual(Array.from(marked));
  });
});

describe('audio watermark on channels of unequal level', () => {
  const rate = 44_100;
  const music = musicLike(rate, 12, 11);
  const stereo = (right: (left: number) => number) => {
    const out = new Float32Array(music.length * 2);
    for (let i = 0; i < music.length; i++) {
      out[2 * i] = music[i]!;
      out[2 * i + 1] = right(music[i]!);
    }
    return out;
  };
  /** Programme-to-mark ratio of one channel, dB. */
  const snr = (source: Float32Array, marked: Float32Array, channel: number) => {
    let signal = 0;
    let mark = 0;
    for (let i = channel; i < source.length; i += 2) {
      signal += source[i]! ** 2;
      mark += (marked[i]! - source[i]!) ** 2;
    }
    return 10 * Math.log10(signal / mark);
  };
  /** The mark as a platform reads it: the file decoded by ffmpeg to 8 kHz mono. */
  const read = async (marked: Float32Array, name: string) => {
    const file = path(`${name}.wav`);
    writeWav(file, marked, rate, 2);
    return (await detectWatermark({ path: file })).payloadHex;
  };

  it('leaves a silent channel silent, and the mark is read', async () => {
    const source = stereo(() => 0);
    const marked = embed(source, rate, 2, 4096);
    let changed = 0;
    for (let i = 1; i < marked.length; i += 2) if (marked[i] !== 0) changed++;
    expect(changed).toBe(0);
    expect(snr(source, marked, 0)).toBeGreaterThan(20);
    expect(await read(marked, 'silent-right')).toBe(hex);
  });

  it('marks a quieter channel less, so that its mark is no louder against it than against the mix', async () => {
    // The right channel 12 dB down: an equal mark would sit 12 dB closer to it than to the left.
    const source = stereo((left) => 0.25 * left);
    const marked = embed(source, rate, 2, 4096);
    expect(snr(source, marked, 1)).toBeGreaterThan(snr(source, marked, 0) - 6);
    expect(await read(marked, 'quiet-right')).toBe(hex);
    // The gains come from whole slots, so the chunking changes nothing here either.
    expect(Array.from(embed(source, rate, 2, 997))).toEqual(Array.from(marked));
  });
});

describe('audio watermark cut in pieces', () => {
  it('reads a programme cut in two pieces shorter than a block by an insert, on both alignments together', () => {
    // Each piece holds the mark at its own block phase; a 6 s piece holds only part of the
    // 7.68 s block. Read on one alignment (before the joint reading), 6 of these 12 were found.
    let read = 0;
    for (let t = 0; t < 12; t++) {
      const label = { ContentProducer: '001191440300708461136T1XGW3', ProduceID: `split-${t}` };
      const programme = musicLike(WATERMARK_RATE, 12, 100 + t);
      const embedder = new WatermarkEmbedder(watermarkPayload(label), WATERMARK_RATE, 1);
      const head = embedder.push(programme);
      const marked = new Float32Array(programme.length);
      marked.set(head);
      marked.set(embedder.finish(), head.length);
      const insert = musicLike(WATERMARK_RATE, 2.5, 900 + t);
      const cut = 6 * WATERMARK_RATE;
      const edited = new Float32Array(marked.length + insert.length);
      edited.set(marked.subarray(0, cut));
      edited.set(insert, cut);
      edited.set(marked.subarray(cut), cut + insert.length);
      const found = detect8k(edited);
      if (found.found) {
        expect(found.payloadHex).toBe(toHex(watermarkPayload(label).subarray(0, 4)));
        read++;
      }
    }
    expect(read).toBeGreaterThanOrEqual(10);
  });
});

describe('audio watermark under the masking threshold (ITU-R BS.1387 ear model)', () => {
  it('keeps held tones clean: the mark stays under the mask where white noise at the same SNR does not', async () => {
    // Held tones with soft envelopes: without the masking ceiling, the informed corrections
    // pushed cells on a tone's low skirt to the cap, over the mask in 4-5% of this clip's frames.
    const rate = 44_100;
    const tones = tonalLike(rate, 12, 77);
    const marked = embed(tones, rate, 1, 4096);
    let signal = 0;
    let mark = 0;
    for (let i = 0; i < tones.length; i++) {
      signal += tones[i]! ** 2;
      mark += (marked[i]! - tones[i]!) ** 2;
    }
    const snrDb = 10 * Math.log10(signal / mark);
    const rng = random(5);
    const scale = Math.sqrt(mark / tones.length) * Math.sqrt(3);
    const noisy = tones.map((v) => v + scale * (2 * rng() - 1)); // white noise at the mark's SNR
    const ofMark = noiseToMask(tones, marked, rate, 1, Fft);
    const ofNoise = noiseToMask(tones, noisy, rate, 1, Fft);
    expect(ofNoise.disturbedFrames, `white noise at ${snrDb.toFixed(1)} dB SNR`).toBeGreaterThan(0.5);
    expect(ofMark.disturbedFrames).toBeLessThan(0.01);
    expect(ofMark.nmrTotalDb).toBeLessThan(-15);
    const file = path('tones.wav');
    writeWav(file, marked, rate, 1);
    expect((await detectWatermark({ path: file })).payloadHex).toBe(hex);
  });
});

describe('audio watermark through the npm ffmpeg', () => {
  it('survives MP3 64 kbit/s of 44.1 kHz stereo music; unmarked gives nothing', async () => {
    const rate = 44_100;
    const source = toStereo(musicLike(rate, 16, 3), random(5));
    const marked = embed(source, rate, 2, 8192);
    const wav = path('music.wav');
    writeWav(wav, marked, rate, 2);
    const mp3 = path('music.mp3');
    execFileSync(ffmpegPath(), ['-y', '-loglevel', 'error', '-i', wav, '-c:a', 'libmp3lame', '-b:a', '64k', mp3]);
    const fromMp3 = await detectWatermark({ path: mp3 });
    expect(fromMp3.payloadHex).toBe(hex);
    const plain = path('plain.wav');
    writeWav(plain, source, rate, 2);
    expect((await detectWatermark({ path: plain })).found).toBe(false);
  });

  it('reads a 10 s excerpt cut at an arbitrary sample of 32 kHz stereo noise, re-encoded to Opus 32 kbit/s', () => {
    const rate = 32_000;
    const marked = embed(toStereo(noiseLike(rate, 20, 9), random(6)), rate, 2, 5000);
    const wav = path('noise.wav');
    writeWav(wav, marked, rate, 2);
    const opus = path('excerpt.opus');
    execFileSync(ffmpegPath(), [
      '-y',
      '-loglevel',
      'error',
      '-ss',
      '4.56789',
      '-t',
      '10',
      '-i',
      wav,
      '-c:a',
      'libopus',
      '-b:a',
      '32k',
      opus,
    ]);
    return detectWatermark({ path: opus }).then((found) => expect(found.payloadHex).toBe(hex));
  });

  it('marks a PCM stream for the decode-encode pipeline, tonal 48 kHz mono, read after AAC 96 kbit/s', async () => {
    const rate = 48_000;
    const source = tonalLike(rate, 14, 11);
    async function* chunks() {
      for (let i = 0; i < source.length; i += 10_000) yield source.subarray(i, i + 10_000);
    }
    const parts: Float32Array[] = [];
    for await (const part of watermarkPcm(chunks(), { sampleRate: rate, channels: 1 }, payload)) parts.push(part);
    const marked = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      marked.set(p, at);
      at += p.length;
    }
    expect(marked.length).toBe(source.length);
    const wav = path('tonal.wav');
    writeWav(wav, marked, rate, 1);
    const m4a = path('tonal.m4a');
    execFileSync(ffmpegPath(), ['-y', '-loglevel', 'error', '-i', wav, '-c:a', 'aac', '-b:a', '96k', m4a]);
    expect((await detectWatermark({ path: m4a })).payloadHex).toBe(hex);
  });
});
