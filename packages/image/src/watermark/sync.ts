import { Fft2d } from './fft2.js';
import { TILE_CHIPS } from './message.js';
import type { Plane } from './plane.js';

/**
 * Synchronisation: finding the tile's period, orientation and offset in an image that may have
 * been scaled, cropped, rotated by quarter turns or mirrored.
 *
 * Folding the whitened luma plane with a trial period (adding every pixel into its place in
 * one tile) averages the picture away and the repeated mark up (the periodic watermark of
 * Kalker et al. 1999 and Deguillaume et al. 2002). The folded tile is matched against the
 * pilot chips, which the detector knows, in all eight orientations by phase-only correlation
 * (SPOMF, Kalker et al. 1999); the peak gives orientation and cyclic offset, and its height in
 * standard deviations says whether the period is right. A coarse pass (one bin per chip, every
 * other pixel) walks the period range in 1.5% steps; the best few periods are then refined in
 * 0.25% steps at two bins per chip on every pixel.
 */

/** Fine folded-tile resolution: two bins per chip. */
export const BINS = 2 * TILE_CHIPS;
const COARSE_BINS = TILE_CHIPS;
const COARSE_STEP = 1.015;
const FINE_STEPS = [0.005, 0.0025];

/** A tile (BINS² values, row-major) rendered from chip values: tent interpolation sampled at bin centres, cyclic. */
export function renderTile(chips: Float32Array): Float64Array {
  const tile = new Float64Array(BINS * BINS);
  const chip = (cx: number, cy: number) => chips[(cy % TILE_CHIPS) * TILE_CHIPS + (cx % TILE_CHIPS)]!;
  for (let by = 0; by < BINS; by++) {
    const v = (by + 0.5) / 2;
    const v0 = Math.floor(v);
    const fv = v - v0;
    for (let bx = 0; bx < BINS; bx++) {
      const u = (bx + 0.5) / 2;
      const u0 = Math.floor(u);
      const fu = u - u0;
      tile[by * BINS + bx] =
        (1 - fv) * ((1 - fu) * chip(u0, v0) + fu * chip(u0 + 1, v0)) + fv * ((1 - fu) * chip(u0, v0 + 1) + fu * chip(u0 + 1, v0 + 1));
    }
  }
  return tile;
}

/** The eight symmetries of the square: bit 0 mirrors x, bit 1 mirrors y, bit 2 swaps the axes (applied first). */
export const ORIENTATIONS = 8;

/** Where bin (x, y) of a bins² tile lands under orientation `o`, as a flat index. */
export function orientIndex(o: number, x: number, y: number, bins = BINS): number {
  let a = x;
  let b = y;
  if (o & 4) [a, b] = [b, a];
  if (o & 1) a = bins - 1 - a;
  if (o & 2) b = bins - 1 - b;
  return b * bins + a;
}

/**
 * Folds `plane` with a square period of `period` plane pixels into bins² per-bin means (origin
 * at the plane's centre plus `originX`, `originY`; mean removed).
 */
export function fold(plane: Plane, period: number, bins = BINS, originX = 0, originY = 0): Float64Array {
  const { data, width, height } = plane;
  const sums = new Float64Array(bins * bins);
  const binX = binsAlong(width, period, bins, width / 2 + originX);
  const binY = binsAlong(height, period, bins, height / 2 + originY);
  for (let y = 0; y < height; y++) {
    const row = binY[y]! * bins;
    const base = y * width;
    for (let x = 0; x < width; x++) sums[row + binX[x]!] += data[base + x]!;
  }
  // The bin of a pixel is (row bin, column bin), so a bin's pixel count is the product of the two histograms.
  const countX = histogram(binX, bins);
  const countY = histogram(binY, bins);
  let mean = 0;
  for (let by = 0; by < bins; by++) {
    for (let bx = 0; bx < bins; bx++) {
      const b = by * bins + bx;
      const count = countX[bx]! * countY[by]!;
      sums[b] = count > 0 ? sums[b]! / count : 0;
      mean += sums[b]!;
    }
  }
  mean /= sums.length;
  for (let b = 0; b < sums.length; b++) sums[b] -= mean;
  return sums;
}

function binsAlong(length: number, period: number, bins: number, origin: number): Int32Array {
  const out = new Int32Array(length);
  for (let i = 0; i < length; i++) {
    const b = Math.floor(((i - origin) * bins) / period) % bins;
    out[i] = b < 0 ? b + bins : b;
  }
  return out;
}

function histogram(values: Int32Array, bins: number): Float64Array {
  const counts = new Float64Array(bins);
  for (let i = 0; i < values.length; i++) counts[values[i]!]++;
  return counts;
}

/** The plane at half resolution (means of 2×2 pixels). */
function halve(plane: Plane): Plane {
  const width = Math.floor(plane.width / 2);
  const height = Math.floor(plane.height / 2);
  const data = new Float32Array(width * height);
  const src = plane.data;
  for (let y = 0; y < height; y++) {
    const top = 2 * y * plane.width;
    const bottom = top + plane.width;
    for (let x = 0; x < width; x++)
      data[y * width + x] = src[top + 2 * x]! + src[top + 2 * x + 1]! + src[bottom + 2 * x]! + src[bottom + 2 * x + 1]!;
  }
  return { data, width, height };
}

/** A match of the pilot in a folded tile. */
export interface PilotMatch {
  readonly orientation: number;
  /** Cyclic offset, in bins, of the oriented pilot within the folded tile. */
  readonly shiftX: number;
  readonly shiftY: number;
  /** Peak height in standard deviations of the correlation surface. */
  readonly score: number;
  /** Where the true peak lies between bins, from a parabola through the peak and its neighbours (−½ to ½). */
  readonly subX: number;
  readonly subY: number;
}

const ffts = new Map<number, Fft2d>();
const fftOf = (size: number): Fft2d => {
  let fft = ffts.get(size);
  if (!fft) {
    fft = new Fft2d(size);
    ffts.set(size, fft);
  }
  return fft;
};

/** Phase-only correlation of folded tiles against a pilot template (bins² values) in every orientation. */
export class PilotCorrelator {
  /** Conjugate spectra of the oriented templates. */
  readonly #templates: Float64Array[] = [];
  readonly #fft: Fft2d;
  readonly #product: Float64Array;
  readonly #spectrum: Float64Array;

  constructor(
    template: Float64Array,
    readonly bins: number,
  ) {
    this.#fft = fftOf(bins);
    this.#product = new Float64Array(2 * bins * bins);
    this.#spectrum = new Float64Array(2 * bins * bins);
    for (let o = 0; o < ORIENTATIONS; o++) {
      const oriented = new Float64Array(bins * bins);
      for (let y = 0; y < bins; y++) for (let x = 0; x < bins; x++) oriented[orientIndex(o, x, y, bins)] = template[y * bins + x]!;
      const spectrum = this.#fft.forwardReal(oriented);
      for (let i = 1; i < spectrum.length; i += 2) spectrum[i] = -spectrum[i]!;
      this.#templates.push(spectrum);
    }
  }

  /** The best orientation and offset (all orientations unless `only` is given). */
  match(tile: Float64Array, only?: number): PilotMatch {
    const spectrum = this.#fft.forwardReal(tile, this.#spectrum);
    // Phase-only: divide by the tile's own magnitude so that every frequency votes equally.
    for (let i = 0; i < spectrum.length; i += 2) {
      const m = Math.hypot(spectrum[i]!, spectrum[i + 1]!) + 1e-9;
      spectrum[i] = spectrum[i]! / m;
      spectrum[i + 1] = spectrum[i + 1]! / m;
    }
    let best: PilotMatch = { orientation: 0, shiftX: 0, shiftY: 0, score: Number.NEGATIVE_INFINITY, subX: 0, subY: 0 };
    const product = this.#product;
    // Two orientations per inverse FFT: both correlations are real, so one rides in the
    // real part and the other in the imaginary part (A + iB transforms to a + ib).
    for (let o = 0; o < ORIENTATIONS; o += 2) {
      if (only !== undefined && only !== o && only !== o + 1) continue;
      const a = this.#templates[o]!;
      const b = this.#templates[o + 1]!;
      for (let i = 0; i < spectrum.length; i += 2) {
        const sr = spectrum[i]!;
        const si = spectrum[i + 1]!;
        const ar = sr * a[i]! - si * a[i + 1]!;
        const ai = sr * a[i + 1]! + si * a[i]!;
        const br = sr * b[i]! - si * b[i + 1]!;
        const bi = sr * b[i + 1]! + si * b[i]!;
        product[i] = ar - bi;
        product[i + 1] = ai + br;
      }
      this.#fft.inverse(product);
      for (let part = 0; part < 2; part++) {
        if (only !== undefined && only !== o + part) continue;
        const candidate = this.#peak(product, part, o + part);
        if (candidate.score > best.score) best = candidate;
      }
    }
    return best;
  }

  /** The highest value of one part (0 real, 1 imaginary) of a correlation surface, as a match. */
  #peak(surface: Float64Array, part: number, orientation: number): PilotMatch {
    const bins = this.bins;
    const n = bins * bins;
    let sum = 0;
    let sumSquares = 0;
    let peak = Number.NEGATIVE_INFINITY;
    let at = 0;
    for (let k = 0; k < n; k++) {
      const v = surface[2 * k + part]!;
      sum += v;
      sumSquares += v * v;
      if (v > peak) {
        peak = v;
        at = k;
      }
    }
    const mean = sum / n;
    const sd = Math.sqrt(Math.max(1e-30, sumSquares / n - mean * mean));
    const x = at % bins;
    const y = Math.floor(at / bins);
    const value = (dx: number, dy: number) => surface[2 * (((y + dy + bins) % bins) * bins + ((x + dx + bins) % bins)) + part]!;
    return {
      orientation,
      shiftX: x,
      shiftY: y,
      score: (peak - mean) / sd,
      subX: vertex(value(-1, 0), peak, value(1, 0)),
      subY: vertex(value(0, -1), peak, value(0, 1)),
    };
  }
}

/** The offset (−½ to ½) of the vertex of the parabola through three equally spaced values around a maximum. */
function vertex(before: number, at: number, after: number): number {
  const curvature = before - 2 * at + after;
  return curvature < 0 ? Math.max(-0.5, Math.min(0.5, (0.5 * (before - after)) / curvature)) : 0;
}

/** A synchronised reading: the period found, the folded tile at BINS² and the pilot match in it. */
export interface SyncCandidate {
  readonly period: number;
  readonly tile: Float64Array;
  readonly match: PilotMatch;
}

/** Searches a whitened plane for the tile of a given pilot. */
export class Synchroniser {
  readonly #coarse: PilotCorrelator;
  readonly #fine: PilotCorrelator;

  /** @param pilot the pilot chips (TILE_CHIPS², message chips 0). */
  constructor(pilot: Float32Array) {
    // Coarse bins sit on chip centres, so the coarse template is the chips themselves.
    this.#coarse = new PilotCorrelator(Float64Array.from(pilot), COARSE_BINS);
    this.#fine = new PilotCorrelator(renderTile(pilot), BINS);
  }

  /** Up to `count` candidates with distinct periods in [minPeriod, maxPeriod], best first. */
  search(plane: Plane, minPeriod: number, maxPeriod: number, count: number): SyncCandidate[] {
    const coarse: { period: number; score: number; orientation: number }[] = [];
    const half = halve(plane);
    for (let period = minPeriod; period <= maxPeriod; period *= COARSE_STEP) {
      const match = this.#coarse.match(fold(half, period / 2, COARSE_BINS));
      coarse.push({ period, score: match.score, orientation: match.orientation });
    }
    const peaks = coarse.filter(
      (c, i) => (i === 0 || c.score > coarse[i - 1]!.score) && (i === coarse.length - 1 || c.score >= coarse[i + 1]!.score),
    );
    peaks.sort((a, b) => b.score - a.score);
    return peaks
      .slice(0, count)
      .map((peak) => this.#refine(plane, half, peak.period, peak.orientation))
      .sort((a, b) => b.match.score - a.match.score);
  }

  #refine(plane: Plane, half: Plane, coarsePeriod: number, orientation: number): SyncCandidate {
    // The period is refined on the half-resolution plane (same geometry, a quarter of the work).
    const score = (period: number) => this.#fine.match(fold(half, period / 2, BINS), orientation).score;
    let period = coarsePeriod;
    let best = score(period);
    for (const step of FINE_STEPS) {
      const centre = period;
      for (const direction of [-1, 1]) {
        const trial = centre * (1 + direction * step);
        const s = score(trial);
        if (s > best) {
          best = s;
          period = trial;
        }
      }
    }
    // Then at full resolution: fold, find the peak's sub-bin offset, and fold again with the
    // origin moved by it, so that bins sit on chip halves rather than straddling them (half a
    // bin off mixes each chip with its neighbour); the orientation is confirmed on the way.
    const first = this.#fine.match(fold(plane, period, BINS));
    const tile = fold(plane, period, BINS, (first.subX * period) / BINS, (first.subY * period) / BINS);
    return { period, tile, match: this.#fine.match(tile) };
  }
}

/** The folded tile read back in the template's frame: out(c) = tile(orient(c) + shift). */
export function alignTile(tile: Float64Array, match: PilotMatch): Float64Array {
  const out = new Float64Array(BINS * BINS);
  for (let y = 0; y < BINS; y++) {
    for (let x = 0; x < BINS; x++) {
      const o = orientIndex(match.orientation, x, y);
      const ox = ((o % BINS) + match.shiftX) % BINS;
      const oy = (Math.floor(o / BINS) + match.shiftY) % BINS;
      out[y * BINS + x] = tile[oy * BINS + ox]!;
    }
  }
  return out;
}

/**
 * The tile with its spectrum flattened (magnitudes raised to the power 1 − `keep` divided
 * out). Folding a few tiles leaves much of the picture's low-frequency energy in the fold,
 * which would drown the chips' signs; flattening leaves every frequency an equal say, as the
 * phase-only correlation does.
 */
export function flattenSpectrum(tile: Float64Array, keep: number): Float64Array {
  const fft = fftOf(BINS);
  const spectrum = fft.forwardReal(tile);
  for (let i = 0; i < spectrum.length; i += 2) {
    const m = Math.hypot(spectrum[i]!, spectrum[i + 1]!) ** (1 - keep) + 1e-9;
    spectrum[i] = spectrum[i]! / m;
    spectrum[i + 1] = spectrum[i + 1]! / m;
  }
  fft.inverse(spectrum);
  const out = new Float64Array(BINS * BINS);
  for (let k = 0; k < out.length; k++) out[k] = spectrum[2 * k]!;
  return out;
}

/** Each chip's matched-filter output from an aligned tile: the tent weights (¼, ¾, ¾, ¼)² over the 4×4 bins around the chip centre. */
export function chipResponses(aligned: Float64Array): Float64Array {
  const weights = [0.25, 0.75, 0.75, 0.25];
  const out = new Float64Array(TILE_CHIPS * TILE_CHIPS);
  for (let cy = 0; cy < TILE_CHIPS; cy++) {
    for (let cx = 0; cx < TILE_CHIPS; cx++) {
      let s = 0;
      for (let j = 0; j < 4; j++) {
        const by = (2 * cy - 2 + j + BINS) % BINS;
        for (let i = 0; i < 4; i++) {
          const bx = (2 * cx - 2 + i + BINS) % BINS;
          s += weights[i]! * weights[j]! * aligned[by * BINS + bx]!;
        }
      }
      out[cy * TILE_CHIPS + cx] = s;
    }
  }
  return out;
}
