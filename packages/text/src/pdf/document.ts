import {
  type ByteSource,
  fromLatin1,
  inflateCapped,
  LimitExceededError,
  MalformedInputError,
  readAll,
  readExact,
  UnsupportedFormatError,
} from '@aigc-label/core';
import { type DictEntry, dictGet, dictNumber, isWhitespace, PdfReader, type PdfValue, type Spanned, WindowTooSmall } from './syntax.js';

/**
 * The parts of a PDF's file structure (ISO 32000-1 §7.5) a label needs: the
 * cross-reference sections from the newest back along /Prev (tables and
 * streams, §7.5.4 and §7.5.8), the newest trailer, and objects found through
 * them, including objects inside object streams (§7.5.7).
 */

export type XrefEntry =
  | { readonly kind: 'offset'; readonly offset: number; readonly gen: number }
  | { readonly kind: 'compressed'; readonly stream: number; readonly index: number };

export interface PdfStructure {
  /** The newest section: its kind decides the kind of section an update appends. */
  readonly newestKind: 'table' | 'stream';
  /** The `startxref` value: the newest section's offset, the update's /Prev. */
  readonly startxref: number;
  /** The newest trailer (or cross-reference stream dictionary) and the reader holding its bytes. */
  readonly trailer: ParsedObject;
  readonly entries: ReadonlyMap<number, XrefEntry>;
  readonly sectionCount: number;
}

export interface ParsedObject {
  readonly value: Spanned;
  readonly reader: PdfReader;
  /** Where the object's bytes start: a file offset, or the object stream holding it. */
  readonly where: string;
}

const fail = (message: string) => new MalformedInputError('pdf', message);
/** Bounds on what the file may claim. */
const maximumSections = 1000;
const maximumXrefEntries = 10_000_000;
const maximumObjectInBytes = 16 * 1024 * 1024;
const maximumStreamInBytes = 256 * 1024 * 1024;

/** Parses whatever `parse` wants at `offset`, widening the window until the value fits. */
async function parseAt<T>(source: ByteSource, offset: number, parse: (reader: PdfReader) => T): Promise<T> {
  if (offset < 0 || offset >= source.size) throw fail(`offset ${offset} is outside the file (${source.size} bytes)`);
  for (let length = 64 * 1024; ; length *= 4) {
    const end = Math.min(source.size, offset + length);
    const reader = new PdfReader(await source.read(offset, end - offset), offset, end === source.size);
    try {
      return parse(reader);
    } catch (error) {
      if (!(error instanceof WindowTooSmall)) throw error;
      if (length > maximumObjectInBytes)
        throw new LimitExceededError(`pdf: an object at offset ${offset} is over ${maximumObjectInBytes} bytes`);
    }
  }
}

/** The offset after `startxref` near the end of the file (§7.5.5). */
export async function findStartxref(source: ByteSource): Promise<number> {
  const tailStart = Math.max(0, source.size - 2048);
  const tail = fromLatin1(await source.read(tailStart, source.size - tailStart));
  const at = tail.lastIndexOf('startxref');
  const match = at < 0 ? null : /^startxref\s+(\d+)/.exec(tail.slice(at));
  if (!match) throw fail('no startxref near the end of the file');
  return Number(match[1]);
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
      const raw = data[r * rowLength + 1 + c];
      const left = c >= bytesPerPixel ? out[r * columns + c - bytesPerPixel] : 0;
      const up = r > 0 ? out[(r - 1) * columns + c] : 0;
      const upLeft = r > 0 && c >= bytesPerPixel ? out[(r - 1) * columns + c - bytesPerPixel] : 0;
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

/** Decodes stream data; only FlateDecode (with or without a predictor) is used by xref and object streams in practice. */
function decodeStream(dict: PdfValue, data: Uint8Array): Uint8Array {
  const filter = dictGet(dict, 'Filter');
  const filters = filter === undefined ? [] : filter.type === 'array' ? filter.items.map((i) => i.value) : [filter];
  if (filters.length === 0) return data;
  if (filters.length > 1 || filters[0].type !== 'name' || filters[0].value !== 'FlateDecode') {
    throw new UnsupportedFormatError('pdf: a cross-reference or object stream uses a filter other than FlateDecode');
  }
  const inflated = inflateCapped(data, 'pdf', { maxOutputBytes: maximumStreamInBytes });
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

/** Reads an indirect object's stream data, with /Length direct or resolved by `resolveLength`. */
async function readStream(
  source: ByteSource,
  object: ParsedObject,
  resolveLength: (ref: PdfValue) => Promise<number | undefined>,
): Promise<Uint8Array> {
  const dict = object.value.value;
  const lengthValue = dictGet(dict, 'Length');
  const length = lengthValue?.type === 'number' ? lengthValue.value : lengthValue ? await resolveLength(lengthValue) : undefined;
  if (length === undefined || !Number.isInteger(length) || length < 0) throw fail(`stream in ${object.where} has no valid /Length`);
  if (length > maximumStreamInBytes) throw new LimitExceededError(`pdf: a ${length}-byte stream is over ${maximumStreamInBytes} bytes`);
  const start = streamDataStart(object.reader, object.value.end);
  return decodeStream(dict, await readExact(source, start, length, 'pdf', `stream data in ${object.where}`));
}

/** Parses `N G obj <value>` at a file offset. */
export async function parseIndirectObject(
  source: ByteSource,
  offset: number,
  expectNum?: number,
): Promise<ParsedObject & { num: number; gen: number }> {
  return parseAt(source, offset, (reader) => {
    const header = reader.objectHeader(0);
    if (!header) throw fail(`no "N G obj" at offset ${offset}`);
    if (expectNum !== undefined && header.num !== expectNum)
      throw fail(`object ${expectNum} is expected at offset ${offset}, found object ${header.num}`);
    const value = reader.parse(header.body);
    if (value.value.type === 'dict') reader.token(value.end);
    return { value, reader, where: `object ${header.num} ${header.gen} at offset ${offset}`, num: header.num, gen: header.gen };
  });
}

interface Section {
  readonly trailer: ParsedObject;
  readonly entries: [number, XrefEntry][];
}

function parseTable(reader: PdfReader): Section {
  const entries: [number, XrefEntry][] = [];
  let at = reader.token(0).end;
  for (;;) {
    const first = reader.token(at);
    if (first.text === 'trailer') {
      const value = reader.parse(first.end);
      if (value.value.type !== 'dict') throw fail(`the trailer at offset ${reader.base + first.start} is not a dictionary`);
      return { trailer: { value, reader, where: `trailer at offset ${reader.base + first.start}` }, entries };
    }
    const count = reader.token(first.end);
    if (!/^\d+$/.test(first.text) || !/^\d+$/.test(count.text)) {
      throw fail(`cross-reference table at offset ${reader.base} has a bad subsection header "${first.text} ${count.text}"`);
    }
    const start = Number(first.text);
    if (entries.length + Number(count.text) > maximumXrefEntries)
      throw new LimitExceededError(`pdf: over ${maximumXrefEntries} cross-reference entries`);
    at = count.end;
    for (let i = 0; i < Number(count.text); i++) {
      const offset = reader.token(at);
      const gen = reader.token(offset.end);
      const kind = reader.token(gen.end);
      if (!/^\d+$/.test(offset.text) || !/^\d+$/.test(gen.text) || (kind.text !== 'n' && kind.text !== 'f')) {
        throw fail(`cross-reference entry ${start + i} at offset ${reader.base + offset.start} is damaged`);
      }
      if (kind.text === 'n') entries.push([start + i, { kind: 'offset', offset: Number(offset.text), gen: Number(gen.text) }]);
      at = kind.end;
    }
  }
}

async function parseXrefStream(source: ByteSource, object: ParsedObject): Promise<Section> {
  const dict = object.value.value;
  const type = dictGet(dict, 'Type');
  if (type?.type !== 'name' || type.value !== 'XRef') throw fail(`${object.where} is not a cross-reference stream`);
  const widths = dictGet(dict, 'W');
  const size = dictNumber(dict, 'Size');
  if (widths?.type !== 'array' || widths.items.length !== 3 || size === undefined) throw fail(`${object.where} lacks /W or /Size`);
  const w = widths.items.map((i) => (i.value.type === 'number' ? i.value.value : -1));
  if (w.some((x) => x < 0 || x > 8)) throw fail(`${object.where} has bad /W widths`);
  const index = dictGet(dict, 'Index');
  const ranges = index?.type === 'array' ? index.items.map((i) => (i.value.type === 'number' ? i.value.value : -1)) : [0, size];
  const data = await readStream(source, object, async () => undefined);
  const rowLength = w[0] + w[1] + w[2];
  const field = (row: number, from: number, width: number) => {
    let value = 0;
    for (let k = 0; k < width; k++) value = value * 256 + data[row * rowLength + from + k];
    return value;
  };
  const entries: [number, XrefEntry][] = [];
  let row = 0;
  for (let r = 0; r + 1 < ranges.length; r += 2) {
    const [start, count] = [ranges[r], ranges[r + 1]];
    if (start < 0 || count < 0 || entries.length + count > maximumXrefEntries) throw fail(`${object.where} has a bad /Index`);
    for (let i = 0; i < count; i++, row++) {
      if ((row + 1) * rowLength > data.length) throw fail(`${object.where} has fewer entries than its /Index says`);
      // A zero-width type field means type 1 (§7.5.8.2, Table 17).
      const kind = w[0] === 0 ? 1 : field(row, 0, w[0]);
      const second = field(row, w[0], w[1]);
      const third = field(row, w[0] + w[1], w[2]);
      if (kind === 1) entries.push([start + i, { kind: 'offset', offset: second, gen: third }]);
      else if (kind === 2) entries.push([start + i, { kind: 'compressed', stream: second, index: third }]);
    }
  }
  return { trailer: object, entries };
}

async function readSection(source: ByteSource, offset: number): Promise<{ kind: 'table' | 'stream'; section: Section }> {
  const first = await parseAt(source, offset, (reader) => reader.token(0).text);
  if (first === 'xref') return { kind: 'table', section: await parseAt(source, offset, parseTable) };
  const object = await parseIndirectObject(source, offset);
  return { kind: 'stream', section: await parseXrefStream(source, object) };
}

/** Follows the newest cross-reference section back through /Prev (and /XRefStm of hybrid files, §7.5.8.4). */
export async function loadStructure(source: ByteSource): Promise<PdfStructure> {
  const startxref = await findStartxref(source);
  const entries = new Map<number, XrefEntry>();
  const visited = new Set<number>();
  let newest: { kind: 'table' | 'stream'; trailer: ParsedObject } | null = null;
  let next: number | undefined = startxref;
  while (next !== undefined) {
    if (visited.has(next)) throw fail(`the /Prev chain loops back to offset ${next}`);
    if (visited.size >= maximumSections) throw new LimitExceededError(`pdf: over ${maximumSections} cross-reference sections`);
    visited.add(next);
    const { kind, section } = await readSection(source, next);
    newest ??= { kind, trailer: section.trailer };
    for (const [num, entry] of section.entries) if (!entries.has(num)) entries.set(num, entry);
    const hybrid = dictNumber(section.trailer.value.value, 'XRefStm');
    if (kind === 'table' && hybrid !== undefined && !visited.has(hybrid)) {
      visited.add(hybrid);
      const stream = await parseXrefStream(source, await parseIndirectObject(source, hybrid));
      for (const [num, entry] of stream.entries) if (!entries.has(num)) entries.set(num, entry);
    }
    next = dictNumber(section.trailer.value.value, 'Prev');
  }
  if (!newest) throw fail('no cross-reference section');
  return { newestKind: newest.kind, startxref, trailer: newest.trailer, entries, sectionCount: visited.size };
}

/** Resolves an indirect object through the cross-reference entries. */
export async function resolveObject(
  source: ByteSource,
  structure: Pick<PdfStructure, 'entries'>,
  num: number,
  depth = 0,
): Promise<ParsedObject | null> {
  const entry = structure.entries.get(num);
  if (!entry) return null;
  if (entry.kind === 'offset') return parseIndirectObject(source, entry.offset, num);
  if (depth > 0) throw fail(`object stream ${entry.stream} is itself inside an object stream`);
  const container = await resolveObject(source, structure, entry.stream, depth + 1);
  if (!container) throw fail(`object stream ${entry.stream} holding object ${num} is missing`);
  const resolveLength = async (ref: PdfValue) => {
    if (ref.type !== 'ref') return undefined;
    const length = await resolveObject(source, structure, ref.num, depth + 1);
    return length?.value.value.type === 'number' ? length.value.value.value : undefined;
  };
  const data = await readStream(source, container, resolveLength);
  const count = dictNumber(container.value.value, 'N');
  const first = dictNumber(container.value.value, 'First');
  if (count === undefined || first === undefined || first > data.length) throw fail(`object stream ${entry.stream} lacks /N or /First`);
  const reader = new PdfReader(data, 0, true);
  let at = 0;
  for (let i = 0; i < count; i++) {
    const number = reader.parse(at);
    const offset = reader.parse(number.end);
    at = offset.end;
    if (number.value.type === 'number' && number.value.value === num && offset.value.type === 'number') {
      const value = reader.parse(first + offset.value.value);
      return { value, reader, where: `object ${num} in object stream ${entry.stream}` };
    }
  }
  throw fail(`object stream ${entry.stream} does not hold object ${num}`);
}

/**
 * Fallback for a damaged cross-reference table: find every `N G obj` by
 * scanning (the last definition of a number wins, as in an update) and the
 * last trailer or cross-reference stream dictionary.
 */
export async function scanStructure(source: ByteSource): Promise<{ entries: Map<number, XrefEntry>; trailer: ParsedObject | null }> {
  const bytes = await readAll(source, 'pdf');
  const text = fromLatin1(bytes);
  const entries = new Map<number, XrefEntry>();
  let lastXrefStream: number | null = null;
  for (const m of text.matchAll(/(\d{1,10})\s+(\d{1,5})\s+obj\b/g)) {
    if (m.index > 0 && !isWhitespace(bytes[m.index - 1]) && bytes[m.index - 1] !== 0x3e) continue;
    entries.set(Number(m[1]), { kind: 'offset', offset: m.index, gen: Number(m[2]) });
    if (/^\s*<<[\s\S]{0,200}?\/Type\s*\/XRef\b/.test(text.slice(m.index + m[0].length, m.index + m[0].length + 256)))
      lastXrefStream = m.index;
  }
  const whole = new PdfReader(bytes, 0, true);
  const trailerAt = text.lastIndexOf('trailer');
  if (trailerAt >= 0 && (lastXrefStream === null || trailerAt > lastXrefStream)) {
    try {
      const value = whole.parse(trailerAt + 'trailer'.length);
      if (value.value.type === 'dict') return { entries, trailer: { value, reader: whole, where: `trailer at offset ${trailerAt}` } };
    } catch (error) {
      if (!(error instanceof MalformedInputError)) throw error;
    }
  }
  if (lastXrefStream !== null) {
    const header = whole.objectHeader(lastXrefStream);
    if (header)
      return {
        entries,
        trailer: { value: whole.parse(header.body), reader: whole, where: `cross-reference stream at offset ${lastXrefStream}` },
      };
  }
  return { entries, trailer: null };
}

/** The raw bytes of a dictionary entry's value, for textual copying. */
export const valueBytes = (object: ParsedObject, entry: DictEntry | Spanned): Uint8Array =>
  object.reader.bytes.subarray(entry.start, entry.end);

export function dictEntry(object: ParsedObject, key: string): DictEntry | undefined {
  const value = object.value.value;
  return value.type === 'dict' ? value.entries.find((e) => e.key === key) : undefined;
}
