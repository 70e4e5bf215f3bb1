import { ascii, concat, fromAscii, printableAscii, putU32be, putU64be, u32be, u64be } from '../binary/bytes.js';
import { type ByteSource, headerReader, readExact } from '../binary/source.js';
import { LimitExceededError, MalformedInputError } from '../errors.js';

/**
 * ISO base media file format boxes (ISO/IEC 14496-12 §4.2), shared by MP4, MOV,
 * M4A, HEIF and AVIF: u32 size (0 = to the end, 1 = u64 largesize follows),
 * FourCC type, and for `uuid` a 16-byte user type.
 */
export interface Box {
  readonly type: string;
  readonly offset: number;
  /** 8, 16, or 24/32 with a uuid. */
  readonly headerSize: number;
  /** Total size including the header. */
  readonly size: number;
  readonly end: number;
  /** Hex user type of a `uuid` box. */
  readonly uuid?: string;
}

/** ISO-BMFF brands of audio-only files (Apple M4A/M4B/M4P, Adobe F4A/F4B): the audio package's M4A handler claims them, the video package's MP4 handler leaves them. */
export const AUDIO_BRANDS: ReadonlySet<string> = new Set(['M4A ', 'M4B ', 'M4P ', 'F4A ', 'F4B ']);

/** Most boxes one level may have before the walker gives up on a hostile file. */
export const maximumBoxCount = 1_000_000;
/** Deepest box nesting walked (real files nest under ten; the C2PA SDK refuses past 32 too). */
export const maximumBoxDepth = 32;

/** Parses the box header at `offset` in `bytes` (which must hold at least 32 bytes or to `end`). */
export function parseBoxHeader(bytes: Uint8Array, at: number, offset: number, end: number, format: string): Box {
  if (end - offset < 8) throw new MalformedInputError(format, `box header at offset ${offset} is truncated`);
  let size = u32be(bytes, at);
  const type = fromAscii(bytes, at + 4, at + 8);
  let headerSize = 8;
  if (size === 1) {
    if (end - offset < 16) throw new MalformedInputError(format, `64-bit box header at offset ${offset} is truncated`);
    size = u64be(bytes, at + 8);
    headerSize = 16;
  } else if (size === 0) {
    size = end - offset;
  }
  let uuid: string | undefined;
  if (type === 'uuid') {
    if (end - offset < headerSize + 16) throw new MalformedInputError(format, `uuid box at offset ${offset} is truncated`);
    uuid = Array.from(bytes.subarray(at + headerSize, at + headerSize + 16), (b) => b.toString(16).padStart(2, '0')).join('');
    headerSize += 16;
  }
  if (size < headerSize)
    throw new MalformedInputError(format, `box "${printableAscii(type)}" at offset ${offset} has size ${size}, smaller than its header`);
  if (offset + size > end) {
    throw new MalformedInputError(
      format,
      `box "${printableAscii(type)}" at offset ${offset} declares ${size} bytes, past the end of its container at ${end}`,
    );
  }
  return uuid === undefined
    ? { type, offset, headerSize, size, end: offset + size }
    : { type, offset, headerSize, size, end: offset + size, uuid };
}

/** The boxes in `[start, end)` of a source, one at a time (reading only their headers), so a walk over a million holds none of them. */
export async function* boxesOf(source: ByteSource, start: number, end: number, format: string): AsyncGenerator<Box> {
  const read = headerReader(source, format);
  let count = 0;
  for (let offset = start; offset < end; count++) {
    if (count >= maximumBoxCount) throw new LimitExceededError(`${format}: more than ${maximumBoxCount} boxes at one level`);
    const head = await read(offset, Math.min(32, end - offset), 'box header');
    const box = parseBoxHeader(head, 0, offset, end, format);
    yield box;
    offset = box.end;
  }
}

/** Lists the boxes in `[start, end)` of a source, reading only their headers. */
export async function listBoxes(source: ByteSource, start: number, end: number, format: string): Promise<Box[]> {
  const boxes: Box[] = [];
  for await (const box of boxesOf(source, start, end, format)) boxes.push(box);
  return boxes;
}

/** The boxes in `[start, end)` of bytes already in memory, one at a time. */
export function* boxesIn(bytes: Uint8Array, start: number, end: number, format: string): Generator<Box> {
  let count = 0;
  for (let offset = start; offset < end; count++) {
    if (count >= maximumBoxCount) throw new LimitExceededError(`${format}: more than ${maximumBoxCount} boxes at one level`);
    const box = parseBoxHeader(bytes, offset, offset, end, format);
    yield box;
    offset = box.end;
  }
}

/** Lists the boxes in `[start, end)` of bytes already in memory. */
export const listBoxesIn = (bytes: Uint8Array, start: number, end: number, format: string): Box[] => [
  ...boxesIn(bytes, start, end, format),
];

/** A box with a 32-bit size, or a 64-bit largesize when the payload needs it. */
export function makeBox(type: string, payload: Uint8Array | readonly Uint8Array[]): Uint8Array {
  const body = payload instanceof Uint8Array ? payload : concat(payload);
  const large = body.length + 8 > 0xffffffff;
  const header = new Uint8Array(large ? 16 : 8);
  putU32be(header, 0, large ? 1 : body.length + 8);
  header.set(ascii(type), 4);
  if (large) putU64be(header, 8, body.length + 16);
  return concat([header, body]);
}

/** A FullBox: version (u8) and flags (u24) before the payload. */
export function makeFullBox(type: string, version: number, flags: number, payload: Uint8Array | readonly Uint8Array[]): Uint8Array {
  const vf = new Uint8Array(4);
  putU32be(vf, 0, ((version & 0xff) << 24) | (flags & 0xffffff));
  return makeBox(type, [vf, ...(payload instanceof Uint8Array ? [payload] : payload)]);
}

/** Reads a whole box into memory, refusing boxes over `limit` bytes (moov, moof: never mdat). */
export async function readBox(source: ByteSource, box: Box, format: string, limit: number): Promise<Uint8Array> {
  if (box.size > limit)
    throw new LimitExceededError(
      `${format}: box "${printableAscii(box.type)}" at offset ${box.offset} is ${box.size} bytes, over the ${limit}-byte limit`,
    );
  return readExact(source, box.offset, box.size, format, `box "${printableAscii(box.type)}"`);
}

/** Boxes whose payload is nothing but child boxes and that can hold offsets (ISO/IEC 14496-12 §8.1-§8.8). */
export const containerBoxes: ReadonlySet<string> = new Set([
  'moov',
  'trak',
  'mdia',
  'minf',
  'stbl',
  'edts',
  'dinf',
  'mvex',
  'moof',
  'traf',
  'mfra',
]);

/**
 * Rebuilds a container box held in `bytes` (the box starts at offset 0): `edit`
 * sees every descendant and returns replacement bytes (empty to drop it) or
 * undefined to keep it, in which case containers are descended into. A box
 * none of whose descendants changed keeps its original bytes, header included.
 */
export function rewriteBoxTree(
  bytes: Uint8Array,
  format: string,
  edit: (box: Box, boxBytes: Uint8Array, path: readonly string[]) => Uint8Array | undefined,
  path: readonly string[] = [],
): Uint8Array {
  if (path.length >= maximumBoxDepth) throw new LimitExceededError(`${format}: boxes nested deeper than ${maximumBoxDepth} levels`);
  const root = parseBoxHeader(bytes, 0, 0, bytes.length, format);
  const here = [...path, root.type];
  const parts: Uint8Array[] = [];
  let changed = false;
  // Unchanged children are copied as runs, so a box with a million children costs a few parts.
  let runStart = root.headerSize;
  for (const child of boxesIn(bytes, root.headerSize, root.end, format)) {
    const childBytes = bytes.subarray(child.offset, child.end);
    let replacement = edit(child, childBytes, here);
    if (replacement === undefined && containerBoxes.has(child.type)) replacement = rewriteBoxTree(childBytes, format, edit, here);
    if (replacement === undefined || replacement === childBytes) continue;
    changed = true;
    parts.push(bytes.subarray(runStart, child.offset), replacement);
    runStart = child.end;
  }
  if (!changed) return bytes;
  parts.push(bytes.subarray(runStart, root.end));
  return makeBox(root.type, parts);
}

/** Maps an offset in the input file to the same byte's offset in the output. */
export type OffsetShift = (offset: number) => number;

const maximumU32 = 0xffffffff;

/** Entry count of a stco/co64/tfra-style table, bounded by the bytes that hold it. */
function tableCount(payload: Uint8Array, at: number, entrySize: number, box: Box, format: string): number {
  const count = u32be(payload, at);
  if (at + 4 + count * entrySize > payload.length) {
    throw new MalformedInputError(format, `${box.type} box at offset ${box.offset} declares ${count} entries, more than it holds`);
  }
  return count;
}

/**
 * Size 0 ("to the end") is for the last top-level box only (ISO/IEC 14496-12 §4.2): inside a box
 * a writer grows (moov, udta, meta, ilst, iinf, iref) it would swallow what is added after it, so
 * the label would land inside it. `childBytes` starts at the child's header.
 */
export function refuseSizeZero(childBytes: Uint8Array, type: string, container: string, format: string): void {
  if (u32be(childBytes, 0) !== 0) return;
  throw new MalformedInputError(
    format,
    `box "${printableAscii(type)}" inside ${printableAscii(container)} has size 0 (to the end), which only the last top-level box may have; refusing to write`,
  );
}

/**
 * Every chunk offset in a `moov` held in memory (stco and co64 of every trak, ISO/IEC 14496-12
 * §8.7.5), in file order of their tables: where the track data is read from.
 */
export function* chunkOffsets(moov: Uint8Array, format: string, depth = 0): Generator<number> {
  if (depth >= maximumBoxDepth) throw new LimitExceededError(`${format}: boxes nested deeper than ${maximumBoxDepth} levels`);
  const root = parseBoxHeader(moov, 0, 0, moov.length, format);
  for (const box of boxesIn(moov, root.headerSize, root.end, format)) {
    const boxBytes = moov.subarray(box.offset, box.end);
    if (containerBoxes.has(box.type)) yield* chunkOffsets(boxBytes, format, depth + 1);
    if (box.type !== 'stco' && box.type !== 'co64') continue;
    const payload = boxBytes.subarray(box.headerSize);
    const wide = box.type === 'co64';
    const count = tableCount(payload, 4, wide ? 8 : 4, box, format);
    for (let i = 0; i < count; i++) yield wide ? u64be(payload, 8 + i * 8) : u32be(payload, 8 + i * 4);
  }
}

/**
 * Applies `shift` to every chunk offset in a `moov` (stco and co64 of every
 * trak, ISO/IEC 14496-12 §8.7.5). A `stco` whose shifted offsets no longer fit
 * 32 bits becomes a `co64`, which grows the moov: callers iterate until the size
 * is stable.
 */
export function shiftChunkOffsets(moov: Uint8Array, shift: OffsetShift, format: string): Uint8Array {
  return rewriteBoxTree(moov, format, (box, boxBytes) => {
    if (box.type !== 'stco' && box.type !== 'co64') return undefined;
    const payload = boxBytes.subarray(box.headerSize);
    const wide = box.type === 'co64';
    const count = tableCount(payload, 4, wide ? 8 : 4, box, format);
    const offsets: number[] = [];
    let changed = false;
    for (let i = 0; i < count; i++) {
      const old = wide ? u64be(payload, 8 + i * 8) : u32be(payload, 8 + i * 4);
      const moved = shift(old);
      if (moved !== old) changed = true;
      offsets.push(moved);
    }
    if (!changed) return undefined;
    const promote = wide || offsets.some((o) => o > maximumU32);
    const table = new Uint8Array(4 + count * (promote ? 8 : 4));
    putU32be(table, 0, count);
    for (let i = 0; i < count; i++) {
      if (promote) putU64be(table, 4 + i * 8, offsets[i]!);
      else putU32be(table, 4 + i * 4, offsets[i]!);
    }
    return makeBox(promote ? 'co64' : 'stco', [payload.subarray(0, 4), table]);
  });
}

/**
 * Applies `shift` to the absolute offsets of a fragmented file's `moof`
 * (`tfhd` base_data_offset when flag 0x000001 is set, §8.8.7) or `mfra`
 * (`tfra` moof_offset, §8.8.10). Sizes never change; offsets relative to the
 * moof (default-base-is-moof, trun data_offset) need nothing.
 */
export function shiftFragmentOffsets(box: Uint8Array, shift: OffsetShift, format: string): Uint8Array {
  return rewriteBoxTree(box, format, (child, childBytes) => {
    if (child.type === 'tfhd') {
      const flags = u32be(childBytes, child.headerSize) & 0xffffff;
      if (!(flags & 1)) return undefined;
      if (child.size < child.headerSize + 16) throw new MalformedInputError(format, `tfhd box at offset ${child.offset} is truncated`);
      const at = child.headerSize + 8;
      const old = u64be(childBytes, at);
      if (shift(old) === old) return undefined;
      const out = childBytes.slice();
      putU64be(out, at, shift(old));
      return out;
    }
    if (child.type !== 'tfra') return undefined;
    const payload = childBytes.subarray(child.headerSize);
    if (payload.length < 16) throw new MalformedInputError(format, `tfra box at offset ${child.offset} is truncated`);
    const version = payload[0];
    const lengths = u32be(payload, 8);
    const tail = ((lengths >> 4) & 3) + ((lengths >> 2) & 3) + (lengths & 3) + 3;
    const entrySize = (version === 1 ? 16 : 8) + tail;
    const count = tableCount(payload, 12, entrySize, child, format);
    const out = childBytes.slice();
    let changed = false;
    for (let i = 0; i < count; i++) {
      const at = child.headerSize + 16 + i * entrySize + (version === 1 ? 8 : 4);
      const old = version === 1 ? u64be(out, at) : u32be(out, at);
      const moved = shift(old);
      if (moved === old) continue;
      if (version !== 1 && moved > maximumU32) {
        throw new LimitExceededError(`${format}: a tfra moof_offset would pass 4 GiB in a version-0 tfra box; refusing to write`);
      }
      if (version === 1) putU64be(out, at, moved);
      else putU32be(out, at, moved);
      changed = true;
    }
    return changed ? out : undefined;
  });
}

/** The first child of type `type` directly inside `parent` (held in `bytes`, offsets relative to `bytes`). */
export function childBox(bytes: Uint8Array, parent: Box, type: string, format: string, skip = 0): Box | undefined {
  for (const child of boxesIn(bytes, parent.offset + parent.headerSize + skip, parent.end, format)) if (child.type === type) return child;
  return undefined;
}

/** The box at the end of `path` below `root` (held in `bytes`): each step the first child of that type. */
export function boxAt(bytes: Uint8Array, root: Box, path: readonly string[], format: string): Box | undefined {
  let box: Box | undefined = root;
  for (const type of path) box = box && childBox(bytes, box, type, format);
  return box;
}

/** One stsc entry (ISO/IEC 14496-12 §8.7.4): from `firstChunk` (1-based) on, chunks hold `samplesPerChunk` samples. */
export interface ChunkRun {
  readonly firstChunk: number;
  readonly samplesPerChunk: number;
  readonly descriptionIndex: number;
}

/**
 * A track's sample table (ISO/IEC 14496-12 §8.6.1.2, §8.7.3-§8.7.5) expanded to one entry per
 * sample: its duration, size and file offset, with the chunks it was read from.
 */
export interface SampleTable {
  readonly count: number;
  /** stts, one duration per sample. */
  readonly durations: Uint32Array;
  /** stsz, one size per sample. */
  readonly sizes: Uint32Array;
  /** Where each sample starts in the file. */
  readonly offsets: Float64Array;
  /** stco/co64. */
  readonly chunkOffsets: Float64Array;
  /** stsc. */
  readonly chunkRuns: readonly ChunkRun[];
}

/** Most samples one track's table is expanded to (16 bytes each): a day of video at 300 fps, or AAC at 48 kHz for over a week. */
export const maximumSampleCount = 1 << 25;

/** A FullBox's payload after version and flags, checked to hold `need` bytes after its 4-byte entry count. */
function tablePayload(
  bytes: Uint8Array,
  box: Box,
  entrySize: number,
  skip: number,
  format: string,
  tolerant = false,
): { at: number; count: number } {
  const at = box.offset + box.headerSize + 4 + skip;
  if (at + 4 > box.end) {
    if (tolerant) return { at, count: 0 };
    throw new MalformedInputError(format, `${box.type} box at offset ${box.offset} is truncated`);
  }
  const count = u32be(bytes, at);
  if (count * entrySize > box.end - at - 4) {
    // A tolerant reader takes the entries the box holds.
    if (tolerant) return { at: at + 4, count: Math.floor((box.end - at - 4) / entrySize) };
    throw new MalformedInputError(format, `${box.type} box at offset ${box.offset} declares ${count} entries, more than it holds`);
  }
  return { at: at + 4, count };
}

/**
 * Where the first samples of the `stbl` box `stbl` lie in the file, at most `maxSamples` of them
 * and `maxBytes` in all, as far as the tables locate them: for readers of what an encoder writes
 * into the first access units (vendor SEI), which keep what a damaged table still locates where
 * {@link readSampleTable} refuses the whole table. Reads only the entries it needs.
 */
export function firstSamples(
  bytes: Uint8Array,
  stbl: Box,
  format: string,
  maxSamples: number,
  maxBytes: number,
): { offset: number; size: number }[] {
  const stsz = childBox(bytes, stbl, 'stsz', format);
  const stsc = childBox(bytes, stbl, 'stsc', format);
  const wide = childBox(bytes, stbl, 'co64', format);
  const chunkBox = wide ?? childBox(bytes, stbl, 'stco', format);
  if (!stsz || !stsc || !chunkBox || stsz.offset + stsz.headerSize + 8 > stsz.end) return [];
  const fixed = u32be(bytes, stsz.offset + stsz.headerSize + 4);
  const sizes = tablePayload(bytes, stsz, fixed === 0 ? 4 : 0, 4, format, true);
  const chunks = tablePayload(bytes, chunkBox, wide ? 8 : 4, 0, format, true);
  const runs = tablePayload(bytes, stsc, 12, 0, format, true);
  const out: { offset: number; size: number }[] = [];
  let sample = 0;
  let total = 0;
  for (let run = 0; run < runs.count; run++) {
    const at = runs.at + run * 12;
    const first = u32be(bytes, at) - 1;
    const next = run + 1 < runs.count ? u32be(bytes, at + 12) - 1 : chunks.count;
    const perChunk = u32be(bytes, at + 4);
    for (let chunk = Math.max(0, first); chunk < Math.min(next, chunks.count); chunk++) {
      let offset = wide ? u64be(bytes, chunks.at + chunk * 8) : u32be(bytes, chunks.at + chunk * 4);
      for (let i = 0; i < perChunk && sample < sizes.count; i++, sample++) {
        const size = fixed !== 0 ? fixed : u32be(bytes, sizes.at + sample * 4);
        if (out.length >= maxSamples || total + size > maxBytes) return out;
        out.push({ offset, size });
        offset += size;
        total += size;
      }
    }
  }
  return out;
}

/**
 * Reads the sample table of the `stbl` box `stbl` held in `bytes`. Every count is bounded by
 * the bytes that hold it, and the tables must agree (as many durations as sizes, every sample
 * in a chunk); compact sizes (stz2) are not read. Linear in the table.
 */
export function readSampleTable(bytes: Uint8Array, stbl: Box, format: string): SampleTable {
  const need = (type: string): Box => {
    const box = childBox(bytes, stbl, type, format);
    if (!box) throw new MalformedInputError(format, `the sample table has no ${type} box`);
    return box;
  };
  const stsz = need('stsz');
  const fixed = u32be(bytes, stsz.offset + stsz.headerSize + 4);
  const { at: sizesAt, count } = tablePayload(bytes, stsz, fixed === 0 ? 4 : 0, 4, format);
  // Samples of one fixed size take no bytes each, so only this bounds what is allocated below.
  if (count > maximumSampleCount)
    throw new LimitExceededError(`${format}: the stsz box declares ${count} samples, over the ${maximumSampleCount} limit`);
  const sizes = new Uint32Array(count);
  for (let i = 0; i < count; i++) sizes[i] = fixed === 0 ? u32be(bytes, sizesAt + i * 4) : fixed;

  const stts = tablePayload(bytes, need('stts'), 8, 0, format);
  const durations = new Uint32Array(count);
  let sample = 0;
  for (let i = 0; i < stts.count; i++) {
    const run = u32be(bytes, stts.at + i * 8);
    if (run > count - sample) throw new MalformedInputError(format, 'the stts box times more samples than the stsz box sizes');
    durations.fill(u32be(bytes, stts.at + i * 8 + 4), sample, sample + run);
    sample += run;
  }
  if (sample !== count) throw new MalformedInputError(format, `the stts box times ${sample} samples, the stsz box sizes ${count}`);

  const wide = childBox(bytes, stbl, 'co64', format);
  const chunkBox = wide ?? need('stco');
  const chunks = tablePayload(bytes, chunkBox, wide ? 8 : 4, 0, format);
  const chunkOffsets = new Float64Array(chunks.count);
  for (let i = 0; i < chunks.count; i++) chunkOffsets[i] = wide ? u64be(bytes, chunks.at + i * 8) : u32be(bytes, chunks.at + i * 4);

  const stsc = tablePayload(bytes, need('stsc'), 12, 0, format);
  const chunkRuns: ChunkRun[] = [];
  const offsets = new Float64Array(count);
  sample = 0;
  for (let i = 0; i < stsc.count; i++) {
    const at = stsc.at + i * 12;
    const run = { firstChunk: u32be(bytes, at), samplesPerChunk: u32be(bytes, at + 4), descriptionIndex: u32be(bytes, at + 8) };
    const previous = chunkRuns[i - 1]?.firstChunk ?? 0;
    const last = i + 1 < stsc.count ? u32be(bytes, at + 12) - 1 : chunks.count;
    if (run.firstChunk <= previous || run.firstChunk > last + 1 || last > chunks.count) {
      throw new MalformedInputError(format, 'the stsc box names chunks out of order or past the chunk offset table');
    }
    chunkRuns.push(run);
    for (let chunk = run.firstChunk; chunk <= last; chunk++) {
      if (run.samplesPerChunk > count - sample)
        throw new MalformedInputError(format, 'the stsc box puts more samples in chunks than there are');
      let offset = chunkOffsets[chunk - 1]!;
      for (let k = 0; k < run.samplesPerChunk; k++, sample++) {
        offsets[sample] = offset;
        offset += sizes[sample]!;
      }
    }
  }
  if (sample !== count) throw new MalformedInputError(format, `the chunks hold ${sample} samples, the stsz box sizes ${count}`);
  return { count, durations, sizes, offsets, chunkOffsets, chunkRuns };
}

const fullBoxHeader = (count: number): Uint8Array => {
  const head = new Uint8Array(8);
  putU32be(head, 4, count);
  return head;
};

/** An stts box (version 0) for per-sample durations, equal neighbours run-length coded. */
export function sttsBox(durations: ArrayLike<number>): Uint8Array {
  const runs: number[] = [];
  for (let i = 0; i < durations.length; i++) {
    if (runs.length > 0 && runs[runs.length - 1] === durations[i]) runs[runs.length - 2]!++;
    else runs.push(1, durations[i]!);
  }
  const body = new Uint8Array(8 + runs.length * 4);
  body.set(fullBoxHeader(runs.length / 2));
  for (let i = 0; i < runs.length; i++) putU32be(body, 8 + i * 4, runs[i]!);
  return makeBox('stts', body);
}

/** An stsz box (version 0) listing every sample's size. */
export function stszBox(sizes: ArrayLike<number>): Uint8Array {
  const body = new Uint8Array(12 + sizes.length * 4);
  putU32be(body, 8, sizes.length);
  for (let i = 0; i < sizes.length; i++) putU32be(body, 12 + i * 4, sizes[i]!);
  return makeBox('stsz', body);
}

/** An stsc box (version 0). */
export function stscBox(runs: readonly ChunkRun[]): Uint8Array {
  const body = new Uint8Array(8 + runs.length * 12);
  body.set(fullBoxHeader(runs.length));
  runs.forEach((run, i) => {
    putU32be(body, 8 + i * 12, run.firstChunk);
    putU32be(body, 12 + i * 12, run.samplesPerChunk);
    putU32be(body, 16 + i * 12, run.descriptionIndex);
  });
  return makeBox('stsc', body);
}

/** An stco box, or a co64 when an offset passes 4 GiB (or `wide` asks for one). */
export function chunkOffsetBox(offsets: ArrayLike<number>, wide = false): Uint8Array {
  let large = wide;
  for (let i = 0; i < offsets.length && !large; i++) large = offsets[i]! > maximumU32;
  const size = large ? 8 : 4;
  const body = new Uint8Array(8 + offsets.length * size);
  body.set(fullBoxHeader(offsets.length));
  for (let i = 0; i < offsets.length; i++) {
    if (large) putU64be(body, 8 + i * 8, offsets[i]!);
    else putU32be(body, 8 + i * 4, offsets[i]!);
  }
  return makeBox(large ? 'co64' : 'stco', body);
}

/** A FullBox's version, and where its payload after version and flags starts (checked to hold `need` bytes). */
function fullBoxPayload(bytes: Uint8Array, box: Box, need: number, format: string): { version: number; at: number } {
  const at = box.offset + box.headerSize + 4;
  if (at + need > box.end) throw new MalformedInputError(format, `${box.type} box at offset ${box.offset} is truncated`);
  return { version: bytes[box.offset + box.headerSize]!, at };
}

/** Where the duration field of an mvhd, tkhd or mdhd is (after the times, and tkhd's track id), and whether it is 64-bit. */
export function durationField(bytes: Uint8Array, box: Box, format = 'mp4'): { at: number; wide: boolean } {
  const version = bytes[box.offset + box.headerSize]!;
  const skip = (version === 1 ? 16 : 8) + (box.type === 'tkhd' ? 8 : 4);
  const { at } = fullBoxPayload(bytes, box, skip + (version === 1 ? 8 : 4), format);
  return { at: at + skip, wide: version === 1 };
}

/** The duration of an mvhd, tkhd or mdhd (ISO/IEC 14496-12 §8.2.2, §8.3.2, §8.4.2), in its timescale. */
export function durationOf(bytes: Uint8Array, box: Box, format = 'mp4'): number {
  const { at, wide } = durationField(bytes, box, format);
  return wide ? u64be(bytes, at) : u32be(bytes, at);
}

/** The timescale of an mvhd or mdhd: ticks per second, after the creation and modification times. */
export function timescaleOf(bytes: Uint8Array, box: Box, format = 'mp4'): number {
  const version = bytes[box.offset + box.headerSize]!;
  const { at } = fullBoxPayload(bytes, box, (version === 1 ? 16 : 8) + 4, format);
  return u32be(bytes, at + (version === 1 ? 16 : 8));
}

/** The handler type of a trak (mdia/hdlr, §8.4.3): `vide`, `soun`, `text`… */
export function handlerOf(bytes: Uint8Array, trak: Box, format = 'mp4'): string | undefined {
  const hdlr = boxAt(bytes, trak, ['mdia', 'hdlr'], format);
  return hdlr && hdlr.size >= hdlr.headerSize + 12
    ? fromAscii(bytes, hdlr.offset + hdlr.headerSize + 8, hdlr.offset + hdlr.headerSize + 12)
    : undefined;
}

/** One elst entry (§8.6.6): `segmentDuration` in movie ticks plays the media from `mediaTime` (-1: an empty edit) at `rate` (16.16). */
export interface EditEntry {
  readonly segmentDuration: number;
  readonly mediaTime: number;
  readonly rate: number;
}

/** The entries of an elst box, bounded by the bytes that hold them; a version-1 time past 2^53 is refused. */
export function readEditList(bytes: Uint8Array, elst: Box, format: string): EditEntry[] {
  const { version } = fullBoxPayload(bytes, elst, 4, format);
  const wide = version === 1;
  const { at, count } = tablePayload(bytes, elst, wide ? 20 : 12, 0, format);
  const entries: EditEntry[] = [];
  for (let i = 0; i < count; i++) {
    const e = at + i * (wide ? 20 : 12);
    const segmentDuration = wide ? u64be(bytes, e) : u32be(bytes, e);
    const high = u32be(bytes, e + (wide ? 8 : 4));
    // Media time is signed, and -1 (all bits set) is the only negative one: an empty edit.
    const empty = high === 0xffffffff && (!wide || u32be(bytes, e + 12) === 0xffffffff);
    const mediaTime = empty ? -1 : high >= 0x80000000 ? Number.NaN : wide ? u64be(bytes, e + 8) : high;
    if (!Number.isSafeInteger(segmentDuration) || !Number.isSafeInteger(mediaTime)) {
      throw new MalformedInputError(format, `edit ${i} of the elst box at offset ${elst.offset} has a time out of range`);
    }
    entries.push({ segmentDuration, mediaTime, rate: u32be(bytes, e + (wide ? 16 : 8)) });
  }
  return entries;
}

/** The stss box's sync samples (§8.6.2), 1-based sample numbers as stored. */
export function readSyncSamples(bytes: Uint8Array, stss: Box, format: string): Uint32Array {
  const { at, count } = tablePayload(bytes, stss, 4, 0, format);
  const samples = new Uint32Array(count);
  for (let i = 0; i < count; i++) samples[i] = u32be(bytes, at + i * 4);
  return samples;
}

/**
 * The ctts box's runs (§8.6.1.3): `counts[i]` samples in a row have composition offset
 * `offsets[i]`. Offsets are read signed in both versions, as players do: a version-0 offset
 * past 2^31 is a negative one written by a muxer that ignored the version.
 */
export function readCompositionOffsets(bytes: Uint8Array, ctts: Box, format: string): { counts: Uint32Array; offsets: Int32Array } {
  const { at, count } = tablePayload(bytes, ctts, 8, 0, format);
  const counts = new Uint32Array(count);
  const offsets = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    counts[i] = u32be(bytes, at + i * 8);
    offsets[i] = u32be(bytes, at + i * 8 + 4) | 0;
  }
  return { counts, offsets };
}

/** The sample entries of an stsd box (§8.5.2), which must be as many as its entry count says. */
export function sampleEntries(bytes: Uint8Array, stsd: Box, format: string): Box[] {
  const { at } = fullBoxPayload(bytes, stsd, 4, format);
  const entries = listBoxesIn(bytes, at + 4, stsd.end, format);
  if (entries.length !== u32be(bytes, at)) {
    throw new MalformedInputError(
      format,
      `the stsd box at offset ${stsd.offset} declares ${u32be(bytes, at)} entries and holds ${entries.length}`,
    );
  }
  return entries;
}

/**
 * Whether a track's media data is in this file: the self-contained flag of the first `url `
 * entry of minf/dinf/dref (§8.7.2); undefined when there is none.
 */
export function dataInSameFile(bytes: Uint8Array, minf: Box, format: string): boolean | undefined {
  const dref = boxAt(bytes, minf, ['dinf', 'dref'], format);
  const url = dref && childBox(bytes, dref, 'url ', format, 8);
  return url && (bytes[url.offset + url.headerSize + 3]! & 1) === 1;
}
