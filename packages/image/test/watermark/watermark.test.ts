import { KeyedRandom, LTE_CONVOLUTIONAL_CODE, watermarkPayload } from '@aigc-label/core';
import type { Sharp } from 'sharp';
import { describe, expect, it } from 'vitest';
import {
  detectImageWatermark,
  detectWatermark,
  embedWatermark,
  imageQuality,
  measureWatermark,
  WATERMARK_MIN_SIDE,
} from '../../src/watermark/index.js';
import { decodeMessage, encodeMessage } from '../../src/watermark/message.js';
import { attacked, photo, toSharp } from './pictures.js';

const label = { ContentProducer: '001191440300708461136T1XGW3', ProduceID: '0195f3a2-0000-7000-8000-000000000001' };
const payload = watermarkPayload(label);
const original = photo(512, 512, 1);
const marked = embedWatermark(original, { payload });
/** Byte equality without vitest's element-by-element diffing of large arrays. */
const same = (a: ArrayLike<number>, b: ArrayLike<number>) => a.length === b.length && Array.prototype.every.call(a, (v, i) => v === b[i]);

describe('embedWatermark', () => {
  it('changes the pixels invisibly (PSNR ≥ 40 dB, SSIM ≥ 0.98) and leaves the input alone', () => {
    const copy = original.data.slice();
    const again = embedWatermark(original, { payload });
    expect(same(original.data, copy)).toBe(true);
    expect(same(again.pixels.data, marked.pixels.data)).toBe(true); // deterministic
    expect(same(marked.pixels.data, original.data)).toBe(false);
    const quality = imageQuality(original, marked.pixels);
    expect(quality.psnr).toBeGreaterThanOrEqual(40);
    expect(quality.psnr).toBeCloseTo(marked.psnr, 6);
    expect(quality.ssim).toBeGreaterThanOrEqual(0.98);
    expect(marked.chipSize).toBe(4);
  });

  it('adds the same change to R, G and B and never touches alpha', () => {
    const rgba = photo(320, 256, 2, 4);
    const out = embedWatermark(rgba, { payload }).pixels.data;
    let changed = 0;
    let alphaChanged = 0;
    let unequal = 0;
    for (let p = 0; p < out.length; p += 4) {
      if (out[p + 3] !== rgba.data[p + 3]) alphaChanged++;
      const after = [0, 1, 2].map((c) => out[p + c]!);
      const deltas = [0, 1, 2].map((c) => out[p + c]! - rgba.data[p + c]!);
      if (deltas.some((d) => d !== 0)) changed++;
      // the same change up to rounding, where no channel hit 0 or 255
      if (after.every((v) => v > 0 && v < 255) && Math.max(...deltas) - Math.min(...deltas) > 1) unequal++;
    }
    expect(alphaChanged).toBe(0);
    expect(unequal).toBe(0);
    expect(changed).toBeGreaterThan(out.length / 4 / 4);
  });

  it('refuses what cannot carry a mark', () => {
    expect(() => embedWatermark(photo(WATERMARK_MIN_SIDE - 1, 400), { payload })).toThrow(/too small/);
    expect(() => embedWatermark(original, { payload: payload.subarray(0, 4) })).toThrow(/8/);
    expect(() => embedWatermark({ ...original, width: 511 }, { payload })).toThrow(/do not hold/);
    expect(() => embedWatermark(original, { payload, strength: 0 })).toThrow(/strength/);
  });
});

describe('detectWatermark', () => {
  it('reads the payload back from the marked pixels, with its statistics', () => {
    const found = detectWatermark(marked.pixels);
    expect(found.found).toBe(true);
    expect(found.payload).toEqual(payload);
    expect(found.orientation).toBe(0);
    expect(found.chipSize).toBeCloseTo(4, 1);
    expect(found.falsePositiveBound).toBeLessThan(1e-6);
    expect(found.bitErrors).toBeLessThan(found.codedBits / 10);
  });

  it.each([
    ['JPEG quality 50, 4:2:0', (s) => s.jpeg({ quality: 50, chromaSubsampling: '4:2:0' })],
    ['WebP quality 75', (s) => s.webp({ quality: 75 })],
    ['resize to 50%', (s) => s.resize(256).png()],
    ['crop 10% from every side', (s) => s.extract({ left: 51, top: 51, width: 410, height: 410 }).png()],
    ['rotation by 90° then mirroring', (s) => s.rotate(90).flop().png()],
    ['resize to 75% then JPEG 70', (s) => s.resize(384).jpeg({ quality: 70 })],
  ] as [string, (s: Sharp) => Sharp][])('survives %s', async (_, attack) => {
    const found = detectWatermark(await attacked(marked.pixels, attack));
    expect(found.found).toBe(true);
    expect(found.payload).toEqual(payload);
  });

  it('finds nothing in unmarked pictures, including re-encoded ones', async () => {
    for (const seed of [1, 3, 4, 5, 6]) {
      const plain = photo(384 + seed * 16, 320, seed);
      expect(detectWatermark(plain).found).toBe(false);
      expect(detectWatermark(await attacked(plain, (s) => s.jpeg({ quality: 60 }))).found).toBe(false);
    }
  });

  it('finds nothing under a wrong key, and the mark under its own key', () => {
    const secret = embedWatermark(original, { payload, key: 'private key A' }).pixels;
    expect(detectWatermark(secret).found).toBe(false);
    expect(detectWatermark(secret, { key: 'private key B' }).found).toBe(false);
    expect(detectWatermark(secret, { key: 'private key A' }).payload).toEqual(payload);
    expect(detectWatermark(marked.pixels, { key: 'private key A' }).found).toBe(false);
  });

  it('never turns a mark into a different payload, however damaged', async () => {
    const other = watermarkPayload({ ...label, ProduceID: 'another' });
    const image = embedWatermark(photo(384, 384, 7), { payload: other }).pixels;
    for (const quality of [40, 20, 10, 5]) {
      const found = detectWatermark(await attacked(image, (s) => s.jpeg({ quality })));
      if (found.found) expect(found.payload).toEqual(other);
    }
    // at quality 5 the mark is gone, and what is left decodes to nothing at all
    expect(detectWatermark(await attacked(image, (s) => s.jpeg({ quality: 5 }))).found).toBe(false);
  });

  it('measures bit accuracy against a known payload, and chance level without a mark', () => {
    expect(measureWatermark(marked.pixels, payload)).toMatchObject({ bitAccuracy: 1, recovered: true });
    const plain = measureWatermark(original, payload);
    expect(plain.recovered).toBe(false);
    expect(plain.bitAccuracy).toBeGreaterThan(0.2);
    expect(plain.bitAccuracy).toBeLessThan(0.8);
  });
});

describe('decodeMessage', () => {
  it("tries the list decoder's best paths: a reading whose most likely path fails the CRC still gives the payload", () => {
    // Noisy readings of the code word (seeded), until one whose most likely path is wrong and
    // whose second is the truth: with one path tried it would be lost.
    const coded = encodeMessage(payload);
    const random = new KeyedRandom(Uint8Array.from({ length: 32 }, (_, i) => i + 1));
    const gaussian = () => Math.sqrt(-2 * Math.log(1 - random.nextFloat())) * Math.cos(2 * Math.PI * random.nextFloat());
    const isTruth = (path: Uint8Array) => LTE_CONVOLUTIONAL_CODE.encode(path).every((bit, i) => bit === coded[i]);
    const twoBest = (soft: Float64Array) => LTE_CONVOLUTIONAL_CODE.decodeList(soft, 2);
    let soft = new Float64Array(0);
    for (let attempt = 0; attempt < 2000; attempt++) {
      soft = Float64Array.from(coded, (bit) => (bit ? 1 : -1) + 1.1 * gaussian());
      const [first, second] = twoBest(soft);
      if (!isTruth(first!) && isTruth(second!)) break;
    }
    expect(twoBest(soft).map(isTruth)).toEqual([false, true]);
    expect(decodeMessage(soft).payload).toEqual(payload);
  });
});

describe('detectImageWatermark', () => {
  it('decodes files with sharp and finds the mark', async () => {
    const jpeg = new Uint8Array(await toSharp(marked.pixels).jpeg({ quality: 80 }).toBuffer());
    expect((await detectImageWatermark(jpeg)).payload).toEqual(payload);
    const big = new Uint8Array(
      await toSharp(embedWatermark(photo(1600, 1200, 8), { payload }).pixels)
        .png({ compressionLevel: 1 })
        .toBuffer(),
    );
    expect((await detectImageWatermark(big)).payload).toEqual(payload);
  });

  it('refuses what is not an image, and images over the pixel limit', async () => {
    await expect(detectImageWatermark(new TextEncoder().encode('not an image'))).rejects.toMatchObject({ name: 'UnsupportedFormatError' });
    const png = new Uint8Array(await toSharp(original).png().toBuffer());
    await expect(detectImageWatermark(png, { limitInputPixels: 1000 })).rejects.toMatchObject({ name: 'LimitExceededError' });
  });
});
