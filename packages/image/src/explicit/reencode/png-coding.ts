/**
 * PNG image data for APNG frames, which must share one IHDR (and one palette): scanlines packed at
 * the source's bit depth, filtered (PNG spec §9, the usual minimum-sum heuristic) and deflated, and
 * the reverse for a palette image sharp quantised, so its indices can be split between frames.
 */
import { inflateCapped, MalformedInputError } from '@aigc-label/core';
import { zlibSync } from 'fflate';

/** Bytes per complete pixel for filtering (§9.2: at least 1). */
const filterStride = (bitsPerPixel: number) => Math.max(1, bitsPerPixel >> 3);
const rowBytes = (width: number, bitsPerPixel: number) => Math.ceil((width * bitsPerPixel) / 8);

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

function predict(type: number, a: number, b: number, c: number): number {
  switch (type) {
    case 1:
      return a;
    case 2:
      return b;
    case 3:
      return (a + b) >> 1;
    case 4:
      return paeth(a, b, c);
    default:
      return 0;
  }
}

/** Filters each row with the filter whose output has the smallest sum of absolute (signed) values, then deflates. */
export function encodeScanlines(rows: Uint8Array, width: number, height: number, bitsPerPixel: number): Uint8Array {
  const stride = filterStride(bitsPerPixel);
  const length = rowBytes(width, bitsPerPixel);
  const out = new Uint8Array(height * (length + 1));
  const zero = new Uint8Array(length);
  for (let y = 0; y < height; y++) {
    const row = rows.subarray(y * length, (y + 1) * length);
    const above = y > 0 ? rows.subarray((y - 1) * length, y * length) : zero;
    let bestType = 0;
    let bestSum = Number.POSITIVE_INFINITY;
    for (let type = 0; type < 5; type++) {
      let sum = 0;
      for (let i = 0; i < length; i++) {
        const a = i >= stride ? row[i - stride]! : 0;
        const b = above[i]!;
        const c = i >= stride ? above[i - stride]! : 0;
        const value = (row[i]! - predict(type, a, b, c)) & 0xff;
        sum += value < 128 ? value : 256 - value;
      }
      if (sum < bestSum) [bestType, bestSum] = [type, sum];
    }
    const at = y * (length + 1);
    out[at] = bestType;
    for (let i = 0; i < length; i++) {
      const a = i >= stride ? row[i - stride]! : 0;
      const b = above[i]!;
      const c = i >= stride ? above[i - stride]! : 0;
      out[at + 1 + i] = (row[i]! - predict(bestType, a, b, c)) & 0xff;
    }
  }
  return zlibSync(out);
}

/** Inflates and unfilters non-interlaced image data into packed rows. */
export function decodeScanlines(zlib: Uint8Array, width: number, height: number, bitsPerPixel: number): Uint8Array {
  const stride = filterStride(bitsPerPixel);
  const length = rowBytes(width, bitsPerPixel);
  const filtered = inflateCapped(zlib, 'png', { maxOutputBytes: height * (length + 1) });
  if (filtered.length < height * (length + 1)) throw new MalformedInputError('png', 'image data is shorter than its rows');
  const rows = new Uint8Array(height * length);
  for (let y = 0; y < height; y++) {
    const type = filtered[y * (length + 1)]!;
    for (let i = 0; i < length; i++) {
      const a = i >= stride ? rows[y * length + i - stride]! : 0;
      const b = y > 0 ? rows[(y - 1) * length + i]! : 0;
      const c = y > 0 && i >= stride ? rows[(y - 1) * length + i - stride]! : 0;
      rows[y * length + i] = (filtered[y * (length + 1) + 1 + i]! + predict(type, a, b, c)) & 0xff;
    }
  }
  return rows;
}

/** One value per pixel from packed rows of `bits`-bit samples (1, 2, 4 or 8). */
export function unpack(rows: Uint8Array, width: number, height: number, bits: number): Uint8Array {
  const out = new Uint8Array(width * height);
  const length = rowBytes(width, bits);
  const mask = (1 << bits) - 1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const bit = x * bits;
      out[y * width + x] = (rows[y * length + (bit >> 3)]! >> (8 - bits - (bit & 7))) & mask;
    }
  }
  return out;
}

/** Packed rows of `bits`-bit values (1, 2, 4 or 8), one value per pixel in. */
export function pack(values: Uint8Array, width: number, height: number, bits: number): Uint8Array {
  const length = rowBytes(width, bits);
  const out = new Uint8Array(length * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const bit = x * bits;
      out[y * length + (bit >> 3)] |= values[y * width + x]! << (8 - bits - (bit & 7));
    }
  }
  return out;
}
