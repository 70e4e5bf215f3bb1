import { bytesSource, concat, crc32, ebml, labelBytes, MalformedInputError, u32le } from '@aigc-label/core';
import { describe, expect, it } from 'vitest';
import { describeHandlerContract, sampleLabel } from '../../../../test/handler-contract.js';
import { matroska } from '../../src/matroska/index.js';
import { itLabelsForThirdPartyReaders } from './checks.js';
import { frameMd5, makeClip } from './clips.js';

const CLUSTER = 0x1f43b675;

/** The Segment header and its level-1 elements (all of a tiny test clip fits in memory). */
function layout(bytes: Uint8Array) {
  const header = ebml.parseElementHeader(bytes, 0, 0, bytes.length);
  const segment = ebml.parseElementHeader(bytes, header.end, header.end, bytes.length);
  return { segment, children: ebml.listElementsIn(bytes, segment.dataOffset, segment.end) };
}

describe('matroska metadata carrier', () => {
  describeHandlerContract(matroska, () => makeClip('clip.mkv'));
  describeHandlerContract(matroska, () => makeClip('clip.webm'));
  itLabelsForThirdPartyReaders(matroska, 'clip.mkv', 'mkv');
  itLabelsForThirdPartyReaders(matroska, 'clip.webm', 'webm');

  it('keeps every Cluster byte for byte (moved as a whole when the Tags before them grow)', async () => {
    const input = makeClip('clip.mkv');
    const { bytes } = await labelBytes(matroska, input, sampleLabel());
    const clusters = (file: Uint8Array) =>
      layout(file)
        .children.filter((c) => c.id === CLUSTER)
        .map((c) => file.subarray(c.offset, c.end));
    expect(clusters(input).length).toBeGreaterThan(0);
    expect(clusters(bytes)).toEqual(clusters(input));
  });

  it('keeps the CRC-32 of every level-1 element it rewrites valid', async () => {
    const { bytes } = await labelBytes(matroska, makeClip('clip.mkv'), sampleLabel());
    const checked = layout(bytes)
      .children.filter((c) => c.id !== ebml.VOID_ID && c.id !== CLUSTER && c.size > 6)
      .flatMap((c) => {
        const first = ebml.parseElementHeader(bytes, c.dataOffset, c.dataOffset, c.end);
        return first.id === ebml.CRC32_ID ? [[u32le(bytes, first.dataOffset), crc32(bytes.subarray(first.end, c.end))]] : [];
      });
    expect(checked.length).toBeGreaterThan(2);
    for (const [stored, computed] of checked) expect(stored).toBe(computed);
  });

  it('uses a Void element when the Tags do not fit where they are', async () => {
    const input = makeClip('clip.mkv');
    const { segment, children } = layout(input);
    const firstCluster = children.find((c) => c.id === CLUSTER);
    if (!firstCluster) throw new Error('no cluster');
    // A 1 KiB Void before the first Cluster; the Segment size grows by as much.
    const room = ebml.voidElement(1024);
    const withVoid = concat([input.subarray(0, firstCluster.offset), room, input.subarray(firstCluster.offset)]);
    withVoid.set(ebml.encodeVint(segment.size + 1024, segment.headerSize - 4), segment.offset + 4);
    // Cues and SeekHead positions after the insertion are now off by 1024, so only check our own reading and the frames.
    const { bytes } = await labelBytes(matroska, withVoid, sampleLabel());
    expect(bytes.length).toBe(withVoid.length);
    const read = await matroska.read(bytesSource(bytes));
    expect(read.carriers[0].offset).toBeGreaterThan(firstCluster.offset - 1);
    expect(read.carriers[0].offset).toBeLessThan(firstCluster.offset + 1024);
  });

  it('handles a Segment of unknown size by appending the Tags at the end of the file', async () => {
    const input = makeClip('clip.webm');
    const { segment } = layout(input);
    const unknown = input.slice();
    unknown.set(new Uint8Array([0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), segment.offset + 4);
    const label = sampleLabel();
    const { bytes } = await labelBytes(matroska, unknown, label);
    expect((await matroska.read(bytesSource(bytes))).carriers.map((c) => c.label)).toEqual([label]);
    expect(frameMd5(bytes, 'webm')).toEqual(frameMd5(input, 'webm'));
  });

  describe('EBML sizes that lie are refused before anything is written', () => {
    const refuse = async (bytes: Uint8Array) => {
      await expect(labelBytes(matroska, bytes, sampleLabel())).rejects.toSatisfy(
        (e: Error) => e instanceof MalformedInputError && /past the end|truncated/.test(e.message),
      );
    };
    it('a Segment larger than the file', async () => {
      const input = makeClip('clip.mkv');
      const { segment } = layout(input);
      const bad = input.slice();
      bad.set(ebml.encodeVint(segment.size + 1000, segment.headerSize - 4), segment.offset + 4);
      await refuse(bad);
    });
    it('a Cluster that runs past the Segment', async () => {
      const input = makeClip('clip.mkv');
      const cluster = layout(input).children.find((c) => c.id === CLUSTER);
      if (!cluster) throw new Error('no cluster');
      const bad = input.slice();
      const sizeLength = cluster.headerSize - 4;
      bad.set(ebml.encodeVint(input.length, sizeLength), cluster.offset + 4);
      await refuse(bad);
    });
    it('a truncated file', async () => {
      const input = makeClip('clip.mkv');
      await refuse(input.subarray(0, input.length - 300));
    });
  });

  it('refuses a file that ends after the EBML header', async () => {
    const input = makeClip('clip.mkv');
    const { segment } = layout(input);
    await expect(matroska.read(bytesSource(input.subarray(0, segment.offset)))).rejects.toBeInstanceOf(MalformedInputError);
  });
});
