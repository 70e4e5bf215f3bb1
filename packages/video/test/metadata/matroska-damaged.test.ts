/**
 * Salvage reading of damaged Matroska/WebM files (issue 25 item 2): the Tags that hold the label
 * are intact, the Segment around them is not. Reading finds the label with a `format/damaged`
 * finding; writing still refuses with a MalformedInputError.
 */
import { bytesSource, concat, ebml, encodeBare, labelBytes, MalformedInputError } from '@aigc-label/core';
import { describe, expect, it } from 'vitest';
import { sampleLabel } from '../../../../test/handler-contract.js';
import { matroska } from '../../src/matroska/index.js';
import { makeClip } from './clips.js';

const SEGMENT = 0x18538067;
const CLUSTER = 0x1f43b675;
const TAGS = 0x1254c367;
const label = sampleLabel();

function layout(bytes: Uint8Array) {
  const header = ebml.parseElementHeader(bytes, 0, 0, bytes.length);
  const segment = ebml.parseElementHeader(bytes, header.end, header.end, bytes.length);
  return { header, segment, children: ebml.listElementsIn(bytes, segment.dataOffset, segment.end) };
}

const simpleTag = (name: string, value: string) =>
  ebml.makeElement(0x67c8, [ebml.stringElement(0x45a3, name), ebml.stringElement(0x4487, value)]);
const tag = (...simple: Uint8Array[]) => ebml.makeElement(0x7373, [ebml.makeElement(0x63c0, new Uint8Array(0)), ...simple]);

const damages: Record<string, (file: Uint8Array) => Uint8Array> = {
  'a Segment size a few bytes too large': (file) => {
    const { segment } = layout(file);
    const out = file.slice();
    out.set(ebml.encodeVint(segment.size + 5, segment.headerSize - 4), segment.offset + 4);
    return out;
  },
  'a partial upload (cut inside a Cluster)': (file) => {
    const cluster = layout(file).children.find((c) => c.id === CLUSTER) as ebml.EbmlElement;
    return file.subarray(0, cluster.offset + 100);
  },
  'a broken element ID where the first Cluster starts': (file) => {
    const cluster = layout(file).children.find((c) => c.id === CLUSTER) as ebml.EbmlElement;
    const out = file.slice();
    out.fill(0, cluster.offset, cluster.offset + 4);
    return out;
  },
};

describe('matroska salvage reading (issue 25)', () => {
  for (const kind of ['clip.mkv', 'clip.webm'] as const) {
    for (const [name, damage] of Object.entries(damages)) {
      it(`${kind}, ${name}: reads the label with a damaged finding; writing refuses`, async () => {
        const file = damage((await labelBytes(matroska, makeClip(kind), label)).bytes);
        const read = await matroska.read(bytesSource(file));
        expect(read.carriers.map((c) => c.label)).toEqual([label]);
        expect(read.findings.filter((f) => f.rule === 'format/damaged').length).toBeGreaterThan(0);
        await expect(matroska.write(bytesSource(file), label)).rejects.toBeInstanceOf(MalformedInputError);
      });
    }
  }

  it('a Tags element cut short: the complete Tag before the cut is read', async () => {
    const clip = makeClip('clip.webm');
    const { header, children } = layout(clip);
    const info = children.find((c) => c.id === 0x1549a966) as ebml.EbmlElement;
    const tags = ebml.makeElement(TAGS, [tag(simpleTag('AIGC', encodeBare(label))), tag(simpleTag('COMMENT', 'x'.repeat(500)))]);
    const segmentBody = concat([clip.subarray(info.offset, info.end), tags]);
    const file = concat([
      clip.subarray(0, header.end),
      ebml.encodeElementId(SEGMENT),
      ebml.encodeVint(segmentBody.length, 8),
      segmentBody,
    ]).subarray(0, -200);
    const read = await matroska.read(bytesSource(file));
    expect(read.carriers.map((c) => c.label)).toEqual([label]);
    expect(read.findings.map((f) => f.message).join('\n')).toMatch(/Tags element at offset \d+ declares/);
    await expect(matroska.write(bytesSource(file), label)).rejects.toBeInstanceOf(MalformedInputError);
  });

  it('an AIGC SimpleTag without a value is reported as an empty carrier', async () => {
    const clip = makeClip('clip.webm');
    const { header, children } = layout(clip);
    const info = children.find((c) => c.id === 0x1549a966) as ebml.EbmlElement;
    const empty = ebml.makeElement(0x67c8, ebml.stringElement(0x45a3, 'AIGC'));
    const body = concat([clip.subarray(info.offset, info.end), ebml.makeElement(TAGS, tag(empty))]);
    const file = concat([clip.subarray(0, header.end), ebml.encodeElementId(SEGMENT), ebml.encodeVint(body.length, 8), body]);
    const read = await matroska.read(bytesSource(file));
    expect(read.carriers.map((c) => c.label)).toEqual([null]);
    expect(read.carriers[0]?.findings.map((f) => f.rule)).toContain('carrier/empty');
  });

  /** `file` with `extra` spliced in at `at` and the Segment size grown to match (nothing else updated, as the damage study does). */
  const inserted = (file: Uint8Array, at: number, extra: Uint8Array): Uint8Array => {
    const { segment } = layout(file);
    const out = concat([file.subarray(0, at), extra, file.subarray(at)]);
    out.set(ebml.encodeVint(segment.size + extra.length, segment.headerSize - 4), segment.offset + 4);
    return out;
  };
  const voidOf32 = concat([Uint8Array.of(0xec, 0x80 | 30), Uint8Array.from({ length: 30 }, (_, i) => (i * 131 + 7) & 0xff)]);

  for (const kind of ['clip.mkv', 'clip.webm'] as const) {
    it(`${kind}, a Void inserted inside the first level-1 element (its size not grown): the walk resynchronises on the next level-1 ID`, async () => {
      const file = (await labelBytes(matroska, makeClip(kind), label)).bytes;
      const first = layout(file).children[0] as ebml.EbmlElement;
      const damaged = inserted(file, first.dataOffset, voidOf32);
      const read = await matroska.read(bytesSource(damaged));
      expect(read.carriers.map((c) => c.label)).toEqual([label]);
      expect(read.findings.map((f) => `${f.rule} ${f.severity}`)).toContain('format/damaged error');
      expect(read.findings.map((f) => f.message).join('\n')).toMatch(/the walk resumed at the next level-1 element, at offset \d+/);
    });

    it(`${kind}, bytes that are no element before the Tags: skipped to the Tags`, async () => {
      const file = (await labelBytes(matroska, makeClip(kind), label)).bytes;
      const tags = layout(file).children.find((c) => c.id === TAGS) as ebml.EbmlElement;
      const damaged = inserted(file, tags.offset, new Uint8Array(40));
      const read = await matroska.read(bytesSource(damaged));
      expect(read.carriers.map((c) => c.label)).toEqual([label]);
      expect(read.findings.map((f) => f.message)).toEqual([
        `invalid EBML element ID at offset ${tags.offset}; the walk resumed at the next level-1 element, at offset ${tags.offset + 40}`,
      ]);
      await expect(matroska.write(bytesSource(damaged), label)).rejects.toBeInstanceOf(MalformedInputError);
    });
  }

  it('a Tags ID met by chance inside other data is not taken for the Tags element', async () => {
    // A SeekHead's Seek names the Tags ID (12 54 C3 67) in its SeekID: a resynchronisation must not stop there.
    const file = (await labelBytes(matroska, makeClip('clip.mkv'), label)).bytes;
    const { children } = layout(file);
    const seekHead = children.find((c) => c.id === 0x114d9b74);
    expect(seekHead).toBeDefined();
    const idInSeek = file
      .subarray(0, (seekHead as ebml.EbmlElement).end)
      .findIndex((_, i) => file[i] === 0x12 && file[i + 1] === 0x54 && file[i + 2] === 0xc3 && file[i + 3] === 0x67);
    expect(idInSeek).toBeGreaterThan(0);
    const damaged = inserted(file, idInSeek, voidOf32);
    const read = await matroska.read(bytesSource(damaged));
    expect(read.carriers.map((c) => c.label)).toEqual([label]);
  });

  it('an element of unknown size inside Tags keeps its bytes and extent; the new Tag goes before it (fuzz finding, issue 15)', async () => {
    const clip = makeClip('clip.webm');
    const { header, children } = layout(clip);
    const info = children.find((c) => c.id === 0x1549a966) as ebml.EbmlElement;
    // A Void of unknown size (0xEC 0xFF) runs to the end of its Tags: a Tag placed after it would be inside it.
    const unknown = concat([Uint8Array.of(0xec, 0xff), new Uint8Array(6)]);
    const body = concat([clip.subarray(info.offset, info.end), ebml.makeElement(TAGS, unknown)]);
    const file = concat([clip.subarray(0, header.end), ebml.encodeElementId(SEGMENT), ebml.encodeVint(body.length, 8), body]);
    const { bytes } = await labelBytes(matroska, file, label);
    expect((await matroska.read(bytesSource(bytes))).carriers.map((c) => c.label)).toEqual([label]);
    const tags = layout(bytes).children.find((c) => c.id === TAGS) as ebml.EbmlElement;
    expect(bytes.subarray(tags.end - unknown.length, tags.end)).toEqual(unknown);
  });

  it('refuses to write when an element at the Segment level is no level-1 element (the reader resynchronises there)', async () => {
    const file = (await labelBytes(matroska, makeClip('clip.mkv'), label)).bytes;
    const stray = ebml.stringElement(0x45a3, 'X');
    const first = layout(file).children[0] as ebml.EbmlElement;
    const { segment } = layout(file);
    const damaged = concat([file.subarray(0, first.offset), stray, file.subarray(first.offset)]);
    damaged.set(ebml.encodeVint(segment.size + stray.length, segment.headerSize - 4), segment.offset + 4);
    await expect(matroska.write(bytesSource(damaged), label)).rejects.toThrow(/element 0x45A3 at offset \d+ is not a level-1 element/);
    expect((await matroska.read(bytesSource(damaged))).carriers.map((c) => c.label)).toEqual([label]);
  });

  it('an undamaged file has no damaged finding', async () => {
    const read = await matroska.read(bytesSource((await labelBytes(matroska, makeClip('clip.mkv'), label)).bytes));
    expect(read.findings).toEqual([]);
  });
});
