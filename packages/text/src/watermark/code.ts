/**
 * How the text mark encodes its message. The 64-bit payload (core's `watermarkPayload`) and a
 * CRC-16 make an 80-bit message, whitened with a keyed stream (so another key reads noise) and
 * cut into four 20-bit fragments. A cluster carries one fragment: 2 bits of fragment index, the
 * 20 bits, and a 6-bit keyed check, as four supplementary variation selectors (VS17-VS144,
 * U+E0100-U+E017F, 7 bits each). Clusters cycle through the fragments, so any four consecutive
 * clusters hold the whole message.
 */
import { bitsToBytes, KeyedRandom, payloadBits, WATERMARK_PAYLOAD_BITS, watermarkSeed } from '@aigc-label/core';

export const FRAGMENTS = 4;
const FRAGMENT_BITS = 20;
const INDEX_BITS = 2;
const CHECK_BITS = 6;
const SYMBOL_BITS = 7;
export const CLUSTER_SYMBOLS = (INDEX_BITS + FRAGMENT_BITS + CHECK_BITS) / SYMBOL_BITS;
const CRC_BITS = 16;
const MESSAGE_BITS = WATERMARK_PAYLOAD_BITS + CRC_BITS;
/** The first selector used (VS17) and how many (2^7). */
export const FIRST_SELECTOR = 0xe0100;
export const SELECTOR_COUNT = 1 << SYMBOL_BITS;

/** Whether a code point is one of the mark's selectors. */
export const isMarkSelector = (codePoint: number): boolean => codePoint >= FIRST_SELECTOR && codePoint < FIRST_SELECTOR + SELECTOR_COUNT;

/** CRC-16/IBM-3740 (polynomial 0x1021, initial value 0xFFFF) over bits, most significant first. */
function crc16(bits: ArrayLike<number>): number {
  let crc = 0xffff;
  for (let i = 0; i < bits.length; i++) {
    const top = ((crc >> 15) & 1) ^ (bits[i]! & 1);
    crc = (crc << 1) & 0xffff;
    if (top) crc ^= 0x1021;
  }
  return crc;
}

/** The keyed parts of the code: the whitening stream and the secret mixed into each check. */
export class TextMarkKey {
  readonly whitening: Uint8Array;
  private readonly secret: number;

  constructor(key: string | undefined) {
    const random = new KeyedRandom(watermarkSeed(key, 'text/whitening'));
    this.whitening = Uint8Array.from({ length: MESSAGE_BITS }, () => random.nextUint32() & 1);
    this.secret = new KeyedRandom(watermarkSeed(key, 'text/check')).nextUint32();
  }

  /** A 6-bit keyed check of (index, fragment): an integer hash (murmur3's finaliser) of both and the secret. */
  check(index: number, fragment: number): number {
    let h = (this.secret ^ Math.imul(index + 1, 0x9e3779b1) ^ fragment) >>> 0;
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    return (h ^ (h >>> 16)) >>> (32 - CHECK_BITS);
  }
}

/** The four clusters (each a string of four selectors) for a payload under a key. */
export function encodeClusters(payload: Uint8Array, key: TextMarkKey): string[] {
  const bits = new Uint8Array(MESSAGE_BITS);
  bits.set(payloadBits(payload));
  const crc = crc16(bits.subarray(0, WATERMARK_PAYLOAD_BITS));
  for (let i = 0; i < CRC_BITS; i++) bits[WATERMARK_PAYLOAD_BITS + i] = (crc >> (CRC_BITS - 1 - i)) & 1;
  for (let i = 0; i < MESSAGE_BITS; i++) bits[i]! ^= key.whitening[i]!;
  const clusters: string[] = [];
  for (let index = 0; index < FRAGMENTS; index++) {
    let fragment = 0;
    for (let i = 0; i < FRAGMENT_BITS; i++) fragment = (fragment << 1) | bits[index * FRAGMENT_BITS + i]!;
    // 28 bits: index (2), fragment (20), check (6)
    const word = ((index << (FRAGMENT_BITS + CHECK_BITS)) | (fragment << CHECK_BITS) | key.check(index, fragment)) >>> 0;
    let cluster = '';
    for (let s = CLUSTER_SYMBOLS - 1; s >= 0; s--)
      cluster += String.fromCodePoint(FIRST_SELECTOR + ((word >>> (s * SYMBOL_BITS)) & (SELECTOR_COUNT - 1)));
    clusters.push(cluster);
  }
  return clusters;
}

/** Reads one cluster (four selector values, 0-127); null when its keyed check fails. */
export function readCluster(symbols: readonly number[], key: TextMarkKey): { index: number; fragment: number } | null {
  let word = 0;
  for (const symbol of symbols) word = word * SELECTOR_COUNT + symbol;
  const index = Math.floor(word / 2 ** (FRAGMENT_BITS + CHECK_BITS));
  const fragment = Math.floor(word / 2 ** CHECK_BITS) % 2 ** FRAGMENT_BITS;
  const check = word % 2 ** CHECK_BITS;
  return key.check(index, fragment) === check ? { index, fragment } : null;
}

/** Joins one fragment per index into the payload; null when the CRC does not match. */
export function assemblePayload(fragments: readonly number[], key: TextMarkKey): Uint8Array | null {
  const bits = new Uint8Array(MESSAGE_BITS);
  fragments.forEach((fragment, index) => {
    for (let i = 0; i < FRAGMENT_BITS; i++)
      bits[index * FRAGMENT_BITS + i] = ((fragment >>> (FRAGMENT_BITS - 1 - i)) & 1) ^ key.whitening[index * FRAGMENT_BITS + i]!;
  });
  let crc = 0;
  for (let i = 0; i < CRC_BITS; i++) crc = (crc << 1) | bits[WATERMARK_PAYLOAD_BITS + i]!;
  if (crc16(bits.subarray(0, WATERMARK_PAYLOAD_BITS)) !== crc) return null;
  return bitsToBytes(bits.subarray(0, WATERMARK_PAYLOAD_BITS));
}
