/**
 * Noise-to-mask ratio of a processed signal against its reference, after the FFT ear model of
 * ITU-R BS.1387-1 (PEAQ, basic version, §2.1 and the NMR model output §4.5): Hann frames of
 * about 43 ms at half overlap, a full-scale sine at 92 dB SPL, the outer and middle ear weighting,
 * 0.25-Bark bands from 80 Hz to 18 kHz (or the Nyquist frequency), the internal noise, spreading
 * in frequency (27 dB/Bark below, 24 + 230/f − 0.2 L above) and in time, and a masking offset of
 * 3 dB up to 12 Bark and 0.25 z dB above. The noise is the difference of the two weighted
 * magnitude spectra per bin, grouped into the same bands. Simplifications, each the same for
 * every signal measured: the model runs at the clip's own rate (frames of 512-2048 samples, a
 * power of two near 43 ms) instead of 48 kHz; each bin goes wholly to the band its frequency
 * falls in; frames whose reference is below −60 dBFS are skipped, as segmental SNR skips them.
 *
 * `nmrTotalDb`: 10 log₁₀ of the mean over frames of the mean over bands of noise / mask; the
 * noise is below the masking threshold on average where it is below 0 dB. `disturbedFrames`: the
 * share of frames in which some band's noise is 1.5 dB or more above its mask (BS.1387's
 * RelDistFramesB), the frames where the model says something may be heard.
 *
 * Plain ESM shared by the benchmark (on the built package) and the tests (on the sources), so
 * the caller passes the package's FFT class.
 */

const BARK_STEP = 0.25;
const bark = (hz) => 7 * Math.asinh(hz / 650);
const hzOfBark = (z) => 650 * Math.sinh(z / 7);
/** Outer and middle ear weighting, dB (BS.1387 eq. 7). */
const earWeightDb = (hz) => {
  const k = hz / 1000;
  return -0.6 * 3.64 * k ** -0.8 + 6.5 * Math.exp(-0.6 * (k - 3.3) ** 2) - 1e-3 * k ** 3.6;
};

class EarModel {
  constructor(rate, Fft) {
    this.rate = rate;
    this.size = 2 ** Math.round(Math.log2(0.0427 * rate));
    this.fft = new Fft(this.size);
    this.window = new Float64Array(this.size);
    for (let i = 0; i < this.size; i++) this.window[i] = 0.5 * Math.sqrt(8 / 3) * (1 - Math.cos((2 * Math.PI * i) / (this.size - 1)));
    const top = Math.min(18_000, rate / 2);
    this.bands = Math.floor((bark(top) - bark(80)) / BARK_STEP);
    this.centre = Float64Array.from({ length: this.bands }, (_, k) => hzOfBark(bark(80) + (k + 0.5) * BARK_STEP));
    this.bandOf = new Int32Array(this.size / 2 + 1).fill(-1);
    this.weight = new Float64Array(this.size / 2 + 1);
    for (let i = 1; i <= this.size / 2; i++) {
      const hz = (i * rate) / this.size;
      const k = Math.floor((bark(hz) - bark(80)) / BARK_STEP);
      if (hz >= 80 && k < this.bands) this.bandOf[i] = k;
      this.weight[i] = 10 ** (earWeightDb(hz) / 20);
    }
    this.internalNoise = this.centre.map((hz) => 10 ** (0.4 * 0.364 * (hz / 1000) ** -0.8));
    this.offset = Float64Array.from({ length: this.bands }, (_, k) => 10 ** ((k * BARK_STEP <= 12 ? 3 : 0.25 * k * BARK_STEP) / 10));
    this.smoothing = this.centre.map((hz) => {
      const tau = 0.008 + (100 / hz) * (0.03 - 0.008);
      return Math.exp(-(this.size / 2) / (rate * tau));
    });
    // Scale so a full-scale sine reads 92 dB SPL at its peak bin.
    const re = new Float64Array(this.size);
    const im = new Float64Array(this.size);
    const bin = Math.round((1000 * this.size) / rate);
    for (let i = 0; i < this.size; i++) re[i] = Math.sin((2 * Math.PI * bin * i) / this.size) * this.window[i];
    this.fft.transform(re, im);
    this.scale = 10 ** (92 / 20) / Math.hypot(re[bin], im[bin]);
    this.unitNorm = this.spread(new Float64Array(this.bands).fill(1), false);
  }

  /** Weighted magnitude spectrum of one frame. */
  magnitudes(samples, at, out) {
    const re = new Float64Array(this.size);
    const im = new Float64Array(this.size);
    for (let i = 0; i < this.size; i++) re[i] = (samples[at + i] ?? 0) * this.window[i];
    this.fft.transform(re, im);
    for (let i = 1; i <= this.size / 2; i++) out[i] = Math.hypot(re[i], im[i]) * this.scale * this.weight[i];
    return out;
  }

  /** Spreading over the bands (level-dependent upper slope), energies added with exponent 0.4. */
  spread(energy, normalise = true) {
    const out = new Float64Array(this.bands);
    for (let j = 0; j < this.bands; j++) {
      const e = energy[j];
      const level = 10 * Math.log10(e);
      // Powers 0.4 taken once per masker: (e · slope^d)^0.4 = e^0.4 · (slope^0.4)^d.
      const lower = 10 ** ((-27 * BARK_STEP * 0.4) / 10);
      const upper = 10 ** ((-(24 + 230 / this.centre[j] - 0.2 * level) * BARK_STEP * 0.4) / 10);
      const root = e ** 0.4;
      let value = root;
      for (let k = j; k >= 0; k--, value *= lower) out[k] += value;
      value = root * upper;
      for (let k = j + 1; k < this.bands; k++, value *= upper) out[k] += value;
    }
    for (let k = 0; k < this.bands; k++) out[k] = out[k] ** 2.5 / (normalise ? this.unitNorm[k] : 1);
    return out;
  }
}

/**
 * NMR of `test` against `reference`, interleaved float PCM of `channels` channels at `rate`;
 * the channels' frames pooled. `Fft`: the audio package's FFT class (`rhythm/fft`). Returns
 * { nmrTotalDb, disturbedFrames, frames }.
 */
export function noiseToMask(reference, test, rate, channels, Fft) {
  const model = new EarModel(rate, Fft);
  const hop = model.size / 2;
  const frames = Math.floor(reference.length / channels / hop) - 1;
  let nmrSum = 0;
  let disturbed = 0;
  let counted = 0;
  for (let c = 0; c < channels; c++) {
    const ref = new Float64Array(reference.length / channels);
    const tst = new Float64Array(reference.length / channels);
    for (let i = 0; i < ref.length; i++) {
      ref[i] = reference[i * channels + c];
      tst[i] = test[i * channels + c];
    }
    const fr = new Float64Array(model.size / 2 + 1);
    const ft = new Float64Array(model.size / 2 + 1);
    const smoothed = new Float64Array(model.bands);
    for (let f = 0; f < frames; f++) {
      const at = f * hop;
      let power = 0;
      for (let i = at; i < at + model.size; i++) power += ref[i] ** 2;
      model.magnitudes(ref, at, fr);
      model.magnitudes(tst, at, ft);
      const energy = new Float64Array(model.bands).fill(1e-12);
      const noise = new Float64Array(model.bands);
      for (let i = 1; i <= model.size / 2; i++) {
        const k = model.bandOf[i];
        if (k < 0) continue;
        energy[k] += fr[i] ** 2;
        noise[k] += (fr[i] - ft[i]) ** 2;
      }
      for (let k = 0; k < model.bands; k++) energy[k] += model.internalNoise[k];
      const spread = model.spread(energy);
      let sum = 0;
      let worst = 0;
      for (let k = 0; k < model.bands; k++) {
        smoothed[k] = model.smoothing[k] * smoothed[k] + (1 - model.smoothing[k]) * spread[k];
        const mask = Math.max(smoothed[k], spread[k]) / model.offset[k];
        const ratio = noise[k] / mask;
        sum += ratio;
        worst = Math.max(worst, ratio);
      }
      if (power / model.size < 1e-6) continue; // below −60 dBFS: skipped, as segmental SNR skips it
      nmrSum += sum / model.bands;
      if (10 * Math.log10(worst) >= 1.5) disturbed++;
      counted++;
    }
  }
  return { nmrTotalDb: 10 * Math.log10(nmrSum / counted), disturbedFrames: disturbed / counted, frames: counted };
}
