import { appendCrc, CRC24_OPENPGP, crcOfBits, LTE_CONVOLUTIONAL_CODE } from '@aigc-label/core';
import { describe, expect, it } from 'vitest';
import { CRC_BITS, codedLength, decodeWithCrc, encodeWithCrc } from '../../src/watermark/ecc.js';

const bitsOf = (bytes: Uint8Array) => Uint8Array.from({ length: bytes.length * 8 }, (_, i) => (bytes[i >> 3]! >> (7 - (i & 7))) & 1);
const toSoft = (coded: Uint8Array) => Float64Array.from(coded, (b) => (b ? 1 : -1));

/** Deterministic noise for the tests (mulberry32). */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('audio watermark error correction', () => {
  it('frames with the CRC-24/OPENPGP (check value 0x21CF02 for "123456789")', () => {
    expect(crcOfBits(bitsOf(new TextEncoder().encode('123456789')), CRC24_OPENPGP)).toBe(0x21cf02);
    expect(CRC_BITS).toBe(24);
  });

  it('encodes 88 message bits into 282 coded bits and decodes them back', () => {
    const rng = random(1);
    const message = Uint8Array.from({ length: 88 }, () => (rng() < 0.5 ? 1 : 0));
    const coded = LTE_CONVOLUTIONAL_CODE.encode(message);
    expect(coded.length).toBe(codedLength(88));
    expect(coded.length).toBe(282);
    expect(LTE_CONVOLUTIONAL_CODE.decode(toSoft(coded))).toEqual(message);
  });

  it('corrects scattered bit errors and noisy soft values', () => {
    const rng = random(2);
    const payload = Uint8Array.from({ length: 64 }, () => (rng() < 0.5 ? 1 : 0));
    const soft = toSoft(encodeWithCrc(payload));
    for (let i = 5; i < soft.length; i += 23) soft[i] = -soft[i]!; // 12 hard errors
    for (let i = 0; i < soft.length; i++) soft[i]! += 0.8 * (rng() * 2 - 1);
    const decoded = decodeWithCrc(soft, 64);
    expect(decoded.crcOk).toBe(true);
    expect(decoded.payloadBits).toEqual(payload);
    expect(decoded.codeword).toEqual(encodeWithCrc(payload)); // the decisions on every coded bit, errors corrected
  });

  it('takes the most likely message whose CRC matches from the list', () => {
    const rng = random(4);
    const payload = Uint8Array.from({ length: 32 }, () => (rng() < 0.5 ? 1 : 0));
    const sent = appendCrc(payload, CRC24_OPENPGP);
    const other = sent.slice();
    other[40] ^= 1; // one bit of the CRC flipped: no longer a valid message
    // The channel favours the invalid neighbour; the sent message is the runner-up.
    const soft = toSoft(LTE_CONVOLUTIONAL_CODE.encode(other)).map((v, i) => v + 0.5 * toSoft(encodeWithCrc(payload))[i]!);
    expect(decodeWithCrc(soft, 32).crcOk).toBe(false);
    const listed = decodeWithCrc(soft, 32, 5);
    expect(listed.crcOk).toBe(true);
    expect(listed.payloadBits).toEqual(payload);
    expect(listed.codeword).toEqual(encodeWithCrc(payload));
  });

  it('rejects decodes of noise through the CRC, list decoding included', () => {
    const rng = random(3);
    let passed = 0;
    for (let trial = 0; trial < 200; trial++) {
      const soft = Float64Array.from({ length: codedLength(64 + CRC_BITS) }, () => rng() * 2 - 1);
      if (decodeWithCrc(soft, 64, 5).crcOk) passed++;
    }
    expect(passed).toBe(0);
  });
});
