import { watermarkPayload } from '@aigc-label/core';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { detectWatermark, embedWatermark, type RawPixels, VideoWatermarkDetector } from '../../src/watermark/index.js';
import { attacked, photo, toSharp } from './pictures.js';

const payload = watermarkPayload({ ContentProducer: '001191440300708461136T1XGW3', ProduceID: 'video-1' });

/** A camera pan: `count` frames of width × height cut from a wider scene, moving right and down. */
async function pan(count: number, width: number, height: number, seed = 1): Promise<RawPixels[]> {
  const scene = photo(width + 16 * count, height + 6 * count, seed);
  const frames: RawPixels[] = [];
  for (let i = 0; i < count; i++) {
    const { data, info } = await toSharp(scene)
      .extract({ left: 16 * i, top: 6 * i, width, height })
      .raw()
      .toBuffer({ resolveWithObject: true });
    frames.push({
      data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      width: info.width,
      height: info.height,
      channels: 3,
    });
  }
  return frames;
}

/** What a platform does to a re-uploaded clip, frame by frame: scale to three quarters, JPEG-like compression. */
const transcode = (frame: RawPixels) => attacked(frame, (s) => s.resize(Math.round(frame.width * 0.75)).jpeg({ quality: 50 }));

describe('VideoWatermarkDetector', () => {
  it('reads the payload from sampled frames of a marked, rescaled and recompressed pan', async () => {
    const detector = new VideoWatermarkDetector();
    for (const frame of await pan(6, 640, 480)) detector.addFrame(await transcode(embedWatermark(frame, { payload }).pixels));
    const result = detector.result();
    expect(result.found).toBe(true);
    expect(result.payload).toEqual(payload);
    expect(result.framesExamined).toBe(6);
    expect(result.combined.found).toBe(true);
    expect(result.falsePositiveBound).toBeLessThan(1e-6);
  });

  it('finds a mark too weak for any single frame by averaging the frames', async () => {
    const frames = await Promise.all(
      (await pan(12, 640, 480, 2)).map((f) => transcode(embedWatermark(f, { payload, strength: 0.45 }).pixels)),
    );
    const singles = frames.filter((f) => detectWatermark(f).found).length;
    expect(singles).toBeLessThanOrEqual(frames.length / 4);
    const detector = new VideoWatermarkDetector();
    for (const frame of frames) detector.addFrame(frame);
    const result = detector.result();
    expect(result.combined.found).toBe(true);
    expect(result.payload).toEqual(payload);
  });

  it('counts the payloads of single frames: a clip spliced from two marked sources', async () => {
    const other = watermarkPayload({ ContentProducer: 'another-producer', ProduceID: 'video-2' });
    const detector = new VideoWatermarkDetector({ readEachFrame: true });
    const frames = await pan(5, 512, 384, 3);
    frames.forEach((frame, i) => {
      detector.addFrame(embedWatermark(frame, { payload: i < 3 ? payload : other }).pixels);
    });
    const result = detector.result();
    expect(result.votes).toEqual([
      { payload, frames: 3 },
      { payload: other, frames: 2 },
    ]);
    expect(result.found).toBe(true);
    // the averaged frames decode one of the two, or nothing; the decision is never a third payload
    expect([payload, other]).toContainEqual(result.payload);
  });

  it('reads at most maxFramesRead frames on their own, the first and the last among them', async () => {
    const other = watermarkPayload({ ContentProducer: 'another-producer', ProduceID: 'video-3' });
    const detector = new VideoWatermarkDetector({ readEachFrame: true, maxFramesRead: 2 });
    const frames = await pan(5, 512, 384, 4);
    frames.forEach((frame, i) => {
      detector.addFrame(embedWatermark(frame, { payload: i === 4 ? other : payload }).pixels);
    });
    const result = detector.result();
    expect(result.votes).toEqual([
      { payload, frames: 1 },
      { payload: other, frames: 1 },
    ]);
    expect(result.falsePositiveBound).toBeCloseTo(3 * 3 * 8 * 2 ** -32, 20); // the average and two frames, 3 periods × 8 messages each
  });

  it('finds nothing in unmarked frames, nor under another key', async () => {
    const plain = new VideoWatermarkDetector();
    const otherKey = new VideoWatermarkDetector({ key: 'not the key' });
    for (const frame of await pan(6, 480, 288, 5)) {
      const encoded = await attacked(frame, (s) => s.jpeg({ quality: 70 }));
      plain.addFrame(encoded);
      otherKey.addFrame(embedWatermark(frame, { payload }).pixels);
    }
    for (const result of [plain.result(), otherKey.result()]) {
      expect(result.found).toBe(false);
      expect(result.votes).toEqual([]);
      expect(result.payload).toBeUndefined();
    }
  });

  it('refuses to give a result before any frame', () => {
    expect(() => new VideoWatermarkDetector().result()).toThrow(/no video frames/);
  });

  it('accepts frames decoded by sharp from a video-like still sequence', async () => {
    // Frames written as JPEG files and read back, as ffmpeg's image2 output would be.
    const detector = new VideoWatermarkDetector();
    for (const frame of await pan(3, 480, 288, 6)) {
      const jpeg = await toSharp(embedWatermark(frame, { payload }).pixels).jpeg({ quality: 80 }).toBuffer();
      const { data, info } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
      detector.addFrame({ data: new Uint8Array(data), width: info.width, height: info.height, channels: 3 });
    }
    expect(detector.result().payload).toEqual(payload);
  });
});
