/**
 * Band-limited rate conversion, the one resampler of the audio package: the audible-label
 * searches' mono mixdown to 8 kHz (what ffmpeg's `-ac 1 -ar 8000` gives, done in this process so
 * a short clip costs no process start) and the watermark's 8 kHz side and its way back to the
 * source rate. A polyphase Kaiser-windowed sinc (Smith, "Digital Audio Resampling", CCRMA):
 * output sample m sits at input time m · inRate / outRate, so both streams start together as in
 * ffmpeg. The pass band reaches 7/16 of the lower rate (3.5 kHz at 8 kHz), the response is −6 dB
 * at its Nyquist frequency and 60 dB down one eighth of the rate above it.
 */

import { MalformedInputError } from '@aigc-label/core';

/** Kaiser's formulas for 60 dB stop-band attenuation: β, and the length in samples per unit of transition width. */
const KAISER_BETA = 0.1102 * (60 - 8.7);
const LENGTH_PER_TRANSITION = (60 - 8) / (2.285 * 2 * Math.PI);
/** Pass-band edge and transition width as shares of the lower of the two rates. */
const PASS_BAND = 7 / 16;
const TRANSITION = 1 / 8;
/** Fractional delays are rounded to 1/1024 sample when the exact ratio needs more phases. */
const MAXIMUM_PHASES = 1024;

function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  for (let k = 1; k < 40; k++) {
    term *= (x / (2 * k)) ** 2;
    sum += term;
    if (term < 1e-12 * sum) break;
  }
  return sum;
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/**
 * Each channel's weight in the mono mix. Stereo as ffmpeg downmixes it (−3 dB each, so a
 * centred sound keeps its power and levels match the ffmpeg path); more channels as their mean.
 */
const mixdownGain = (channels: number): number => (channels === 2 ? Math.SQRT1_2 : 1 / channels);

/** Polyphase filter tables by rate pair: every file at 44.1 kHz shares one. */
const filters = new Map<string, { half: number; table: Float32Array }>();

function filterFor(inRate: number, outRate: number, phases: number): { half: number; table: Float32Array } {
  const key = `${inRate}/${outRate}`;
  const cached = filters.get(key);
  if (cached) return cached;
  const lower = Math.min(inRate, outRate);
  const transition = TRANSITION * lower;
  const centre = (PASS_BAND * lower + transition / 2) / inRate; // −6 dB point, in cycles per input sample
  const half = inRate === outRate ? 0 : Math.ceil((LENGTH_PER_TRANSITION * inRate) / transition / 2) + 1;
  const taps = 2 * half;
  const table = new Float32Array(phases * taps);
  const norm = besselI0(KAISER_BETA);
  const row = new Float64Array(taps);
  for (let p = 0; p < phases; p++) {
    let sum = 0;
    for (let j = 0; j < taps; j++) {
      // Tap j weighs input sample floor(t) − half + 1 + j, at distance d from t.
      const d = j - half + 1 - p / phases;
      const x = d / half;
      const window = Math.abs(x) >= 1 ? 0 : besselI0(KAISER_BETA * Math.sqrt(1 - x * x)) / norm;
      row[j] = (d === 0 ? 2 * centre : Math.sin(2 * Math.PI * centre * d) / (Math.PI * d)) * window;
      sum += row[j]!;
    }
    for (let j = 0; j < taps; j++) table[p * taps + j] = row[j]! / sum; // unit gain at DC
  }
  const filter = { half, table };
  filters.set(key, filter);
  return filter;
}

/** The streaming polyphase core: subclasses fill the input buffer (`reserve`, then `commit`). */
abstract class PolyphaseResampler {
  /** Input samples per output sample, as the reduced fraction step / ratioDen (inRate / outRate). */
  private readonly step: number;
  private readonly ratioDen: number;
  private readonly phases: number;
  private readonly half: number;
  private readonly taps: number;
  private readonly table: Float32Array;
  private readonly passThrough: boolean;
  private buffer = new Float32Array(1 << 15);
  private bufferStart = 0; // absolute index of buffer[0]
  private buffered = 0;
  private consumed = 0; // input samples pushed
  private produced = 0; // output samples returned
  // The next output's input position: `whole` + `remainder` / ratioDen.
  private whole = 0;
  private remainder = 0;

  constructor(
    readonly inRate: number,
    readonly outRate: number,
  ) {
    if (!(Number.isInteger(inRate) && Number.isInteger(outRate) && inRate > 0 && outRate > 0)) {
      throw new MalformedInputError('audio', `sample rate ${inRate} Hz cannot be converted to ${outRate} Hz`);
    }
    const divisor = gcd(inRate, outRate);
    this.step = inRate / divisor;
    this.ratioDen = outRate / divisor;
    this.passThrough = inRate === outRate;
    this.phases = Math.min(this.ratioDen, MAXIMUM_PHASES);
    const filter = filterFor(inRate, outRate, this.phases);
    this.half = filter.half;
    this.taps = 2 * filter.half;
    this.table = filter.table;
  }

  /**
   * The remaining outputs, the input taken as followed by silence: `totalOutputs` in all, by
   * default ceil(inputs · outRate / inRate).
   */
  finish(totalOutputs = Math.ceil((this.consumed * this.ratioDen) / this.step)): Float32Array {
    if (this.passThrough) {
      const missing = Math.max(0, totalOutputs - this.produced);
      this.produced += missing;
      return new Float32Array(missing);
    }
    // Silence up to the last output's filter support.
    const lastSupport = Math.floor(((totalOutputs - 1) * this.step) / this.ratioDen) + this.half + 2;
    const padding = Math.max(this.half + 1, lastSupport - (this.bufferStart + this.buffered));
    this.reserve(padding).fill(0);
    this.buffered += padding;
    return this.drain(totalOutputs - this.produced);
  }

  /** A writable view for `frames` new input samples at the end of the buffer, compacting or growing it first. */
  protected reserve(frames: number): Float32Array {
    if (this.buffered + frames > this.buffer.length) {
      // Keep only what later outputs still need: from `whole − half + 1` on.
      const keepFrom = Math.max(0, Math.min(this.buffered, this.whole - this.half - this.bufferStart));
      const needed = this.buffered - keepFrom + frames;
      if (needed > this.buffer.length) {
        const grown = new Float32Array(Math.max(needed, 2 * this.buffer.length));
        grown.set(this.buffer.subarray(keepFrom, this.buffered));
        this.buffer = grown;
      } else this.buffer.copyWithin(0, keepFrom, this.buffered);
      this.buffered -= keepFrom;
      this.bufferStart += keepFrom;
    }
    return this.buffer.subarray(this.buffered, this.buffered + frames);
  }

  /** Takes the `frames` samples written into the reserved view and returns the outputs now complete. */
  protected commit(frames: number): Float32Array {
    this.buffered += frames;
    this.consumed += frames;
    if (this.passThrough) {
      const out = this.buffer.slice(this.buffered - frames, this.buffered);
      this.bufferStart += this.buffered;
      this.buffered = 0;
      this.produced += frames;
      return out;
    }
    return this.drain(Number.POSITIVE_INFINITY);
  }

  /** Produces outputs while their whole filter support is buffered, at most `limit`. */
  private drain(limit: number): Float32Array {
    const { table, taps, half, step, ratioDen, phases, buffer, bufferStart } = this;
    const available = bufferStart + this.buffered;
    // At most this many outputs have their support buffered.
    const bound = Math.max(0, Math.min(limit, Math.floor(((available - this.whole) * ratioDen) / step) + 1));
    const out = new Float32Array(bound);
    let count = 0;
    let { whole, remainder } = this;
    while (count < bound) {
      let phase = remainder;
      let first = whole;
      if (phases !== ratioDen) {
        phase = Math.round((remainder * phases) / ratioDen);
        if (phase === phases) {
          phase = 0;
          first++;
        }
      }
      if (first + half >= available) break;
      const start = first - half + 1 - bufferStart;
      const row = phase * taps;
      let sum = 0;
      if (start >= 0) {
        // Two sums (taps is even): independent additions run side by side, a third faster.
        let odd = 0;
        for (let j = 0; j < taps; j += 2) {
          sum += table[row + j]! * buffer[start + j]!;
          odd += table[row + j + 1]! * buffer[start + j + 1]!;
        }
        sum += odd;
      } else for (let j = Math.max(0, -start); j < taps; j++) sum += table[row + j]! * buffer[start + j]!;
      out[count++] = sum;
      remainder += step;
      if (remainder >= ratioDen) {
        whole += Math.floor(remainder / ratioDen);
        remainder %= ratioDen;
      }
    }
    this.whole = whole;
    this.remainder = remainder;
    this.produced += count;
    return out.subarray(0, count);
  }
}

/** Streaming conversion of one channel: push blocks of samples, then `finish`. */
export class Resampler extends PolyphaseResampler {
  push(samples: ArrayLike<number>): Float32Array {
    this.reserve(samples.length).set(samples);
    return this.commit(samples.length);
  }
}

/** Streaming mono mixdown and rate conversion; push interleaved or planar blocks, then `finish`. */
export class MonoDownsampler extends PolyphaseResampler {
  /** Interleaved frames of `channels` channels. */
  push(interleaved: Float32Array, channels: number): Float32Array {
    const frames = Math.floor(interleaved.length / channels);
    const target = this.reserve(frames);
    if (channels === 1) target.set(interleaved.subarray(0, frames));
    else {
      const scale = mixdownGain(channels);
      for (let f = 0, i = 0; f < frames; f++) {
        let sum = 0;
        for (let c = 0; c < channels; c++) sum += interleaved[i++]!;
        target[f] = sum * scale;
      }
    }
    return this.commit(frames);
  }

  /** One array per channel, each `length` samples long (what the WebAssembly decoders return). */
  pushPlanar(channelData: readonly Float32Array[], length: number): Float32Array {
    const target = this.reserve(length);
    const first = channelData[0];
    if (!first || length === 0) return this.commit(0);
    target.set(first.subarray(0, length));
    for (let c = 1; c < channelData.length; c++) {
      const data = channelData[c]!;
      for (let i = 0; i < length; i++) target[i]! += data[i]!;
    }
    if (channelData.length > 1) {
      const scale = mixdownGain(channelData.length);
      for (let i = 0; i < length; i++) target[i]! *= scale;
    }
    return this.commit(length);
  }
}
