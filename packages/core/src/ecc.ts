/**
 * Error control for watermark messages, shared by every modality: a cyclic redundancy check
 * that tells a real message from noise, and a convolutional code with soft-decision Viterbi
 * decoding that corrects the bit errors a channel (re-encoding, resizing, noise) leaves.
 *
 * Messages here are bit arrays (one 0/1 value per element, most significant bit first, as
 * `payloadBits` makes them), because watermark channels carry bits, not bytes.
 */

/** A CRC with a non-reflected (MSB-first) register, in the parameter model of Williams (1993). */
export interface CrcSpec {
  readonly name: string;
  /** Register width in bits, 8 to 32. */
  readonly width: number;
  /** Generator polynomial without its leading term. */
  readonly poly: number;
  readonly init: number;
  readonly xorOut: number;
}

/** CRC-32/MPEG-2 (the IEEE 802.3 polynomial, MSB first, initial value all ones; check value 0x0376E6E7). */
export const CRC32_MPEG2: CrcSpec = { name: 'CRC-32/MPEG-2', width: 32, poly: 0x04c11db7, init: 0xffffffff, xorOut: 0 };

/** CRC-24/OPENPGP (RFC 4880 §6.1: polynomial 0x864CFB, initial value 0xB704CE; check value 0x21CF02). */
export const CRC24_OPENPGP: CrcSpec = { name: 'CRC-24/OPENPGP', width: 24, poly: 0x864cfb, init: 0xb704ce, xorOut: 0 };

/** CRC-16/CCITT-FALSE (ITU-T V.41 polynomial 0x1021, initial value 0xFFFF; check value 0x29B1). */
export const CRC16_CCITT_FALSE: CrcSpec = { name: 'CRC-16/CCITT-FALSE', width: 16, poly: 0x1021, init: 0xffff, xorOut: 0 };

/** CRC-8/SMBUS (polynomial 0x07; check value 0xF4). */
export const CRC8_SMBUS: CrcSpec = { name: 'CRC-8/SMBUS', width: 8, poly: 0x07, init: 0, xorOut: 0 };

/** The CRC of a bit sequence, as an unsigned integer below 2^width. */
export function crcOfBits(bits: ArrayLike<number>, spec: CrcSpec): number {
  const { width } = spec;
  if (!Number.isInteger(width) || width < 8 || width > 32) throw new RangeError(`CRC width ${width} is not 8 to 32`);
  const mask = width === 32 ? 0xffffffff : 2 ** width - 1;
  const top = 2 ** (width - 1);
  let register = (spec.init & mask) >>> 0;
  for (let i = 0; i < bits.length; i++) {
    const feedback = (register >= top ? 1 : 0) ^ (bits[i] ? 1 : 0);
    register = ((register << 1) & mask) >>> 0;
    if (feedback) register = ((register ^ spec.poly) & mask) >>> 0;
  }
  return ((register ^ spec.xorOut) & mask) >>> 0;
}

/** The CRC of bytes (each byte most significant bit first), e.g. to check against published check values. */
export function crcOfBytes(bytes: Uint8Array, spec: CrcSpec): number {
  const bits = new Uint8Array(bytes.length * 8);
  for (let i = 0; i < bits.length; i++) bits[i] = (bytes[i >> 3]! >> (7 - (i & 7))) & 1;
  return crcOfBits(bits, spec);
}

/** `bits` followed by their CRC (width bits, most significant first). */
export function appendCrc(bits: ArrayLike<number>, spec: CrcSpec): Uint8Array {
  const out = new Uint8Array(bits.length + spec.width);
  for (let i = 0; i < bits.length; i++) out[i] = bits[i] ? 1 : 0;
  const crc = crcOfBits(bits, spec);
  for (let i = 0; i < spec.width; i++) out[bits.length + i] = (crc >>> (spec.width - 1 - i)) & 1;
  return out;
}

/**
 * The message part of `bitsWithCrc` when its last `width` bits are the CRC of the rest, else
 * null. For a random input the check passes with probability 2^-width: that figure is what a
 * caller's false-positive bound rests on.
 */
export function checkCrc(bitsWithCrc: ArrayLike<number>, spec: CrcSpec): Uint8Array | null {
  const length = bitsWithCrc.length - spec.width;
  if (length < 0) return null;
  const message = new Uint8Array(length);
  for (let i = 0; i < length; i++) message[i] = bitsWithCrc[i] ? 1 : 0;
  const crc = crcOfBits(message, spec);
  for (let i = 0; i < spec.width; i++) {
    if ((bitsWithCrc[length + i] ? 1 : 0) !== ((crc >>> (spec.width - 1 - i)) & 1)) return null;
  }
  return message;
}

/**
 * A binary convolutional code of rate 1/n, terminated with K−1 zero tail bits, decoded by
 * soft-decision Viterbi (Viterbi 1967; Forney 1973). Soft inputs are log-likelihood-like
 * values: positive means the coded bit is more likely 1, the magnitude is the reliability,
 * 0 is an erasure.
 */
export class ConvolutionalCode {
  readonly rate: number;
  readonly #states: number;
  /** Output bits for each (state, input) pair: outputs[(state << 1) | input] packed as n bits. */
  readonly #outputs: Uint8Array;

  /**
   * @param constraintLength K, 3 to 9.
   * @param generators one polynomial per output bit, in the usual octal notation (e.g. 0o133).
   */
  constructor(
    readonly constraintLength: number,
    readonly generators: readonly number[],
  ) {
    if (!Number.isInteger(constraintLength) || constraintLength < 3 || constraintLength > 9) {
      throw new RangeError(`constraint length ${constraintLength} is not 3 to 9`);
    }
    if (generators.length < 2 || generators.length > 8) throw new RangeError(`a code needs 2 to 8 generators, got ${generators.length}`);
    this.rate = generators.length;
    this.#states = 1 << (constraintLength - 1);
    this.#outputs = new Uint8Array(this.#states * 2);
    for (let state = 0; state < this.#states; state++) {
      for (let input = 0; input < 2; input++) {
        // The shift register holds the newest bit at the top: register = input, then the state bits.
        const register = (input << (constraintLength - 1)) | state;
        let packed = 0;
        generators.forEach((g, k) => {
          packed |= parity(register & g) << k;
        });
        this.#outputs[(state << 1) | input] = packed;
      }
    }
  }

  /** Coded length for a message of `messageBits` bits (the tail included). */
  codedLength(messageBits: number): number {
    return (messageBits + this.constraintLength - 1) * this.rate;
  }

  encode(message: ArrayLike<number>): Uint8Array {
    const steps = message.length + this.constraintLength - 1;
    const out = new Uint8Array(steps * this.rate);
    let state = 0;
    for (let t = 0; t < steps; t++) {
      const input = t < message.length && message[t] ? 1 : 0;
      const packed = this.#outputs[(state << 1) | input]!;
      for (let k = 0; k < this.rate; k++) out[t * this.rate + k] = (packed >> k) & 1;
      state = this.#next(state, input);
    }
    return out;
  }

  /** The most likely message (without the tail) for soft values of a whole coded block. */
  decode(soft: ArrayLike<number>): Uint8Array {
    const steps = soft.length / this.rate;
    const messageBits = steps - (this.constraintLength - 1);
    if (!Number.isInteger(steps) || messageBits < 0)
      throw new RangeError(`${soft.length} soft values are not a terminated block of this code`);
    const states = this.#states;
    let metric = new Float64Array(states).fill(Number.NEGATIVE_INFINITY);
    let nextMetric = new Float64Array(states);
    metric[0] = 0;
    const decisions = new Uint8Array(steps * states); // the input bit of the survivor into each state
    const from = new Uint16Array(steps * states); // and the state it came from
    const branch = new Float64Array(1 << this.rate);
    for (let t = 0; t < steps; t++) {
      this.#branchMetrics(soft, t, branch);
      nextMetric.fill(Number.NEGATIVE_INFINITY);
      const inputs = t < messageBits ? 2 : 1; // the tail is all zeros
      for (let state = 0; state < states; state++) {
        const base = metric[state]!;
        if (base === Number.NEGATIVE_INFINITY) continue;
        for (let input = 0; input < inputs; input++) {
          const next = this.#next(state, input);
          const candidate = base + branch[this.#outputs[(state << 1) | input]!]!;
          if (candidate > nextMetric[next]!) {
            nextMetric[next] = candidate;
            decisions[t * states + next] = input;
            from[t * states + next] = state;
          }
        }
      }
      [metric, nextMetric] = [nextMetric, metric];
    }
    const message = new Uint8Array(messageBits);
    let state = 0; // terminated: the path ends in state 0
    for (let t = steps - 1; t >= 0; t--) {
      if (t < messageBits) message[t] = decisions[t * states + state]!;
      state = from[t * states + state]!;
    }
    return message;
  }

  /**
   * The `size` most likely messages (without the tail) for soft values of a whole coded block,
   * best first, by the parallel list Viterbi algorithm (Seshadri and Sundberg 1994): each state
   * keeps its `size` best paths instead of one. The first equals {@link decode}'s output up to
   * ties. A caller that tests each against a CRC accepts noise `size` times as often.
   */
  decodeList(soft: ArrayLike<number>, size: number): Uint8Array[] {
    const steps = soft.length / this.rate;
    const messageBits = steps - (this.constraintLength - 1);
    if (!Number.isInteger(steps) || messageBits < 0)
      throw new RangeError(`${soft.length} soft values are not a terminated block of this code`);
    if (!Number.isInteger(size) || size < 1 || size > 255) throw new RangeError(`list size ${size} is not 1 to 255`);
    const states = this.#states;
    const top = this.constraintLength - 2; // an input bit enters the state at this bit
    let metric = new Float64Array(states * size).fill(Number.NEGATIVE_INFINITY);
    let nextMetric = new Float64Array(states * size);
    metric[0] = 0;
    // Per step, state and rank: the predecessor's state and rank (the input is the state's top bit).
    const fromState = new Uint16Array(steps * states * size);
    const fromRank = new Uint8Array(steps * states * size);
    const branch = new Float64Array(1 << this.rate);
    for (let t = 0; t < steps; t++) {
      this.#branchMetrics(soft, t, branch);
      nextMetric.fill(Number.NEGATIVE_INFINITY);
      for (let next = 0; next < states; next++) {
        const input = next >> top;
        if (input === 1 && t >= messageBits) continue; // the tail is all zeros
        // The two predecessors' lists are each sorted, best first: merge their heads.
        const a = (next << 1) & (states - 1);
        const b = a | 1;
        const branchA = branch[this.#outputs[(a << 1) | input]!]!;
        const branchB = branch[this.#outputs[(b << 1) | input]!]!;
        let ra = 0;
        let rb = 0;
        for (let rank = 0; rank < size; rank++) {
          const ma = ra < size ? metric[a * size + ra]! + branchA : Number.NEGATIVE_INFINITY;
          const mb = rb < size ? metric[b * size + rb]! + branchB : Number.NEGATIVE_INFINITY;
          if (ma === Number.NEGATIVE_INFINITY && mb === Number.NEGATIVE_INFINITY) break;
          const at = (t * states + next) * size + rank;
          if (ma >= mb) {
            nextMetric[next * size + rank] = ma;
            fromState[at] = a;
            fromRank[at] = ra++;
          } else {
            nextMetric[next * size + rank] = mb;
            fromState[at] = b;
            fromRank[at] = rb++;
          }
        }
      }
      [metric, nextMetric] = [nextMetric, metric];
    }
    const messages: Uint8Array[] = [];
    for (let rank = 0; rank < size && metric[rank] !== Number.NEGATIVE_INFINITY; rank++) {
      const message = new Uint8Array(messageBits);
      let state = 0; // terminated: every path ends in state 0
      let r = rank;
      for (let t = steps - 1; t >= 0; t--) {
        if (t < messageBits) message[t] = state >> top;
        const at = (t * states + state) * size + r;
        state = fromState[at]!;
        r = fromRank[at]!;
      }
      messages.push(message);
    }
    return messages;
  }

  /** Correlation metric of step `t` for every combination of coded bits: the soft values, signed by the bits. */
  #branchMetrics(soft: ArrayLike<number>, t: number, branch: Float64Array): void {
    for (let packed = 0; packed < branch.length; packed++) {
      let m = 0;
      for (let k = 0; k < this.rate; k++) m += (packed >> k) & 1 ? soft[t * this.rate + k]! : -soft[t * this.rate + k]!;
      branch[packed] = m;
    }
  }

  #next(state: number, input: number): number {
    return ((input << (this.constraintLength - 1)) | state) >> 1;
  }
}

function parity(x: number): number {
  let p = 0;
  for (let v = x; v; v &= v - 1) p ^= 1;
  return p;
}

/** The rate-1/3, K = 7 code of 3GPP TS 36.212 §5.1.3.1 (generators 133, 171, 165 octal), here zero-terminated. */
export const LTE_CONVOLUTIONAL_CODE = new ConvolutionalCode(7, [0o133, 0o171, 0o165]);
