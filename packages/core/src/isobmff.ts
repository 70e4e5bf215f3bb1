import { ascii, concat, fromAscii, putU32be, putU64be, u32be, u64be } from './bytes.js';
import { LimitExceededError, MalformedInputError } from './errors.js';
import { type ByteSource, readExact } from './source.js';

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

/** Most boxes one level may have before the walker gives up on a hostile file. */
export const maximumBoxCount = 1_000_000;

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
    throw new MalformedInputError(format, `box "${printable(type)}" at offset ${offset} has size ${size}, smaller than its header`);
  if (offset + size > end) {
    throw new MalformedInputError(
      format,
      `box "${printable(type)}" at offset ${offset} declares ${size} bytes, past the end of its container at ${end}`,
    );
  }
  return uuid === undefined
    ? { type, offset, headerSize, size, end: offset + size }
    : { type, offset, headerSize, size, end: offset + size, uuid };
}

/** Lists the boxes in `[start, end)` of a source, reading only their headers. */
export async function listBoxes(source: ByteSource, start: number, end: number, format: string): Promise<Box[]> {
  const boxes: Box[] = [];
  let offset = start;
  while (offset < end) {
    if (boxes.length >= maximumBoxCount) throw new LimitExceededError(`${format}: more than ${maximumBoxCount} boxes at one level`);
    const head = await readExact(source, offset, Math.min(32, end - offset), format, 'box header');
    const box = parseBoxHeader(head, 0, offset, end, format);
    boxes.push(box);
    offset = box.end;
  }
  return boxes;
}

/** Lists the boxes in `[start, end)` of bytes already in memory. */
export function listBoxesIn(bytes: Uint8Array, start: number, end: number, format: string): Box[] {
  const boxes: Box[] = [];
  let offset = start;
  while (offset < end) {
    if (boxes.length >= maximumBoxCount) throw new LimitExceededError(`${format}: more than ${maximumBoxCount} boxes at one level`);
    const box = parseBoxHeader(bytes, offset, offset, end, format);
    boxes.push(box);
    offset = box.end;
  }
  return boxes;
}

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

const printable = (type: string): string => type.replace(/[^\x20-\x7E]/g, '?');
