import { describe, expect, it } from 'vitest';
import {
  bitsToBytes,
  fromHex,
  KeyedRandom,
  payloadBits,
  samePayload,
  sm3,
  toHex,
  utf8,
  watermarkPayload,
  watermarkSeed,
} from '../src/index.js';

describe('sm3', () => {
  it('matches the GB/T 32905-2016 examples', () => {
    expect(toHex(sm3(utf8('abc')))).toBe('66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0');
    expect(toHex(sm3(utf8('abcd'.repeat(16))))).toBe('debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732');
  });

  it('digests parts as one message', () => {
    expect(sm3(utf8('ab'), utf8('c'))).toEqual(sm3(utf8('abc')));
  });

  it('reads hex back and refuses what is not hex', () => {
    expect(fromHex('00ff10')).toEqual(Uint8Array.of(0, 255, 16));
    expect(fromHex('0g')).toBeNull();
    expect(fromHex('abc')).toBeNull();
  });
});

describe('watermark payload and keys', () => {
  const label = { ContentProducer: '001191440300708461136T1XGW3', ProduceID: '0195f3a2-0000-7000-8000-000000000001' };

  it('is 64 bits that depend on the producer and the id', () => {
    const payload = watermarkPayload(label);
    expect(payload).toHaveLength(8);
    expect(watermarkPayload({ ...label, ProduceID: `${label.ProduceID}x` })).not.toEqual(payload);
    expect(watermarkPayload({ ...label, ContentProducer: 'other' })).not.toEqual(payload);
    expect(bitsToBytes(payloadBits(payload))).toEqual(payload);
  });

  it('matches payloads on their common prefix (the audio mark carries 32 of the 64 bits)', () => {
    const payload = watermarkPayload(label);
    const other = watermarkPayload({ ...label, ProduceID: `${label.ProduceID}x` });
    expect(samePayload(payload.subarray(0, 4), payload)).toBe(true);
    expect(samePayload(payload, payload.slice())).toBe(true);
    expect(samePayload(other.subarray(0, 4), payload)).toBe(false);
    expect(samePayload(other, payload)).toBe(false);
    expect(samePayload(new Uint8Array(0), payload)).toBe(false);
  });

  it('gives different seeds per key and per purpose, and the same seed for the same inputs', () => {
    expect(watermarkSeed(undefined, 'image/sync')).toEqual(watermarkSeed(undefined, 'image/sync'));
    expect(watermarkSeed('secret', 'image/sync')).not.toEqual(watermarkSeed(undefined, 'image/sync'));
    expect(watermarkSeed(undefined, 'audio/sync')).not.toEqual(watermarkSeed(undefined, 'image/sync'));
  });

  it('draws a deterministic, roughly uniform sequence and full permutations', () => {
    const a = new KeyedRandom(watermarkSeed('k', 'test'));
    const b = new KeyedRandom(watermarkSeed('k', 'test'));
    const values = Array.from({ length: 10_000 }, () => a.nextFloat());
    expect(values.slice(0, 5)).toEqual(Array.from({ length: 5 }, () => b.nextFloat()));
    const mean = values.reduce((s, v) => s + v, 0) / values.length;
    expect(mean).toBeGreaterThan(0.48);
    expect(mean).toBeLessThan(0.52);
    const permutation = [...new KeyedRandom(watermarkSeed('k', 'p')).permutation(100)];
    expect([...permutation].sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(permutation).not.toEqual(Array.from({ length: 100 }, (_, i) => i));
  });
});
