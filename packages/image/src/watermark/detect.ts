import {
  CODED_BITS,
  CRC_PASS_PROBABILITY,
  decodeMessage,
  pilotValues,
  TILE_CHIP_COUNT,
  TILE_CHIPS,
  type TileLayout,
  tileLayout,
} from './message.js';
import { lumaPlane, type Plane, whiten } from './plane.js';
import { checkRaw, type RawPixels } from './raw.js';
import { alignTile, chipResponses, flattenSpectrum, type PilotMatch, Synchroniser } from './sync.js';

/** The detector works on luma scaled so that the shorter side is at most this: chips then span 2.5 to 5 plane pixels for any crop that keeps two tiles. */
const PLANE_SHORT_SIDE = 320;
/** Tile periods searched, in plane pixels. */
const MIN_PERIOD = 56;
const MAX_PERIOD = 176;
const PERIOD_CANDIDATES = 3;
/** Decoding attempts per image at most: the false-positive bound is this times 2^-32. */
export const MAX_DECODE_ATTEMPTS = PERIOD_CANDIDATES;

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
   * Probability bound that an unmarked image (or one marked under another key) gives a
   * detection like this: attempts × 2^-32. Reported with every found mark.
   */
  readonly falsePositiveBound: number;
  /** 1 − the share of coded bits received wrong, on the best attempt (≈ 1 for a clean mark, ≈ 0.6–0.7 for noise). */
  readonly confidence: number;
  /** Coded bits received with the wrong sign on the best attempt, of `codedBits`. */
  readonly bitErrors: number;
  readonly codedBits: number;
  /** Pilot correlation peak in standard deviations (synchronisation strength). */
  readonly syncScore: number;
  /** The chip size found, in pixels of the image examined (the marked image's shorter side / 128 when it was not rescaled or cropped). */
  readonly chipSize?: number;
  /** The orientation found: quarter turns and mirroring, 0 = as marked. */
  readonly orientation?: number;
}

/** Detection statistics on a prepared plane: the step shared by images and video frames. */
export function detectInPlane(residual: Plane, planeScale: number, key: string | undefined): WatermarkDetection {
  const layout = tileLayout(key);
  const candidates = synchroniser(key, layout).search(residual, MIN_PERIOD, MAX_PERIOD, PERIOD_CANDIDATES);
  let best: WatermarkDetection | undefined;
  for (const { period, tile, match } of candidates) {
    const result = decodeTile(tile, match, layout);
    const detection: WatermarkDetection = {
      found: result.payload !== null,
      ...(result.payload ? { payload: result.payload } : {}),
      falsePositiveBound: MAX_DECODE_ATTEMPTS * CRC_PASS_PROBABILITY,
      confidence: 1 - result.bitErrors / CODED_BITS,
      bitErrors: result.bitErrors,
      codedBits: CODED_BITS,
      syncScore: match.score,
      chipSize: period / TILE_CHIPS / planeScale,
      orientation: match.orientation,
    };
    if (detection.found) return detection;
    if (!best || detection.syncScore > best.syncScore) best = detection;
  }
  return (
    best ?? {
      found: false,
      falsePositiveBound: MAX_DECODE_ATTEMPTS * CRC_PASS_PROBABILITY,
      confidence: 0,
      bitErrors: CODED_BITS,
      codedBits: CODED_BITS,
      syncScore: 0,
    }
  );
}

const synchronisers = new Map<string, Synchroniser>();
function synchroniser(key: string | undefined, layout: TileLayout): Synchroniser {
  let found = synchronisers.get(key ?? '');
  if (!found) {
    if (synchronisers.size >= 16) synchronisers.clear();
    found = new Synchroniser(pilotValues(layout));
    synchronisers.set(key ?? '', found);
  }
  return found;
}

function decodeTile(tile: Float64Array, match: PilotMatch, layout: TileLayout) {
  const responses = chipResponses(alignTile(flattenSpectrum(tile, 0.25), match));
  const soft = new Float64Array(CODED_BITS);
  for (let j = 0; j < TILE_CHIP_COUNT; j++) {
    const bit = layout.codedBit[j]!;
    if (bit >= 0) soft[bit] += layout.sign[j]! * responses[j]!;
  }
  return decodeMessage(soft);
}

/** Finds and reads the mark in raw pixels. */
export function detectWatermark(raw: RawPixels, options: DetectOptions = {}): WatermarkDetection {
  checkRaw(raw);
  const { plane, scale } = lumaPlane(raw, PLANE_SHORT_SIDE);
  const residual = whiten(plane, 2, 4, 3);
  return detectInPlane(residual, scale, options.key);
}
