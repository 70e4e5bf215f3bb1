/**
 * Pixels ready to go back into a source AVIF item: the decode-time transformations undone, and the
 * colours pre-compensated when the source's YUV matrix or range differ from the encoder's, so that
 * a decoder reading the source's colour description (which is kept) sees the intended RGB.
 */
import type { Sharp } from 'sharp';
import { sharp } from '../sharp.js';
import { type AvifSource, inspectAvif, type Transform } from './avif.js';

export interface YuvCoding {
  /** H.273 MatrixCoefficients. */
  readonly matrix: number;
  readonly fullRange: boolean;
}

/** Kr and Kb of the H.273 matrices a YCbCr encoder uses (Table 4); 2 (unspecified) is read as BT.601, as libavif and libheif do. */
const LUMA_WEIGHTS: Record<number, readonly [number, number]> = {
  1: [0.2126, 0.0722],
  2: [0.299, 0.114],
  4: [0.3, 0.11],
  5: [0.299, 0.114],
  6: [0.299, 0.114],
  7: [0.212, 0.087],
  9: [0.2627, 0.0593],
  10: [0.2627, 0.0593],
};

/** Whether pixels can be pre-compensated from `encoder` to `source` coding (identity, 0, is only ever paired with itself). */
export const compensable = (source: YuvCoding, encoder: YuvCoding): boolean =>
  (source.matrix === 0 && encoder.matrix === 0) ||
  (LUMA_WEIGHTS[source.matrix] !== undefined && LUMA_WEIGHTS[encoder.matrix] !== undefined);

const sameCoding = (a: YuvCoding, b: YuvCoding) =>
  a.fullRange === b.fullRange && (a.matrix === b.matrix || LUMA_WEIGHTS[a.matrix] === LUMA_WEIGHTS[b.matrix]);

/**
 * RGB → YCbCr codes (normalised to 0-1 of the code range) under `coding`, and back. With
 * n-bit codes, limited range puts Y in 16-235 and Cb/Cr in 16-240 (scaled by 2^(n-8)).
 */
function toYuv(rgb: readonly [number, number, number], coding: YuvCoding, max: number): [number, number, number] {
  const [kr, kb] = LUMA_WEIGHTS[coding.matrix]!;
  const [r, g, b] = rgb;
  const y = kr * r + (1 - kr - kb) * g + kb * b;
  const cb = (b - y) / (2 * (1 - kb));
  const cr = (r - y) / (2 * (1 - kr));
  const scale = (max + 1) / 256;
  return coding.fullRange
    ? [y, cb + (max + 1) / 2 / max, cr + (max + 1) / 2 / max]
    : [((219 * y + 16) * scale) / max, ((224 * cb + 128) * scale) / max, ((224 * cr + 128) * scale) / max];
}

function fromYuv(yuv: readonly [number, number, number], coding: YuvCoding, max: number): [number, number, number] {
  const [kr, kb] = LUMA_WEIGHTS[coding.matrix]!;
  const scale = (max + 1) / 256;
  const [y, cb, cr] = coding.fullRange
    ? [yuv[0], yuv[1] - (max + 1) / 2 / max, yuv[2] - (max + 1) / 2 / max]
    : [((yuv[0] * max) / scale - 16) / 219, ((yuv[1] * max) / scale - 128) / 224, ((yuv[2] * max) / scale - 128) / 224];
  const r = y + 2 * (1 - kr) * cr;
  const b = y + 2 * (1 - kb) * cb;
  const g = (y - kr * r - kb * b) / (1 - kr - kb);
  return [r, g, b];
}

/**
 * Rewrites RGB samples in place so that the encoder's RGB → YUV gives the codes the source's
 * coding would: a decoder using the source's matrix and range then recovers the intended colours.
 * Colours the encoder's RGB cannot reach (very saturated ones when the matrices differ) are clipped.
 */
export function precompensate(data: Uint8Array | Uint16Array, channels: number, source: YuvCoding, encoder: YuvCoding, bits: number): void {
  const max = 2 ** bits - 1;
  const top = data instanceof Uint16Array ? 65535 : 255;
  const clamp = (v: number) => Math.min(top, Math.max(0, Math.round(v * top)));
  for (let at = 0; at + 2 < data.length; at += channels) {
    const rgb: [number, number, number] = [data[at]! / top, data[at + 1]! / top, data[at + 2]! / top];
    const [r, g, b] = fromYuv(toYuv(rgb, source, max), encoder, max);
    data[at] = clamp(r);
    data[at + 1] = clamp(g);
    data[at + 2] = clamp(b);
  }
}

async function materialise(image: Sharp, sixteen: boolean): Promise<Sharp> {
  const { data, info } = await image.raw(sixteen ? { depth: 'ushort' } : {}).toBuffer({ resolveWithObject: true });
  const samples = sixteen ? new Uint16Array(data.buffer, data.byteOffset, data.byteLength / 2) : data;
  return sharp(samples, { raw: { width: info.width, height: info.height, channels: info.channels } });
}

/** Undoes what libheif applied on decode (in reverse order), one materialised step at a time: sharp orders flips before rotations. */
async function undoTransforms(image: Sharp, transforms: readonly Transform[], sixteen: boolean): Promise<Sharp> {
  let current = image;
  for (const transform of [...transforms].reverse()) {
    current = await materialise(current, sixteen);
    // irot turns anticlockwise; sharp's rotate turns clockwise, which undoes it.
    current =
      'rotate' in transform ? current.rotate(transform.rotate) : transform.mirror === 'left-right' ? current.flop() : current.flip();
  }
  return current;
}

let encoderCodings: Map<boolean, Promise<YuvCoding>> | undefined;

/** How this build of libheif codes YUV (lossy, or lossless), read from a tiny image it encodes. */
export function encoderCoding(lossless: boolean): Promise<YuvCoding> {
  encoderCodings ??= new Map();
  let coding = encoderCodings.get(lossless);
  if (!coding) {
    coding = (async () => {
      const probe = await sharp({ create: { width: 16, height: 16, channels: 3, background: '#808080' } })
        .avif({ lossless, chromaSubsampling: '4:2:0' })
        .toBuffer();
      const bytes = new Uint8Array(probe.buffer, probe.byteOffset, probe.byteLength);
      const own = inspectAvif(bytes);
      if ('unsupported' in own) throw new Error(`sharp's own AVIF is unreadable: ${own.unsupported}`);
      return { matrix: own.matrix, fullRange: own.fullRange };
    })();
    encoderCodings.set(lossless, coding);
  }
  return coding;
}

/** The labelled pixels in the source item's orientation and coding. */
export async function pixelsForAvif(image: Sharp, source: AvifSource, encoder: YuvCoding): Promise<Sharp> {
  const sixteen = source.coding.bitDepth > 8;
  const turned = await undoTransforms(image, source.transforms, sixteen);
  if (sameCoding(source, encoder)) return turned;
  const { data, info } = await turned.raw(sixteen ? { depth: 'ushort' } : {}).toBuffer({ resolveWithObject: true });
  const samples = sixteen ? new Uint16Array(data.buffer, data.byteOffset, data.byteLength / 2) : new Uint8Array(data);
  precompensate(samples, info.channels, source, encoder, source.coding.bitDepth);
  return sharp(samples, { raw: { width: info.width, height: info.height, channels: info.channels } });
}
