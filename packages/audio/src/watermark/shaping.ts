/**
 * Psychoacoustic shaping of the patchwork depth. A multiplicative change already follows the
 * programme's spectrum (the same depth gives the same mark-to-signal ratio in every patch), so
 * what is left is how much change each patch can hide, and where it is cheapest. Noise-like
 * bands mask a change far better than a pure tone, where the same change is heard as a flutter
 * (the tonality offsets of Johnston 1988 and the MPEG-1 psychoacoustic model 1 differ by about
 * 10 dB between noise and tone maskers); the tonality estimate is the spectral flatness
 * (geometric over arithmetic mean power) of the patch and its neighbours. Level: see below.
 */
import { FIRST_BIN, PATCH_BINS, PATCHES } from './layout.js';

/**
 * Within a frame, a patch's factor also scales with (its energy / the band's mean)^−LEVEL_EXPONENT,
 * bounded by LEVEL_RANGE either way: the detector reads a log-energy change, worth as much in a
 * quiet patch as in a loud one, while the mark's energy (what segmental SNR and audibility
 * charge) grows with the patch's level, and a quiet patch beside loud ones is masked by them.
 * Measured at 8 kHz on 8 clips: raw coded-bit errors 9.4% → 6.4%, segmental SNR 23.3 → 25.1 dB.
 */
const LEVEL_EXPONENT = 0.5;
const LEVEL_RANGE = 4;
/** Depth factor for a pure tone and for noise (flatness of Rayleigh noise ≈ e^−γ ≈ 0.56). */
const TONAL_DEPTH = 0.35;
const NOISE_DEPTH = 1.25;
const NOISE_FLATNESS = 0.56;
/** Bins either side of a patch that take part in its flatness. */
const CONTEXT_BINS = 2;

export class PatchMasking {
  private readonly logPower = new Float64Array(FIRST_BIN + PATCHES * PATCH_BINS + CONTEXT_BINS + 1);
  private readonly power = new Float64Array(FIRST_BIN + PATCHES * PATCH_BINS + CONTEXT_BINS + 1);
  private readonly patchEnergy = new Float64Array(PATCHES);
  private readonly out = new Float64Array(PATCHES);

  /** Per patch, the depth factor for one frame's spectrum (re, im): tonality, then level. */
  gains(re: Float64Array, im: Float64Array): Float64Array {
    const from = FIRST_BIN - CONTEXT_BINS;
    const to = FIRST_BIN + PATCHES * PATCH_BINS + CONTEXT_BINS;
    for (let k = from; k < to; k++) {
      const p = re[k]! * re[k]! + im[k]! * im[k]! + 1e-20;
      this.power[k] = p;
      this.logPower[k] = Math.log(p);
    }
    for (let patch = 0; patch < PATCHES; patch++) {
      const start = FIRST_BIN + patch * PATCH_BINS - CONTEXT_BINS;
      const end = start + PATCH_BINS + 2 * CONTEXT_BINS;
      let sum = 0;
      let logSum = 0;
      for (let k = start; k < end; k++) {
        sum += this.power[k]!;
        logSum += this.logPower[k]!;
      }
      const n = end - start;
      const flatness = Math.exp(logSum / n) / (sum / n);
      const noisiness = Math.min(1, flatness / NOISE_FLATNESS);
      this.out[patch] = TONAL_DEPTH + (NOISE_DEPTH - TONAL_DEPTH) * noisiness;
    }
    let mean = 0;
    for (let patch = 0; patch < PATCHES; patch++) {
      let e = 0;
      for (let b = 0; b < PATCH_BINS; b++) e += this.power[FIRST_BIN + patch * PATCH_BINS + b]!;
      this.patchEnergy[patch] = e;
      mean += e / PATCHES;
    }
    for (let patch = 0; patch < PATCHES; patch++) {
      const level = (this.patchEnergy[patch]! / mean) ** -LEVEL_EXPONENT;
      this.out[patch]! *= Math.max(1 / LEVEL_RANGE, Math.min(LEVEL_RANGE, level));
    }
    return this.out;
  }
}
