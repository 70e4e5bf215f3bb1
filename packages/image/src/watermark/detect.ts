import { payloadBits, UsageError } from '@aigc-label/core';
import { imageError } from '../explicit/apply.js';
import { DEFAULT_PIXEL_LIMIT } from '../explicit/options.js';
import { sharp } from '../explicit/sharp.js';
import {
  CODED_BITS,
  DECODING_FALSE_POSITIVE_BOUND,
  type DecodedMessage,
  decodeMessage,
  pilotValues,
  shapeChips,
  TILE_CHIP_COUNT,
  TILE_CHIPS,
  type TileLayout,
  tileLayout,
} from './message.js';
import { lumaPlane, type Plane, whiten } from './plane.js';
import { checkRaw, type RawPixels } from './raw.js';
import { alignTile, chipResponses, flattenSpectrum, type SyncCandidate, Synchroniser } from './sync.js';

/** The detector works on luma scaled so that the shorter side is at most this: chips then span 2.5 to 5 plane pixels for any crop that keeps two tiles. */
export const PLANE_SHORT_SIDE = 320;
/** Whitening: local mean over 17×17 plane pixels taken out, divided by the local RMS over 9×9, clipped at 3. */
const WHITEN_MEAN_RADIUS = 8;
const WHITEN_RMS_RADIUS = 4;
const WHITEN_CLIP = 3;
/** Tile periods searched, in plane pixels: 2.5 to 5.5 plane pixels per chip. */
const MIN_PERIOD = 56;
const MAX_PERIOD = 176;
/** Periods decoded per image at most: the false-positive bound is this times the bound of one decoding. */
const MAX_DECODE_ATTEMPTS = 3;
/** How much of each frequency's magnitude the folded tile keeps before its chips are read (see flattenSpectrum). */
const TILE_SPECTRUM_KEEP = 0.25;

export interface DetectOptions {
  /** The key the mark was embedded with; default the public key. */
  readonly key?: string | undefined;
}

export interface WatermarkDetection {
  /** A payload whose CRC holds was decoded. */
  readonly found: boolean;
  /** The 64-bit payload when found. */
  readonly payload?: Uint8Array;
  /**
   * Upper bound on the probability that an image without this key's mark gives a detection:
   * decoding attempts × messages tried per attempt × 2^-32 (the CRC-32 a random word passes).
   * The same for every image.
   */
  readonly falsePositiveBound: number;
  /** 1 − the share of coded bits received with the wrong sign, on the best attempt: ≈ 1 for a clean mark, 0.65–0.8 for noise. */
  readonly confidence: number;
  /** Coded bits received with the wrong sign on the best attempt, of `codedBits`. */
  readonly bitErrors: number;
  readonly codedBits: number;
  /** Pilot correlation peak in standard deviations on the best attempt (synchronisation strength; about 4–5.5 on unmarked images). */
  readonly syncScore: number;
  /** The chip size found, in pixels of the image examined (the marked image's shorter side / 128 when it was neither rescaled nor cropped). */
  readonly chipSize?: number;
  /** The orientation found (bit 0 mirrors x, bit 1 mirrors y, bit 2 swaps the axes; 0 = as marked). */
  readonly orientation?: number;
}

/** A detection plus the message the best attempt decoded, CRC or not: for measuring bit accuracy. */
interface Reading {
  readonly detection: WatermarkDetection;
  readonly decoded: DecodedMessage | null;
}

/** Bound on a false positive from one reading of a picture or a video plane (3 × 8 × 2⁻³²). */
export const READING_FALSE_POSITIVE_BOUND = MAX_DECODE_ATTEMPTS * DECODING_FALSE_POSITIVE_BOUND;
const NOTHING: WatermarkDetection = {
  found: false,
  falsePositiveBound: READING_FALSE_POSITIVE_BOUND,
  confidence: 0,
  bitErrors: CODED_BITS,
  codedBits: CODED_BITS,
  syncScore: 0,
};

/** The whitened luma plane the detector works on, and its scale (plane pixels per image pixel). */
export function detectionPlane(raw: RawPixels): { residual: Plane; scale: number } {
  checkRaw(raw);
  const { plane, scale } = lumaPlane(raw, PLANE_SHORT_SIDE);
  return { residual: whiten(plane, WHITEN_MEAN_RADIUS, WHITEN_RMS_RADIUS, WHITEN_CLIP), scale };
}

/** Synchronises on a whitened plane and decodes the best candidates: the step images and video frames share. */
export function readPlane(residual: Plane, scale: number, key: string | undefined): Reading {
  if (Math.min(residual.width, residual.height) < MIN_PERIOD) return { detection: NOTHING, decoded: null };
  const layout = tileLayout(key);
  const candidates = synchroniser(key, layout).search(residual, MIN_PERIOD, MAX_PERIOD, MAX_DECODE_ATTEMPTS);
  let best: Reading | undefined;
  for (const candidate of candidates) {
    const reading = decodeCandidate(candidate, scale, layout);
    if (reading.detection.found) return reading;
    if (!best || reading.detection.syncScore > best.detection.syncScore) best = reading;
  }
  return best ?? { detection: NOTHING, decoded: null };
}

function decodeCandidate({ period, tile, match }: SyncCandidate, scale: number, layout: TileLayout): Reading {
  const responses = chipResponses(alignTile(flattenSpectrum(tile, TILE_SPECTRUM_KEEP), match));
  const soft = new Float64Array(CODED_BITS);
  for (let j = 0; j < TILE_CHIP_COUNT; j++) {
    const bit = layout.codedBit[j]!;
    if (bit >= 0) soft[bit] += layout.sign[j]! * responses[j]!;
  }
  const decoded = decodeMessage(soft);
  const detection: WatermarkDetection = {
    found: decoded.payload !== null,
    ...(decoded.payload ? { payload: decoded.payload } : {}),
    falsePositiveBound: READING_FALSE_POSITIVE_BOUND,
    confidence: 1 - decoded.bitErrors / CODED_BITS,
    bitErrors: decoded.bitErrors,
    codedBits: CODED_BITS,
    syncScore: match.score,
    chipSize: period / TILE_CHIPS / scale,
    orientation: match.orientation,
  };
  return { detection, decoded };
}

const synchronisers = new Map<string, Synchroniser>();

function synchroniser(key: string | undefined, layout: TileLayout): Synchroniser {
  const id = key ?? '';
  let found = synchronisers.get(id);
  if (!found) {
    if (synchronisers.size >= 16) synchronisers.clear();
    found = new Synchroniser(shapeChips(pilotValues(layout)));
    synchronisers.set(id, found);
  }
  return found;
}

/**
 * Finds and reads the mark in raw pixels: scaled, cropped, re-encoded, quarter-turned or
 * mirrored copies included. `found` only when a payload passes its CRC-32.
 */
export function detectWatermark(raw: RawPixels, options: DetectOptions = {}): WatermarkDetection {
  const { residual, scale } = detectionPlane(raw);
  return readPlane(residual, scale, options.key).detection;
}

export interface ImageDetectOptions extends DetectOptions {
  /** Refuse images with more pixels than this (default 268 402 689, sharp's own default). */
  readonly limitInputPixels?: number | undefined;
}

/**
 * Decodes an image file (any format sharp reads; the first frame of an animation) and looks
 * for the mark. The image is decoded straight to about the detector's working size (JPEG
 * shrink-on-load does most of that for free), so a 4K photo costs little more than a small one.
 */
export async function detectImageWatermark(bytes: Uint8Array, options: ImageDetectOptions = {}): Promise<WatermarkDetection> {
  const limitInputPixels = options.limitInputPixels ?? DEFAULT_PIXEL_LIMIT;
  let raw: RawPixels;
  try {
    const meta = await sharp(bytes, { limitInputPixels }).metadata();
    const width = meta.width ?? 0;
    const height = meta.height ?? 0;
    if (width * height > limitInputPixels) throw new Error(`Input image exceeds pixel limit (${width}×${height})`);
    // Decode to about twice the plane size; the area resampling in lumaPlane does the rest
    // with one scale for both axes.
    const shorter = Math.min(width, height);
    const target = Math.min(shorter, 2 * PLANE_SHORT_SIDE);
    let pipeline = sharp(bytes, { limitInputPixels }).removeAlpha();
    if (target < shorter) pipeline = pipeline.resize(width <= height ? { width: target } : { height: target });
    const { data, info } = await pipeline.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    raw = {
      data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      width: info.width,
      height: info.height,
      channels: info.channels as RawPixels['channels'],
    };
  } catch (error) {
    throw imageError(error, 'image');
  }
  return detectWatermark(raw, options);
}

export interface WatermarkMeasurement {
  readonly detection: WatermarkDetection;
  /** Share of the expected payload's 64 bits that the best attempt decoded correctly, CRC or not (0.5 is chance). */
  readonly bitAccuracy: number;
  /** The expected payload was found (CRC held and every bit matches). */
  readonly recovered: boolean;
}

/**
 * Detection plus the bit accuracy of the best attempt against a known payload: the figure
 * published watermark benchmarks report (for evaluation; a real detector only trusts `found`).
 */
export function measureWatermark(raw: RawPixels, expected: Uint8Array, options: DetectOptions = {}): WatermarkMeasurement {
  if (expected.length !== 8) throw new UsageError(`measureWatermark: the expected payload is ${expected.length} bytes; expected 8`);
  const { residual, scale } = detectionPlane(raw);
  const { detection, decoded } = readPlane(residual, scale, options.key);
  const truth = payloadBits(expected);
  let correct = 0;
  if (decoded) {
    for (let i = 0; i < truth.length; i++) if (decoded.bits[i] === truth[i]) correct++;
  } else {
    correct = truth.length / 2;
  }
  const recovered = detection.found && detection.payload!.every((v, i) => v === expected[i]);
  return { detection, bitAccuracy: correct / truth.length, recovered };
}
