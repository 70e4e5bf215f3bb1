import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bytesSource, concat, planSource, sm3, toHex } from '@aigc-label/core';
import { afterAll, describe, expect, it } from 'vitest';
import { withTool } from '../../../test/oracles.js';
import { digestRegions, wholeFile } from '../src/index.js';
import { randomContent } from './helpers.js';

const file = randomContent(300_000);
const ranges = [
  { from: 0, length: 1000 },
  { from: 1000, length: 0 },
  { from: 5000, length: 150_000 },
  { from: 200_001, length: 99_999 },
];
const expected = sm3(...ranges.map(({ from, length }) => file.subarray(from, from + length)));
const scheme = 'test/ranges@1';

describe('digestRegions', () => {
  it('is SM3 of the concatenated ranges, whatever the chunk size and source kind', async () => {
    const plain = bytesSource(file);
    // planSource has readInto, so this runs the double-buffered path.
    const withReadInto = planSource({ segments: [{ from: 0, length: file.length }] }, plain);
    for (const chunk of [1, 7, 4096, 65_536, 1 << 20]) {
      expect(toHex(await digestRegions(plain, { scheme, ranges }, chunk))).toBe(toHex(expected));
      expect(toHex(await digestRegions(withReadInto, { scheme, ranges }, chunk))).toBe(toHex(expected));
    }
    expect(await digestRegions(plain, wholeFile(plain))).toEqual(sm3(file));
    expect(await digestRegions(plain, { scheme, ranges: [] })).toEqual(sm3());
  });

  it('changes when a byte inside a region changes, not when one outside does', async () => {
    const inside = file.slice();
    inside[6000] ^= 1;
    const outside = file.slice();
    outside[160_000] ^= 1;
    expect(await digestRegions(bytesSource(inside), { scheme, ranges })).not.toEqual(expected);
    expect(await digestRegions(bytesSource(outside), { scheme, ranges })).toEqual(expected);
  });

  it('refuses bad region lists and scheme ids', async () => {
    const source = bytesSource(file);
    await expect(
      digestRegions(source, {
        scheme,
        ranges: [
          { from: 10, length: 5 },
          { from: 12, length: 5 },
        ],
      }),
    ).rejects.toThrow(RangeError);
    await expect(digestRegions(source, { scheme, ranges: [{ from: 299_999, length: 2 }] })).rejects.toThrow(/past the end of the file/);
    await expect(digestRegions(source, { scheme: 'has space', ranges })).rejects.toThrow(/not a valid scheme id/);
    await expect(digestRegions(source, { scheme: 'quote"', ranges })).rejects.toThrow(/not a valid scheme id/);
  });

  it('fails on a source that returns fewer bytes than asked', async () => {
    const short = { size: file.length, read: async (offset: number, length: number) => file.subarray(offset, offset + length - 1) };
    await expect(digestRegions(short, { scheme, ranges })).rejects.toThrow(/truncated/);
  });

  const dir = mkdtempSync(join(tmpdir(), 'aigc-binding-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  withTool('openssl')('agrees with openssl dgst -sm3 over the same bytes', async () => {
    const path = join(dir, 'regions.bin');
    writeFileSync(path, concat(ranges.map(({ from, length }) => file.subarray(from, from + length))));
    const out = execFileSync('openssl', ['dgst', '-sm3', '-r', path]).toString();
    expect(out.split(' ')[0]).toBe(toHex(await digestRegions(bytesSource(file), { scheme, ranges })));
  });
});
