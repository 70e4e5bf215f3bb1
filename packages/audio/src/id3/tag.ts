import {
  ascii,
  concat,
  fromAscii,
  fromLatin1,
  fromUtf8,
  LimitExceededError,
  MalformedInputError,
  putU16be,
  putU24be,
  putU32be,
  u16be,
  u24be,
  u32be,
  utf8,
} from '@aigc-label/core';

/**
 * ID3v2 tags (id3.org ID3v2.2, ID3v2.3.0, ID3v2.4.0 structure §3-§4): a 10-byte
 * header, an optional extended header, frames, padding and (v2.4) a footer.
 * Frames are kept as their raw bytes so a rewrite copies every frame but the
 * label frame unchanged.
 */
export interface Id3Frame {
  /** 'TXXX', 'APIC'; three characters in v2.2 ('TXX'). */
  readonly id: string;
  /** Offset of the frame header within the tag. */
  readonly offset: number;
  /** The frame as stored; for v2.2/v2.3 tags after undoing whole-tag unsynchronisation. */
  readonly raw: Uint8Array;
  /** v2.3/v2.4 frame flags; 0 for v2.2. */
  readonly flags: number;
  /** The frame data after undoing unsynchronisation and stripping the data-length indicator; null when compressed or encrypted. */
  readonly data: Uint8Array | null;
}

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
  /** Bytes of padding after the last frame. */
  readonly padding: number;
  /** The padding holds non-zero bytes (leftovers that a rewrite zeroes). */
  readonly paddingHasData: boolean;
  readonly hasFooter: boolean;
}

export const ID3_HEADER_SIZE = 10;
const FLAG_UNSYNCHRONISATION = 0x80;
const FLAG_EXTENDED_HEADER = 0x40;
const FLAG_FOOTER = 0x10;
/** Most frames a parser reads before it gives up on a hostile tag. */
const maximumFrameCount = 100_000;

const fail = (format: string, message: string) => new MalformedInputError(format, message);

export const isId3Header = (bytes: Uint8Array, at = 0): boolean =>
  bytes.length >= at + ID3_HEADER_SIZE && bytes[at] === 0x49 && bytes[at + 1] === 0x44 && bytes[at + 2] === 0x33;

/** A 28-bit sync-safe integer (ID3v2.4 §6.2): four bytes, high bit of each clear. */
export function readSyncSafe(bytes: Uint8Array, offset: number, format: string, what: string): number {
  let value = 0;
  for (let i = 0; i < 4; i++) {
    const b = bytes[offset + i];
    if (b & 0x80) {
      throw fail(format, `${what} is not a valid sync-safe integer (byte 0x${b.toString(16)} has its high bit set)`);
    }
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

/** Parses a whole tag (`tag` holds exactly `id3TagSize` bytes). */
export function parseId3Tag(tag: Uint8Array, format: string): Id3Tag {
  const totalSize = id3TagSize(tag, format);
  if (tag.length < totalSize) throw fail(format, `ID3 tag declares ${totalSize} bytes but only ${tag.length} are present`);
  const version = tag[3];
  const flags = tag[5];
  const hasFooter = version === 4 && (flags & FLAG_FOOTER) !== 0;
  const bodyEnd = totalSize - (hasFooter ? ID3_HEADER_SIZE : 0);
  if (hasFooter && fromAscii(tag, bodyEnd, bodyEnd + 3) !== '3DI') throw fail(format, 'ID3v2.4 footer is missing its "3DI" identifier');
  const tagUnsynchronised = (flags & FLAG_UNSYNCHRONISATION) !== 0;
  // v2.2 and v2.3 unsynchronise the whole body; frame sizes count the resynchronised bytes.
  const wholeBodyUnsync = tagUnsynchronised && version < 4;
  const body = wholeBodyUnsync ? resynchronise(tag.subarray(ID3_HEADER_SIZE, bodyEnd)) : tag.subarray(ID3_HEADER_SIZE, bodyEnd);
  let offset = 0;
  let extendedHeader = new Uint8Array(0);
  if (flags & FLAG_EXTENDED_HEADER && version > 2) {
    if (body.length < 6) throw fail(format, 'ID3 extended header is truncated');
    // v2.3 §3.2: the size excludes its own four bytes; v2.4 §3.2: sync-safe and includes them.
    const size = version === 3 ? u32be(body, 0) + 4 : readSyncSafe(body, 0, format, 'ID3 extended header size');
    if (size < 6 || size > body.length) throw fail(format, `ID3 extended header size ${size} does not fit the tag`);
    extendedHeader = body.slice(0, size);
    offset = size;
  }
  const frames: Id3Frame[] = [];
  const headerSize = version === 2 ? 6 : 10;
  while (offset + headerSize <= body.length && body[offset] !== 0) {
    if (frames.length >= maximumFrameCount) throw new LimitExceededError(`${format}: more than ${maximumFrameCount} ID3 frames`);
    const idLength = version === 2 ? 3 : 4;
    const id = fromAscii(body, offset, offset + idLength);
    // Not a frame id: leftovers of an older, longer tag (seen in the wild); treated as padding.
    if (!/^[A-Z0-9]+$/.test(id)) break;
    const size =
      version === 2
        ? u24be(body, offset + 3)
        : version === 3
          ? u32be(body, offset + 4)
          : readSyncSafe(body, offset + 4, format, `ID3 frame ${id} size`);
    const end = offset + headerSize + size;
    if (end > body.length) {
      throw fail(format, `ID3 frame ${id} at tag offset ${offset + ID3_HEADER_SIZE} declares ${size} bytes, past the end of the tag`);
    }
    const frameFlags = version === 2 ? 0 : u16be(body, offset + 8);
    const raw = body.subarray(offset, end);
    frames.push({
      id,
      offset: offset + ID3_HEADER_SIZE,
      raw: raw.slice(),
      flags: frameFlags,
      data: frameData(raw.subarray(headerSize), version, frameFlags, tagUnsynchronised),
    });
    offset = end;
  }
  const paddingHasData = body.subarray(offset).some((b) => b !== 0);
  return { version, revision: tag[4], flags, totalSize, extendedHeader, frames, padding: body.length - offset, paddingHasData, hasFooter };
}

/** Frame data without the v2.4 data-length indicator and unsynchronisation; null when compressed or encrypted. */
function frameData(data: Uint8Array, version: number, flags: number, tagUnsynchronised: boolean): Uint8Array | null {
  if (version === 3) return flags & 0x00c0 ? null : data;
  if (version === 4) {
    if (flags & 0x000c) return null;
    const withoutLength = flags & 0x0001 ? data.subarray(4) : data;
    return flags & 0x0002 || tagUnsynchronised ? resynchronise(withoutLength) : withoutLength;
  }
  return data;
}

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
    value: decodeText(rest.subarray(end + width), encoding).replace(/\0+$/, ''),
  };
}

export const isUserTextFrame = (frame: Id3Frame): boolean => frame.id === 'TXXX' || frame.id === 'TXX';

/** The TXXX frames whose description is `description` (case-insensitive), decoded. */
export function findUserText(tag: Id3Tag, description: string): { frame: Id3Frame; text: UserText }[] {
  const found: { frame: Id3Frame; text: UserText }[] = [];
  for (const frame of tag.frames) {
    if (!isUserTextFrame(frame) || frame.data === null) continue;
    const text = decodeUserText(frame.data);
    if (text && text.description.toLowerCase() === description.toLowerCase()) found.push({ frame, text });
  }
  return found;
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
 * In an unsynchronised v2.4 tag the frame is unsynchronised too; v2.2/v2.3 tags
 * unsynchronise the whole body in `buildId3Tag`.
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
    return concat([header, body]);
  }
  const header = new Uint8Array(10);
  header.set(ascii('TXXX'), 0);
  if (version === 3) {
    putU32be(header, 4, body.length);
    return concat([header, body]);
  }
  // v2.4 §4.1.2: unsynchronisation is per frame, flagged in the frame's format flags.
  const tagUnsynchronised = (tagFlags & FLAG_UNSYNCHRONISATION) !== 0;
  const stored = tagUnsynchronised ? unsynchronise(body) : body;
  header.set(syncSafe(stored.length), 4);
  if (tagUnsynchronised) putU16be(header, 8, 0x0002);
  return concat([header, stored]);
}

/**
 * Serialises a tag: header, the extended header as parsed, `frames` (raw bytes),
 * then padding to `targetBodySize` when given and reachable, else `extraPadding`
 * bytes. A v2.4 tag with a footer gets no padding (ID3v2.4 §3.4).
 */
export function buildId3Tag(
  tag: Pick<Id3Tag, 'version' | 'revision' | 'flags' | 'extendedHeader' | 'hasFooter'>,
  frames: readonly Uint8Array[],
  padding: { targetBodySize?: number; extraPadding: number },
): Uint8Array {
  const plain = concat([tag.extendedHeader, ...frames]);
  // v2.2/v2.3 unsynchronise the whole body (ID3v2.3 §5); v2.4 frames carry their own flag.
  const content = tag.version < 4 && tag.flags & FLAG_UNSYNCHRONISATION ? unsynchronise(plain) : plain;
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
