import { UsageError } from '@aigc-label/core';
import { checkRaw, colourChannels, lumaRow, type RawPixels } from './raw.js';

export interface ImageQuality {
  /** Peak signal-to-noise ratio over the colour channels, in dB (Infinity when identical). */
  readonly psnr: number;
  /** Mean structural similarity of the luma (Wang et al. 2004: 11×11 Gaussian window, σ = 1.5, K1 = 0.01, K2 = 0.03). */
  readonly ssim: number;
}

/** How far `after` is from `before` (same size and channels): PSNR and SSIM, the figures the mark's quality targets are stated in. */
export function imageQuality(before: RawPixels, after: RawPixels): ImageQuality {
  checkRaw(before);
  checkRaw(after);
  if (before.width !== after.width || before.height !== after.height || before.channels !== after.channels) {
    throw new UsageError('imageQuality: the two images differ in size or channels');
  }
  const { width, height, channels } = before;
  const colours = colourChannels(channels);
  let squaredError = 0;
  for (let p = 0; p < before.data.length; p += channels) {
    for (let k = 0; k < colours; k++) {
      const d = before.data[p + k]! - after.data[p + k]!;
      squaredError += d * d;
    }
  }
  const mse = squaredError / (width * height * colours);
  return {
    psnr: mse === 0 ? Number.POSITIVE_INFINITY : 10 * Math.log10((255 * 255) / mse),
    ssim: meanSsim(lumaOf(before), lumaOf(after), width, height),
  };
}

function lumaOf(raw: RawPixels): Float32Array {
  const out = new Float32Array(raw.width * raw.height);
  const row = new Float32Array(raw.width);
  for (let y = 0; y < raw.height; y++) {
    lumaRow(raw, y, row);
    out.set(row, y * raw.width);
  }
  return out;
}

const GAUSSIAN = (() => {
  const taps = Array.from({ length: 11 }, (_, i) => Math.exp(-((i - 5) ** 2) / (2 * 1.5 * 1.5)));
  const sum = taps.reduce((a, b) => a + b, 0);
  return Float32Array.from(taps, (t) => t / sum);
})();

/** Separable Gaussian filter, keeping only the positions where the window fits ("valid"). */
function gaussianValid(src: Float32Array, width: number, height: number): { data: Float32Array; width: number; height: number } {
  const w = width - 10;
  const h = height - 10;
  const tmp = new Float32Array(w * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let k = 0; k < 11; k++) s += GAUSSIAN[k]! * src[y * width + x + k]!;
      tmp[y * w + x] = s;
    }
  }
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let k = 0; k < 11; k++) s += GAUSSIAN[k]! * tmp[(y + k) * w + x]!;
      out[y * w + x] = s;
    }
  }
  return { data: out, width: w, height: h };
}

function meanSsim(a: Float32Array, b: Float32Array, width: number, height: number): number {
  if (width < 11 || height < 11) throw new UsageError('imageQuality: SSIM needs at least 11×11 pixels');
  const products = (f: (x: number, y: number) => number) => {
    const out = new Float32Array(a.length);
    for (let i = 0; i < a.length; i++) out[i] = f(a[i]!, b[i]!);
    return gaussianValid(out, width, height).data;
  };
  const muA = gaussianValid(a, width, height).data;
  const muB = gaussianValid(b, width, height).data;
  const aa = products((x) => x * x);
  const bb = products((_, y) => y * y);
  const ab = products((x, y) => x * y);
  const c1 = (0.01 * 255) ** 2;
  const c2 = (0.03 * 255) ** 2;
  let total = 0;
  for (let i = 0; i < muA.length; i++) {
    const ma = muA[i]!;
    const mb = muB[i]!;
    const va = aa[i]! - ma * ma;
    const vb = bb[i]! - mb * mb;
    const cov = ab[i]! - ma * mb;
    total += ((2 * ma * mb + c1) * (2 * cov + c2)) / ((ma * ma + mb * mb + c1) * (va + vb + c2));
  }
  return total / muA.length;
}
