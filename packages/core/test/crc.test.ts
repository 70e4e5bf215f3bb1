import { describe, expect, it } from 'vitest';
import { crc8Smbus, crc16Arc, crc16Umts } from '../src/binary/crc.js';
import { CRC8_SMBUS, crcOfBytes } from '../src/ecc.js';

const check = Uint8Array.from('123456789', (c) => c.charCodeAt(0));

describe('byte CRCs', () => {
  it('give the catalogue check values', () => {
    expect(crc16Arc(check)).toBe(0xbb3d);
    expect(crc16Umts(check)).toBe(0xfee8);
    expect(crc8Smbus(check)).toBe(0xf4);
    expect(crc8Smbus(check)).toBe(crcOfBytes(check, CRC8_SMBUS));
  });

  it('continue from a previous value, over a range', () => {
    for (const cut of [0, 1, 4, 9]) {
      expect(crc16Umts(check, crc16Umts(check.subarray(0, cut)), cut)).toBe(0xfee8);
      expect(crc8Smbus(check, crc8Smbus(check, 0, 0, cut), cut)).toBe(0xf4);
      expect(crc16Arc(check.subarray(cut), crc16Arc(check.subarray(0, cut)))).toBe(0xbb3d);
    }
  });

  it('CRC-16/UMTS folds eight bytes a step as the bitwise definition does', () => {
    const bytes = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7919 + (i >> 3) * 31) & 0xff);
    const spec = { name: 'CRC-16/UMTS', width: 16, poly: 0x8005, init: 0, xorOut: 0 };
    for (const length of [0, 7, 8, 9, 63, 1000])
      expect(crc16Umts(bytes.subarray(0, length))).toBe(crcOfBytes(bytes.subarray(0, length), spec));
  });

  it('are 0 over a message followed by its MSB-first CRC', () => {
    const framed = new Uint8Array([...check, 0xfe, 0xe8]);
    expect(crc16Umts(framed)).toBe(0);
  });
});
