import {
  type ByteSource,
  concat,
  crc32Patched,
  ebml,
  headerReader,
  LimitExceededError,
  putU32le,
  readExact,
  UnsupportedFormatError,
  u32le,
} from '@aigc-label/core';
import { type Edit, Id, type Layout, maximumCuesInBytes, maximumSeekHeadInBytes, roomAt } from './layout.js';

/**
 * Where each input byte lands once `edits` are applied: an edit moves the bytes at or after
 * its end. Built once per set of edits (sorted, prefix sums), looked up by binary search, so
 * shifting a million Cue positions stays linear.
 */
export function shiftFor(edits: readonly Edit[]): (offset: number) => number {
  const moving = edits.filter((e) => e.insert.length !== e.end - e.start).sort((a, b) => a.end - b.end);
  const ends = moving.map((e) => e.end);
  const total: number[] = [];
  let sum = 0;
  for (const e of moving) {
    sum += e.insert.length - (e.end - e.start);
    total.push(sum);
  }
  return (offset) => {
    let low = 0;
    let high = ends.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((ends[middle] as number) <= offset) low = middle + 1;
      else high = middle;
    }
    return low === 0 ? offset : offset + (total[low - 1] as number);
  };
}

/** The Tags element a plan writes: its edit, and the position (relative to the Segment data) the SeekHead had for the old one. */
export interface TagsPlacement {
  readonly edit: Edit;
  readonly oldPosition: number | null;
}

const SEEK_MASTERS: ReadonlySet<number> = new Set([Id.seek]);
const CUE_MASTERS: ReadonlySet<number> = new Set([Id.cuePoint, Id.cueTrackPositions]);
/** Cluster children read while looking for its Position element, which precedes the blocks (RFC 9559 §5.1.3). */
const maximumClusterHeadChildren = 8;

/**
 * `edits` to level-1 elements of the Segment (which may insert or resize them), completed
 * with every position that points past them fixed (RFC 9559 §6.3): SeekHead entries (the
 * Tags entry pointing at `tags`, added to the first SeekHead when there is none), Cue
 * positions (CueClusterPosition, CueCodecState), Cluster Position elements, and a known
 * Segment size. A rewritten SeekHead or Cues takes the Voids after it (none in `used`) when
 * it grows. Resizing one of them moves what follows again: iterated until the sizes settle.
 * Cluster data is never rewritten, apart from a Cluster's own Position value.
 */
export async function planSegmentEdits(
  source: ByteSource,
  layout: Layout,
  edits: readonly Edit[],
  tags: TagsPlacement | null,
  used: ReadonlySet<number>,
): Promise<Edit[]> {
  const { format, segment, children } = layout;
  const relative = (offset: number) => offset - segment.dataOffset;
  const seekHeads = await readLevelOne(source, layout, Id.seekHead, maximumSeekHeadInBytes, 'SeekHead');
  let cues: Loaded[] | null = null;
  let clusterPositions: ClusterPosition[] | null = null;
  let derived: Edit[] = [];
  for (let round = 0; round < 8; round++) {
    const all = [...edits, ...derived];
    const shift = shiftFor(all);
    const moves = all.some((e) => e.insert.length !== e.end - e.start);
    const next: Edit[] = [];
    const shiftPosition = (position: number) => relative(shift(segment.dataOffset + position));
    const tagsPosition = tags ? relative(shiftFor(all.filter((e) => e !== tags.edit))(tags.edit.start)) : null;
    const rewritten = seekHeads.map((seekHead) =>
      ebml.rewriteUintLeaves(
        seekHead.bytes,
        SEEK_MASTERS,
        (id, value) => {
          if (id !== Id.seekPosition) return undefined;
          if (tags && value === tags.oldPosition) return tagsPosition as number;
          return shiftPosition(value);
        },
        format,
      ),
    );
    // A SeekHead without a Tags entry gets one (in the first SeekHead): readers that stop at the first Cluster need it.
    if (tagsPosition !== null && rewritten[0] && !rewritten.some((bytes) => pointsAt(bytes, Id.tags, tagsPosition, format))) {
      rewritten[0] = withSeekEntry(rewritten[0], Id.tags, tagsPosition, format);
    }
    for (const [n, seekHead] of seekHeads.entries()) {
      const bytes = rewritten[n] as Uint8Array;
      if (bytes !== seekHead.bytes) next.push(resized(seekHead, bytes, children, used));
    }
    if (moves) {
      cues ??= await readLevelOne(source, layout, Id.cues, maximumCuesInBytes, 'Cues');
      for (const cue of cues) {
        const bytes = ebml.rewriteUintLeaves(
          cue.bytes,
          CUE_MASTERS,
          (id, value) => (id === Id.cueClusterPosition || (id === Id.cueCodecState && value > 0) ? shiftPosition(value) : undefined),
          format,
        );
        if (bytes !== cue.bytes) next.push(resized(cue, bytes, children, used));
      }
      clusterPositions ??= await findClusterPositions(source, layout);
      for (const found of clusterPositions) next.push(...positionEdits(found, relative(shift(found.cluster)), format));
    }
    const growth = [...edits, ...next].reduce((sum, e) => sum + e.insert.length - (e.end - e.start), 0);
    if (growth !== 0 && !segment.unknownSize) {
      const sizeLength = segment.headerSize - 4;
      const size = segment.size + growth;
      if (size >= 2 ** (7 * sizeLength) - 1)
        throw new UnsupportedFormatError(`${format}: the Segment size field has no room for ${size} bytes`);
      next.push({ start: segment.offset + 4, end: segment.dataOffset, insert: ebml.encodeVint(size, sizeLength) });
    }
    if (sameShape(next, derived)) return [...edits, ...next];
    derived = next;
  }
  throw new UnsupportedFormatError(`${format}: element positions did not settle after resizing the Tags`);
}

interface Loaded {
  readonly index: number;
  readonly element: ebml.EbmlElement;
  readonly bytes: Uint8Array;
}

async function readLevelOne(source: ByteSource, layout: Layout, id: number, limit: number, name: string): Promise<Loaded[]> {
  const out: Loaded[] = [];
  for (const [index, element] of layout.children.entries()) {
    if (element.id !== id) continue;
    const size = element.end - element.offset;
    if (size > limit) throw new LimitExceededError(`${layout.format}: ${name} element at offset ${element.offset} is over ${limit} bytes`);
    out.push({ index, element, bytes: await readExact(source, element.offset, size, layout.format, name) });
  }
  return out;
}

/** The edit that puts `bytes` (a rewritten level-1 element) in place of `loaded`, taking the Voids after it. */
function resized(loaded: Loaded, bytes: Uint8Array, children: readonly ebml.EbmlElement[], used: ReadonlySet<number>): Edit {
  const { element } = loaded;
  if (bytes.length === element.end - element.offset) return { start: element.offset, end: element.end, insert: bytes };
  const room = roomAt(children, loaded.index, used);
  const header = ebml.parseElementHeader(bytes, 0, 0, bytes.length);
  const filled = ebml.elementFilling(element.id, bytes.subarray(header.dataOffset), room);
  return filled
    ? { start: element.offset, end: element.offset + room, insert: filled }
    : { start: element.offset, end: element.end, insert: bytes };
}

/** True when a SeekHead (`bytes`) has an entry for `id` at `position`. */
function pointsAt(bytes: Uint8Array, id: number, position: number, format: string): boolean {
  const head = ebml.parseElementHeader(bytes, 0, 0, bytes.length, format);
  return ebml.listElementsIn(bytes, head.dataOffset, head.end, format).some((seek) => {
    if (seek.id !== Id.seek) return false;
    const fields = ebml.listElementsIn(bytes, seek.dataOffset, seek.end, format);
    const value = (field: number) => {
      const f = fields.find((x) => x.id === field);
      return f ? ebml.readUint(bytes.subarray(f.dataOffset, f.end)) : null;
    };
    return value(Id.seekId) === id && value(Id.seekPosition) === position;
  });
}

/** A SeekHead (`bytes`) with one more entry; its CRC-32 recomputed when it has one. */
function withSeekEntry(bytes: Uint8Array, id: number, position: number, format: string): Uint8Array {
  const head = ebml.parseElementHeader(bytes, 0, 0, bytes.length, format);
  const entries = ebml.listElementsIn(bytes, head.dataOffset, head.end, format);
  const hadCrc = entries[0]?.id === ebml.CRC32_ID;
  const body = concat([
    ...entries.filter((e) => e.id !== ebml.CRC32_ID).map((e) => bytes.subarray(e.offset, e.end)),
    ebml.makeElement(Id.seek, [ebml.uintElement(Id.seekId, id), ebml.uintElement(Id.seekPosition, position)]),
  ]);
  return ebml.makeElement(Id.seekHead, hadCrc ? ebml.withCrc32(body) : body);
}

/** A Cluster's Position element, its value, and the Cluster's CRC-32 element when it has one. */
interface ClusterPosition {
  readonly cluster: number;
  readonly clusterEnd: number;
  readonly position: ebml.EbmlElement;
  readonly value: Uint8Array;
  readonly crc: { readonly element: ebml.EbmlElement; readonly value: number } | null;
}

/** The Position element (RFC 9559 §5.1.3.2) of every Cluster that has one, found among its first children. */
async function findClusterPositions(source: ByteSource, layout: Layout): Promise<ClusterPosition[]> {
  const out: ClusterPosition[] = [];
  const read = headerReader(source, layout.format);
  for (const cluster of layout.children) {
    if (cluster.id !== Id.cluster) continue;
    let crc: ClusterPosition['crc'] = null;
    for (let at = cluster.dataOffset, n = 0; at < cluster.end && n < maximumClusterHeadChildren; n++) {
      // A Cluster's contents are copied, not checked: where they stop parsing, there is no Position to fix.
      const head = await read(at, Math.min(12, cluster.end - at), 'EBML element header');
      const child = (() => {
        try {
          return ebml.parseElementHeader(head, 0, at, cluster.end, layout.format);
        } catch {
          return null;
        }
      })();
      if (!child) break;
      if (child.id === Id.simpleBlock || child.id === Id.blockGroup) break;
      if (child.id === ebml.CRC32_ID && at === cluster.dataOffset && child.size === 4) {
        crc = { element: child, value: u32le(await readExact(source, child.dataOffset, 4, layout.format, 'CRC-32'), 0) };
      }
      if (child.id === Id.clusterPosition && child.size <= 8) {
        const value = await readExact(source, child.dataOffset, child.size, layout.format, 'Cluster Position');
        out.push({ cluster: cluster.offset, clusterEnd: cluster.end, position: child, value, crc });
        break;
      }
      at = child.end;
    }
  }
  return out;
}

/**
 * The edits that make a Cluster's Position say `moved` (its new place, relative to the
 * Segment data): the value in its own width, and the Cluster's CRC-32 updated from the
 * change alone (`crc32Patched`), so the blocks are neither read nor rewritten.
 */
function positionEdits(found: ClusterPosition, moved: number, format: string): Edit[] {
  const { position, value, crc } = found;
  const next = new Uint8Array(position.size);
  let v = moved;
  for (let i = position.size - 1; i >= 0; i--, v = Math.floor(v / 256)) next[i] = v % 256;
  if (v > 0) throw new UnsupportedFormatError(`${format}: the Cluster Position at byte ${position.offset} has no room for its new value`);
  if (next.every((b, i) => b === value[i])) return [];
  const edits: Edit[] = [{ start: position.dataOffset, end: position.end, insert: next }];
  if (crc) {
    const checked = found.clusterEnd - crc.element.end;
    const sum = new Uint8Array(4);
    putU32le(sum, 0, crc32Patched(crc.value, checked, position.dataOffset - crc.element.end, value, next));
    edits.unshift({ start: crc.element.dataOffset, end: crc.element.end, insert: sum });
  }
  return edits;
}

/** Same edits in the same places with the same sizes: the positions they imply are the same. */
const sameShape = (a: readonly Edit[], b: readonly Edit[]): boolean =>
  a.length === b.length && a.every((e, i) => e.start === b[i]?.start && e.end === b[i]?.end && e.insert.length === b[i]?.insert.length);
