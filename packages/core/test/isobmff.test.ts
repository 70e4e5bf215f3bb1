import { describe, expect, it } from 'vitest';
import { u32be } from '../src/binary/bytes.js';
import {
  chunkOffsetBox,
  firstSamples,
  makeBox,
  parseBoxHeader,
  readSampleTable,
  stscBox,
  stszBox,
  sttsBox,
} from '../src/containers/isobmff.js';

/** An stbl of 10 samples in chunks of 4, 4 and 2 (the last run's chunk listed twice over by stsc's runs). */
function sampleTable(sizes: number[] = [5, 6, 7, 8, 9, 10, 11, 12, 13, 14]) {
  const stbl = makeBox('stbl', [
    sttsBox(sizes.map(() => 512)),
    stszBox(sizes),
    stscBox([
      { firstChunk: 1, samplesPerChunk: 4, descriptionIndex: 1 },
      { firstChunk: 3, samplesPerChunk: 2, descriptionIndex: 1 },
    ]),
    chunkOffsetBox([1000, 2000, 3000]),
  ]);
  return { bytes: stbl, box: parseBoxHeader(stbl, 0, 0, stbl.length, 'mp4') };
}

describe('firstSamples: the first samples a sample table locates, tolerantly', () => {
  it('locates the samples as readSampleTable does, up to the count and byte limits', () => {
    const { bytes, box } = sampleTable();
    const table = readSampleTable(bytes, box, 'mp4');
    const all = Array.from(table.offsets, (offset, i) => ({ offset, size: table.sizes[i]! }));
    expect(all.map((s) => s.offset)).toEqual([1000, 1005, 1011, 1018, 2000, 2009, 2019, 2030, 3000, 3013]);
    expect(firstSamples(bytes, box, 'mp4', 60, 1 << 20)).toEqual(all);
    expect(firstSamples(bytes, box, 'mp4', 3, 1 << 20)).toEqual(all.slice(0, 3));
    expect(firstSamples(bytes, box, 'mp4', 60, 5 + 6 + 7)).toEqual(all.slice(0, 3));
  });

  it('keeps what a damaged table still locates, where readSampleTable refuses it', () => {
    const { bytes, box } = sampleTable();
    // stsz claims 1,000 sizes but holds 10: the strict reader refuses, the tolerant one reads the 10.
    const at = findBox(bytes, 'stsz');
    const damaged = bytes.slice();
    new DataView(damaged.buffer).setUint32(at + 16, 1000);
    expect(() => readSampleTable(damaged, box, 'mp4')).toThrow(/declares 1000 entries/);
    expect(firstSamples(damaged, box, 'mp4', 60, 1 << 20)).toHaveLength(10);
    // A chunk table cut short: the samples of the chunks it still lists.
    const stco = findBox(bytes, 'stco');
    const cut = bytes.slice();
    new DataView(cut.buffer).setUint32(stco + 12, 2);
    expect(firstSamples(cut, box, 'mp4', 60, 1 << 20).map((s) => s.offset)).toEqual([1000, 1005, 1011, 1018, 2000, 2009, 2019, 2030]);
    // Missing boxes or a truncated stsz header: nothing, never an error.
    const noChunks = makeBox('stbl', [stszBox([1, 2])]);
    expect(firstSamples(noChunks, parseBoxHeader(noChunks, 0, 0, noChunks.length, 'mp4'), 'mp4', 60, 1 << 20)).toEqual([]);
  });
});

function findBox(bytes: Uint8Array, type: string): number {
  for (let at = 8; at + 8 <= bytes.length; at += u32be(bytes, at)) {
    if (String.fromCharCode(...bytes.subarray(at + 4, at + 8)) === type) return at;
  }
  throw new Error(`no ${type} box`);
}
