import { crc32 as zlibCrc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { crc32, tableCrc32 } from '../src/binary/bytes.js';

describe('crc32', () => {
  it('matches zlib on every length around the 8-byte steps, at any alignment', () => {
    let seed = 7;
    const bytes = Uint8Array.from({ length: 4099 }, () => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed >>> 24;
    });
    for (const start of [0, 1, 3, 7]) {
      for (const length of [0, 1, 7, 8, 9, 15, 16, 17, 63, 64, 65, 1000, 4092]) {
        const part = bytes.subarray(start, start + length);
        expect(crc32(part), `start ${start}, length ${length}`).toBe(zlibCrc32(part));
        expect(tableCrc32(part), `table, start ${start}, length ${length}`).toBe(zlibCrc32(part));
      }
    }
  });

  it('continues from a previous value as zlib does', () => {
    const text = new TextEncoder().encode('IHDR and IDAT and IEND, split anywhere');
    for (const cut of [0, 5, 8, 13, text.length]) {
      expect(crc32(text.subarray(cut), crc32(text.subarray(0, cut)))).toBe(zlibCrc32(text));
      expect(tableCrc32(text.subarray(cut), tableCrc32(text.subarray(0, cut)))).toBe(zlibCrc32(text));
    }
    const long = Uint8Array.from({ length: 5000 }, (_, i) => (i * 31) & 0xff);
    expect(crc32(long.subarray(1000), crc32(long.subarray(0, 1000)))).toBe(tableCrc32(long));
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926); // the CRC-32 check value
  });
});
