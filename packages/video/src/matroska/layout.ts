import {
  type ByteSource,
  ebml,
  fromUtf8,
  headerReader,
  LimitExceededError,
  MalformedInputError,
  readExact,
  UnsupportedFormatError,
  u32be,
} from '@aigc-label/core';

/** Matroska element IDs (RFC 9559 §5.1). */
export const Id = {
  ebml: 0x1a45dfa3,
  docType: 0x4282,
  segment: 0x18538067,
  seekHead: 0x114d9b74,
  seek: 0x4dbb,
  seekId: 0x53ab,
  seekPosition: 0x53ac,
  cluster: 0x1f43b675,
  tracks: 0x1654ae6b,
  trackEntry: 0xae,
  codecId: 0x86,
  codecPrivate: 0x63a2,
  tags: 0x1254c367,
  tag: 0x7373,
  targets: 0x63c0,
  simpleTag: 0x67c8,
  tagName: 0x45a3,
  tagString: 0x4487,
  cues: 0x1c53bb6b,
  cuePoint: 0xbb,
  cueTrackPositions: 0xb7,
  cueClusterPosition: 0xf1,
  cueCodecState: 0xea,
  clusterPosition: 0xa7,
  simpleBlock: 0xa3,
  blockGroup: 0xa0,
} as const;

/** Level-1 elements of a Segment: an unknown-size Cluster ends where one of these starts (RFC 9559 §6.2). */
const SEGMENT_CHILDREN = new Set([
  0x114d9b74, 0x1549a966, 0x1654ae6b, 0x1c53bb6b, 0x1f43b675, 0x1043a770, 0x1254c367, 0x1941a469, 0xec, 0xbf,
]);
export const maximumTagsInBytes = 16 * 1024 * 1024;
export const maximumSeekHeadInBytes = 1024 * 1024;
/** Largest Cues element rewritten when positions move (a cue per second of a ten-hour film is under 1 MB). */
export const maximumCuesInBytes = 32 * 1024 * 1024;

/** Reads header bytes of a walk (`headerReader`). */
type HeaderBytes = ReturnType<typeof headerReader>;

export interface Layout {
  readonly format: string;
  readonly segment: ebml.EbmlElement;
  /** Level-1 elements in order; a run of Void elements is one entry spanning them all (its `size` is that of the first). */
  readonly children: ebml.EbmlElement[];
}

/**
 * Walks the EBML header and the Segment's level-1 elements, reading headers only. With
 * `damage` (salvage reading, issue 25 item 2) a Segment or element that runs past the end of
 * the file, stray bytes or an element that does not parse end the walk instead of failing
 * it, each noted in `damage`; a Tags element cut short is kept, clipped, for its intact Tags.
 * With `wanted`, only the elements it accepts are kept (the walk still covers them all).
 */
export async function readLayout(source: ByteSource, damage?: string[], wanted?: (id: number) => boolean): Promise<Layout> {
  const head = await readExact(source, 0, Math.min(source.size, 4096), 'matroska', 'EBML header');
  const header = ebml.parseElementHeader(head, 0, 0, source.size);
  if (header.id !== Id.ebml) throw new MalformedInputError('matroska', 'no EBML header');
  if (header.end > head.length) throw new MalformedInputError('matroska', `EBML header of ${header.size} bytes is implausibly large`);
  const docType = ebml.listElementsIn(head, header.dataOffset, header.end).find((e) => e.id === Id.docType);
  const format = docType && fromUtf8(head.subarray(docType.dataOffset, docType.end)) === 'webm' ? 'webm' : 'matroska';
  let segment = await ebml.readElementHeader(source, header.end, damage ? Number.MAX_SAFE_INTEGER : source.size, format);
  if (segment.id !== Id.segment) throw new MalformedInputError(format, `expected a Segment at offset ${header.end}`);
  if (segment.end > source.size) {
    if (!segment.unknownSize) damage?.push(`the Segment declares ${segment.size} bytes, past the end of the file (${source.size} bytes)`);
    segment = { ...segment, size: source.size - segment.dataOffset, end: source.size };
  }
  const children: ebml.EbmlElement[] = [];
  const read = headerReader(source, format);
  for (let at = segment.dataOffset; at < segment.end; ) {
    if (children.length >= ebml.maximumElementCount)
      throw new LimitExceededError(`${format}: more than ${ebml.maximumElementCount} level-1 elements`);
    try {
      let element = await levelOneElement(source, read, at, segment.end, format, damage);
      if (!isLevelOneId(element.id)) {
        // The walk has lost step (a size that lies earlier on): a writer refuses; a reader goes on from the next level-1 element.
        const what = `element 0x${element.id.toString(16).toUpperCase()} at offset ${at} is not a level-1 element of the Segment`;
        if (!damage) throw new MalformedInputError(format, what);
        const next = await resynchronise(source, read, at + 1, segment.end, format, damage);
        damage.push(
          next ? `${what}; the walk resumed at the next level-1 element, at offset ${next.offset}` : `${what}; no level-1 element follows`,
        );
        if (!next) break;
        element = next;
      }
      at = element.end;
      // A reader that needs only some elements keeps only those (a million Clusters cost nothing).
      if (wanted && !wanted(element.id)) continue;
      const previous = children[children.length - 1];
      // A run of Voids is one room: kept as one entry (offset of the first, end of the last), so a million cost one.
      if (element.id === ebml.VOID_ID && previous?.id === ebml.VOID_ID) children[children.length - 1] = { ...previous, end: element.end };
      else children.push(element);
    } catch (error) {
      if (!damage || !(error instanceof MalformedInputError || error instanceof UnsupportedFormatError)) throw error;
      const detail = error instanceof MalformedInputError ? error.detail : error.message;
      const next = await resynchronise(source, read, at + 1, segment.end, format, damage);
      damage.push(next ? `${detail}; the walk resumed at the next level-1 element, at offset ${next.offset}` : detail);
      if (!next) break;
      at = next.offset;
    }
  }
  return { format, segment, children };
}

/** Level-1 IDs worth resynchronising on: four bytes, so they seldom occur by chance (Void and CRC-32 are one byte). */
const RESYNC_IDS = new Set([...SEGMENT_CHILDREN].filter((id) => id > 0xffffff));
/** Bytes read at a time while looking for the next level-1 element. */
const resyncBlockInBytes = 64 * 1024;

/** A level-1 ID: one RFC 9559 names, or any four-byte ID (a Class D element of a later version, skipped by its size). */
const isLevelOneId = (id: number): boolean => SEGMENT_CHILDREN.has(id) || id > 0xffffff;

/** An ID found by chance (inside a SeekHead's SeekID, in Cluster data) is rarely followed by another level-1 element. */
async function followedByLevelOne(read: HeaderBytes, element: ebml.EbmlElement, end: number, format: string): Promise<boolean> {
  if (element.end >= end) return true;
  const head = await read(element.end, Math.min(4, end - element.end), 'EBML element header');
  try {
    return SEGMENT_CHILDREN.has(ebml.readElementId(head, 0, format).id);
  } catch (error) {
    if (error instanceof MalformedInputError) return false;
    throw error;
  }
}

/**
 * The first level-1 element at or after `from` whose header parses and fits its Segment and
 * which is followed by another level-1 element (or the end of the Segment), found by its
 * four-byte ID, as libmatroska and ffmpeg resynchronise after damage; null when none does.
 * One forward pass, so a walk with any number of resynchronisations stays linear.
 */
async function resynchronise(
  source: ByteSource,
  read: HeaderBytes,
  from: number,
  end: number,
  format: string,
  damage: string[],
): Promise<ebml.EbmlElement | null> {
  for (let start = from; start + 4 <= end; start += resyncBlockInBytes) {
    const block = await readExact(source, start, Math.min(resyncBlockInBytes + 3, end - start), format, 'Segment data');
    for (let i = 0; i + 4 <= block.length && i < resyncBlockInBytes; i++) {
      if ((block[i] & 0xf0) !== 0x10 || !RESYNC_IDS.has(u32be(block, i))) continue;
      try {
        // An unknown size would be resolved by a scan of its own: a resynchronisation never takes one, so it stays linear.
        const head = await read(start + i, Math.min(12, end - start - i), 'EBML element header');
        if (ebml.parseElementHeader(head, 0, start + i, Number.MAX_SAFE_INTEGER, format).unknownSize) continue;
        const candidate = await levelOneElement(source, read, start + i, end, format, damage);
        if (await followedByLevelOne(read, candidate, end, format)) return candidate;
      } catch (error) {
        if (!(error instanceof MalformedInputError || error instanceof UnsupportedFormatError)) throw error;
      }
    }
  }
  return null;
}

/** The level-1 element at `at`; when salvaging, a Tags element cut short by the end of the Segment is clipped to it (and noted). */
async function levelOneElement(
  source: ByteSource,
  read: HeaderBytes,
  at: number,
  end: number,
  format: string,
  damage?: string[],
): Promise<ebml.EbmlElement> {
  if (end - at < 2) throw new MalformedInputError(format, `${end - at} stray bytes at the end of the Segment`);
  if (damage) {
    // Parsed with no end, so a Tags element past its Segment is seen; the header read stops at the end of the file.
    const head = await read(at, Math.min(12, source.size - at), 'EBML element header');
    const unbounded = ebml.parseElementHeader(head, 0, at, Number.MAX_SAFE_INTEGER, format);
    if (unbounded.id === Id.tags && !unbounded.unknownSize && unbounded.end > end) {
      damage.push(
        `the Tags element at offset ${at} declares ${unbounded.size} bytes, past the end of its Segment at ${end}; its complete Tags were read`,
      );
      return { ...unbounded, size: end - unbounded.dataOffset, end };
    }
  }
  const element = ebml.parseElementHeader(await read(at, Math.min(12, end - at), 'EBML element header'), 0, at, end, format);
  if (!element.unknownSize) return element;
  if (element.id !== Id.cluster)
    throw new UnsupportedFormatError(`${format}: unknown-size element 0x${element.id.toString(16)} at offset ${at}`);
  const size = (await unknownClusterEnd(read, element, end, format)) - element.dataOffset;
  return { ...element, size, end: element.dataOffset + size };
}

/** An unknown-size Cluster (live WebM) ends at the next level-1 ID or the end of the Segment. */
async function unknownClusterEnd(read: HeaderBytes, cluster: ebml.EbmlElement, end: number, format: string): Promise<number> {
  let at = cluster.dataOffset;
  while (at < end) {
    const head = await read(at, Math.min(12, end - at), 'EBML element header');
    if (SEGMENT_CHILDREN.has(ebml.readElementId(head, 0, format).id)) return at;
    const child = ebml.parseElementHeader(head, 0, at, end, format);
    if (child.unknownSize)
      throw new UnsupportedFormatError(`${format}: unknown-size element inside the cluster at offset ${cluster.offset}`);
    at = child.end;
  }
  return end;
}

export interface Edit {
  readonly start: number;
  readonly end: number;
  readonly insert: Uint8Array;
}

/** Room at `element`: itself plus the Void elements right after it (but none that `used` names). */
export function roomAt(children: readonly ebml.EbmlElement[], index: number, used: ReadonlySet<number> = new Set()): number {
  let end = children[index].end;
  for (let i = index + 1; i < children.length && children[i].id === ebml.VOID_ID && !used.has(i); i++) end = children[i].end;
  return end - children[index].offset;
}

export async function readTags(source: ByteSource, tags: ebml.EbmlElement, format: string): Promise<Uint8Array> {
  if (tags.end - tags.offset > maximumTagsInBytes)
    throw new LimitExceededError(`${format}: Tags element at offset ${tags.offset} is over ${maximumTagsInBytes} bytes`);
  return readExact(source, tags.offset, tags.end - tags.offset, format, 'Tags element');
}
