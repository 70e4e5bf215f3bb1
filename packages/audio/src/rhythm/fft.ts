/** In-place iterative radix-2 complex FFT of a fixed power-of-two size, with precomputed tables. */
export class Fft {
  private readonly cos: Float64Array;
  private readonly sin: Float64Array;
  private readonly reversed: Uint32Array;

  constructor(readonly size: number) {
    if (size < 2 || (size & (size - 1)) !== 0) throw new RangeError(`FFT size ${size} is not a power of two`);
    this.cos = new Float64Array(size / 2);
    this.sin = new Float64Array(size / 2);
    for (let i = 0; i < size / 2; i++) {
      this.cos[i] = Math.cos((-2 * Math.PI * i) / size);
      this.sin[i] = Math.sin((-2 * Math.PI * i) / size);
    }
    const bits = Math.log2(size);
    this.reversed = new Uint32Array(size);
    for (let i = 0; i < size; i++) {
      let r = 0;
      for (let b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
      this.reversed[i] = r;
    }
  }

  /** Transforms (re, im) in place. */
  transform(re: Float64Array, im: Float64Array): void {
    const n = this.size;
    for (let i = 0; i < n; i++) {
      const j = this.reversed[i];
      if (j > i) {
        const tr = re[i];
        re[i] = re[j];
        re[j] = tr;
        const ti = im[i];
        im[i] = im[j];
        im[j] = ti;
      }
    }
    for (let half = 1; half < n; half *= 2) {
      const step = n / (2 * half);
      for (let start = 0; start < n; start += 2 * half) {
        for (let k = 0; k < half; k++) {
          const wr = this.cos[k * step];
          const wi = this.sin[k * step];
          const a = start + k;
          const b = a + half;
          const xr = re[b] * wr - im[b] * wi;
          const xi = re[b] * wi + im[b] * wr;
          re[b] = re[a] - xr;
          im[b] = im[a] - xi;
          re[a] += xr;
          im[a] += xi;
        }
      }
    }
  }
}

/** Power spectrum of a real frame of `size` samples through one complex FFT of half the size. */
export class RealPowerSpectrum {
  private readonly half: Fft;
  private readonly re: Float64Array;
  private readonly im: Float64Array;
  private readonly cos: Float64Array;
  private readonly sin: Float64Array;

  constructor(readonly size: number) {
    const m = size / 2;
    this.half = new Fft(m);
    this.re = new Float64Array(m);
    this.im = new Float64Array(m);
    this.cos = new Float64Array(m + 1);
    this.sin = new Float64Array(m + 1);
    for (let k = 0; k <= m; k++) {
      this.cos[k] = Math.cos((-2 * Math.PI * k) / size);
      this.sin[k] = Math.sin((-2 * Math.PI * k) / size);
    }
  }

  /** Writes |X[k]|² for k in [from, to] (0 ≤ from ≤ to ≤ size/2) into `power`. */
  compute(frame: Float64Array, power: Float64Array, from: number, to: number): void {
    const m = this.size / 2;
    const { re, im } = this;
    for (let n = 0; n < m; n++) {
      re[n] = frame[2 * n];
      im[n] = frame[2 * n + 1];
    }
    this.half.transform(re, im);
    for (let k = from; k <= to; k++) {
      // Split the packed transform into the even and odd samples' spectra, then combine.
      const a = k % m;
      const b = (m - k + m) % m;
      const evenRe = (re[a] + re[b]) / 2;
      const evenIm = (im[a] - im[b]) / 2;
      const oddRe = (im[a] + im[b]) / 2;
      const oddIm = -(re[a] - re[b]) / 2;
      const xr = evenRe + this.cos[k] * oddRe - this.sin[k] * oddIm;
      const xi = evenIm + this.cos[k] * oddIm + this.sin[k] * oddRe;
      power[k] = xr * xr + xi * xi;
    }
  }
}
