import { ascii, concat, fromAscii, printableAscii, putU32le, putU64le, u32le, u64le } from '../binary/bytes.js';
import { type ByteSource, headerReader, readExact } from '../binary/source.js';
import { LimitExceededError, MalformedInputError } from '../errors.js';

/**
 * RIFF chunks, shared by WAV, AVI and WebP: FourCC, u32 little-endian size,
 * data, one pad byte when the size is odd.
 */
export interface RiffChunk {
  readonly id: string;
  /** Offset of the chunk header. */
  readonly offset: number;
  readonly dataOffset: number;
  /** Declared data size, without the pad byte. */
  readonly size: number;
  /** Offset just past the data and its pad byte. */
  readonly end: number;
  /** For LIST chunks: the list type ('INFO', 'movi', 'hdrl'). */
  readonly listType?: string;
}

export interface RiffHeader {
  /** 'RIFF', 'RF64' or 'BW64'. */
  readonly magic: string;
  /** Form type: 'WAVE', 'AVI ', 'WEBP'. */
  readonly form: string;
  readonly declaredSize: number;
}

/**
 * RIFF sizes from here to 0xFFFFFFFF that run past the end of the file are a streaming writer's
 * placeholder, not a 4 GiB file cut short: no room is left below the 32-bit limit for a real file.
 */
const streamingPlaceholderFloor = 0xffff0000;

/** Most chunks one level may have before a walker gives up on a hostile file (real files have a few dozen; each costs an object). */
export const maximumRiffChunkCount = 100_000;

export function parseRiffHeader(head: Uint8Array, format: string): RiffHeader {
  if (head.length < 12) throw new MalformedInputError(format, 'file is shorter than a RIFF header (12 bytes)');
  const magic = fromAscii(head, 0, 4);
  if (magic !== 'RIFF' && magic !== 'RF64' && magic !== 'BW64') throw new MalformedInputError(format, 'no RIFF header');
  return { magic, form: fromAscii(head, 8, 12), declaredSize: u32le(head, 4) };
}

/**
 * Lists the chunks in `[start, end)`. A chunk that claims to run past `end` is
 * an error unless `tolerateTruncatedLast` (some writers leave the last chunk
 * short), in which case it is clipped and reported via `truncated`.
 */
export async function listRiffChunks(
  source: ByteSource,
  start: number,
  end: number,
  format: string,
  /**
   * The real size of a chunk whose 32-bit size is the 0xFFFFFFFF placeholder: from
   * ds64 in RF64/BW64 (EBU Tech 3306 §3.2), or "to the end" in a streamed file.
   */
  largeSize?: (id: string, dataOffset: number, declared: number) => number | undefined,
  /**
   * Salvage reading (issue 25 item 2): a chunk that runs past `end` is clipped to it and ends
   * the walk, and a `data` size of 0xFFFFFFFF means "to the end"; each is noted here.
   */
  damage?: string[],
): Promise<{ chunks: RiffChunk[]; trailing: number }> {
  const chunks: RiffChunk[] = [];
  const read = headerReader(source, format);
  let offset = start;
  while (offset + 8 <= end) {
    if (chunks.length >= maximumRiffChunkCount) throw new LimitExceededError(`${format}: more than ${maximumRiffChunkCount} RIFF chunks`);
    const header = await read(offset, 12 <= end - offset ? 12 : 8, 'chunk header');
    const id = fromAscii(header, 0, 4);
    const declared = u32le(header, 4);
    const dataOffset = offset + 8;
    let size =
      largeSize && (declared === 0xffffffff || dataOffset + declared > end) ? (largeSize(id, dataOffset, declared) ?? declared) : declared;
    if (dataOffset + size > end) {
      const problem = `chunk "${printableAscii(id)}" at offset ${offset} declares ${size} bytes, past the end of its container at ${end}`;
      if (!damage) throw new MalformedInputError(format, problem);
      damage.push(
        id === 'data' && size === 0xffffffff
          ? `the "data" chunk at offset ${offset} has the streaming placeholder size 0xFFFFFFFF; read to the end of the file`
          : `${problem}; it was read to the end`,
      );
      size = end - dataOffset;
      const listType = (id === 'LIST' || id === 'RIFF') && size >= 4 && header.length >= 12 ? fromAscii(header, 8, 12) : undefined;
      chunks.push(listType === undefined ? { id, offset, dataOffset, size, end } : { id, offset, dataOffset, size, end, listType });
      return { chunks, trailing: 0 };
    }
    const padded = dataOffset + size + (size & 1);
    const listType = (id === 'LIST' || id === 'RIFF') && size >= 4 && header.length >= 12 ? fromAscii(header, 8, 12) : undefined;
    chunks.push(
      listType === undefined
        ? { id, offset, dataOffset, size, end: Math.min(padded, end) }
        : { id, offset, dataOffset, size, end: Math.min(padded, end), listType },
    );
    offset = padded;
  }
  return { chunks, trailing: Math.max(0, end - offset) };
}

/** A complete chunk: header, data, pad byte when odd. */
export function riffChunk(id: string, data: Uint8Array): Uint8Array {
  if (id.length !== 4) throw new TypeError(`Expected a four-character chunk id but received "${id}"`);
  const header = new Uint8Array(8);
  header.set(ascii(id), 0);
  putU32le(header, 4, data.length);
  return concat(data.length & 1 ? [header, data, new Uint8Array(1)] : [header, data]);
}

/** A LIST chunk of the given type holding `children` (complete chunks). */
export const riffList = (listType: string, children: readonly Uint8Array[]): Uint8Array =>
  riffChunk('LIST', concat([ascii(listType), ...children]));

/** The 12-byte RIFF header for a body of `bodySize` bytes after the form type. */
export function riffHeader(form: string, bodySize: number): Uint8Array {
  const header = new Uint8Array(12);
  header.set(ascii('RIFF'), 0);
  putU32le(header, 4, bodySize + 4);
  header.set(ascii(form), 8);
  return header;
}

/** Most entries one LIST/INFO may have (real files have a dozen; each parsed entry costs an object). */
export const maximumInfoEntries = 10_000;

/** One sub-chunk of a LIST/INFO chunk (RIFF INFO, e.g. INAM, ICMT, or the guide's AIGC). */
export interface InfoEntry {
  readonly id: string;
  /** Offset of the sub-chunk header within the bytes given to `parseInfoList`. */
  readonly offset: number;
  readonly data: Uint8Array;
}

/**
 * Parses the body of a LIST chunk of type INFO (the bytes after 'INFO').
 * `base` is added to reported offsets so they point into the file; with `damage`
 * (salvage reading) an entry past the end stops the walk instead of failing it.
 */
export function parseInfoList(body: Uint8Array, format: string, base = 0, damage?: string[]): InfoEntry[] {
  const entries: InfoEntry[] = [];
  let offset = 0;
  while (offset + 8 <= body.length) {
    if (entries.length >= maximumInfoEntries) throw new LimitExceededError(`${format}: more than ${maximumInfoEntries} INFO entries`);
    const id = fromAscii(body, offset, offset + 4);
    const size = u32le(body, offset + 4);
    if (offset + 8 + size > body.length) {
      const problem = `INFO entry "${printableAscii(id)}" at offset ${base + offset} runs past the end of its LIST`;
      // Salvage reading keeps the entries before it (issue 25 item 2).
      if (!damage) throw new MalformedInputError(format, problem);
      damage.push(problem);
      break;
    }
    entries.push({ id, offset: base + offset, data: body.subarray(offset + 8, offset + 8 + size) });
    offset += 8 + size + (size & 1);
  }
  return entries;
}

/** A LIST/INFO chunk from entries, in order (each padded to even length). */
export const buildInfoList = (entries: readonly { id: string; data: Uint8Array }[]): Uint8Array =>
  riffList(
    'INFO',
    entries.map((e) => riffChunk(e.id, e.data)),
  );

/** An 8-byte chunk header: FourCC and u32 little-endian data size (the data is copied separately). */
export function riffChunkHeader(id: string, size: number): Uint8Array {
  if (id.length !== 4) throw new TypeError(`Expected a four-character chunk id but received "${id}"`);
  if (size > 0xffffffff) throw new RangeError(`chunk "${id}" of ${size} bytes does not fit a 32-bit RIFF size`);
  const header = new Uint8Array(8);
  header.set(ascii(id), 0);
  putU32le(header, 4, size);
  return header;
}

/**
 * RF64/BW64 sizes (EBU Tech 3306 §3.2): the `ds64` chunk that must come first
 * holds the 64-bit RIFF and data sizes and a table for other large chunks; the
 * 32-bit fields they replace read 0xFFFFFFFF.
 */
export interface Ds64 {
  /** The ds64 chunk itself. */
  readonly chunk: RiffChunk;
  readonly riffSize: number;
  readonly dataSize: number;
  readonly sampleCount: number;
  /** Sizes of other chunks, by id. */
  readonly table: ReadonlyMap<string, number>;
}

/** Most ds64 table entries read. */
const maximumDs64TableLength = 1024;

async function readDs64(source: ByteSource, format: string): Promise<Ds64> {
  const header = await readExact(source, 12, 8, format, 'ds64 chunk header');
  if (fromAscii(header, 0, 4) !== 'ds64') throw new MalformedInputError(format, 'an RF64/BW64 file must start with a ds64 chunk');
  const size = u32le(header, 4);
  if (size < 28) throw new MalformedInputError(format, `ds64 chunk of ${size} bytes is shorter than its 28 fixed bytes`);
  const body = await readExact(source, 20, size, format, 'ds64 chunk');
  const tableLength = u32le(body, 24);
  if (tableLength > maximumDs64TableLength || 28 + tableLength * 12 > size) {
    throw new MalformedInputError(format, `ds64 table of ${tableLength} entries does not fit its ${size}-byte chunk`);
  }
  const table = new Map<string, number>();
  for (let i = 0; i < tableLength; i++) table.set(fromAscii(body, 28 + i * 12, 32 + i * 12), u64le(body, 32 + i * 12));
  return {
    chunk: { id: 'ds64', offset: 12, dataOffset: 20, size, end: 20 + size + (size & 1) },
    riffSize: u64le(body, 0),
    dataSize: u64le(body, 8),
    sampleCount: u64le(body, 16),
    table,
  };
}

/** A ds64 chunk body with new sizes (any bytes after the table are kept). */
export async function rewriteDs64(source: ByteSource, ds64: Ds64, riffSize: number, format: string): Promise<Uint8Array> {
  const body = (await readExact(source, ds64.chunk.dataOffset, ds64.chunk.size, format, 'ds64 chunk')).slice();
  putU64le(body, 0, riffSize);
  return riffChunk('ds64', body);
}

/** A RIFF file's top level: its header, the chunks after the form type, and bytes after the RIFF body. */
export interface RiffFile {
  readonly header: RiffHeader;
  /** Offset just past the RIFF body (8 + RIFF size). */
  readonly end: number;
  readonly chunks: readonly RiffChunk[];
  /** Bytes inside the body after the last whole chunk (fewer than 8). */
  readonly trailing: number;
  /** Bytes after the RIFF body, up to the end of the file. */
  readonly afterBody: number;
  /** RF64/BW64 only: the 64-bit sizes; `chunks` then starts with the ds64 chunk. */
  readonly ds64?: Ds64;
  /** The RIFF size (and the data size) were streaming placeholders; the sizes here are the real ones. */
  readonly streamed: boolean;
  /** The RIFF size counts the pad byte of the odd last chunk, which the file lacks. */
  readonly missingPad: boolean;
}

/**
 * Reads a RIFF, RF64 or BW64 file's header and top-level chunks with checked sizes. With
 * `damage` (salvage reading), a RIFF size past the end of the file and chunks that run past
 * it are read as far as the file goes, each noted in `damage`.
 */
export async function readRiffFile(source: ByteSource, format: string, expectedForm: string, damage?: string[]): Promise<RiffFile> {
  const header = parseRiffHeader(await readExact(source, 0, Math.min(12, source.size), format, 'RIFF header'), format);
  if (header.form !== expectedForm)
    throw new MalformedInputError(format, `RIFF form is "${printableAscii(header.form)}", not "${expectedForm}"`);
  const ds64 = header.magic === 'RIFF' ? undefined : await readDs64(source, format);
  // A writer that streams (to a pipe) cannot go back to fill in sizes: RIFF 0, 0xFFFFFFFF or
  // a placeholder near it (0xFFFFFFBF, music-metadata issue 819; ffmpeg plays it) and a data
  // size past the end then mean "to the end of the file".
  const placeholder =
    header.declaredSize === 0 || (header.declaredSize >= streamingPlaceholderFloor && 8 + header.declaredSize > source.size);
  const streamed = !ds64 && placeholder;
  const riffSize = streamed ? source.size - 8 : ds64 && header.declaredSize === 0xffffffff ? ds64.riffSize : header.declaredSize;
  if (riffSize < 4) throw new MalformedInputError(format, `RIFF size ${riffSize} is too small for the form type`);
  // Some writers count the pad byte of an odd last chunk in the RIFF size but never write it: one byte short is that, not truncation.
  const missingPad = 8 + riffSize === source.size + 1;
  let end = missingPad ? source.size : 8 + riffSize;
  if (end > source.size) {
    const problem = `RIFF size says ${end} bytes but the file has ${source.size}; the file is truncated`;
    if (!damage) throw new MalformedInputError(format, problem);
    damage.push(problem);
    end = source.size;
  }
  const largeSize = ds64
    ? (id: string, _: number, declared: number) =>
        declared !== 0xffffffff ? undefined : id === 'data' ? ds64.dataSize : ds64.table.get(id)
    : streamed
      ? (id: string, dataOffset: number) => (id === 'data' ? end - dataOffset : undefined)
      : undefined;
  const { chunks, trailing } = await listRiffChunks(source, 12, end, format, largeSize, damage);
  const last = chunks[chunks.length - 1];
  if (missingPad && !(last && last.size & 1 && last.end === end)) {
    const problem = `RIFF size says ${end + 1} bytes but the file has ${source.size}; the file is truncated`;
    if (!damage) throw new MalformedInputError(format, problem);
    damage.push(problem);
  }
  const file = { header, end, chunks, trailing, afterBody: source.size - end, streamed, missingPad };
  return ds64 ? { ...file, ds64 } : file;
}

/**
 * The 12-byte header of a file whose body (form type and chunks) is `bodySize`
 * bytes. RF64/BW64 keep their magic and the 0xFFFFFFFF placeholder; their real
 * size goes into ds64 (`rewriteDs64`).
 */
export function riffFileHeader(form: string, bodySize: number, format: string, magic = 'RIFF'): Uint8Array {
  if (magic !== 'RIFF') {
    const header = riffHeader(form, 0);
    header.set(ascii(magic), 0);
    putU32le(header, 4, 0xffffffff);
    return header;
  }
  if (bodySize > 0xffffffff) throw new LimitExceededError(`${format}: a RIFF body of ${bodySize} bytes is over the 4 GiB RIFF limit`);
  return riffHeader(form, bodySize - 4);
}
