/**
 * FLV as other tools leave it (issue 25 item 2): onMetaData after an unknown tag or at the end of
 * the file is still read (and written in place), and a damaged file is read with a
 * `format/damaged` finding while writing refuses.
 */
import { bytesSource, concat, labelBytes, MalformedInputError, putU24be, putU32be, u24be } from '@aigc-label/core';
import { describe, expect, it } from 'vitest';
import { sampleLabel } from '../../../../test/handler-contract.js';
import { flv } from '../../src/flv/index.js';
import { makeClip } from './clips.js';

const label = sampleLabel();
const labeled = async () => (await labelBytes(flv, makeClip('clip.flv'), label)).bytes;

/** The 13-byte FLV header (with PreviousTagSize0) and each tag with its PreviousTagSize. */
function split(bytes: Uint8Array): { head: Uint8Array; tags: Uint8Array[] } {
  const tags: Uint8Array[] = [];
  for (let at = 13; at < bytes.length; ) {
    const end = at + 11 + u24be(bytes, at + 1) + 4;
    tags.push(bytes.subarray(at, end));
    at = end;
  }
  return { head: bytes.subarray(0, 13), tags };
}

/** A tag of a type no FLV reader knows, holding `size` bytes. */
function unknownTag(size: number): Uint8Array {
  const tag = new Uint8Array(11 + size + 4);
  tag[0] = 0x0f;
  putU24be(tag, 1, size);
  putU32be(tag, 11 + size, 11 + size);
  return tag;
}

const isMetadata = (tag: Uint8Array) => tag[0] === 18;

describe('flv: onMetaData wherever it is (issue 25)', () => {
  for (const size of [32, 5 * 1024 * 1024]) {
    it(`reads and rewrites the label after an unknown tag of ${size} bytes`, async () => {
      const { head, tags } = split(await labeled());
      const file = concat([head, unknownTag(size), ...tags]);
      const first = await flv.read(bytesSource(file));
      expect(first.carriers.map((c) => c.label)).toEqual([label]);
      // Walked past and named, so the oddity is visible (the label still counts).
      expect(first.findings.map((f) => `${f.rule} ${f.severity} ${f.message}`)).toEqual([
        'format/damaged warning a tag at byte 13 of the unknown type 15 (not audio, video or script data), skipped by its size',
      ]);
      const next = sampleLabel({ ProduceID: 'again', PropagateID: 'again' });
      const { bytes } = await labelBytes(flv, file, next);
      const read = await flv.read(bytesSource(bytes));
      expect(read.carriers.map((c) => c.label)).toEqual([next]);
      expect(split(bytes).tags.filter(isMetadata)).toHaveLength(1);
      // Everything before onMetaData is the input's bytes (compared in one pass: a deep equal of 5 MiB is slow).
      const before = 13 + 15 + size;
      expect(bytes.subarray(0, before).every((b, i) => b === file[i])).toBe(true);
    });
  }

  it('counts many unknown tags in one finding', async () => {
    const { head, tags } = split(await labeled());
    const file = concat([head, unknownTag(4), unknownTag(4), unknownTag(4), ...tags]);
    const read = await flv.read(bytesSource(file));
    expect(read.carriers.map((c) => c.label)).toEqual([label]);
    expect(read.findings.map((f) => f.message)).toEqual([
      '3 tags, the first at byte 13 of the unknown type 15 (not audio, video or script data), skipped by its size',
    ]);
  });

  it('reads the label from an onMetaData tag at the end of the file', async () => {
    const { head, tags } = split(await labeled());
    const file = concat([head, ...tags.filter((t) => !isMetadata(t)), ...tags.filter(isMetadata)]);
    const read = await flv.read(bytesSource(file));
    expect(read.carriers.map((c) => c.label)).toEqual([label]);
    expect(read.findings).toEqual([]);
  });

  it('reads both onMetaData tags of a doubled file, and refuses to write into it', async () => {
    const { head, tags } = split(await labeled());
    const file = concat([head, ...tags, ...tags.filter(isMetadata)]);
    const read = await flv.read(bytesSource(file));
    expect(read.carriers.map((c) => c.label)).toEqual([label, label]);
    await expect(flv.write(bytesSource(file), label)).rejects.toThrow(/2 onMetaData tags/);
  });

  for (const [name, damage] of [
    ['a partial upload (cut inside a media tag)', (file: Uint8Array) => file.subarray(0, file.length - 300)],
    ['5 bytes of garbage appended', (file: Uint8Array) => concat([file, Uint8Array.of(1, 2, 3, 4, 5)])],
  ] as const) {
    it(`${name}: reads the label with a damaged finding; writing refuses`, async () => {
      const file = damage(await labeled());
      const read = await flv.read(bytesSource(file));
      expect(read.carriers.map((c) => c.label)).toEqual([label]);
      expect(read.findings.filter((f) => f.rule === 'format/damaged' && f.severity === 'error')).toHaveLength(1);
      await expect(flv.write(bytesSource(file), label)).rejects.toBeInstanceOf(MalformedInputError);
    });
  }
});
