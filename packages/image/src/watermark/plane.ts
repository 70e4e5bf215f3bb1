import { lumaRow, type RawPixels } from './raw.js';

/** A single-channel floating-point image. */
export interface Plane {
  readonly data: Float32Array;
  readonly width: number;
  readonly height: number;
}

/**
 * Luma scaled (area-averaged, never enlarged) so that the shorter side is at most
 * `shortSide` pixels. One factor for both axes, so the mark's square tiles stay square.
 * Returns the plane and the factor (plane pixels per image pixel).
 */
export function lumaPlane(raw: RawPixels, shortSide: number): { plane: Plane; scale: number } {
  const { width, height } = raw;
  const scale = Math.min(1, shortSide / Math.min(width, height));
  const pw = Math.max(1, Math.floor(width * scale));
  const ph = Math.max(1, Math.floor(height * scale));
  const out = new Float32Array(pw * ph);
  const luma = new Float32Array(width);
  if (scale === 1) {
    for (let y = 0; y < height; y++) {
      lumaRow(raw, y, luma);
      out.set(luma, y * width);
    }
    return { plane: { data: out, width: pw, height: ph }, scale };
  }
  // Area resampling, rows first: each source row is added into the one or two plane rows its
  // extent overlaps (weighted by the overlap, in two full-width accumulators), and each
  // finished plane row is then resampled across in the same way. Doing rows first keeps the
  // per-pixel work to independent multiply-adds over the whole image.
  const columnCell = new Int32Array(width);
  const columnSplit = new Float64Array(width); // the share that goes to the next cell
  for (let x = 0; x < width; x++) {
    const start = x * scale;
    const cell = Math.floor(start);
    columnCell[x] = cell;
    columnSplit[x] = start + scale > cell + 1 ? (start + scale - (cell + 1)) / scale : 0;
  }
  let current = new Float64Array(width);
  let next = new Float64Array(width);
  const cells = new Float64Array(pw + 2);
  let cellY = 0;
  for (let y = 0; y < height; y++) {
    const start = y * scale;
    const rowCell = Math.floor(start);
    if (rowCell > cellY) {
      if (cellY < ph) resampleRow(current, columnCell, columnSplit, cells, out, cellY * pw, pw, scale * scale);
      const done = current;
      current = next;
      next = done.fill(0);
      cellY = rowCell;
    }
    const splitY = start + scale > rowCell + 1 ? (start + scale - (rowCell + 1)) / scale : 0;
    lumaRow(raw, y, luma);
    const keep = 1 - splitY;
    for (let x = 0; x < width; x++) {
      const v = luma[x]!;
      current[x] += v * keep;
      next[x] += v * splitY;
    }
  }
  if (cellY < ph) resampleRow(current, columnCell, columnSplit, cells, out, cellY * pw, pw, scale * scale);
  return { plane: { data: out, width: pw, height: ph }, scale };
}

/** Resamples one accumulated source-width row across into `pw` plane cells at `out[base..]`. */
function resampleRow(
  row: Float64Array,
  columnCell: Int32Array,
  columnSplit: Float64Array,
  cells: Float64Array,
  out: Float32Array,
  base: number,
  pw: number,
  area: number,
): void {
  cells.fill(0);
  for (let x = 0; x < row.length; x++) {
    const v = row[x]!;
    const split = columnSplit[x]!;
    const cell = columnCell[x]!;
    cells[cell] += v - v * split;
    cells[cell + 1] += v * split;
  }
  for (let x = 0; x < pw; x++) out[base + x] = cells[x]! * area;
}

/**
 * Mean over a (2r+1)² box, clamped at the borders (separable running sums), into `out`
 * (which may be `src`), using `scratch` for the row pass.
 */
function boxMean(src: Float32Array, width: number, height: number, radius: number, out: Float32Array, scratch: Float32Array): Float32Array {
  for (let y = 0; y < height; y++) runningMean(src, scratch, y * width, 1, width, radius);
  for (let x = 0; x < width; x++) runningMean(scratch, out, x, width, height, radius);
  return out;
}

function runningMean(src: Float32Array, dst: Float32Array, offset: number, stride: number, length: number, radius: number): void {
  let sum = 0;
  let count = 0;
  const hi = Math.min(length - 1, radius);
  for (let i = 0; i <= hi; i++) {
    sum += src[offset + i * stride]!;
    count++;
  }
  for (let i = 0; i < length; i++) {
    dst[offset + i * stride] = sum / count;
    const add = i + radius + 1;
    const drop = i - radius;
    if (add < length) {
      sum += src[offset + add * stride]!;
      count++;
    }
    if (drop >= 0) {
      sum -= src[offset + drop * stride]!;
      count--;
    }
  }
}

/**
 * The part of a luma plane the mark lives in, with the image mostly taken out: luma minus its
 * local mean (a high-pass that keeps chip-sized detail), divided by the local RMS of that
 * residual so that edges and busy areas do not outvote the rest, and clipped. The mark's
 * amplitude follows the same local activity, so this is close to the matched weighting.
 */
export function whiten(plane: Plane, meanRadius: number, rmsRadius: number, clip: number): Plane {
  const { data, width, height } = plane;
  const scratch = new Float32Array(data.length);
  const residual = boxMean(data, width, height, meanRadius, new Float32Array(data.length), scratch);
  const squares = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const r = data[i]! - residual[i]!;
    residual[i] = r;
    squares[i] = r * r;
  }
  const power = boxMean(squares, width, height, rmsRadius, squares, scratch);
  for (let i = 0; i < data.length; i++) {
    const v = residual[i]! / Math.sqrt(power[i]! + 1);
    residual[i] = Math.min(clip, Math.max(-clip, v));
  }
  return { data: residual, width, height };
}
