import {
  ascii,
  concat,
  fromAscii,
  fromLatin1,
  fromUtf8,
  inflateCapped,
  LimitExceededError,
  MalformedInputError,
  maximumInflatedSizeInBytes,
  putU16be,
  putU24be,
  putU32be,
  trimTrailingNuls,
  u16be,
  u24be,
  u32be,
  utf8,
} from '@aigc-label/core';

/**
 * ID3v2 tags (id3.org ID3v2.2, ID3v2.3.0, ID3v2.4.0 structure §3-§4): a 10-byte
 * header, an optional extended header, frames, padding and (v2.4) a footer.
 * Frames are kept as their stored bytes, so a rewrite copies every frame but the
 * label frame unchanged, including frames we do not understand.
 */
export interface Id3Frame {
  /** 'TXXX', 'APIC'; three characters in v2.2 ('TXX'). As stored, so possibly not a valid id ('Date'). */
  readonly id: string;
  /** Offset of the frame header within the tag. */
  readonly offset: number;
  /** The frame exactly as stored in the file (header included). */
  readonly raw: Uint8Array;
  /** v2.3/v2.4 frame flags; 0 for v2.2. */
  readonly flags: number;
  /** False for a frame whose id is not a valid frame id: skipped by its declared size and copied as stored. */
  readonly validId: boolean;
  /**
   * The decoded frame body (unsynchronisation undone, grouping byte, encryption byte,
   * data-length indicator and decompressed size stripped, zlib data inflated), or why it
   * cannot be decoded. Decoded for user text frames (TXXX/TXX) only: the rest are copied.
   */
  readonly content?: FrameContent;
}

export type FrameContent = { readonly data: Uint8Array } | { readonly unreadable: string };

export interface Id3Tag {
  /** 2, 3 or 4. */
  readonly version: number;
  readonly revision: number;
  readonly flags: number;
  /** Header + body + footer, in bytes. */
  readonly totalSize: number;
  /** The extended header as stored, or empty. */
  readonly extendedHeader: Uint8Array;
  readonly frames: readonly Id3Frame[];
  /** Bytes after the last frame that are neither a frame nor padding, copied as stored. */
  readonly trailing: Uint8Array;
  /** Bytes of padding after the last frame (and after `trailing`). */
  readonly padding: number;
  /** The padding holds non-zero bytes (leftovers that a rewrite zeroes). */
  readonly paddingHasData: boolean;
  readonly hasFooter: boolean;
  /**
   * A v2.2 tag whose compression flag is set: no scheme was ever defined, so its frames
   * cannot be read (ID3v2.2 §3.1 says to ignore such a tag).
   */
  readonly compressed: boolean;
  /** Oddities met while reading (a skipped frame, a size that is not sync-safe), for findings. */
  readonly oddities: readonly string[];
  /**
   * Salvage reading only: the frame that runs past the end of the tag or of the file, which
   * ended the frames (issue 25 item 2). The frames before it are intact and read.
   */
  readonly cut?: CutFrame;
}

/** A frame whose declared size runs past the bytes there are. */
export interface CutFrame {
  readonly id: string;
  /** Offset of the frame header within the tag. */
  readonly offset: number;
  /** Its declared data size, or null when the size is not sync-safe. */
  readonly declared: number | null;
  /** The data bytes present (resynchronised where the tag is), possibly fewer than declared. */
  readonly present: Uint8Array;
}

export const ID3_HEADER_SIZE = 10;
const FLAG_UNSYNCHRONISATION = 0x80;
const FLAG_EXTENDED_HEADER = 0x40;
const FLAG_V22_COMPRESSION = 0x40;
const FLAG_FOOTER = 0x10;
/** ID3v2.3 §3.3.1 frame format flags: compression (+4-byte size), encryption (+1 byte), grouping (+1 byte). */
const V23_COMPRESSION = 0x0080;
const V23_ENCRYPTION = 0x0040;
const V23_GROUPING = 0x0020;
/** ID3v2.4 §4.1.2 frame format flags, in the order their extra bytes follow the header. */
const V24_GROUPING = 0x0040;
const V24_COMPRESSION = 0x0008;
const V24_ENCRYPTION = 0x0004;
const V24_UNSYNCHRONISATION = 0x0002;
const V24_DATA_LENGTH = 0x0001;
/** Most frames a parser reads before it gives up on a hostile tag (taggers write dozens; a parsed frame costs about a kilobyte). */
export const maximumFrameCount = 20_000;
/** Most bytes all compressed frames of one tag may inflate to together. */
const inflateBudgetPerTag = maximumInflatedSizeInBytes;

const fail = (format: string, message: string) => new MalformedInputError(format, message);

export const isId3Header = (bytes: Uint8Array, at = 0): boolean =>
  bytes.length >= at + ID3_HEADER_SIZE && bytes[at] === 0x49 && bytes[at + 1] === 0x44 && bytes[at + 2] === 0x33;

/** A 28-bit sync-safe integer (ID3v2.4 §6.2): four bytes, high bit of each clear. */
export function readSyncSafe(bytes: Uint8Array, offset: number, format: string, what: string): number {
  const value = syncSafeOrNull(bytes, offset);
  if (value === null) {
    const bad = bytes.subarray(offset, offset + 4).find((b) => (b & 0x80) !== 0) ?? 0;
    throw fail(format, `${what} is not a valid sync-safe integer (byte 0x${bad.toString(16)} has its high bit set)`);
  }
  return value;
}

function syncSafeOrNull(bytes: Uint8Array, offset: number): number | null {
  let value = 0;
  for (let i = 0; i < 4; i++) {
    const b = bytes[offset + i];
    if (b & 0x80) return null;
    value = (value << 7) | b;
  }
  return value;
}

export function syncSafe(value: number): Uint8Array {
  if (value > 0x0fffffff) throw new LimitExceededError(`ID3 size ${value} is over the 256 MiB sync-safe limit`);
  return Uint8Array.of((value >>> 21) & 0x7f, (value >>> 14) & 0x7f, (value >>> 7) & 0x7f, value & 0x7f);
}

/** Total size of the tag that starts with `header` (10 bytes), including header and footer. */
export function id3TagSize(header: Uint8Array, format: string): number {
  if (!isId3Header(header)) throw fail(format, 'no ID3v2 header');
  const version = header[3];
  if (version < 2 || version > 4 || header[4] === 0xff) throw fail(format, `ID3v2.${version}.${header[4]} is not a known ID3 version`);
  const bodySize = readSyncSafe(header, 6, format, 'ID3 tag size');
  return ID3_HEADER_SIZE + bodySize + (version === 4 && header[5] & FLAG_FOOTER ? ID3_HEADER_SIZE : 0);
}

/** Undoes unsynchronisation (ID3v2.4 §6.1): every 0xFF 0x00 becomes 0xFF. */
export function resynchronise(bytes: Uint8Array): Uint8Array {
  if (bytes.indexOf(0xff) < 0) return bytes;
  const out = new Uint8Array(bytes.length);
  let length = 0;
  for (let i = 0; i < bytes.length; i++) {
    out[length++] = bytes[i];
    if (bytes[i] === 0xff && bytes[i + 1] === 0x00) i++;
  }
  return out.subarray(0, length);
}

/** Applies unsynchronisation: a 0x00 after every 0xFF followed by 0x00 or 0xE0-0xFF, and after a final 0xFF. */
export function unsynchronise(bytes: Uint8Array): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i++) {
    out.push(bytes[i]);
    if (bytes[i] === 0xff && (i + 1 === bytes.length || bytes[i + 1] === 0x00 || bytes[i + 1] >= 0xe0)) out.push(0x00);
  }
  return Uint8Array.from(out);
}

/**
 * `length` bytes of a tag body read from stored offset `start`. In a v2.2/v2.3 tag
 * unsynchronised as a whole, sizes count the resynchronised bytes (ID3v2.3 §5), so the
 * stored bytes are resynchronised on the fly; `end` is the stored offset after them,
 * including the 0x00 that follows a final 0xFF. Null when the body ends first.
 */
function take(body: Uint8Array, start: number, length: number, unsynchronised: boolean): { bytes: Uint8Array; end: number } | null {
  if (!unsynchronised) return start + length <= body.length ? { bytes: body.subarray(start, start + length), end: start + length } : null;
  // Each output byte takes at least one stored byte: a cheap bound before allocating.
  if (start + length > body.length) return null;
  const out = new Uint8Array(length);
  let stored = start;
  for (let i = 0; i < length; i++) {
    if (stored >= body.length) return null;
    out[i] = body[stored++];
    if (out[i] === 0xff && body[stored] === 0x00) stored++;
  }
  return { bytes: out, end: stored };
}

const FRAME_ID = /^[A-Z0-9]+$/;
/** An id written in the wrong case ('Date'): a frame to skip, unlike audio bytes or leftovers. */
const MISCASED_FRAME_ID = /^[A-Za-z0-9]+$/;

/**
 * Parses a whole tag (`tag` holds exactly `id3TagSize` bytes). With `salvage` (reading a damaged
 * file), `tag` may be cut short by the end of the file, and a frame running past what there is
 * ends the frames as the tag's `cut` instead of failing the parse.
 */
export function parseId3Tag(tag: Uint8Array, format: string, salvage = false): Id3Tag {
  const totalSize = id3TagSize(tag, format);
  const truncated = tag.length < totalSize;
  if (truncated && !salvage) throw fail(format, `ID3 tag declares ${totalSize} bytes but only ${tag.length} are present`);
  const version = tag[3];
  const flags = tag[5];
  const hasFooter = version === 4 && (flags & FLAG_FOOTER) !== 0;
  const bodyEnd = totalSize - (hasFooter ? ID3_HEADER_SIZE : 0);
  if (hasFooter && !truncated && fromAscii(tag, bodyEnd, bodyEnd + 3) !== '3DI')
    throw fail(format, 'ID3v2.4 footer is missing its "3DI" identifier');
  const body = tag.subarray(ID3_HEADER_SIZE, Math.min(bodyEnd, tag.length));
  const base = { version, revision: tag[4], flags, totalSize, hasFooter };
  if (version === 2 && flags & FLAG_V22_COMPRESSION) {
    const empty = new Uint8Array(0);
    return {
      ...base,
      extendedHeader: empty,
      frames: [],
      trailing: body,
      padding: 0,
      paddingHasData: false,
      compressed: true,
      oddities: [],
    };
  }
  const tagUnsynchronised = (flags & FLAG_UNSYNCHRONISATION) !== 0;
  // v2.2 and v2.3 unsynchronise the whole body; v2.4 flags it per frame (§4.1.2 n).
  const wholeBodyUnsync = tagUnsynchronised && version < 4;
  let offset = 0;
  let extendedHeader = new Uint8Array(0);
  if (flags & FLAG_EXTENDED_HEADER && version > 2) {
    const sizeField = take(body, 0, 4, wholeBodyUnsync);
    if (!sizeField || body.length < 6) throw fail(format, 'ID3 extended header is truncated');
    // v2.3 §3.2: the size excludes its own four bytes; v2.4 §3.2: sync-safe and includes them.
    const size = version === 3 ? u32be(sizeField.bytes, 0) + 4 : readSyncSafe(sizeField.bytes, 0, format, 'ID3 extended header size');
    const whole = size >= 6 ? take(body, 0, size, wholeBodyUnsync) : null;
    if (!whole) throw fail(format, `ID3 extended header size ${size} does not fit the tag`);
    extendedHeader = body.slice(0, whole.end);
    offset = whole.end;
  }
  const frames: Id3Frame[] = [];
  const oddities: string[] = [];
  const headerSize = version === 2 ? 6 : 10;
  const idLength = version === 2 ? 3 : 4;
  const budget = { inflate: inflateBudgetPerTag };
  /** Where a frame may end: the next valid frame id or the end of the body ('frame'), or padding. */
  const boundaryAt = (at: number): 'frame' | 'padding' | null => {
    if (at === body.length || isFrameIdAt(body, at, idLength)) return 'frame';
    return at < body.length && body[at] === 0 ? 'padding' : null;
  };
  let trailingStart = -1;
  let cut: CutFrame | undefined;
  while (offset < body.length && body[offset] !== 0) {
    if (frames.length >= maximumFrameCount) throw new LimitExceededError(`${format}: more than ${maximumFrameCount} ID3 frames`);
    const header = take(body, offset, headerSize, wholeBodyUnsync);
    if (!header) {
      trailingStart = offset;
      break;
    }
    const id = fromAscii(header.bytes, 0, idLength);
    const validId = FRAME_ID.test(id);
    const size = frameSize(header.bytes, version, (candidate) => boundaryAt(header.end + candidate), oddities, offset);
    const data = size === null ? null : take(body, header.end, size, wholeBodyUnsync);
    if (validId && !data && salvage) {
      const rest = body.subarray(Math.min(header.end, body.length));
      const present = wholeBodyUnsync ? resynchronise(rest) : rest;
      cut = { id, offset: offset + ID3_HEADER_SIZE, declared: size, present };
      offset = body.length;
      break;
    }
    if (validId && !data) {
      throw fail(
        format,
        `ID3 frame ${id} at tag offset ${offset + ID3_HEADER_SIZE} declares ${size === null ? 'a size that is not sync-safe' : `${size} bytes`}, past the end of the tag`,
      );
    }
    // A frame id with lower-case or other characters ('Date'): skipped by its declared size when that
    // lands on a frame boundary, as mutagen and ExifTool do; otherwise the rest is not frames.
    const skippable = MISCASED_FRAME_ID.test(id) && data !== null && data.bytes.length > 0 && boundaryAt(data.end) !== null;
    if (!data || (!validId && !skippable)) {
      trailingStart = offset;
      break;
    }
    if (!validId) {
      oddities.push(
        `the ID3 frame at byte ${offset + ID3_HEADER_SIZE} has the invalid id ${JSON.stringify(id)}; it was skipped by its declared size (${size} bytes) and is kept as stored`,
      );
    }
    const frameFlags = version === 2 ? 0 : u16be(header.bytes, 8);
    const userText = validId && (id === 'TXXX' || id === 'TXX');
    frames.push({
      id,
      offset: offset + ID3_HEADER_SIZE,
      raw: body.slice(offset, data.end),
      flags: frameFlags,
      validId,
      ...(userText ? { content: frameContent(data.bytes, version, frameFlags, tagUnsynchronised, budget, format) } : {}),
    });
    offset = data.end;
  }
  let trailing = new Uint8Array(0);
  if (trailingStart >= 0) {
    // Not frames and not padding: copied as stored, up to the zeros that end the body.
    let end = body.length;
    while (end > trailingStart && body[end - 1] === 0) end--;
    trailing = body.slice(trailingStart, end);
    offset = end;
    oddities.push(
      `${trailing.length} bytes at byte ${trailingStart + ID3_HEADER_SIZE} of the ID3 tag are neither frames nor padding; they are kept as stored`,
    );
  }
  const paddingHasData = body.subarray(offset).some((b) => b !== 0);
  return {
    ...base,
    extendedHeader,
    frames,
    trailing,
    padding: body.length - offset,
    paddingHasData,
    compressed: false,
    oddities,
    ...(cut ? { cut } : {}),
  };
}

function isFrameIdAt(body: Uint8Array, at: number, idLength: number): boolean {
  if (at + idLength > body.length) return false;
  for (let i = at; i < at + idLength; i++) {
    const c = body[i];
    if (!((c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39))) return false;
  }
  return true;
}

/**
 * A frame's declared size. v2.4 sizes are sync-safe, but some writers (iTunes among
 * them) stored plain 32-bit sizes in v2.4 tags: like mutagen, the plain reading is used
 * when the sync-safe one is impossible or lands off a frame boundary while the plain one
 * lands on the next frame or the end of the tag. Null when no reading makes sense.
 */
function frameSize(
  header: Uint8Array,
  version: number,
  ends: (size: number) => 'frame' | 'padding' | null,
  oddities: string[],
  offset: number,
): number | null {
  if (version === 2) return u24be(header, 3);
  const plain = u32be(header, 4);
  if (version === 3) return plain;
  const safe = syncSafeOrNull(header, 4);
  if (safe !== null && (safe === plain || ends(safe) !== null)) return safe;
  const plainEnd = ends(plain);
  if (plainEnd === 'frame' || (safe === null && plainEnd === 'padding')) {
    oddities.push(`the ID3v2.4 frame at byte ${offset + ID3_HEADER_SIZE} stores its size as a plain integer, not sync-safe`);
    return plain;
  }
  return safe;
}

/**
 * The body of a frame with the format flags undone: ID3v2.3 §3.3.1 (decompressed size,
 * encryption method and group id bytes, in that order) and ID3v2.4 §4.1.2 (group id,
 * encryption method, data-length indicator; per-frame unsynchronisation). Compressed
 * data is inflated within the tag's budget; encrypted data cannot be read.
 */
function frameContent(
  data: Uint8Array,
  version: number,
  flags: number,
  tagUnsynchronised: boolean,
  budget: { inflate: number },
  format: string,
): FrameContent {
  let body = data;
  let compressed = false;
  if (version === 3) {
    let at = 0;
    compressed = (flags & V23_COMPRESSION) !== 0;
    if (compressed) at += 4;
    if (flags & V23_ENCRYPTION) return { unreadable: `it is encrypted (method 0x${hex(body[at])})` };
    if (flags & V23_GROUPING) at += 1;
    if (at > body.length) return { unreadable: 'its format flags announce more bytes than it holds' };
    body = body.subarray(at);
  } else if (version === 4) {
    if (flags & V24_UNSYNCHRONISATION || tagUnsynchronised) body = resynchronise(body);
    let at = 0;
    compressed = (flags & V24_COMPRESSION) !== 0;
    if (flags & V24_GROUPING) at += 1;
    if (flags & V24_ENCRYPTION) return { unreadable: `it is encrypted (method 0x${hex(body[at])})` };
    if (flags & V24_DATA_LENGTH) at += 4;
    if (at > body.length) return { unreadable: 'its format flags announce more bytes than it holds' };
    body = body.subarray(at);
  }
  if (!compressed) return { data: body };
  try {
    const inflated = inflateCapped(body, format, { maxOutputBytes: budget.inflate });
    budget.inflate -= inflated.length;
    return { data: inflated };
  } catch (error) {
    if (error instanceof LimitExceededError) return { unreadable: `its compressed data expands past the ${budget.inflate}-byte budget` };
    if (error instanceof MalformedInputError) return { unreadable: 'its zlib-compressed data is damaged' };
    throw error;
  }
}

const hex = (byte: number | undefined) => (byte ?? 0).toString(16).padStart(2, '0');

const TEXT_ENCODING_LATIN1 = 0;
const TEXT_ENCODING_UTF16 = 1;
const TEXT_ENCODING_UTF16BE = 2;
const TEXT_ENCODING_UTF8 = 3;

function decodeText(bytes: Uint8Array, encoding: number): string {
  if (encoding === TEXT_ENCODING_UTF16 || encoding === TEXT_ENCODING_UTF16BE) {
    let littleEndian = false;
    let start = 0;
    if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) [littleEndian, start] = [true, 2];
    else if (bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff) start = 2;
    return new TextDecoder(littleEndian ? 'utf-16le' : 'utf-16be').decode(bytes.subarray(start, start + ((bytes.length - start) & ~1)));
  }
  return encoding === TEXT_ENCODING_UTF8 ? fromUtf8(bytes) : fromLatin1(bytes);
}

/** End of a string terminated by one NUL (Latin-1, UTF-8) or two aligned NULs (UTF-16). */
function terminatorIndex(bytes: Uint8Array, encoding: number): number {
  if (encoding === TEXT_ENCODING_UTF16 || encoding === TEXT_ENCODING_UTF16BE) {
    for (let i = 0; i + 1 < bytes.length; i += 2) if (bytes[i] === 0 && bytes[i + 1] === 0) return i;
    return -1;
  }
  return bytes.indexOf(0);
}

export interface UserText {
  readonly description: string;
  readonly value: string;
}

/** Decodes a TXXX (v2.3/v2.4) or TXX (v2.2) frame body (ID3v2.4 frames §4.2.6). */
export function decodeUserText(data: Uint8Array): UserText | null {
  if (data.length < 2) return null;
  const encoding = data[0];
  if (encoding > TEXT_ENCODING_UTF8) return null;
  const rest = data.subarray(1);
  const end = terminatorIndex(rest, encoding);
  if (end < 0) return { description: decodeText(rest, encoding), value: '' };
  const width = encoding === TEXT_ENCODING_UTF16 || encoding === TEXT_ENCODING_UTF16BE ? 2 : 1;
  return {
    description: decodeText(rest.subarray(0, end), encoding),
    value: trimTrailingNuls(decodeText(rest.subarray(end + width), encoding)),
  };
}

export const isUserTextFrame = (frame: Id3Frame): boolean => frame.validId && (frame.id === 'TXXX' || frame.id === 'TXX');

/** A user text frame, decoded, or the reason it cannot be (encrypted, damaged compression, unknown encoding). */
export type UserTextFrame = { frame: Id3Frame; text: UserText } | { frame: Id3Frame; unreadable: string };

/** Every TXXX/TXX frame of the tag, decoded where possible. */
export function userTextFrames(tag: Id3Tag): UserTextFrame[] {
  const found: UserTextFrame[] = [];
  for (const frame of tag.frames) {
    if (!isUserTextFrame(frame) || !frame.content) continue;
    if ('unreadable' in frame.content) {
      found.push({ frame, unreadable: frame.content.unreadable });
      continue;
    }
    const text = decodeUserText(frame.content.data);
    found.push(text ? { frame, text } : { frame, unreadable: `its text encoding byte ${frame.content.data[0] ?? '(missing)'} is unknown` });
  }
  return found;
}

/** The TXXX frames whose description is `description` (case-insensitive), decoded. */
export function findUserText(tag: Id3Tag, description: string): { frame: Id3Frame; text: UserText }[] {
  return userTextFrames(tag).filter(
    (f): f is { frame: Id3Frame; text: UserText } => 'text' in f && f.text.description.toLowerCase() === description.toLowerCase(),
  );
}

function utf16WithBom(text: string): Uint8Array {
  const out = new Uint8Array(2 + text.length * 2);
  out[0] = 0xff;
  out[1] = 0xfe;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    out[2 + i * 2] = code & 0xff;
    out[3 + i * 2] = code >>> 8;
  }
  return out;
}

/**
 * A user-defined text frame for the tag's version: UTF-8 in v2.4; in v2.2/v2.3,
 * which have no UTF-8, Latin-1 when the text is ASCII and UTF-16 with a BOM otherwise.
 * In an unsynchronised tag the frame is returned unsynchronised, as stored: per frame
 * with its flag in v2.4 (§4.1.2), as part of the whole body in v2.2/v2.3 (§5), where
 * the size counts the bytes before unsynchronisation.
 */
export function buildUserTextFrame(version: number, tagFlags: number, description: string, value: string): Uint8Array {
  let body: Uint8Array;
  if (version === 4) body = concat([Uint8Array.of(TEXT_ENCODING_UTF8), utf8(description), Uint8Array.of(0), utf8(value)]);
  else if (/^[\x00-\x7f]*$/.test(description + value)) {
    body = concat([Uint8Array.of(TEXT_ENCODING_LATIN1), ascii(description), Uint8Array.of(0), ascii(value)]);
  } else {
    body = concat([Uint8Array.of(TEXT_ENCODING_UTF16), utf16WithBom(description), Uint8Array.of(0, 0), utf16WithBom(value)]);
  }
  if (version === 2) {
    const header = new Uint8Array(6);
    header.set(ascii('TXX'), 0);
    putU24be(header, 3, body.length);
    return storedForTag(concat([header, body]), tagFlags);
  }
  const header = new Uint8Array(10);
  header.set(ascii('TXXX'), 0);
  if (version === 3) {
    putU32be(header, 4, body.length);
    return storedForTag(concat([header, body]), tagFlags);
  }
  // v2.4 §4.1.2: unsynchronisation is per frame, flagged in the frame's format flags.
  const tagUnsynchronised = (tagFlags & FLAG_UNSYNCHRONISATION) !== 0;
  const stored = tagUnsynchronised ? unsynchronise(body) : body;
  header.set(syncSafe(stored.length), 4);
  if (tagUnsynchronised) putU16be(header, 8, 0x0002);
  return concat([header, stored]);
}

/** A whole v2.2/v2.3 frame as stored in a tag that is unsynchronised as a whole (ID3v2.3 §5). */
const storedForTag = (frame: Uint8Array, tagFlags: number): Uint8Array =>
  tagFlags & FLAG_UNSYNCHRONISATION ? unsynchronise(frame) : frame;

/**
 * Serialises a tag: header, the extended header as stored, `frames` (stored bytes,
 * already unsynchronised where the tag is), then padding to `targetBodySize` when
 * given and reachable, else `extraPadding` bytes. A v2.4 tag with a footer gets no
 * padding (ID3v2.4 §3.4).
 */
export function buildId3Tag(
  tag: Pick<Id3Tag, 'version' | 'revision' | 'flags' | 'extendedHeader' | 'hasFooter'>,
  frames: readonly Uint8Array[],
  padding: { targetBodySize?: number; extraPadding: number },
): Uint8Array {
  const content = concat([tag.extendedHeader, ...frames]);
  // A v2.3 extended header may declare a padding size; we keep it as stored, so the
  // tag keeps its size whenever the frames fit (the usual case for a relabel).
  let paddingSize = tag.hasFooter ? 0 : padding.extraPadding;
  if (!tag.hasFooter && padding.targetBodySize !== undefined && content.length <= padding.targetBodySize) {
    paddingSize = padding.targetBodySize - content.length;
  }
  const bodySize = content.length + paddingSize;
  const header = new Uint8Array(ID3_HEADER_SIZE);
  header.set(ascii('ID3'), 0);
  header[3] = tag.version;
  header[4] = tag.revision;
  header[5] = tag.flags;
  header.set(syncSafe(bodySize), 6);
  const parts = [header, content, new Uint8Array(paddingSize)];
  if (tag.hasFooter) {
    const footer = header.slice();
    footer.set(ascii('3DI'), 0);
    parts.push(footer);
  }
  return concat(parts);
}

/** A fresh, empty ID3v2.4 tag description to add frames to. */
export const newId3v24 = { version: 4, revision: 0, flags: 0, extendedHeader: new Uint8Array(0), hasFooter: false } as const;
