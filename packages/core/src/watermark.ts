import { utf8 } from './binary/bytes.js';
import { sm3 } from './binary/digest.js';
import type { AigcLabel } from './label.js';

/**
 * What every invisible watermark (image, video, audio, text) carries, so that a platform can
 * match marks of one generation across modalities: 64 bits of SM3 over ContentProducer and
 * ProduceID (the audio mark carries the first 32 of them). A mark found in a file with a
 * metadata label is checked against that label; one found alone identifies the label in the
 * producer's registry.
 */
export const WATERMARK_PAYLOAD_BITS = 64;

const PAYLOAD_DOMAIN = 'GB45438-watermark-payload/1';

/** The 8-byte payload for a label (the first 64 bits of SM3(domain, producer, id)). */
export function watermarkPayload(label: Pick<AigcLabel, 'ContentProducer' | 'ProduceID'>): Uint8Array {
  return sm3(utf8(`${PAYLOAD_DOMAIN}\0${label.ContentProducer}\0${label.ProduceID}`)).subarray(0, WATERMARK_PAYLOAD_BITS / 8);
}

/**
 * Whether a mark's payload is the label's (or another mark's): equal on their common prefix, so
 * the audio mark's 32 bits match the first 32 of a label's or an image or video mark's 64.
 */
export function samePayload(a: Uint8Array, b: Uint8Array): boolean {
  const common = Math.min(a.length, b.length);
  if (common === 0) return false;
  for (let i = 0; i < common; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The key used when none is given. It is public, so anyone can detect (and, with this
 * toolkit, write) marks under it: it gives interoperability, not secrecy. A private key
 * (`--watermark-key`) keys the embedding positions and patterns so that a party without it
 * can neither find nor overwrite the mark.
 */
export const DEFAULT_WATERMARK_KEY = 'aigc-label public watermark key v1';

/**
 * A 32-byte seed for one use of a key (`domain` names the modality and purpose, e.g.
 * 'image/positions'), so that the same key never yields the same pattern for two purposes.
 */
export function watermarkSeed(key: string | undefined, domain: string): Uint8Array {
  return sm3(utf8(`GB45438-watermark-key/1\0${domain}\0${key ?? DEFAULT_WATERMARK_KEY}`));
}

/**
 * A small, fast deterministic generator (xoshiro128**, Blackman and Vigna 2018) seeded from a
 * watermark seed: keyed positions, permutations and pseudo-noise patterns. Not a CSPRNG; the
 * secrecy of a private key rests on the seed, which SM3 derives.
 */
export class KeyedRandom {
  #s0: number;
  #s1: number;
  #s2: number;
  #s3: number;

  constructor(seed: Uint8Array) {
    const word = (i: number) =>
      ((seed[i] ?? 0) | ((seed[i + 1] ?? 0) << 8) | ((seed[i + 2] ?? 0) << 16) | ((seed[i + 3] ?? 0) << 24)) >>> 0;
    this.#s0 = word(0);
    this.#s1 = word(4);
    this.#s2 = word(8);
    this.#s3 = word(12);
    if ((this.#s0 | this.#s1 | this.#s2 | this.#s3) === 0) this.#s0 = 1; // the all-zero state is a fixed point
  }

  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.#s1, 5), 7), 9) >>> 0;
    const t = this.#s1 << 9;
    this.#s2 ^= this.#s0;
    this.#s3 ^= this.#s1;
    this.#s1 ^= this.#s2;
    this.#s0 ^= this.#s3;
    this.#s2 ^= t;
    this.#s3 = rotl(this.#s3, 11);
    return result;
  }

  /** Uniform in [0, 1). */
  nextFloat(): number {
    return this.nextUint32() / 0x1_0000_0000;
  }

  /** Uniform integer in [0, n). */
  nextInt(n: number): number {
    return Math.floor(this.nextFloat() * n);
  }

  /** +1 or −1 with equal probability: a pseudo-noise chip. */
  nextSign(): 1 | -1 {
    return this.nextUint32() & 1 ? 1 : -1;
  }

  /** A keyed permutation of 0..n-1 (Fisher–Yates). */
  permutation(n: number): Uint32Array {
    const out = new Uint32Array(n);
    for (let i = 0; i < n; i++) out[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.nextInt(i + 1);
      const tmp = out[i] ?? 0;
      out[i] = out[j] ?? 0;
      out[j] = tmp;
    }
    return out;
  }
}

const rotl = (x: number, k: number): number => ((x << k) | (x >>> (32 - k))) >>> 0;

/** The payload's bits, most significant first, as 0/1 values. */
export function payloadBits(payload: Uint8Array): Uint8Array {
  const bits = new Uint8Array(payload.length * 8);
  for (let i = 0; i < bits.length; i++) bits[i] = ((payload[i >> 3] ?? 0) >> (7 - (i & 7))) & 1;
  return bits;
}

/** Bits (0/1, most significant first) back to bytes. */
export function bitsToBytes(bits: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(Math.ceil(bits.length / 8));
  for (let i = 0; i < bits.length; i++) if (bits[i]) out[i >> 3] = (out[i >> 3] ?? 0) | (0x80 >> (i & 7));
  return out;
}
