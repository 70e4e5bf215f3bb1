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

  it('an undamaged file has no damaged finding', async () => {
    const read = await matroska.read(bytesSource((await labelBytes(matroska, makeClip('clip.mkv'), label)).bytes));
    expect(read.findings).toEqual([]);
  });
});
