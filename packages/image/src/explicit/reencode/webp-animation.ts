/**
 * A labelled animated WebP keeps the source's container (WebP container spec, "Animation"): VP8X,
 * ICCP, ANIM (background colour, loop count), EXIF, XMP and unknown chunks as they were, and every
 * ANMF frame in its place with its duration and disposal. Each frame's image is replaced by sharp's
 * encoding of the grown, labelled frame (lossless where the source frame was), drawn without
 * blending. libvips would otherwise rebuild the EXIF block (with the height of all frames stacked)
 * and re-time the first frame.
 */
import { bytesSource, concat, MalformedInputError, putU24le, riff, u24le } from '@aigc-label/core';
import type { Rect } from '../orientation.js';
import { sharp } from '../sharp.js';
import { cropCanvas, type LabelledCanvases, unionRect } from './frames.js';
import { chunkBytes, chunkData, IMAGE_CHUNKS, imageChunks, imageHasAlpha, type ParsedWebp, parseWebp, webpFile } from './webp.js';

/** ANMF: frame X/2, Y/2, width-1, height-1, duration (24 bits each), then reserved bits, blending and disposal. */
const ANMF_HEADER = 16;
const DO_NOT_BLEND = 0x02;
const ALPHA_FLAG = 0x10;
const fail = (message: string) => new MalformedInputError('webp', message);

interface Frame {
  readonly chunk: riff.RiffChunk;
  readonly rect: Rect;
  readonly lossless: boolean;
  /** Frame-level chunks that are not the image (unknown ones), kept after the new image. */
  readonly other: readonly Uint8Array[];
}

async function framesOf(source: ParsedWebp): Promise<Frame[]> {
  const frames: Frame[] = [];
  for (const chunk of source.chunks) {
    if (chunk.id !== 'ANMF') continue;
    if (chunk.size < ANMF_HEADER) throw fail(`ANMF chunk at ${chunk.offset} is shorter than its header`);
    const data = chunkData(source, chunk);
    const rect = { x: 2 * u24le(data, 0), y: 2 * u24le(data, 3), width: u24le(data, 6) + 1, height: u24le(data, 9) + 1 };
    const inner = await riff.listRiffChunks(
      bytesSource(source.bytes),
      chunk.dataOffset + ANMF_HEADER,
      chunk.dataOffset + chunk.size,
      'webp',
    );
    const images = inner.chunks.filter((c) => IMAGE_CHUNKS.has(c.id));
    if (images.length === 0) throw fail(`ANMF chunk at ${chunk.offset} has no image`);
    frames.push({
      chunk,
      rect,
      lossless: images.every((c) => c.id === 'VP8L'),
      other: inner.chunks.filter((c) => !IMAGE_CHUNKS.has(c.id)).map((c) => chunkBytes(source, c)),
    });
  }
  return frames;
}

/** One frame's new ANMF chunk: the source's duration and disposal, the grown rectangle, the new image, no blending. */
async function labelledFrame(source: ParsedWebp, frame: Frame, canvases: LabelledCanvases, index: number, label: Rect) {
  const rect = unionRect(frame.rect, label, canvases, true);
  const rgba = cropCanvas(canvases, index, rect) as Uint8Array;
  const encoded = await sharp(rgba, { raw: { width: rect.width, height: rect.height, channels: 4 } })
    .webp(frame.lossless ? { lossless: true } : { quality: 90, alphaQuality: 100 })
    .toBuffer();
  const image = imageChunks(await parseWebp(new Uint8Array(encoded.buffer, encoded.byteOffset, encoded.byteLength)));
  const header = chunkData(source, frame.chunk).slice(0, ANMF_HEADER);
  putU24le(header, 0, rect.x / 2);
  putU24le(header, 3, rect.y / 2);
  putU24le(header, 6, rect.width - 1);
  putU24le(header, 9, rect.height - 1);
  header[15] = header[15]! | DO_NOT_BLEND;
  return { chunk: riff.riffChunk('ANMF', concat([header, ...image, ...frame.other])), alpha: imageHasAlpha(image) };
}

/** The source with every ANMF frame replaced by its labelled, grown version (`label` in canvas pixels). */
export async function webpWithLabelledFrames(bytes: Uint8Array, canvases: LabelledCanvases, label: Rect): Promise<Uint8Array> {
  const source = await parseWebp(bytes);
  const frames = await framesOf(source);
  if (frames.length !== canvases.count) throw fail(`${frames.length} frames in the file, but ${canvases.count} decoded`);
  const replaced = await Promise.all(frames.map((frame, index) => labelledFrame(source, frame, canvases, index, label)));
  const anyAlpha = replaced.some((frame) => frame.alpha);
  let next = 0;
  const out = source.chunks.map((chunk) => {
    if (chunk.id === 'ANMF') return replaced[next++]!.chunk;
    if (chunk.id !== 'VP8X') return chunkBytes(source, chunk);
    const vp8x = chunkBytes(source, chunk).slice();
    if (anyAlpha) vp8x[8] = vp8x[8]! | ALPHA_FLAG;
    return vp8x;
  });
  return webpFile(out, source.bytes.subarray(source.end));
}
