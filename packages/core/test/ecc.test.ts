import { describe, expect, it } from 'vitest';
import {
  appendCrc,
  ConvolutionalCode,
  CRC8_SMBUS,
  CRC16_CCITT_FALSE,
  CRC24_OPENPGP,
  CRC32_MPEG2,
  checkCrc,
  crcOfBytes,
  KeyedRandom,
  LTE_CONVOLUTIONAL_CODE,
  utf8,
  watermarkSeed,
} from '../src/index.js';

const random = (name: string) => new KeyedRandom(watermarkSeed('ecc-test', name));
const randomBits = (rng: KeyedRandom, n: number) => Uint8Array.from({ length: n }, () => rng.nextUint32() & 1);

describe('CRC', () => {
  it('matches the published check values (CRC of "123456789")', () => {
    const check = utf8('123456789');
    expect(crcOfBytes(check, CRC32_MPEG2)).toBe(0x0376e6e7);
    expect(crcOfBytes(check, CRC24_OPENPGP)).toBe(0x21cf02);
    expect(crcOfBytes(check, CRC16_CCITT_FALSE)).toBe(0x29b1);
    expect(crcOfBytes(check, CRC8_SMBUS)).toBe(0xf4);
  });

  it('accepts its own output and rejects any single flipped bit', () => {
    const message = randomBits(random('crc'), 64);
    const framed = appendCrc(message, CRC32_MPEG2);
    expect(framed).toHaveLength(96);
    expect(checkCrc(framed, CRC32_MPEG2)).toEqual(message);
    for (let i = 0; i < framed.length; i++) {
      const damaged = framed.slice();
      damaged[i] ^= 1;
      expect(checkCrc(damaged, CRC32_MPEG2)).toBeNull();
    }
  });

  it('passes random words at about the rate 2^-width predicts', () => {
    const rng = random('crc-random');
    let passed = 0;
    const trials = 20_000;
    for (let t = 0; t < trials; t++) if (checkCrc(randomBits(rng, 24), CRC8_SMBUS)) passed++;
    // expected 20000/256 = 78; a binomial 4-sigma band
    expect(passed).toBeGreaterThan(78 - 36);
    expect(passed).toBeLessThan(78 + 36);
  });
});

describe('convolutional code', () => {
  const code = LTE_CONVOLUTIONAL_CODE;

  it('encodes the impulse as the generator taps', () => {
    // a single 1 followed by the tail: output k at step t is bit (K-1-t) of generator k
    const coded = code.encode([1]);
    expect(coded).toHaveLength(code.codedLength(1));
    const taps = [0o133, 0o171, 0o165].map((g) => Array.from({ length: 7 }, (_, t) => (g >> (6 - t)) & 1));
    for (let t = 0; t < 7; t++) for (let k = 0; k < 3; k++) expect(coded[t * 3 + k]).toBe(taps[k]![t]);
  });

  it('decodes clean soft values exactly', () => {
    const message = randomBits(random('clean'), 96);
    const soft = Array.from(code.encode(message), (b) => (b ? 1 : -1));
    expect(code.decode(soft)).toEqual(message);
  });

  it('corrects scattered hard errors and erasures', () => {
    const rng = random('errors');
    const message = randomBits(rng, 96);
    const soft: number[] = Array.from(code.encode(message), (b) => (b ? 1 : -1));
    // flip every 9th coded bit (11%) and erase every 7th
    for (let i = 0; i < soft.length; i++) {
      if (i % 9 === 4) soft[i] = -soft[i]!;
      else if (i % 7 === 3) soft[i] = 0;
    }
    expect(code.decode(soft)).toEqual(message);
  });

  it('recovers messages through Gaussian noise at 0 dB per coded bit', () => {
    const rng = random('awgn');
    const gaussian = () => Math.sqrt(-2 * Math.log(1 - rng.nextFloat())) * Math.cos(2 * Math.PI * rng.nextFloat());
    let wrongBits = 0;
    let rawErrors = 0;
    for (let trial = 0; trial < 20; trial++) {
      const message = randomBits(rng, 96);
      const soft = Array.from(code.encode(message), (b) => (b ? 1 : -1) + gaussian());
      rawErrors += soft.filter((v, i) => v > 0 !== (code.encode(message)[i] === 1)).length;
      const decoded = code.decode(soft);
      for (let i = 0; i < 96; i++) if (decoded[i] !== message[i]) wrongBits++;
    }
    expect(rawErrors / (20 * code.codedLength(96))).toBeGreaterThan(0.12); // the channel really is noisy (Q(1) = 16%)
    expect(wrongBits).toBeLessThan(20); // and the decoder cleans it up to well under 1% bit errors
  });

  it('lists the most likely messages best first, the first being the Viterbi decision', () => {
    const rng = random('list');
    const gaussian = () => Math.sqrt(-2 * Math.log(1 - rng.nextFloat())) * Math.cos(2 * Math.PI * rng.nextFloat());
    const metric = (soft: number[], message: Uint8Array) =>
      code.encode(message).reduce((sum, bit, i) => sum + (bit ? soft[i]! : -soft[i]!), 0);
    let foundLater = 0;
    for (let trial = 0; trial < 40; trial++) {
      const message = randomBits(rng, 48);
      const soft = Array.from(code.encode(message), (b) => (b ? 1 : -1) + 1.4 * gaussian());
      const list = code.decodeList(soft, 8);
      expect(list).toHaveLength(8);
      expect(list[0]).toEqual(code.decode(soft));
      expect(new Set(list.map((m) => m.join(''))).size).toBe(8);
      for (let r = 1; r < list.length; r++) expect(metric(soft, list[r]!)).toBeLessThanOrEqual(metric(soft, list[r - 1]!) + 1e-9);
      const rank = list.findIndex((m) => m.every((bit, i) => bit === message[i]));
      if (rank > 0) foundLater++;
    }
    // at this noise (raw errors about 24%) the sent message is sometimes second or later
    expect(foundLater).toBeGreaterThan(0);
  });

  it('refuses blocks that are not a whole terminated code word, and bad parameters', () => {
    expect(() => code.decode(new Float64Array(10))).toThrow(RangeError);
    expect(() => code.decodeList(new Float64Array(10), 4)).toThrow(RangeError);
    expect(() => code.decodeList(new Float64Array(code.codedLength(8)), 0)).toThrow(RangeError);
    expect(() => new ConvolutionalCode(2, [1, 3])).toThrow(RangeError);
    expect(() => new ConvolutionalCode(5, [0o23])).toThrow(RangeError);
  });
});
