/**
 * Where the Matroska/WebM label goes (issue 13 item 2): into the existing Tags, else a new Tags
 * before the first Cluster, with every position that points past it fixed. Layouts are rebuilt
 * byte by byte from the parts of an ffmpeg clip: with and without SeekHead, Cues, a Segment size,
 * Cluster sizes and Cluster Position elements, as muxers and browsers write them.
 */
import { bytesSource, concat, crc32, ebml, encodeBare, labelBytes, u32le } from '@aigc-label/core';
import { describe, expect, it } from 'vitest';
import { describeHandlerContract, sampleLabel } from '../../../../test/handler-contract.js';
import { withTool } from '../../../../test/oracles.js';
import { matroska } from '../../src/matroska/index.js';
import { debianProbeTags, decodeErrors, exiftoolTags, frameMd5, makeClip } from './clips.js';

const Id = {
  segment: 0x18538067,
  seekHead: 0x114d9b74,
  seek: 0x4dbb,
  seekId: 0x53ab,
  seekPosition: 0x53ac,
  info: 0x1549a966,
  tracks: 0x1654ae6b,
  tags: 0x1254c367,
  cluster: 0x1f43b675,
  timestamp: 0xe7,
  position: 0xa7,
  cues: 0x1c53bb6b,
  cuePoint: 0xbb,
  cueTime: 0xb3,
  cueTrackPositions: 0xb7,
  cueTrack: 0xf7,
  cueClusterPosition: 0xf1,
} as const;
const UNKNOWN_SIZE = Uint8Array.of(0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff);

/** An unsigned-integer element in exactly `width` bytes (as muxers reserve room for positions). */
function fixedUint(id: number, value: number, width: number): Uint8Array {
  const data = new Uint8Array(width);
  for (let i = width - 1, v = value; i >= 0; i--, v = Math.floor(v / 256)) data[i] = v % 256;
  return ebml.makeElement(id, data);
}

interface Parsed {
  readonly header: Uint8Array;
  readonly segment: ebml.EbmlElement;
  readonly children: ebml.EbmlElement[];
}

function parse(bytes: Uint8Array): Parsed {
  const header = ebml.parseElementHeader(bytes, 0, 0, bytes.length);
  const segment = ebml.parseElementHeader(bytes, header.end, header.end, bytes.length);
  const children: ebml.EbmlElement[] = [];
  for (let at = segment.dataOffset; at < segment.end; ) {
    let element = ebml.parseElementHeader(bytes, at, at, segment.end);
    if (element.unknownSize) {
      // An unknown-size Cluster ends where the next level-1 element (here only Clusters and Cues follow) starts.
      let end = element.dataOffset;
      while (end < segment.end && ![Id.cluster, Id.cues, Id.tags].includes(ebml.readElementId(bytes, end).id as 0x1f43b675)) {
        end = ebml.parseElementHeader(bytes, end, end, segment.end).end;
      }
      element = { ...element, size: end - element.dataOffset, end };
    }
    children.push(element);
    at = element.end;
  }
  return { header: bytes.subarray(0, header.end), segment, children };
}

const dataOf = (bytes: Uint8Array, e: ebml.EbmlElement) => bytes.subarray(e.dataOffset, e.end);
const elementsIn = (bytes: Uint8Array, e: ebml.EbmlElement) => ebml.listElementsIn(bytes, e.dataOffset, e.end);

interface LayoutOptions {
  readonly seekHead: boolean;
  readonly cues: boolean;
  readonly tags: boolean;
  /** Segment and Clusters of unknown size, as a browser's MediaRecorder writes them. */
  readonly unknownSizes: boolean;
  /** A 4-byte Position element in every Cluster, after its Timestamp (CRC-32 recomputed). */
  readonly clusterPositions: boolean;
}

/** The clip's Info, Tracks, Tags and Clusters laid out as `options` say, with correct positions. */
function rebuild(clip: Uint8Array, options: LayoutOptions): Uint8Array {
  const { header, children } = parse(clip);
  const part = (id: number) => children.filter((c) => c.id === id).map((c) => clip.subarray(c.offset, c.end));
  const clusterParts = children
    .filter((c) => c.id === Id.cluster)
    .map((c) => {
      const kids = elementsIn(clip, c);
      const timestamp = kids.find((k) => k.id === Id.timestamp);
      if (!timestamp) throw new Error('cluster without timestamp');
      return { kids, timestamp: ebml.readUint(dataOf(clip, timestamp)), cluster: c };
    });
  const clusterBytes = (n: number, position: number): Uint8Array => {
    const { kids, cluster } = clusterParts[n] as (typeof clusterParts)[number];
    if (!options.clusterPositions && !options.unknownSizes) return clip.subarray(cluster.offset, cluster.end);
    const body: Uint8Array[] = [];
    let hadCrc = false;
    for (const k of kids) {
      if (k.id === ebml.CRC32_ID) hadCrc = true;
      else body.push(clip.subarray(k.offset, k.end));
      if (k.id === Id.timestamp && options.clusterPositions) body.push(fixedUint(Id.position, position, 4));
    }
    const data = hadCrc ? ebml.withCrc32(concat(body)) : concat(body);
    return options.unknownSizes ? concat([ebml.encodeElementId(Id.cluster), UNKNOWN_SIZE, data]) : ebml.makeElement(Id.cluster, data);
  };
  const front = [...part(Id.info), ...part(Id.tracks), ...(options.tags ? part(Id.tags) : [])];
  const frontIds = [Id.info, Id.tracks, ...(options.tags ? [Id.tags] : [])];
  const seekHeadOf = (entries: readonly (readonly [number, number])[]) =>
    ebml.makeElement(
      Id.seekHead,
      entries.map(([id, position]) =>
        ebml.makeElement(Id.seek, [ebml.makeElement(Id.seekId, ebml.encodeElementId(id)), fixedUint(Id.seekPosition, position, 8)]),
      ),
    );
  const seekIds = [...frontIds, ...(options.cues ? [Id.cues] : [])];
  // SeekPosition in 8 bytes, as ffmpeg reserves it: the SeekHead's size does not depend on the values.
  const seekHeadSize = options.seekHead ? seekHeadOf(seekIds.map((id) => [id, 0] as const)).length : 0;
  const frontSizes = front.map((p) => p.length);
  const clusterStart = seekHeadSize + frontSizes.reduce((a, b) => a + b, 0);
  const clusters: Uint8Array[] = [];
  let at = clusterStart;
  for (let n = 0; n < clusterParts.length; n++) {
    clusters.push(clusterBytes(n, at));
    at += (clusters[n] as Uint8Array).length;
  }
  const cuesAt = at;
  const clusterOffsets = clusters.map((_, n) => clusterStart + clusters.slice(0, n).reduce((a, c) => a + c.length, 0));
  const cues = options.cues
    ? [
        ebml.makeElement(
          Id.cues,
          clusterParts.map((c, n) =>
            ebml.makeElement(Id.cuePoint, [
              ebml.uintElement(Id.cueTime, c.timestamp),
              ebml.makeElement(Id.cueTrackPositions, [
                ebml.uintElement(Id.cueTrack, 1),
                fixedUint(Id.cueClusterPosition, clusterOffsets[n] as number, 8),
              ]),
            ]),
          ),
        ),
      ]
    : [];
  const frontPositions = frontIds.map((id, i) => [id, seekHeadSize + frontSizes.slice(0, i).reduce((a, b) => a + b, 0)] as const);
  const seekHead = options.seekHead ? [seekHeadOf([...frontPositions, ...(options.cues ? [[Id.cues, cuesAt] as const] : [])])] : [];
  const body = concat([...seekHead, ...front, ...clusters, ...cues]);
  const segmentHeader = concat([ebml.encodeElementId(Id.segment), options.unknownSizes ? UNKNOWN_SIZE : ebml.encodeVint(body.length, 8)]);
  return concat([header, segmentHeader, body]);
}

/** What a labeled file must satisfy: every SeekHead entry, Cue and Cluster Position points where it says, every CRC-32 holds, the Segment size is right. */
function expectConsistent(bytes: Uint8Array): void {
  const { segment, children } = parse(bytes);
  const at = (position: number) => children.find((c) => c.offset === segment.dataOffset + position);
  if (!segment.unknownSize) expect(segment.end).toBe(bytes.length);
  for (const seekHead of children.filter((c) => c.id === Id.seekHead)) {
    for (const seek of elementsIn(bytes, seekHead).filter((e) => e.id === Id.seek)) {
      const fields = elementsIn(bytes, seek);
      const id = ebml.readUint(dataOf(bytes, fields.find((f) => f.id === Id.seekId) as ebml.EbmlElement));
      const position = ebml.readUint(dataOf(bytes, fields.find((f) => f.id === Id.seekPosition) as ebml.EbmlElement));
      expect(at(position)?.id, `SeekHead entry ${id.toString(16)} → ${position}`).toBe(id);
    }
  }
  for (const cues of children.filter((c) => c.id === Id.cues)) {
    for (const point of elementsIn(bytes, cues).filter((e) => e.id === Id.cuePoint)) {
      const track = elementsIn(bytes, point).find((e) => e.id === Id.cueTrackPositions) as ebml.EbmlElement;
      const position = elementsIn(bytes, track).find((e) => e.id === Id.cueClusterPosition) as ebml.EbmlElement;
      expect(at(ebml.readUint(dataOf(bytes, position)))?.id).toBe(Id.cluster);
    }
  }
  for (const c of children) {
    if (c.id === ebml.VOID_ID) continue;
    const kids = elementsIn(bytes, c);
    const first = kids[0];
    if (first?.id === ebml.CRC32_ID)
      expect(u32le(bytes, first.dataOffset), `CRC-32 of ${c.id.toString(16)}`).toBe(crc32(bytes.subarray(first.end, c.end)));
    const position = c.id === Id.cluster ? kids.find((k) => k.id === Id.position) : undefined;
    if (position) expect(ebml.readUint(dataOf(bytes, position))).toBe(c.offset - segment.dataOffset);
  }
}

/** The Clusters' bytes in order, with any Position value and CRC-32 (which must change when a Cluster moves) blanked. */
function clusterContents(bytes: Uint8Array): Uint8Array[] {
  return parse(bytes)
    .children.filter((c) => c.id === Id.cluster)
    .map((c) => {
      const copy = bytes.slice(c.offset, c.end);
      for (const k of elementsIn(bytes, c)) {
        if (k.id === Id.position || k.id === ebml.CRC32_ID) copy.fill(0, k.dataOffset - c.offset, k.end - c.offset);
      }
      return copy;
    });
}

const clustersOf = (bytes: Uint8Array) => parse(bytes).children.filter((c) => c.id === Id.cluster);

/** Layouts to label; `hidden` when some of the file's own tags are unseen by readers before labeling (they come into view). */
const layouts: Record<string, (() => Uint8Array) & { hidden?: boolean }> = {
  'ffmpeg MKV (SeekHead, Tags before the Clusters, Cues at the end)': () => makeClip('clip.mkv'),
  'ffmpeg WebM': () => makeClip('clip.webm'),
  'a tight SeekHead, no Tags, Cues, Cluster Positions with CRC-32': () =>
    rebuild(makeClip('clip.mkv'), { seekHead: true, cues: true, tags: false, unknownSizes: false, clusterPositions: true }),
  'a browser recording (unknown sizes, no SeekHead, no Cues, no Tags)': () =>
    rebuild(makeClip('clip.webm'), { seekHead: false, cues: false, tags: false, unknownSizes: true, clusterPositions: false }),
  'Tags only after the Clusters, not in the SeekHead (as appended by older labelers)': Object.assign(
    () => {
      const clip = makeClip('clip.mkv');
      const { children } = parse(clip);
      const tags = children.find((c) => c.id === Id.tags) as ebml.EbmlElement;
      const built = rebuild(clip, { seekHead: true, cues: true, tags: false, unknownSizes: false, clusterPositions: false });
      const tagsBytes = clip.subarray(tags.offset, tags.end);
      const out = concat([built, tagsBytes]);
      const segment = parse(built).segment;
      out.set(ebml.encodeVint(segment.size + tagsBytes.length, 8), segment.offset + 4);
      return out;
    },
    { hidden: true },
  ),
};

describe('matroska: where the Tags go and what moves (issue 13)', () => {
  for (const [name, build] of Object.entries(layouts)) {
    describe(name, () => {
      describeHandlerContract(matroska, build);

      it('puts one Tags element before the first Cluster, keeps every Cluster byte for byte and fixes every position', async () => {
        const input = build();
        expectConsistent(input);
        const label = sampleLabel();
        const { bytes } = await labelBytes(matroska, input, label);
        expectConsistent(bytes);
        const out = parse(bytes).children;
        const tags = out.filter((c) => c.id === Id.tags);
        expect(tags).toHaveLength(1);
        expect(tags[0]?.offset).toBeLessThan(clustersOf(bytes)[0]?.offset ?? 0);
        expect(clusterContents(bytes)).toEqual(clusterContents(input));
        const segmentId = parse(input).segment.offset + 4;
        expect(bytes.subarray(0, segmentId)).toEqual(input.subarray(0, segmentId));
        const seekHeads = out.filter((c) => c.id === Id.seekHead);
        if (seekHeads.length > 0) {
          const entries = seekHeads.flatMap((s) => elementsIn(bytes, s).filter((e) => e.id === Id.seek));
          const ids = entries.map((seek) =>
            ebml.readUint(dataOf(bytes, elementsIn(bytes, seek).find((f) => f.id === Id.seekId) as ebml.EbmlElement)),
          );
          expect(ids).toContain(Id.tags);
        }
        expect((await matroska.read(bytesSource(bytes))).carriers.map((c) => c.label)).toEqual([label]);
        expect(decodeErrors(bytes, 'mkv')).toBe('');
        expect(frameMd5(bytes, 'mkv')).toEqual(frameMd5(input, 'mkv'));
      });

      withTool('ffprobe')("Debian's ffprobe shows AIGC and every tag it showed before", async () => {
        const input = build();
        const label = sampleLabel();
        const { bytes } = await labelBytes(matroska, input, label);
        const after = debianProbeTags(bytes, 'mkv');
        // Tags that were out of sight come into view (and win over the Info values of the same name).
        if (build.hidden) expect(after).toMatchObject({ title: 'Hello', COMMENT: 'World', AIGC: encodeBare(label) });
        else expect(after).toEqual({ ...debianProbeTags(input, 'mkv'), AIGC: encodeBare(label) });
      });

      withTool('exiftool')('ExifTool shows the label and every tag it showed before', async () => {
        const input = build();
        const label = sampleLabel();
        const { bytes } = await labelBytes(matroska, input, label);
        const before = exiftoolTags(input, 'mkv');
        const after = exiftoolTags(bytes, 'mkv');
        // ExifTool names a Matroska tag in its own letter case ("COMMENT" is "Comment", "AIGC" is "Aigc").
        if (build.hidden)
          expect(after).toMatchObject({ 'Matroska:Title': 'Hello', 'Matroska:Comment': 'World', 'Matroska:Aigc': encodeBare(label) });
        else expect(after).toEqual({ ...before, 'Matroska:Aigc': encodeBare(label) });
      });
    });
  }

  it('relabels in place: the same size, and every byte outside the Tags unchanged', async () => {
    const once = (await labelBytes(matroska, makeClip('clip.mkv'), sampleLabel({ ProduceID: 'a', PropagateID: 'a' }))).bytes;
    const twice = (await labelBytes(matroska, once, sampleLabel({ ProduceID: 'b', PropagateID: 'b' }))).bytes;
    expect(twice.length).toBe(once.length);
    const tags = parse(once).children.find((c) => c.id === Id.tags) as ebml.EbmlElement;
    expect(twice.subarray(0, tags.offset)).toEqual(once.subarray(0, tags.offset));
    expect(twice.subarray(tags.end)).toEqual(once.subarray(tags.end));
  });
});

describe('CRC-32 of a Cluster whose Position changes', () => {
  it('is updated from the change alone and matches a full recomputation', async () => {
    const input = rebuild(makeClip('clip.mkv'), { seekHead: true, cues: true, tags: false, unknownSizes: false, clusterPositions: true });
    const { bytes } = await labelBytes(matroska, input, sampleLabel());
    const clusters = clustersOf(bytes);
    expect(clusters.length).toBeGreaterThan(1);
    for (const c of clusters) {
      const [crc] = elementsIn(bytes, c);
      expect(crc?.id).toBe(ebml.CRC32_ID);
      expect(u32le(bytes, (crc as ebml.EbmlElement).dataOffset)).toBe(crc32(bytes.subarray((crc as ebml.EbmlElement).end, c.end)));
    }
  });
});
