import { UsageError, WATERMARK_PAYLOAD_BITS } from '@aigc-label/core';
import { chipValues, encodeMessage, shapeChips, TILE_CHIPS, tileLayout } from './message.js';
import { checkRaw, colourChannels, lumaRow, type RawPixels } from './raw.js';

/** Chips across the image's shorter side: the pattern scales with the image, so its features sit at the same relative frequency at every size. */
export const CHIPS_PER_SHORT_SIDE = 128;
/** Chips are never smaller than this many pixels, or a 50% downscale would erase them. */
const MIN_CHIP_PX = 2;
/** Shorter sides below this cannot hold the two tiles the detector needs. */
export const WATERMARK_MIN_SIDE = 2 * TILE_CHIPS * MIN_CHIP_PX;

/** Amplitude (grey levels) of the pattern on flat areas and its ceiling on busy ones, per unit of local standard deviation in between. */
const FLAT_AMPLITUDE = 1.5;
const MAX_AMPLITUDE = 5.0;
const AMPLITUDE_PER_STDDEV = 0.25;
/** The mark never costs more than this (PSNR over the colour channels): the strength is scaled down to fit. */
export const MIN_PSNR_DB = 40.5;

export interface EmbedOptions {
  /** The 64-bit payload (`watermarkPayload(label)` from core). */
  readonly payload: Uint8Array;
  /** Keys the layout and the pseudo-noise; default the public key (DEFAULT_WATERMARK_KEY). */
  readonly key?: string | undefined;
  /** Multiplies the amplitude (default 1); the PSNR floor still applies. */
  readonly strength?: number | undefined;
}

export interface EmbedResult {
  /** New pixels, same shape as the input (which is not modified). */
  readonly pixels: RawPixels;
  /** PSNR of the marked image against the input, over the colour channels, in dB. */
  readonly psnr: number;
  /** Chip size used, in pixels. */
  readonly chipSize: number;
  /** Root-mean-square change of the colour values, in grey levels. */
  readonly rmsChange: number;
}

/** Chip size in pixels for an image of this size. */
export const chipSizeFor = (width: number, height: number): number => Math.max(MIN_CHIP_PX, Math.min(width, height) / CHIPS_PER_SHORT_SIDE);

/**
 * Adds the keyed, payload-carrying pattern to the luma of `raw` (equally to R, G and B; alpha
 * untouched): a tile of TILE_CHIPS² chips repeated over the image, each chip a tent of
 * `chipSize` pixels, its amplitude following the local texture (busier areas hide more).
 */
export function embedWatermark(raw: RawPixels, options: EmbedOptions): EmbedResult {
  checkRaw(raw);
  const { width, height, channels, data } = raw;
  if (options.payload.length * 8 !== WATERMARK_PAYLOAD_BITS) {
    throw new UsageError(`watermark: the payload is ${options.payload.length} bytes; expected ${WATERMARK_PAYLOAD_BITS / 8}`);
  }
  if (Math.min(width, height) < WATERMARK_MIN_SIDE) {
    throw new UsageError(`watermark: ${width}×${height} is too small to carry a mark (shorter side at least ${WATERMARK_MIN_SIDE} px)`);
  }
  const strength = options.strength ?? 1;
  if (!(strength > 0 && strength <= 4)) throw new UsageError(`watermark: strength ${strength} is not in (0, 4]`);

  const chips = shapeChips(chipValues(tileLayout(options.key), encodeMessage(options.payload)));
  const chipSize = chipSizeFor(width, height);
  const mask = amplitudeMask(raw, chipSize, strength, patternMeanSquare(chips));

  // Per column: the tile column of the chip to the left and the tent weight of the one to the right.
  const column = new Int32Array(width);
  const columnWeight = new Float32Array(width);
  for (let x = 0; x < width; x++) {
    const u = x / chipSize;
    column[x] = Math.floor(u) % TILE_CHIPS;
    columnWeight[x] = u - Math.floor(u);
  }
  const maskColumn = new Int32Array(width);
  const maskColumnWeight = new Float32Array(width);
  for (let x = 0; x < width; x++) {
    const mx = Math.min(mask.width - 1, Math.max(0, (x + 0.5) / mask.block - 0.5));
    maskColumn[x] = Math.min(mask.width - 2, Math.floor(mx));
    maskColumnWeight[x] = mx - maskColumn[x]!;
  }

  const out = new Uint8Array(data.length);
  out.set(data);
  const colours = colourChannels(channels);
  const rowChips = new Float32Array(TILE_CHIPS + 1);
  const rowMask = new Float32Array(mask.width);
  let squaredError = 0;
  for (let y = 0; y < height; y++) {
    const v = y / chipSize;
    const r0 = (Math.floor(v) % TILE_CHIPS) * TILE_CHIPS;
    const r1 = ((Math.floor(v) + 1) % TILE_CHIPS) * TILE_CHIPS;
    const fv = v - Math.floor(v);
    for (let i = 0; i < TILE_CHIPS; i++) rowChips[i] = (1 - fv) * chips[r0 + i]! + fv * chips[r1 + i]!;
    rowChips[TILE_CHIPS] = rowChips[0]!;
    const my = Math.min(mask.height - 1, Math.max(0, (y + 0.5) / mask.block - 0.5));
    const m0 = Math.min(mask.height - 2, Math.floor(my));
    const fm = my - m0;
    for (let i = 0; i < mask.width; i++)
      rowMask[i] = (1 - fm) * mask.data[m0 * mask.width + i]! + fm * mask.data[(m0 + 1) * mask.width + i]!;
    let p = y * width * channels;
    for (let x = 0; x < width; x++, p += channels) {
      const c = column[x]!;
      const fu = columnWeight[x]!;
      const pattern = (1 - fu) * rowChips[c]! + fu * rowChips[c + 1]!;
      const mc = maskColumn[x]!;
      const amplitude = rowMask[mc]! + maskColumnWeight[x]! * (rowMask[mc + 1]! - rowMask[mc]!);
      // One integer change for every colour channel (a pure luma change); most pixels of flat
      // areas round to none.
      const delta = Math.round(pattern * amplitude);
      if (delta === 0) continue;
      for (let k = 0; k < colours; k++) {
        const before = data[p + k]!;
        const after = Math.min(255, Math.max(0, before + delta));
        out[p + k] = after;
        squaredError += (after - before) * (after - before);
      }
    }
  }
  const mse = squaredError / (width * height * colours);
  return {
    pixels: { data: out, width, height, channels },
    psnr: mse === 0 ? Number.POSITIVE_INFINITY : 10 * Math.log10((255 * 255) / mse),
    chipSize,
    rmsChange: Math.sqrt(mse),
  };
}

/** Mean square of the tent-interpolated chip pattern, sampled four times per chip along each axis. */
function patternMeanSquare(chips: Float32Array): number {
  let sum = 0;
  const steps = 4 * TILE_CHIPS;
  const at = (cx: number, cy: number) => chips[(cy % TILE_CHIPS) * TILE_CHIPS + (cx % TILE_CHIPS)]!;
  for (let j = 0; j < steps; j++) {
    const v0 = Math.floor(j / 4);
    const fv = (j % 4) / 4;
    for (let i = 0; i < steps; i++) {
      const u0 = Math.floor(i / 4);
      const fu = (i % 4) / 4;
      const value = (1 - fv) * ((1 - fu) * at(u0, v0) + fu * at(u0 + 1, v0)) + fv * ((1 - fu) * at(u0, v0 + 1) + fu * at(u0 + 1, v0 + 1));
      sum += value * value;
    }
  }
  return sum / (steps * steps);
}

interface AmplitudeMask {
  readonly data: Float32Array;
  readonly width: number;
  readonly height: number;
  /** Pixels per mask cell along each side. */
  readonly block: number;
}

/**
 * The pattern's amplitude per block of about half a chip: FLAT_AMPLITUDE plus
 * AMPLITUDE_PER_STDDEV times the luma's standard deviation over the block and its eight
 * neighbours (texture masking in the spirit of the noise visibility function of
 * Voloshynovskiy et al. 1999), capped at MAX_AMPLITUDE, then scaled so that PSNR stays at or
 * above MIN_PSNR_DB.
 */
function amplitudeMask(raw: RawPixels, chipSize: number, strength: number, patternPower: number): AmplitudeMask {
  const { width, height } = raw;
  const block = Math.max(1, Math.floor(chipSize / 2));
  const mw = Math.max(2, Math.ceil(width / block));
  const mh = Math.max(2, Math.ceil(height / block));
  const sum = new Float64Array(mw * mh);
  const sumSquares = new Float64Array(mw * mh);
  const count = new Float64Array(mw * mh);
  // Rows first: a block row's luma and squared luma are summed per column, then across.
  const luma = new Float32Array(width);
  const columnSum = new Float64Array(width);
  const columnSquares = new Float64Array(width);
  for (let y0 = 0; y0 < height; y0 += block) {
    columnSum.fill(0);
    columnSquares.fill(0);
    const rows = Math.min(block, height - y0);
    for (let y = y0; y < y0 + rows; y++) {
      lumaRow(raw, y, luma);
      for (let x = 0; x < width; x++) {
        const v = luma[x]!;
        columnSum[x] += v;
        columnSquares[x] += v * v;
      }
    }
    const row = (y0 / block) * mw;
    for (let x0 = 0, cell = row; x0 < width; x0 += block, cell++) {
      let s1 = 0;
      let s2 = 0;
      const end = Math.min(width, x0 + block);
      for (let x = x0; x < end; x++) {
        s1 += columnSum[x]!;
        s2 += columnSquares[x]!;
      }
      sum[cell] = s1;
      sumSquares[cell] = s2;
      count[cell] = (end - x0) * rows;
    }
  }
  const amplitude = new Float32Array(mw * mh);
  for (let my = 0; my < mh; my++) {
    for (let mx = 0; mx < mw; mx++) {
      let s = 0;
      let s2 = 0;
      let n = 0;
      for (let dy = -1; dy <= 1; dy++) {
        const yy = my + dy;
        if (yy < 0 || yy >= mh) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const xx = mx + dx;
          if (xx < 0 || xx >= mw) continue;
          const cell = yy * mw + xx;
          s += sum[cell]!;
          s2 += sumSquares[cell]!;
          n += count[cell]!;
        }
      }
      const stddev = n > 0 ? Math.sqrt(Math.max(0, s2 / n - (s / n) ** 2)) : 0;
      const a = strength * Math.min(MAX_AMPLITUDE, FLAT_AMPLITUDE + AMPLITUDE_PER_STDDEV * stddev);
      amplitude[my * mw + mx] = a;
    }
  }
  // Expected MSE: pattern power times mean squared amplitude, plus up to 1/12 for rounding to
  // integers. Over the PSNR floor, the highest amplitudes are lowered first (a ceiling found by
  // bisection): the detector weighs each area by the mark's size relative to the local
  // texture, so energy on busy areas buys the least.
  const meanSquareBelow = (ceiling: number) => {
    let sum = 0;
    for (let i = 0; i < amplitude.length; i++) sum += Math.min(ceiling, amplitude[i]!) ** 2;
    return patternPower * (sum / amplitude.length) + 1 / 12;
  };
  const maxMse = (255 * 255) / 10 ** (MIN_PSNR_DB / 10);
  if (meanSquareBelow(Number.POSITIVE_INFINITY) > maxMse) {
    let low = 0;
    let high = strength * MAX_AMPLITUDE;
    for (let k = 0; k < 20; k++) {
      const mid = (low + high) / 2;
      if (meanSquareBelow(mid) > maxMse) high = mid;
      else low = mid;
    }
    for (let i = 0; i < amplitude.length; i++) amplitude[i] = Math.min(low, amplitude[i]!);
  }
  return { data: amplitude, width: mw, height: mh, block };
}
