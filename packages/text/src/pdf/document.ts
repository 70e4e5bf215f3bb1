import {
  type ByteSource,
  fromLatin1,
  inflateCapped,
  LimitExceededError,
  MalformedInputError,
  readExact,
  UnsupportedFormatError,
} from '@aigc-label/core';
import { type DictEntry, dictGet, dictNumber, isWhitespace, PdfReader, type PdfValue, type Spanned, WindowTooSmall } from './syntax.js';

/**
 * The parts of a PDF's file structure (ISO 32000-1 §7.5) a label needs: the
 * cross-reference sections from the newest back along /Prev (tables and
 * streams, §7.5.4 and §7.5.8), the newest trailer, and objects found through
 * them, including objects inside object streams (§7.5.7). Every count and length
 * read from the file is bounded, and counted against the file's real size.
 */

export type XrefEntry =
  | { readonly kind: 'offset'; readonly offset: number; readonly gen: number }
  | { readonly kind: 'compressed'; readonly stream: number; readonly index: number };

const fail = (message: string) => new MalformedInputError('pdf', message);
/** Bounds on what the file may claim. */
const maximumSections = 1000;
/** Largest object parsed (a dictionary, an array, an Info string). */
export const maximumObjectInBytes = 16 * 1024 * 1024;
/** Largest decoded cross-reference or object stream. */
const maximumStreamInBytes = 64 * 1024 * 1024;
/** Decoded object streams kept for further lookups, in bytes. */
const objectStreamCacheInBytes = 32 * 1024 * 1024;
/**
 * Cross-reference rows a file may declare: one per byte of the file, and at least 262,144 for
 * small files. An object takes tens of bytes even in an object stream, so a real file stays far
 * below this, while a compressed stream or /W [0 0 0] can claim millions of rows in a few bytes.
 */
export const xrefRowBudget = (fileSize: number): number => Math.max(262_144, fileSize);

/** A run of consecutive object numbers from one cross-reference section, in typed arrays (13 bytes an entry). */
export class EntryBlock {
  /** 0: free or absent (an older section decides), 1: at a file offset, 2: in an object stream (§7.5.8.3, Table 18). */
  readonly kinds: Uint8Array;
  /** The offset, or the object stream's number. */
  readonly first: Float64Array;
  /** The generation, or the index in the object stream. */
  readonly second: Uint32Array;

  constructor(
    readonly start: number,
    readonly count: number,
  ) {
    this.kinds = new Uint8Array(count);
    this.first = new Float64Array(count);
    this.second = new Uint32Array(count);
  }

  set(i: number, kind: number, first: number, second: number): void {
    this.kinds[i] = kind;
    this.first[i] = first;
    this.second[i] = second;
  }
}

/**
 * Cross-reference entries by object number: the sections' blocks of typed arrays, newest section
 * first (a newer in-use entry wins, §7.5.6), or the objects a scan of a damaged file found.
 * A million entries cost about 13 MB, and nothing per entry is allocated.
 */
export class XrefEntries {
  readonly #sections: EntryBlock[][] = [];
  readonly #scanned = new Map<number, number>();
  #size = 0;

  /** Entries recorded (in-use and free rows of every section, or objects found by a scan). */
  get size(): number {
    return this.#size + this.#scanned.size;
  }

  /** Adds an older section (sections come newest first, along /Prev). */
  addSection(blocks: EntryBlock[]): void {
    this.#sections.push([...blocks].sort((x, y) => x.start - y.start));
    for (const block of blocks) this.#size += block.count;
  }

  /** Records an object a scan found at `offset`; a later definition replaces an earlier one, as an update would. */
  setScanned(num: number, offset: number, gen: number): void {
    if (offset >= 2 ** 36) throw fail(`object ${num} has an impossible offset`);
    this.#scanned.set(num, offset * 0x10000 + (gen & 0xffff));
  }

  get(num: number): XrefEntry | undefined {
    const scanned = this.#scanned.get(num);
    if (scanned !== undefined) return { kind: 'offset', offset: Math.floor(scanned / 0x10000), gen: scanned % 0x10000 };
    for (const blocks of this.#sections) {
      const block = findBlock(blocks, num);
      const i = block ? num - block.start : -1;
      const kind = block?.kinds[i];
      if (!block || !kind) continue;
      const first = block.first[i] as number;
      const second = block.second[i] as number;
      return kind === 1 ? { kind: 'offset', offset: first, gen: second } : { kind: 'compressed', stream: first, index: second };
    }
    return undefined;
  }
}

/** The block of `blocks` (sorted by start) holding `num`, by binary search. */
function findBlock(blocks: readonly EntryBlock[], num: number): EntryBlock | undefined {
  let low = 0;
  let high = blocks.length - 1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    const block = blocks[middle] as EntryBlock;
    if (num < block.start) high = middle - 1;
    else if (num >= block.start + block.count) low = middle + 1;
    else return block;
  }
  return undefined;
}

export interface ParsedObject {
  readonly value: Spanned;
  readonly reader: PdfReader;
  /** Where the object's bytes start: a file offset, or the object stream holding it. */
  readonly where: string;
  /** The object stream holding the object, when it is in one (then it cannot be a stream itself, §7.5.7). */
  readonly container?: number;
}

export interface PdfStructure {
  /** The newest section: its kind decides the kind of section an update appends. */
  readonly newestKind: 'table' | 'stream';
  /** The `startxref` value: the newest section's offset, the update's /Prev. */
  readonly startxref: number;
  /** The newest trailer (or cross-reference stream dictionary) and the reader holding its bytes. */
  readonly trailer: ParsedObject;
  readonly entries: XrefEntries;
  readonly sectionCount: number;
}

/**
 * Parses whatever `parse` wants at `offset`, widening the window (each time four times wider,
 * so the re-parses add up to a constant factor) until the value fits, up to `limit` bytes.
 */
async function parseAt<T>(source: ByteSource, offset: number, parse: (reader: PdfReader) => T, limit = maximumObjectInBytes): Promise<T> {
  if (offset < 0 || offset >= source.size) throw fail(`offset ${offset} is outside the file (${source.size} bytes)`);
  for (let length = 64 * 1024; ; length = Math.min(length * 4, limit)) {
    const end = Math.min(source.size, offset + length);
    const reader = new PdfReader(await source.read(offset, end - offset), offset, end === source.size);
    try {
      return parse(reader);
    } catch (error) {
      if (!(error instanceof WindowTooSmall)) throw error;
      if (length >= limit) throw new LimitExceededError(`pdf: an object at offset ${offset} is over ${limit} bytes`);
    }
  }
}

/**
 * The offset after the last `startxref` (§7.5.5): near the end of the file, or, for a reader
 * (`anywhere`), when something follows the PDF (a polyglot's other file, trailing garbage),
 * further back, searched backwards in chunks (each byte read once, as pdf.js does). A writer
 * appends its update at the end, so it wants the PDF to end there.
 */
export async function findStartxref(source: ByteSource, anywhere = false): Promise<number> {
  const chunkLength = anywhere ? 64 * 1024 : 2048;
  for (let end = source.size; end > 0 && (anywhere || end === source.size); end -= chunkLength) {
    const start = Math.max(0, end - chunkLength);
    // Each chunk reaches 64 bytes into the next, so a keyword and its number across the boundary are whole.
    const tail = fromLatin1(await source.read(start, Math.min(source.size, end + 64) - start));
    const at = tail.lastIndexOf('startxref');
    if (at < 0) continue;
    const match = /^startxref\s+(\d+)/.exec(tail.slice(at));
    if (!match) throw fail('no startxref near the end of the file');
    // An object after the last startxref: an incremental update whose own startxref was cut off (a partial upload).
    if (/(?:^|[\s>])\d{1,10}\s{1,32}\d{1,5}\s{1,32}obj\b/.test(tail.slice(at + match[0].length))) {
      throw fail('the file ends inside an incremental update (objects follow the last startxref)');
    }
    return Number(match[1]);
  }
  throw fail(anywhere ? 'no startxref in the file' : 'no startxref near the end of the file');
}

/** Where the data of the stream whose dictionary ends at `dictEnd` starts (§7.3.8.1: `stream` then CRLF or LF). */
function streamDataStart(reader: PdfReader, dictEnd: number): number {
  const keyword = reader.token(dictEnd);
  if (keyword.text !== 'stream') throw fail(`no stream keyword after the dictionary at offset ${reader.base + dictEnd}`);
  let at = keyword.end;
  if (reader.bytes[at] === 0x0d) at++;
  if (reader.bytes[at] === 0x0a) at++;
  return reader.base + at;
}

/** Undoes PNG predictors (§7.4.4.4, Predictor ≥ 10) on rows of `columns` bytes. */
function unpredict(data: Uint8Array, columns: number, bytesPerPixel: number): Uint8Array {
  const rowLength = columns + 1;
  if (data.length % rowLength !== 0) throw fail('predicted stream data is not a whole number of rows');
  const rows = data.length / rowLength;
  const out = new Uint8Array(rows * columns);
  for (let r = 0; r < rows; r++) {
    const filter = data[r * rowLength];
    for (let c = 0; c < columns; c++) {
      const raw = data[r * rowLength + 1 + c] as number;
      const left = c >= bytesPerPixel ? (out[r * columns + c - bytesPerPixel] as number) : 0;
      const up = r > 0 ? (out[(r - 1) * columns + c] as number) : 0;
      const upLeft = r > 0 && c >= bytesPerPixel ? (out[(r - 1) * columns + c - bytesPerPixel] as number) : 0;
      let predicted = 0;
      if (filter === 1) predicted = left;
      else if (filter === 2) predicted = up;
      else if (filter === 3) predicted = (left + up) >> 1;
      else if (filter === 4) {
        const p = left + up - upLeft;
        const pa = Math.abs(p - left);
        const pb = Math.abs(p - up);
        const pc = Math.abs(p - upLeft);
        predicted = pa <= pb && pa <= pc ? left : pb <= pc ? up : upLeft;
      } else if (filter !== 0) throw fail(`unknown PNG predictor row filter ${filter}`);
      out[r * columns + c] = (raw + predicted) & 0xff;
    }
  }
  return out;
}

/** Decodes stream data: none or FlateDecode (with or without a predictor), inflated to at most `maxBytes`. */
function decodeStream(dict: PdfValue, data: Uint8Array, maxBytes: number): Uint8Array {
  const filter = dictGet(dict, 'Filter');
  const filters = filter === undefined ? [] : filter.type === 'array' ? filter.items.map((i) => i.value) : [filter];
  if (filters.length === 0) return data;
  const only = filters[0];
  if (filters.length > 1 || only?.type !== 'name' || only.value !== 'FlateDecode') {
    throw new UnsupportedFormatError('pdf: a stream uses a filter other than FlateDecode');
  }
  const inflated = inflateCapped(data, 'pdf', { maxOutputBytes: maxBytes });
  const params = dictGet(dict, 'DecodeParms');
  const parms = params?.type === 'array' ? params.items[0]?.value : params;
  const predictor = parms ? (dictNumber(parms, 'Predictor') ?? 1) : 1;
  if (predictor === 1) return inflated;
  if (predictor < 10) throw new UnsupportedFormatError(`pdf: predictor ${predictor} is not supported`);
  const colors = dictNumber(parms as PdfValue, 'Colors') ?? 1;
  const bits = dictNumber(parms as PdfValue, 'BitsPerComponent') ?? 8;
  const columns = dictNumber(parms as PdfValue, 'Columns') ?? 1;
  const bytesPerPixel = Math.max(1, Math.ceil((colors * bits) / 8));
  return unpredict(inflated, Math.ceil((columns * colors * bits) / 8), bytesPerPixel);
}

/** Reads an indirect object's stream data, decoded to at most `maxBytes`, with /Length direct or resolved by `resolveLength`. */
export async function readStream(
  source: ByteSource,
  object: ParsedObject,
  resolveLength: (ref: PdfValue) => Promise<number | undefined>,
  maxBytes = maximumStreamInBytes,
): Promise<Uint8Array> {
  const dict = object.value.value;
  const lengthValue = dictGet(dict, 'Length');
  const length = lengthValue?.type === 'number' ? lengthValue.value : lengthValue ? await resolveLength(lengthValue) : undefined;
  if (length === undefined || !Number.isInteger(length) || length < 0) throw fail(`stream in ${object.where} has no valid /Length`);
  if (length > maximumStreamInBytes) throw new LimitExceededError(`pdf: a ${length}-byte stream is over ${maximumStreamInBytes} bytes`);
  const start = streamDataStart(object.reader, object.value.end);
  return decodeStream(dict, await readExact(source, start, length, 'pdf', `stream data in ${object.where}`), maxBytes);
}

/** Parses `N G obj <value>` at a file offset; `tolerant` keeps the entries of a dictionary that do not parse (syntax.ts). */
export async function parseIndirectObject(
  source: ByteSource,
  offset: number,
  expectNum?: number,
  tolerant = false,
): Promise<ParsedObject & { num: number; gen: number }> {
  return parseAt(source, offset, (reader) => {
    const header = reader.objectHeader(0);
    if (!header) throw fail(`no "N G obj" at offset ${offset}`);
    if (expectNum !== undefined && header.num !== expectNum)
      throw fail(`object ${expectNum} is expected at offset ${offset}, found object ${header.num}`);
    const value = reader.parse(header.body, 0, tolerant);
    if (value.value.type === 'dict') reader.token(value.end);
    return { value, reader, where: `object ${header.num} ${header.gen} at offset ${offset}`, num: header.num, gen: header.gen };
  });
}

interface Section {
  readonly trailer: ParsedObject;
  readonly blocks: EntryBlock[];
}

const isDigit = (byte: number | undefined): boolean => byte !== undefined && byte >= 0x30 && byte <= 0x39;

/**
 * A row in the exact form of §7.5.4 (`nnnnnnnnnn ggggg n` and a two-byte end of line), read
 * without tokenising, which makes a million-entry table a quick pass; other forms go through
 * the tokenizer.
 */
function standardRow(reader: PdfReader, from: number): { offset: number; gen: number; inUse: boolean; end: number } | null {
  const bytes = reader.bytes;
  const at = reader.skipSpace(from);
  if (at + 18 > bytes.length) return null;
  let offset = 0;
  for (let k = 0; k < 10; k++) {
    const byte = bytes[at + k];
    if (!isDigit(byte)) return null;
    offset = offset * 10 + (byte as number) - 0x30;
  }
  let gen = 0;
  for (let k = 11; k < 16; k++) {
    const byte = bytes[at + k];
    if (!isDigit(byte)) return null;
    gen = gen * 10 + (byte as number) - 0x30;
  }
  const kind = bytes[at + 17];
  if (bytes[at + 10] !== 0x20 || bytes[at + 16] !== 0x20 || (kind !== 0x6e && kind !== 0x66)) return null;
  return { offset, gen, inUse: kind === 0x6e, end: at + 18 };
}

function parseTable(reader: PdfReader, budget: number, fileSize: number): Section {
  const blocks: EntryBlock[] = [];
  let rows = 0;
  let at = reader.token(0).end;
  for (;;) {
    const first = reader.token(at);
    if (first.text === 'trailer') {
      const value = reader.parse(first.end);
      if (value.value.type !== 'dict') throw fail(`the trailer at offset ${reader.base + first.start} is not a dictionary`);
      return { trailer: { value, reader, where: `trailer at offset ${reader.base + first.start}` }, blocks };
    }
    const count = reader.token(first.end);
    if (!/^\d+$/.test(first.text) || !/^\d+$/.test(count.text)) {
      throw fail(`cross-reference table at offset ${reader.base} has a bad subsection header "${first.text} ${count.text}"`);
    }
    const start = Number(first.text);
    const entries = Number(count.text);
    // §7.5.4: every entry takes 20 bytes (18 at the least), so a count the rest of the file cannot hold is refused before anything is allocated.
    rows += entries;
    if (rows > budget || entries * 18 > fileSize - (reader.base + count.end)) {
      throw new LimitExceededError(
        `pdf: a cross-reference subsection declares ${entries} entries, more than the rest of the file can hold`,
      );
    }
    const block = new EntryBlock(start, entries);
    blocks.push(block);
    at = count.end;
    for (let i = 0; i < entries; i++) {
      const row = standardRow(reader, at);
      if (row) {
        if (row.inUse) block.set(i, 1, row.offset, row.gen);
        at = row.end;
        continue;
      }
      const offset = reader.token(at);
      const gen = reader.token(offset.end);
      const kind = reader.token(gen.end);
      if (!/^\d+$/.test(offset.text) || !/^\d+$/.test(gen.text) || (kind.text !== 'n' && kind.text !== 'f')) {
        throw fail(`cross-reference entry ${start + i} at offset ${reader.base + offset.start} is damaged`);
      }
      if (kind.text === 'n') block.set(i, 1, Number(offset.text), Number(gen.text));
      at = kind.end;
    }
  }
}

async function parseXrefStream(source: ByteSource, object: ParsedObject, budget: number): Promise<Section> {
  const dict = object.value.value;
  const type = dictGet(dict, 'Type');
  if (type?.type !== 'name' || type.value !== 'XRef') throw fail(`${object.where} is not a cross-reference stream`);
  const widths = dictGet(dict, 'W');
  const size = dictNumber(dict, 'Size');
  if (widths?.type !== 'array' || widths.items.length !== 3 || size === undefined) throw fail(`${object.where} lacks /W or /Size`);
  const w = widths.items.map((i) => (i.value.type === 'number' && Number.isInteger(i.value.value) ? i.value.value : -1));
  const [typeWidth, secondWidth, thirdWidth] = w as [number, number, number];
  if (w.some((x) => x < 0 || x > 8)) throw fail(`${object.where} has bad /W widths`);
  const index = dictGet(dict, 'Index');
  const ranges = index?.type === 'array' ? index.items.map((i) => (i.value.type === 'number' ? i.value.value : -1)) : [0, size];
  let declared = 0;
  for (let r = 0; r + 1 < ranges.length; r += 2) {
    const [start, count] = [ranges[r] as number, ranges[r + 1] as number];
    if (!Number.isInteger(start) || !Number.isInteger(count) || start < 0 || count < 0) throw fail(`${object.where} has a bad /Index`);
    declared += count;
  }
  if (declared > budget) {
    throw new LimitExceededError(
      `pdf: ${object.where} declares ${declared} cross-reference entries, more than a ${source.size}-byte file can hold`,
    );
  }
  const rowLength = typeWidth + secondWidth + thirdWidth;
  // §7.5.8.2: the second field is always present; rows of no bytes would stand for objects that are not there.
  if (rowLength === 0 && declared > 0) throw fail(`${object.where} has /W [0 0 0]: its entries take no bytes`);
  const data = await readStream(source, object, async () => undefined, declared * rowLength + 1024);
  if (data.length < declared * rowLength) throw fail(`${object.where} has fewer entries than its /Index says`);
  const field = (row: number, from: number, width: number) => {
    let value = 0;
    for (let k = 0; k < width; k++) value = value * 256 + (data[row * rowLength + from + k] as number);
    return value;
  };
  const blocks: EntryBlock[] = [];
  let row = 0;
  for (let r = 0; r + 1 < ranges.length; r += 2) {
    const block = new EntryBlock(ranges[r] as number, ranges[r + 1] as number);
    blocks.push(block);
    for (let i = 0; i < block.count; i++, row++) {
      // A zero-width type field means type 1 (§7.5.8.2, Table 17); types other than 1 and 2 are free.
      const kind = typeWidth === 0 ? 1 : field(row, 0, typeWidth);
      if (kind === 1 || kind === 2) block.set(i, kind, field(row, typeWidth, secondWidth), field(row, typeWidth + secondWidth, thirdWidth));
    }
  }
  return { trailer: object, blocks };
}

async function readSection(source: ByteSource, offset: number, budget: number): Promise<{ kind: 'table' | 'stream'; section: Section }> {
  const first = await parseAt(source, offset, (reader) => reader.token(0).text);
  // A table has 20 bytes per entry (§7.5.4): it may run as long as the file.
  if (first === 'xref')
    return { kind: 'table', section: await parseAt(source, offset, (reader) => parseTable(reader, budget, source.size), source.size) };
  const object = await parseIndirectObject(source, offset);
  return { kind: 'stream', section: await parseXrefStream(source, object, budget) };
}

/** Follows the newest cross-reference section back through /Prev (and /XRefStm of hybrid files, §7.5.8.4). */
export async function loadStructure(source: ByteSource, forReading = false): Promise<PdfStructure> {
  const startxref = await findStartxref(source, forReading);
  const entries = new XrefEntries();
  const visited = new Set<number>();
  const budget = xrefRowBudget(source.size);
  let newest: { kind: 'table' | 'stream'; trailer: ParsedObject } | null = null;
  let next: number | undefined = startxref;
  while (next !== undefined) {
    if (visited.has(next)) throw fail(`the /Prev chain loops back to offset ${next}`);
    if (visited.size >= maximumSections) throw new LimitExceededError(`pdf: over ${maximumSections} cross-reference sections`);
    visited.add(next);
    const { kind, section } = await readSection(source, next, budget);
    newest ??= { kind, trailer: section.trailer };
    entries.addSection(section.blocks);
    const hybrid = dictNumber(section.trailer.value.value, 'XRefStm');
    if (kind === 'table' && hybrid !== undefined && !visited.has(hybrid)) {
      visited.add(hybrid);
      entries.addSection((await parseXrefStream(source, await parseIndirectObject(source, hybrid), budget)).blocks);
    }
    if (entries.size > budget) throw new LimitExceededError(`pdf: over ${budget} cross-reference entries in a ${source.size}-byte file`);
    next = dictNumber(section.trailer.value.value, 'Prev');
  }
  if (!newest) throw fail('no cross-reference section');
  return { newestKind: newest.kind, startxref, trailer: newest.trailer, entries, sectionCount: visited.size };
}

/** An object stream's data and where each of its objects starts (§7.5.7). */
interface ObjectStream {
  readonly reader: PdfReader;
  readonly offsets: ReadonlyMap<number, number>;
}

/**
 * The objects of a PDF, found through its cross-reference entries. Decoded object streams are
 * kept (up to a byte budget), so that looking up many objects in one stream decodes it once.
 */
export class PdfObjects {
  readonly #streams = new Map<number, ObjectStream>();
  #cachedBytes = 0;

  constructor(
    readonly source: ByteSource,
    readonly entries: XrefEntries,
  ) {}

  /** The object `num`, or null when the cross-reference data has no entry for it. */
  async object(num: number, tolerant = false): Promise<ParsedObject | null> {
    const entry = this.entries.get(num);
    if (!entry) return null;
    if (entry.kind === 'offset') return parseIndirectObject(this.source, entry.offset, num, tolerant);
    const container = await this.objectStream(entry.stream);
    const offset = container.offsets.get(num);
    if (offset === undefined) throw fail(`object stream ${entry.stream} does not hold object ${num}`);
    const value = container.reader.parse(offset, 0, tolerant);
    return { value, reader: container.reader, where: `object ${num} in object stream ${entry.stream}`, container: entry.stream };
  }

  /** `value` itself, or the value of the object it refers to (null when that object is missing). */
  async resolve(value: PdfValue | undefined): Promise<PdfValue | undefined> {
    if (value?.type !== 'ref') return value;
    return (await this.object(value.num))?.value.value;
  }

  /** The decoded data of a stream object, at most `maxBytes`. */
  async streamData(object: ParsedObject, maxBytes?: number): Promise<Uint8Array> {
    if (object.container !== undefined) throw fail(`${object.where} cannot be a stream`);
    const resolveLength = async (ref: PdfValue) => {
      const length = await this.resolve(ref);
      return length?.type === 'number' ? length.value : undefined;
    };
    return readStream(this.source, object, resolveLength, maxBytes);
  }

  private async objectStream(num: number): Promise<ObjectStream> {
    const cached = this.#streams.get(num);
    if (cached) return cached;
    const entry = this.entries.get(num);
    if (entry?.kind !== 'offset') throw fail(`object stream ${num} is missing or is itself inside an object stream`);
    const container = await parseIndirectObject(this.source, entry.offset, num);
    const data = await this.streamData(container);
    const count = dictNumber(container.value.value, 'N');
    const first = dictNumber(container.value.value, 'First');
    if (count === undefined || first === undefined || first > data.length) throw fail(`object stream ${num} lacks /N or /First`);
    // Each object takes at least "n o " in the header, so /N cannot exceed a quarter of it.
    if (count * 4 > first + 4) throw fail(`object stream ${num} declares ${count} objects in a ${first}-byte header`);
    const reader = new PdfReader(data, 0, true);
    const offsets = new Map<number, number>();
    let at = 0;
    for (let i = 0; i < count; i++) {
      const number = reader.parse(at);
      const offset = reader.parse(number.end);
      at = offset.end;
      if (number.value.type === 'number' && offset.value.type === 'number') offsets.set(number.value.value, first + offset.value.value);
    }
    const stream = { reader, offsets };
    if (this.#cachedBytes + data.length > objectStreamCacheInBytes) {
      this.#streams.clear();
      this.#cachedBytes = 0;
    }
    this.#streams.set(num, stream);
    this.#cachedBytes += data.length;
    return stream;
  }
}

/**
 * Fallback for a damaged cross-reference table: find every `N G obj` by scanning the file in
 * chunks (the last definition of a number wins, as in an update) and the last trailer or
 * cross-reference stream dictionary. When no trailer parses either, one is made up from the
 * objects found, as pdf.js and qpdf recover: the last catalog is the /Root and the last object
 * holding an /AIGC key the /Info. Memory stays at one chunk plus the entries.
 */
export async function scanStructure(source: ByteSource): Promise<{ entries: XrefEntries; trailer: ParsedObject | null }> {
  const entries = new XrefEntries();
  const budget = xrefRowBudget(source.size);
  const chunkLength = 4 * 1024 * 1024;
  const overlap = 512;
  let lastXrefStream: number | null = null;
  let lastTrailer = -1;
  let catalog: string | null = null;
  let labelHolder: string | null = null;
  let header: string | null = null;
  for (let chunkStart = 0; chunkStart < source.size; chunkStart += chunkLength) {
    const bytes = await source.read(chunkStart, Math.min(chunkLength + overlap, source.size - chunkStart));
    const text = fromLatin1(bytes);
    const own = Math.min(chunkLength, text.length);
    const aigcKeys = text.matchAll(/\/AIGC\b/g);
    let aigcKey = aigcKeys.next();
    const passAigcKeys = (until: number) => {
      for (; !aigcKey.done && aigcKey.value.index < until; aigcKey = aigcKeys.next()) if (header !== null) labelHolder = header;
    };
    for (const m of text.matchAll(/(\d{1,10})\s{1,32}(\d{1,5})\s{1,32}obj\b/g)) {
      if (m.index >= own) break;
      const before = bytes[m.index - 1];
      if (before !== undefined && !isWhitespace(before) && before !== 0x3e) continue;
      passAigcKeys(m.index);
      header = `${m[1]} ${m[2]} R`;
      entries.setScanned(Number(m[1]), chunkStart + m.index, Number(m[2]));
      if (entries.size > budget) throw new LimitExceededError(`pdf: over ${budget} objects in a ${source.size}-byte file`);
      const after = m.index + m[0].length;
      const start = text.slice(after, after + 256);
      if (/^\s*<<[\s\S]{0,200}?\/Type\s*\/XRef\b/.test(start)) lastXrefStream = chunkStart + m.index;
      if (/^\s*<<[\s\S]{0,200}?\/Type\s*\/Catalog\b/.test(start)) catalog = header;
    }
    passAigcKeys(own);
    const trailer = text.lastIndexOf('trailer', own - 1);
    if (trailer >= 0) lastTrailer = chunkStart + trailer;
  }
  if (lastTrailer >= 0 && (lastXrefStream === null || lastTrailer > lastXrefStream)) {
    try {
      const trailer = await parseAt(source, lastTrailer, (reader) => {
        const value = reader.parse('trailer'.length);
        return value.value.type === 'dict' ? { value, reader, where: `trailer at offset ${lastTrailer}` } : null;
      });
      if (trailer) return { entries, trailer };
    } catch (error) {
      if (!(error instanceof MalformedInputError)) throw error;
    }
  }
  if (lastXrefStream !== null) {
    try {
      const stream = await parseIndirectObject(source, lastXrefStream);
      return {
        entries,
        trailer: { value: stream.value, reader: stream.reader, where: `cross-reference stream at offset ${lastXrefStream}` },
      };
    } catch (error) {
      if (!(error instanceof MalformedInputError) || (catalog === null && labelHolder === null)) throw error;
    }
  }
  if (catalog === null && labelHolder === null) return { entries, trailer: null };
  const made = `<<${catalog === null ? '' : ` /Root ${catalog}`}${labelHolder === null ? '' : ` /Info ${labelHolder}`} >>`;
  const reader = new PdfReader(Uint8Array.from(made, (c) => c.charCodeAt(0)));
  return { entries, trailer: { value: reader.parse(0), reader, where: 'a trailer made up from the objects found by the scan' } };
}

/** The raw bytes of a dictionary entry's value, for textual copying. */
export const valueBytes = (object: ParsedObject, entry: DictEntry | Spanned): Uint8Array =>
  object.reader.bytes.subarray(entry.start, entry.end);

export function dictEntry(object: ParsedObject, key: string): DictEntry | undefined {
  const value = object.value.value;
  return value.type === 'dict' ? value.entries.find((e) => e.key === key) : undefined;
}
