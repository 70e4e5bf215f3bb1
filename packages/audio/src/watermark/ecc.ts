/**
 * The audio mark's message framing on core's shared error control (`@aigc-label/core` ecc):
 * the 32-bit payload gets a CRC-24/OPENPGP (so a decode of noise is rejected with probability
 * 1 − 2⁻²⁴), then the rate-1/3, K = 7 LTE convolutional code (3GPP TS 36.212 §5.1.3.1) with six
 * zero tail bits, decoded by soft-decision (list) Viterbi.
 */
import { appendCrc, CRC24_OPENPGP, checkCrc, LTE_CONVOLUTIONAL_CODE } from '@aigc-label/core';

const CRC = CRC24_OPENPGP;
const CODE = LTE_CONVOLUTIONAL_CODE;
export const CRC_BITS = CRC.width;

/** Number of coded bits for `messageBits` message bits (tail included). */
export const codedLength = (messageBits: number): number => CODE.codedLength(messageBits);

/** The coded block for a payload: payload ‖ CRC-24, convolutionally encoded. */
export function encodeWithCrc(payloadBits: ArrayLike<number>): Uint8Array {
  return CODE.encode(appendCrc(payloadBits, CRC));
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
  /** The decoded message re-encoded (0/1 per coded bit): the detector's decisions on every coded bit. */
  readonly codeword: Uint8Array;
}

/**
 * Decodes a block of soft values and checks its CRC: the `listSize` most likely messages (list
 * Viterbi, core's `decodeList`) are tried best first and the first whose CRC matches is taken,
 * else the most likely. Each message tried passes its CRC-24 by chance with probability 2⁻²⁴.
 */
export function decodeWithCrc(soft: ArrayLike<number>, payloadBits: number, listSize = 1): DecodedBlock {
  if (soft.length !== codedLength(payloadBits + CRC_BITS))
    throw new RangeError(`expected ${codedLength(payloadBits + CRC_BITS)} soft values`);
  const messages = CODE.decodeList(soft, listSize);
  const message = messages.find((m) => checkCrc(m, CRC) !== null) ?? messages[0]!;
  const crcOk = checkCrc(message, CRC) !== null;
  const codeword = CODE.encode(message);
  let dot = 0;
  let energy = 0;
  for (let i = 0; i < soft.length; i++) {
    const s = soft[i]!;
    dot += codeword[i] ? s : -s;
    energy += s * s;
  }
  return {
    payloadBits: message.slice(0, payloadBits),
    crcOk,
    codewordZ: energy > 0 ? dot / Math.sqrt(energy) : 0,
    codeword,
  };
}
