import { bytesSource, ebml, materialize } from '@aigc-label/core';
import { describe, expect, it } from 'vitest';
import { Id, readLayout } from '../../src/matroska/layout.js';
import { planMatroskaAvcParameterSets } from '../../src/matroska/parameter-sets.js';

const SPS0 = Uint8Array.of(0x67, 0x64, 0x00, 0x1e, 0xac, 0xd9);
const PPS0 = Uint8Array.of(0x68, 0xeb, 0xe3);
const SPS1 = Uint8Array.of(0x67, 0x64, 0x00, 0x1e, 0x4b, 0x36);
const PPS1 = Uint8Array.of(0x68, 0x4a, 0xbe);
const record = (sps: Uint8Array[], pps: Uint8Array[]) =>
  Uint8Array.of(
    1,
    0x64,
    0,
    0x1e,
    0xff,
    0xe0 | sps.length,
    ...sps.flatMap((u) => [0, u.length, ...u]),
    pps.length,
    ...pps.flatMap((u) => [0, u.length, ...u]),
  );

const e = ebml.makeElement;
const SEEK_HEAD_ROOM = 40;

/** A small Matroska file: SeekHead (with room), Tracks, then `between` (Tags, a Void, or nothing), then a Cluster. */
function file(codec: string, between: 'tags' | 'void' | 'nothing'): Uint8Array {
  const header = e(Id.ebml, ebml.stringElement(Id.docType, 'matroska'));
  const tracks = e(Id.tracks, e(Id.trackEntry, [ebml.stringElement(Id.codecId, codec), e(Id.codecPrivate, record([SPS0], [PPS0]))]));
  const tags = e(Id.tags, e(Id.tag, [e(Id.targets, new Uint8Array(0)), e(Id.simpleTag, ebml.stringElement(Id.tagName, 'ENCODER'))]));
  const cluster = e(Id.cluster, new Uint8Array(64).fill(7));
  const middle = between === 'tags' ? tags : between === 'void' ? ebml.voidElement(64) : new Uint8Array(0);
  const seekTo = (position: number) =>
    ebml.elementFilling(
      Id.seekHead,
      e(Id.seek, [ebml.uintElement(Id.seekId, Id.tags), ebml.uintElement(Id.seekPosition, position)]),
      SEEK_HEAD_ROOM,
    ) as Uint8Array;
  const tagsPosition = SEEK_HEAD_ROOM + tracks.length;
  const body = [seekTo(tagsPosition), tracks, middle, cluster];
  const size = body.reduce((n, b) => n + b.length, 0);
  return Uint8Array.from([...header, ...ebml.encodeElementId(Id.segment), ...ebml.encodeVint(size, 8), ...body.flatMap((b) => [...b])]);
}

async function apply(bytes: Uint8Array): Promise<Uint8Array | null> {
  const plan = await planMatroskaAvcParameterSets(bytesSource(bytes), { sps: [SPS1], pps: [PPS1] });
  return plan ? materialize(plan, bytesSource(bytes)) : null;
}

async function codecPrivate(bytes: Uint8Array): Promise<Uint8Array> {
  const { children } = await readLayout(bytesSource(bytes));
  const tracks = children.find((c) => c.id === Id.tracks)!;
  const entry = ebml.listElementsIn(bytes, tracks.dataOffset, tracks.end)[0];
  const field = ebml.listElementsIn(bytes, entry.dataOffset, entry.end).find((f) => f.id === Id.codecPrivate)!;
  return bytes.subarray(field.dataOffset, field.end);
}

const clusterOffset = async (bytes: Uint8Array) => (await readLayout(bytesSource(bytes))).children.find((c) => c.id === Id.cluster)!.offset;

describe('planMatroskaAvcParameterSets', () => {
  it('grows Tracks into the Void after it; nothing else moves', async () => {
    const before = file('V_MPEG4/ISO/AVC', 'void');
    const after = (await apply(before))!;
    expect(after.length).toBe(before.length);
    expect(await codecPrivate(after)).toEqual(record([SPS0, SPS1], [PPS0, PPS1]));
    expect(await clusterOffset(after)).toBe(await clusterOffset(before));
  });

  it('grows Tracks where it is when no Void follows: the Tags and the Cluster move, the SeekHead and Segment size follow', async () => {
    const before = file('V_MPEG4/ISO/AVC', 'tags');
    const after = (await apply(before))!;
    expect(await codecPrivate(after)).toEqual(record([SPS0, SPS1], [PPS0, PPS1]));
    const { segment, children } = await readLayout(bytesSource(after));
    expect(segment.end).toBe(after.length);
    const tracks = children.find((c) => c.id === Id.tracks)!;
    const tags = children.find((c) => c.id === Id.tags)!;
    expect(tags.offset).toBe(tracks.end);
    const seekHead = children.find((c) => c.id === Id.seekHead)!;
    const seek = ebml.listElementsIn(after, seekHead.dataOffset, seekHead.end).find((c) => c.id === Id.seek)!;
    const position = ebml.listElementsIn(after, seek.dataOffset, seek.end).find((c) => c.id === Id.seekPosition)!;
    expect(ebml.readUint(after.subarray(position.dataOffset, position.end))).toBe(tags.offset - segment.dataOffset);
    const clusterBytes = async (bytes: Uint8Array) => bytes.subarray(await clusterOffset(bytes));
    expect(await clusterBytes(after)).toEqual(await clusterBytes(before));
  });

  it('returns null without an H.264 track', async () => {
    expect(await apply(file('V_VP9', 'void'))).toBeNull();
  });
});
