/**
 * Error correction for the audio watermark: the 64-bit payload gets a CRC-24 (so a decode of
 * noise is rejected with probability 1 − 2⁻²⁴), then a rate-1/3, constraint-length-7
 * convolutional code (the LTE generators 133, 171, 165 octal, 3GPP TS 36.212 §5.1.3.1) with six
 * zero tail bits, decoded by a soft-decision Viterbi decoder.
 *
 * The interface is bits in, bits out, so the image mark can share it; the integrator may move
 * this module to core beside the payload derivation.
 */

/** CRC-24/OPENPGP (RFC 4880 §6.1): polynomial 0x864CFB, initial value 0xB704CE. */
export const CRC_BITS = 24;
const CRC_POLY = 0x864cfb;
const CRC_INIT = 0xb704ce;

/** CRC-24 over bits (0/1, most significant first), returned as 24 bits. */
export function crc24Bits(bits: ArrayLike<number>): Uint8Array {
  let crc = CRC_INIT;
  for (let i = 0; i < bits.length; i++) {
    const top = ((crc >> 23) & 1) ^ (bits[i]! & 1);
    crc = (crc << 1) & 0xffffff;
    if (top) crc ^= CRC_POLY;
  }
  const out = new Uint8Array(CRC_BITS);
  for (let i = 0; i < CRC_BITS; i++) out[i] = (crc >> (CRC_BITS - 1 - i)) & 1;
  return out;
}

const CONSTRAINT = 7;
const STATES = 1 << (CONSTRAINT - 1);
/** Generator polynomials, octal 133, 171, 165; bit 6 taps the newest input bit. */
const GENERATORS = [0o133, 0o171, 0o165] as const;
export const CODE_RATE_INVERSE = GENERATORS.length;
const TAIL = CONSTRAINT - 1;

const parity = (x: number): number => {
  let v = x;
  v ^= v >> 4;
  v ^= v >> 2;
  v ^= v >> 1;
  return v & 1;
};

/** Output bits for (register with the new bit at bit 6), per generator. */
const OUTPUTS = (() => {
  const table = new Uint8Array((1 << CONSTRAINT) * GENERATORS.length);
  for (let register = 0; register < 1 << CONSTRAINT; register++) {
    GENERATORS.forEach((g, j) => {
      table[register * GENERATORS.length + j] = parity(register & g);
    });
  }
  return table;
})();

/** Number of coded bits for `messageBits` message bits (tail included). */
export const codedLength = (messageBits: number): number => (messageBits + TAIL) * CODE_RATE_INVERSE;

/** Convolutional encoding of message bits (0/1), followed by the zero tail. */
export function convolutionalEncode(message: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(codedLength(message.length));
  let state = 0; // the last six input bits, newest at bit 5
  for (let i = 0; i < message.length + TAIL; i++) {
    const bit = i < message.length ? message[i]! & 1 : 0;
    const register = (bit << 6) | state;
    for (let j = 0; j < CODE_RATE_INVERSE; j++) out[i * CODE_RATE_INVERSE + j] = OUTPUTS[register * CODE_RATE_INVERSE + j]!;
    state = register >> 1;
  }
  return out;
}

/**
 * Soft-decision Viterbi decoding. `soft[i] > 0` votes for coded bit 1, `< 0` for 0, with a
 * weight proportional to its reliability (0 is an erasure). Returns the message bits.
 */
export function viterbiDecode(soft: ArrayLike<number>, messageBits: number): Uint8Array {
  const steps = messageBits + TAIL;
  if (soft.length !== steps * CODE_RATE_INVERSE) throw new RangeError(`expected ${steps * CODE_RATE_INVERSE} soft values`);
  let metric = new Float64Array(STATES).fill(Number.NEGATIVE_INFINITY);
  let next = new Float64Array(STATES);
  metric[0] = 0;
  // survivors[step * STATES + state] = the previous state's lowest bit (the bit that left the register)
  const survivors = new Uint8Array(steps * STATES);
  for (let step = 0; step < steps; step++) {
    next.fill(Number.NEGATIVE_INFINITY);
    const base = step * CODE_RATE_INVERSE;
    const inputs = step < messageBits ? 2 : 1; // the tail only shifts in zeros
    for (let state = 0; state < STATES; state++) {
      const m = metric[state]!;
      if (m === Number.NEGATIVE_INFINITY) continue;
      for (let bit = 0; bit < inputs; bit++) {
        const register = (bit << 6) | state;
        let branch = 0;
        for (let j = 0; j < CODE_RATE_INVERSE; j++) {
          const s = soft[base + j]!;
          branch += OUTPUTS[register * CODE_RATE_INVERSE + j] ? s : -s;
        }
        const to = register >> 1;
        const candidate = m + branch;
        if (candidate > next[to]!) {
          next[to] = candidate;
          survivors[step * STATES + to] = state & 1;
        }
      }
    }
    [metric, next] = [next, metric];
  }
  // Trace back from state 0 (the tail brought the encoder there).
  const message = new Uint8Array(messageBits);
  let state = 0;
  for (let step = steps - 1; step >= 0; step--) {
    const newest = (state >> 5) & 1;
    if (step < messageBits) message[step] = newest;
    state = ((state << 1) & (STATES - 1)) | survivors[step * STATES + state]!;
  }
  return message;
}

/** The coded block for a payload: payload ‖ CRC-24, convolutionally encoded. */
export function encodeWithCrc(payloadBits: ArrayLike<number>): Uint8Array {
  const message = new Uint8Array(payloadBits.length + CRC_BITS);
  message.set(Array.from(payloadBits));
  message.set(crc24Bits(payloadBits), payloadBits.length);
  return convolutionalEncode(message);
}

export interface DecodedBlock {
  /** The decoded payload bits (0/1), whether or not the CRC matched. */
  readonly payloadBits: Uint8Array;
  readonly crcOk: boolean;
  /**
   * Normalised correlation of the soft values with the re-encoded codeword, in standard
   * deviations of a random codeword's: how clearly the block was read.
   */
  readonly codewordZ: number;
}

/** Viterbi-decodes a block of soft values and checks its CRC. */
export function decodeWithCrc(soft: ArrayLike<number>, payloadBits: number): DecodedBlock {
  const message = viterbiDecode(soft, payloadBits + CRC_BITS);
  const payload = message.subarray(0, payloadBits);
  const crc = crc24Bits(payload);
  const crcOk = crc.every((bit, i) => bit === message[payloadBits + i]);
  const codeword = convolutionalEncode(message);
  let dot = 0;
  let energy = 0;
  for (let i = 0; i < soft.length; i++) {
    const s = soft[i]!;
    dot += codeword[i] ? s : -s;
    energy += s * s;
  }
  return { payloadBits: payload.slice(), crcOk, codewordZ: energy > 0 ? dot / Math.sqrt(energy) : 0 };
}
