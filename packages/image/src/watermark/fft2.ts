import FFT from 'fft.js';

/**
 * Square two-dimensional FFTs of a power-of-two size, row by row and then column by column
 * with fft.js (indutny; radix-4, MIT). Spectra are interleaved complex arrays, row-major:
 * element (row, column) is at 2 × (row × size + column).
 */
export class Fft2d {
  readonly #fft: FFT;
  readonly #line: Float64Array;
  readonly #lineOut: Float64Array;
  readonly #real: Float64Array;

  constructor(readonly size: number) {
    this.#fft = new FFT(size);
    this.#line = new Float64Array(2 * size);
    this.#lineOut = new Float64Array(2 * size);
    this.#real = new Float64Array(size);
  }

  /** The spectrum of a real size × size plane (row-major). */
  forwardReal(plane: Float64Array, spectrum: Float64Array = new Float64Array(2 * this.size * this.size)): Float64Array {
    const n = this.size;
    for (let y = 0; y < n; y++) {
      this.#real.set(plane.subarray(y * n, (y + 1) * n));
      this.#fft.realTransform(this.#lineOut, this.#real);
      this.#fft.completeSpectrum(this.#lineOut);
      spectrum.set(this.#lineOut, 2 * y * n);
    }
    this.#columns(spectrum, false);
    return spectrum;
  }

  /** Transforms a complex spectrum back in place (scaled by 1/size², so inverse(forward(x)) = x). */
  inverse(spectrum: Float64Array): Float64Array {
    const n = this.size;
    for (let y = 0; y < n; y++) {
      this.#line.set(spectrum.subarray(2 * y * n, 2 * (y + 1) * n));
      this.#fft.inverseTransform(this.#lineOut, this.#line);
      spectrum.set(this.#lineOut, 2 * y * n);
    }
    this.#columns(spectrum, true);
    return spectrum;
  }

  #columns(spectrum: Float64Array, inverse: boolean): void {
    const n = this.size;
    const line = this.#line;
    const out = this.#lineOut;
    for (let x = 0; x < n; x++) {
      for (let y = 0; y < n; y++) {
        line[2 * y] = spectrum[2 * (y * n + x)]!;
        line[2 * y + 1] = spectrum[2 * (y * n + x) + 1]!;
      }
      if (inverse) this.#fft.inverseTransform(out, line);
      else this.#fft.transform(out, line);
      for (let y = 0; y < n; y++) {
        spectrum[2 * (y * n + x)] = out[2 * y]!;
        spectrum[2 * (y * n + x) + 1] = out[2 * y + 1]!;
      }
    }
  }
}
