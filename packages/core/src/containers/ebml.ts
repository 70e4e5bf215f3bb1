import { concat, crc32, putU32le, utf8 } from '../binary/bytes.js';
import { type ByteSource, readExact } from '../binary/source.js';
import { LimitExceededError, MalformedInputError } from '../errors.js';

/**
 * EBML variable-length integers (RFC 8794 §4), shared by Matroska and WebM.
 * An element is ID (vint, marker kept) + size (vint, marker removed) + data.
 */
export interface Vint {
  readonly value: number;
  readonly length: number;
  /** All value bits set: "unknown size" (RFC 8794 §6.2). */
  readonly unknown: boolean;
}

/** Reads a size vint (marker bit removed); errors name `fileOffset`, where these bytes sit in the file. */
export function readVint(bytes: Uint8Array, offset: number, format = 'matroska', fileOffset = offset): Vint {
  const first = bytes[offset];
  if (first === undefined) throw new MalformedInputError(format, `EBML integer at offset ${fileOffset} is truncated`);
  if (first === 0) throw new MalformedInputError(format, `EBML integer at offset ${fileOffset} is longer than 8 bytes`);
  const length = Math.clz32(first) - 23;
  if (offset + length > bytes.length) throw new MalformedInputError(format, `EBML integer at offset ${fileOffset} is truncated`);
  let value = first & (0xff >> length);
  let allOnes = value === 0xff >> length;
  for (let i = 1; i < length; i++) {
    value = value * 256 + bytes[offset + i]!;
    if (bytes[offset + i] !== 0xff) allOnes = false;
  }
  return { value, length, unknown: allOnes };
}

/** Reads an element ID (marker bit kept, as IDs are written in specs: 0x1A45DFA3); errors name `fileOffset`. */
export function readElementId(bytes: Uint8Array, offset: number, format = 'matroska', fileOffset = offset): { id: number; length: number } {
  const first = bytes[offset];
  if (first === undefined || first < 0x10) throw new MalformedInputError(format, `invalid EBML element ID at offset ${fileOffset}`);
  const length = Math.clz32(first) - 23;
  if (offset + length > bytes.length) throw new MalformedInputError(format, `EBML element ID at offset ${fileOffset} is truncated`);
  let id = 0;
  for (let i = 0; i < length; i++) id = id * 256 + bytes[offset + i]!;
  return { id, length };
}

/** Encodes a size vint, in `length` bytes when given (for fixed-width fields). */
export function encodeVint(value: number, length?: number): Uint8Array {
  let n = length ?? 1;
  if (length === undefined) while (n < 8 && value >= 2 ** (7 * n) - 1) n++;
  if (value >= 2 ** (7 * n) - 1)
    throw new RangeError(`Expected a value below ${2 ** (7 * n) - 1} for a ${n}-byte EBML integer but received ${value}`);
  const out = new Uint8Array(n);
  let v = value;
  for (let i = n - 1; i > 0; i--) {
    out[i] = v % 256;
    v = Math.floor(v / 256);
  }
  out[0] = v | (0x80 >> (n - 1));
  return out;
}

/** Encodes an element ID given in spec form (marker included). */
export function encodeElementId(id: number): Uint8Array {
  const bytes: number[] = [];
  let v = id;
  while (v > 0) {
    bytes.unshift(v % 256);
    v = Math.floor(v / 256);
  }
  return Uint8Array.from(bytes);
}

/** An element header: where its data is and how long it is (RFC 8794 §5). */
export interface EbmlElement {
  readonly id: number;
  readonly offset: number;
  readonly headerSize: number;
  readonly dataOffset: number;
  /** Data size; for unknown-size elements, the distance to the end of the parent. */
  readonly size: number;
  readonly unknownSize: boolean;
  readonly end: number;
}

/** Parses the element header at `at` in `bytes`, which sit at file offset `offset`; the element must end by `end`. */
export function parseElementHeader(bytes: Uint8Array, at: number, offset: number, end: number, format = 'matroska'): EbmlElement {
  const { id, length: idLength } = readElementId(bytes, at, format, offset);
  const size = readVint(bytes, at + idLength, format, offset + idLength);
  const headerSize = idLength + size.length;
  const dataOffset = offset + headerSize;
  if (size.unknown) return { id, offset, headerSize, dataOffset, size: end - dataOffset, unknownSize: true, end };
  if (dataOffset + size.value > end) {
    throw new MalformedInputError(
      format,
      `element 0x${id.toString(16).toUpperCase()} at offset ${offset} declares ${size.value} bytes, past the end of its parent at ${end}`,
    );
  }
  return { id, offset, headerSize, dataOffset, size: size.value, unknownSize: false, end: dataOffset + size.value };
}

/** Reads one element header from a source (at most 12 bytes: 4-byte ID, 8-byte size). */
export async function readElementHeader(source: ByteSource, offset: number, end: number, format = 'matroska'): Promise<EbmlElement> {
  const head = await readExact(source, offset, Math.min(12, end - offset), format, 'EBML element header');
  return parseElementHeader(head, 0, offset, end, format);
}

/** Lists the elements of `[start, end)` in memory. Unknown sizes are only allowed where the caller knows the end. */
export function listElementsIn(bytes: Uint8Array, start: number, end: number, format = 'matroska'): EbmlElement[] {
  const out: EbmlElement[] = [];
  for (let at = start; at < end; ) {
    if (out.length >= maximumElementCount)
      throw new LimitExceededError(`${format}: more than ${maximumElementCount} EBML elements at one level`);
    const element = parseElementHeader(bytes, at, at, end, format);
    out.push(element);
    at = element.end;
  }
  return out;
}

/** Most elements one level may have before a walker gives up on a hostile file. */
export const maximumElementCount = 1_000_000;

/** A complete element: ID, minimal size vint (or a `sizeLength`-byte one), data. */
export function makeElement(id: number, data: Uint8Array | readonly Uint8Array[], sizeLength?: number): Uint8Array {
  const body = data instanceof Uint8Array ? data : concat(data);
  return concat([encodeElementId(id), encodeVint(body.length, sizeLength), body]);
}

export const stringElement = (id: number, text: string): Uint8Array => makeElement(id, utf8(text));

export function uintElement(id: number, value: number): Uint8Array {
  const bytes: number[] = [];
  for (let v = value; v > 0 || bytes.length === 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  return makeElement(id, Uint8Array.from(bytes));
}

/** Big-endian unsigned integer element data (at most 8 bytes). */
export function readUint(data: Uint8Array): number {
  let value = 0;
  for (const b of data) value = value * 256 + b;
  return value;
}

export const VOID_ID = 0xec;
export const CRC32_ID = 0xbf;

/** A Void element of exactly `total` bytes (2 or more), zero-filled. */
export function voidElement(total: number): Uint8Array {
  if (total < 2) throw new RangeError(`Expected a Void of at least 2 bytes but received ${total}`);
  for (let sizeLength = 1; sizeLength <= 8; sizeLength++) {
    const data = total - 1 - sizeLength;
    if (data >= 0 && data < 2 ** (7 * sizeLength) - 1) return makeElement(VOID_ID, new Uint8Array(data), sizeLength);
  }
  throw new RangeError(`Void of ${total} bytes is too large`);
}

/**
 * Element `id` holding `data`, followed by a Void so the whole is exactly
 * `total` bytes; null when it does not fit. A one-byte gap (too small for a
 * Void) is taken up by a one-byte-longer size field.
 */
export function elementFilling(id: number, data: Uint8Array, total: number): Uint8Array | null {
  const element = makeElement(id, data);
  const gap = total - element.length;
  if (gap === 0) return element;
  if (gap >= 2) return concat([element, voidElement(gap)]);
  if (gap === 1 && element.length - data.length - encodeElementId(id).length < 8) {
    return makeElement(id, data, element.length - data.length - encodeElementId(id).length + 1);
  }
  return null;
}

/** Prefixes children with a CRC-32 element (Matroska §6.2: CRC-32 of the parent's other children, little-endian). */
export function withCrc32(children: Uint8Array): Uint8Array {
  const value = new Uint8Array(4);
  putU32le(value, 0, crc32(children));
  return concat([makeElement(CRC32_ID, value), children]);
}

/** Deepest master element a walker descends into (RFC 9559 nests SimpleTags; nothing real goes past a dozen). */
export const maximumEbmlDepth = 32;

/** The size-field width of the element whose header is at `at`. */
const sizeWidth = (bytes: Uint8Array, at: number, format: string): number => {
  const { length } = readElementId(bytes, at, format);
  return readVint(bytes, at + length, format).length;
};

/** Writes `value` big-endian into `width` bytes at `at`; false when it does not fit. */
function putUint(bytes: Uint8Array, at: number, width: number, value: number): boolean {
  if (value >= 256 ** width) return false;
  let v = value;
  for (let i = width - 1; i >= 0; i--) {
    bytes[at + i] = v % 256;
    v = Math.floor(v / 256);
  }
  return true;
}

/**
 * A master element (held in `bytes` from offset 0) whose unsigned-integer leaves `map`
 * changes (it returns the new value, or undefined to keep one), walking into the master IDs
 * in `descend`. Values keep their width where they fit, so the common case is a patched copy
 * of the same size; a value that needs more bytes rebuilds the masters around it. A master
 * whose first child is a CRC-32 gets it recomputed (RFC 9559 §6.2). Returns `bytes` itself
 * when nothing changes.
 */
export function rewriteUintLeaves(
  bytes: Uint8Array,
  descend: ReadonlySet<number>,
  map: (id: number, value: number) => number | undefined,
  format = 'matroska',
): Uint8Array {
  const copy = bytes.slice();
  const patched = patchUints(copy, 0, bytes.length, descend, map, format, 0);
  if (patched === 'overflow') return rebuildUints(bytes, descend, map, format, 0);
  return patched ? copy : bytes;
}

/** Patches the leaves of the master at `at` in place; true when something changed, 'overflow' when a value needs more bytes. */
function patchUints(
  bytes: Uint8Array,
  at: number,
  end: number,
  descend: ReadonlySet<number>,
  map: (id: number, value: number) => number | undefined,
  format: string,
  depth: number,
): boolean | 'overflow' {
  if (depth > maximumEbmlDepth) throw new LimitExceededError(`${format}: EBML elements nested deeper than ${maximumEbmlDepth}`);
  const master = parseElementHeader(bytes, at, at, end, format);
  let changed = false;
  let crc: EbmlElement | null = null;
  for (let offset = master.dataOffset, count = 0; offset < master.end; count++) {
    if (count >= maximumElementCount)
      throw new LimitExceededError(`${format}: more than ${maximumElementCount} EBML elements at one level`);
    const child = parseElementHeader(bytes, offset, offset, master.end, format);
    if (child.id === CRC32_ID && offset === master.dataOffset) crc = child;
    else if (descend.has(child.id)) {
      const inner = patchUints(bytes, offset, master.end, descend, map, format, depth + 1);
      if (inner === 'overflow') return inner;
      changed ||= inner;
    } else if (child.size <= 8 && !descend.has(child.id)) {
      const old = readUint(bytes.subarray(child.dataOffset, child.end));
      const value = map(child.id, old);
      if (value !== undefined && value !== old) {
        if (!putUint(bytes, child.dataOffset, child.size, value)) return 'overflow';
        changed = true;
      }
    }
    offset = child.end;
  }
  if (changed && crc && crc.size === 4) putU32le(bytes, crc.dataOffset, crc32(bytes.subarray(crc.end, master.end)));
  return changed;
}

/** The slow path of `rewriteUintLeaves`: masters rebuilt around values that grew. */
function rebuildUints(
  bytes: Uint8Array,
  descend: ReadonlySet<number>,
  map: (id: number, value: number) => number | undefined,
  format: string,
  depth: number,
): Uint8Array {
  if (depth > maximumEbmlDepth) throw new LimitExceededError(`${format}: EBML elements nested deeper than ${maximumEbmlDepth}`);
  const master = parseElementHeader(bytes, 0, 0, bytes.length, format);
  const parts: Uint8Array[] = [];
  let hadCrc = false;
  for (const child of listElementsIn(bytes, master.dataOffset, master.end, format)) {
    const childBytes = bytes.subarray(child.offset, child.end);
    if (child.id === CRC32_ID && child.offset === master.dataOffset) {
      hadCrc = true;
      continue;
    }
    const old = child.size <= 8 ? readUint(bytes.subarray(child.dataOffset, child.end)) : 0;
    const value = descend.has(child.id) || child.size > 8 ? undefined : map(child.id, old);
    if (descend.has(child.id)) parts.push(rebuildUints(childBytes, descend, map, format, depth + 1));
    else if (value === undefined || value === old) parts.push(childBytes);
    else parts.push(uintElement(child.id, value));
  }
  const body = hadCrc ? withCrc32(concat(parts)) : concat(parts);
  const width = sizeWidth(bytes, 0, format);
  return makeElement(master.id, body, body.length < 2 ** (7 * width) - 1 ? width : undefined);
}
