/**
 * A streaming band-limited resampler for one channel: Kaiser-windowed sinc interpolation
 * (Smith, "Digital Audio Resampling", CCRMA) with a table of polyphase filters. Output sample m
 * sits at input time m · inRate / outRate, so time 0 of both streams coincides, as in ffmpeg's
 * resampler. The watermark only needs 0-4 kHz, so the filter is short: a cut-off near 3.9 kHz
 * and a 1 kHz transition band.
 */

/** Zeroth-order modified Bessel function of the first kind (power series). */
function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  for (let k = 1; k < 32; k++) {
    term *= (x / (2 * k)) ** 2;
    sum += term;
    if (term < 1e-12 * sum) break;
  }
  return sum;
}

/** More phases than this are rounded to the nearest of this many (an error below 1/4000 sample). */
const MAX_PHASES = 2048;
/** Stop-band attenuation 60 dB: β and the length factor from Kaiser's formulas. */
const KAISER_BETA = 0.1102 * (60 - 8.7);
const LENGTH_FACTOR = (60 - 8) / (2.285 * 2 * Math.PI);

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

export class StreamingResampler {
  private readonly num: number; // input samples per output sample, as the fraction num / den
  private readonly den: number;
  private readonly half: number; // filter half-length in input samples
  private readonly taps: number;
  private readonly phases: number;
  private readonly table: Float64Array; // phases × taps
  private buffer = new Float64Array(4096);
  private bufferStart = 0; // absolute input index of buffer[0]
  private buffered = 0;
  private produced = 0; // output samples produced so far
  private consumed = 0; // input samples pushed so far

  /**
   * @param cutoffHz pass band edge; the response is −6 dB at cutoffHz + transitionHz / 2
   * @param transitionHz width of the transition band
   */
  constructor(
    readonly inRate: number,
    readonly outRate: number,
    cutoffHz: number,
    transitionHz: number,
  ) {
    const divisor = gcd(inRate, outRate);
    this.num = inRate / divisor;
    this.den = outRate / divisor;
    const centre = (cutoffHz + transitionHz / 2) / inRate; // normalised to the input rate
    this.half = Math.ceil((LENGTH_FACTOR * inRate) / transitionHz / 2) + 1;
    this.taps = 2 * this.half;
    this.phases = Math.min(this.den, MAX_PHASES);
    this.table = new Float64Array(this.phases * this.taps);
    const norm = besselI0(KAISER_BETA);
    for (let p = 0; p < this.phases; p++) {
      const fraction = p / this.phases;
      let sum = 0;
      for (let j = 0; j < this.taps; j++) {
        // tap j weighs input sample floor(t) - half + 1 + j at distance d from t
        const d = j - this.half + 1 - fraction;
        const x = d / this.half;
        const window = Math.abs(x) >= 1 ? 0 : besselI0(KAISER_BETA * Math.sqrt(1 - x * x)) / norm;
        const sinc = d === 0 ? 2 * centre : Math.sin(2 * Math.PI * centre * d) / (Math.PI * d);
        const value = sinc * window;
        this.table[p * this.taps + j] = value;
        sum += value;
      }
      // unit gain at DC for every phase
      for (let j = 0; j < this.taps; j++) this.table[p * this.taps + j]! /= sum;
    }
  }

  /** Input samples pushed so far. */
  get inputLength(): number {
    return this.consumed;
  }

  /** Output samples produced so far. */
  get outputLength(): number {
    return this.produced;
  }

  /** Appends input and returns every output sample whose filter support is now complete. */
  push(input: ArrayLike<number>): Float64Array {
    this.append(input);
    return this.drain(Number.POSITIVE_INFINITY, false);
  }

  /** Treats the input as followed by silence and returns outputs until `totalOutputs` have been produced. */
  finish(totalOutputs: number): Float64Array {
    return this.drain(totalOutputs, true);
  }

  private append(input: ArrayLike<number>): void {
    const need = this.buffered + input.length;
    if (need > this.buffer.length) {
      const grown = new Float64Array(Math.max(need, 2 * this.buffer.length));
      grown.set(this.buffer.subarray(0, this.buffered));
      this.buffer = grown;
    }
    for (let i = 0; i < input.length; i++) this.buffer[this.buffered + i] = input[i]!;
    this.buffered += input.length;
    this.consumed += input.length;
  }

  private drain(limit: number, padded: boolean): Float64Array {
    // Output m needs input up to floor(m * num / den) + half (+ 1 when its phase rounds up).
    const ready = padded ? limit : Math.floor(((this.consumed - this.half - 2) * this.den) / this.num) + 1;
    const count = Math.max(0, Math.min(limit, ready) - this.produced);
    const out = new Float64Array(count);
    const { table, taps, buffer, bufferStart, buffered } = this;
    for (let i = 0; i < count; i++) {
      const m = this.produced + i;
      const whole = Math.floor((m * this.num) / this.den);
      const remainder = m * this.num - whole * this.den;
      const rounded = this.phases === this.den ? remainder : Math.round((remainder * this.phases) / this.den);
      const phase = rounded % this.phases;
      const first = whole + (rounded === this.phases ? 1 : 0);
      const start = first - this.half + 1 - bufferStart;
      const row = phase * taps;
      let sum = 0;
      if (start >= 0 && start + taps <= buffered) {
        for (let j = 0; j < taps; j++) sum += table[row + j]! * buffer[start + j]!;
      } else {
        for (let j = 0; j < taps; j++) {
          const k = start + j;
          if (k >= 0 && k < buffered) sum += table[row + j]! * buffer[k]!;
        }
      }
      out[i] = sum;
    }
    this.produced += count;
    // Keep only the input later outputs can still need.
    const keepFrom = Math.floor((this.produced * this.num) / this.den) - this.half - 1 - bufferStart;
    if (keepFrom > 4096 && keepFrom < this.buffered) {
      this.buffer.copyWithin(0, keepFrom, this.buffered);
      this.buffered -= keepFrom;
      this.bufferStart += keepFrom;
    }
    return out;
  }
}
