import { type Finding, finding, MalformedInputError, Rules, UnsupportedFormatError } from '@aigc-label/core';

/** The byte-order mark a text file starts with, if any. */
export type TextBom = 'utf-8' | 'utf-16le' | 'utf-16be' | null;

export interface DecodedText {
  readonly text: string;
  readonly bom: TextBom;
  /** Bytes the BOM takes; `text` starts right after it. */
  readonly bomLength: number;
  /** Character indexes of the U+FFFD that each stand for one invalid byte (tolerant reads only), ascending. */
  readonly replaced: readonly number[];
}

/**
 * At most one invalid byte in this many is "a few" (issue 25): a text file damaged in transit
 * or with a stray Latin-1 byte, still recognised and read; legacy encodings such as GBK, where
 * most non-ASCII bytes are invalid UTF-8, are not taken for UTF-8.
 */
const bytesPerInvalidByte = 64;
const invalidBytesAllowed = (length: number): number => Math.max(1, Math.floor(length / bytesPerInvalidByte));

export function bomOf(bytes: Uint8Array): TextBom {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return 'utf-8';
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return 'utf-16le';
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return 'utf-16be';
  return null;
}

const bomLengths: Record<Exclude<TextBom, null>, number> = { 'utf-8': 3, 'utf-16le': 2, 'utf-16be': 2 };

/**
 * Length of the UTF-8 sequence at `i` (RFC 3629: no overlongs, no surrogates, nothing above
 * U+10FFFF), 0 when the byte at `i` starts no valid sequence, or -1 for a sequence cut off by the
 * end of `bytes` when `allowTruncatedEnd` (sniffing sees only a head).
 */
function sequenceLength(bytes: Uint8Array, i: number, allowTruncatedEnd: boolean): number {
  const b = bytes[i] as number;
  if (b < 0x80) return 1;
  let need: number;
  if (b >= 0xc2 && b <= 0xdf) need = 1;
  else if (b >= 0xe0 && b <= 0xef) need = 2;
  else if (b >= 0xf0 && b <= 0xf4) need = 3;
  else return 0;
  // Second-byte ranges that rule out overlongs, surrogates and code points over U+10FFFF.
  const min = b === 0xe0 ? 0xa0 : b === 0xf0 ? 0x90 : 0x80;
  const max = b === 0xed ? 0x9f : b === 0xf4 ? 0x8f : 0xbf;
  for (let k = 1; k <= need; k++) {
    if (i + k >= bytes.length) return allowTruncatedEnd ? -1 : 0;
    const c = bytes[i + k] as number;
    if (c < (k === 1 ? min : 0x80) || c > (k === 1 ? max : 0xbf)) return 0;
  }
  return need + 1;
}

/** Offset of the first byte that breaks UTF-8, or -1 (see `sequenceLength`). */
export function firstInvalidUtf8Offset(bytes: Uint8Array, allowTruncatedEnd = false): number {
  for (let i = 0; i < bytes.length; ) {
    const length = sequenceLength(bytes, i, allowTruncatedEnd);
    if (length === 0) return i;
    if (length === -1) return -1;
    i += length;
  }
  return -1;
}

/** Offsets of the bytes that break UTF-8, each counted alone (scanning resumes at the next byte); stops after `limit`. */
function invalidUtf8Offsets(bytes: Uint8Array, limit: number, allowTruncatedEnd = false, end = bytes.length): number[] {
  const offsets: number[] = [];
  for (let i = 0; i < end && offsets.length <= limit; ) {
    const length = sequenceLength(bytes, i, allowTruncatedEnd);
    if (length === -1) break;
    if (length === 0) offsets.push(i);
    i += Math.max(1, length);
  }
  return offsets;
}

// ------------------------------------------------------------- damaged text (issue 25)

/** NUL and the C0 controls that text does not use (tab, line feed, vertical tab, form feed, carriage return and escape are text). */
const isBinaryByte = (b: number): boolean => b < 0x20 && (b < 0x09 || (b > 0x0d && b !== 0x1b));

/**
 * Bad bytes closer than this belong to one damaged spot: a flipped byte inside a character
 * breaks its lead and continuation bytes, at most a few apart.
 */
const spotGap = 4;
/** A spot of more bad bytes than a couple of broken characters is where the text ends: binary garbage, NULs, or another encoding. */
const badBytesPerSpot = 8;
/** Damaged spots allowed in a text: a few (up to 8, one in 16 bytes in a short text), or one in `bytesPerInvalidByte` bytes in a long one. */
const spotsAllowed = (length: number): number =>
  Math.max(1, Math.min(8, Math.floor(length / 16)), Math.floor(length / bytesPerInvalidByte));
/** Bad bytes are a small part of a damaged text: under one in this many. */
const bytesPerBadByte = 4;
/** Text needed before binary bytes to still call the file text. */
const textBeforeDamage = 64;
/** Bytes of non-text after the text that need not look binary: a short tail of garbage from a broken transfer. */
const shortTail = 64;

export interface TextExtent {
  /** Whether the bytes are text damaged in a few places, possibly followed by non-text. */
  readonly text: boolean;
  /** Where the text ends: the length, or where trailing garbage, NULs or a long stretch of bad bytes start. */
  readonly end: number;
}

/**
 * The salvage reading of bytes that are not clean text (issue 25: "a few invalid UTF-8 bytes or
 * trailing NULs"): invalid UTF-8 and binary control bytes are bad bytes, grouped into spots. Up
 * to a few short spots is damaged text; a long spot ends the text, and what follows must look
 * like garbage (holds a binary byte, or is short), so that text in a legacy encoding such as GBK
 * (long runs of invalid bytes, no binary bytes) is still not taken for UTF-8. One pass.
 */
export function textExtent(bytes: Uint8Array, allowTruncatedEnd = false): TextExtent {
  let spots = 0;
  let bad = 0;
  let spotStart = -1;
  let spotBad = 0;
  let last = -spotGap;
  let end = bytes.length;
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i] as number;
    const length = isBinaryByte(b) ? 0 : sequenceLength(bytes, i, allowTruncatedEnd);
    if (length === -1) break;
    if (length > 0) {
      i += length;
      continue;
    }
    bad++;
    if (i - last < spotGap) spotBad++;
    else {
      spots++;
      spotStart = i;
      spotBad = 1;
    }
    last = i;
    if (spotBad > badBytesPerSpot) {
      end = spotStart;
      spots--;
      bad -= spotBad;
      break;
    }
    i++;
  }
  const fewSpots = spots <= spotsAllowed(end) && bad * bytesPerBadByte < end;
  if (end === bytes.length) return { text: fewSpots, end };
  let binaryTail = false;
  for (let i = end; i < bytes.length && !binaryTail; i++) binaryTail = isBinaryByte(bytes[i] as number);
  const garbageTail = binaryTail || bytes.length - end <= shortTail;
  return { text: end >= textBeforeDamage && garbageTail && fewSpots, end };
}

/**
 * What every text handler's sniff accepts: UTF-8 (with or without BOM) with no NUL byte in the
 * head and at most a few invalid bytes, or a UTF-16 BOM (read is supported, write is refused
 * clearly); failing that, text damaged in a few spots or followed by garbage (`textExtent`).
 */
export function looksLikeText(head: Uint8Array): boolean {
  const bom = bomOf(head);
  if (bom === 'utf-16le' || bom === 'utf-16be') return true;
  if (head.length === 0) return false;
  const allowed = invalidBytesAllowed(head.length);
  if (!head.includes(0) && invalidUtf8Offsets(head, allowed, true).length <= allowed) return true;
  return textExtent(head, true).text;
}

const strictDecoders = {
  'utf-8': new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }),
  'utf-16le': new TextDecoder('utf-16le', { fatal: true, ignoreBOM: true }),
  'utf-16be': new TextDecoder('utf-16be', { fatal: true, ignoreBOM: true }),
};

function decodeUtf16(bytes: Uint8Array, bom: 'utf-16le' | 'utf-16be', format: string): DecodedText {
  try {
    return { text: strictDecoders[bom].decode(bytes.subarray(2)), bom, bomLength: 2, replaced: [] };
  } catch {
    throw new MalformedInputError(format, `the file has a ${bom.toUpperCase()} byte-order mark but is not valid ${bom.toUpperCase()}`);
  }
}

/** Decodes a whole text file; invalid bytes or a NUL are a MalformedInputError naming the offset (for writers). */
export function decodeText(bytes: Uint8Array, format: string): DecodedText {
  const bom = bomOf(bytes);
  if (bom === 'utf-16le' || bom === 'utf-16be') return decodeUtf16(bytes, bom, format);
  const bomLength = bom ? bomLengths[bom] : 0;
  const body = bytes.subarray(bomLength);
  const text = decodeValidUtf8(body);
  const nul = text === null ? -1 : text.indexOf('\0');
  if (nul !== -1) {
    const at = body.indexOf(0);
    throw new MalformedInputError(format, `a NUL byte at offset ${at + bomLength}: the text is damaged or not text, and cannot be labeled`);
  }
  if (text !== null) return { text, bom, bomLength, replaced: [] };
  const bad = Math.max(0, firstInvalidUtf8Offset(body));
  throw new MalformedInputError(
    format,
    `not valid UTF-8 (byte 0x${(body[bad] as number).toString(16).padStart(2, '0')} at offset ${bad + bomLength}); convert the file to UTF-8`,
  );
}

/**
 * The text of valid UTF-8, or null. The strict decoder checks validity natively (the WHATWG
 * decoder refuses what RFC 3629 refuses), several times faster than the scan byte by byte, which
 * runs only on a file that is not valid, to find its bad bytes.
 */
function decodeValidUtf8(body: Uint8Array): string | null {
  try {
    return strictDecoders['utf-8'].decode(body);
  } catch {
    return null;
  }
}

/**
 * Decodes a whole text file for reading (issue 25): a few invalid bytes become U+FFFD, one per
 * byte, with a `format/damaged` finding; text followed by garbage or NULs is read up to where the
 * garbage starts, with a finding; anything else is not UTF-8 text, a MalformedInputError.
 */
export function decodeTextTolerant(bytes: Uint8Array, format: string): DecodedText & { findings: Finding[] } {
  const bom = bomOf(bytes);
  if (bom === 'utf-16le' || bom === 'utf-16be') return { ...decodeUtf16(bytes, bom, format), findings: [] };
  const bomLength = bom ? bomLengths[bom] : 0;
  const body = bytes.subarray(bomLength);
  const text = decodeValidUtf8(body);
  if (text !== null && !text.includes('\0')) return { text, bom, bomLength, replaced: [], findings: [] };
  const allowed = invalidBytesAllowed(body.length);
  let end = body.length;
  let invalid = text === null ? invalidUtf8Offsets(body, allowed) : [];
  if (text !== null || invalid.length > allowed) {
    const extent = textExtent(body);
    if (!extent.text) decodeText(bytes, format); // throws, naming the first invalid byte
    end = extent.end;
    invalid = invalidUtf8Offsets(body, Number.POSITIVE_INFINITY, false, end);
  }
  const findings: Finding[] = [];
  const parts: string[] = [];
  const replaced: number[] = [];
  let length = 0;
  let from = 0;
  for (const at of invalid) {
    const run = strictDecoders['utf-8'].decode(body.subarray(from, at));
    parts.push(run, '\uFFFD');
    length += run.length;
    replaced.push(length);
    length += 1;
    from = at + 1;
  }
  parts.push(strictDecoders['utf-8'].decode(body.subarray(from, end)));
  const first = invalid[0];
  if (first !== undefined) {
    const message = `${invalid.length} byte(s) are not valid UTF-8, the first (0x${(body[first] as number).toString(16).padStart(2, '0')}) at offset ${first + bomLength}; they were read as U+FFFD, and the file cannot be labeled until it is valid UTF-8`;
    findings.push(finding(Rules.damaged, 'error', message));
  }
  const nul = body.subarray(0, end).indexOf(0);
  if (nul !== -1) findings.push(finding(Rules.damaged, 'error', `a NUL byte at offset ${nul + bomLength}: the text is damaged`));
  if (end < body.length) {
    const message = `the text ends at offset ${end + bomLength}: the ${body.length - end} byte(s) after it are not text (garbage, NULs or damage) and were not read; the file cannot be labeled until they are removed`;
    findings.push(finding(Rules.damaged, 'error', message));
  }
  return { text: parts.join(''), bom, bomLength, replaced, findings };
}

/** Writers splice UTF-8 bytes; a UTF-16 file is read but not written. */
export function requireUtf8(decoded: DecodedText, format: string): void {
  if (decoded.bom === 'utf-16le' || decoded.bom === 'utf-16be') {
    throw new UnsupportedFormatError(
      `${format}: ${decoded.bom.toUpperCase()} text can be read but not labeled; convert the file to UTF-8 first`,
    );
  }
}

/** The line ending the text already uses (CRLF stays CRLF), LF when it has none. */
export function lineEndingOf(text: string): '\r\n' | '\n' {
  const lf = text.indexOf('\n');
  return lf > 0 && text[lf - 1] === '\r' ? '\r\n' : '\n';
}

/**
 * Byte offsets of many character indexes of a decoded text (`indexes` ascending) in one pass:
 * the UTF-8 length of what precedes each, plus the BOM, where a U+FFFD that replaced an invalid
 * byte counts one byte (UTF-16 text: two bytes a code unit). Lone surrogates count as U+FFFD
 * (3 bytes), as TextEncoder writes them.
 */
export function byteOffsets(decoded: DecodedText, indexes: readonly number[]): number[] {
  const { text, replaced } = decoded;
  if (decoded.bom === 'utf-16le' || decoded.bom === 'utf-16be') return indexes.map((index) => decoded.bomLength + 2 * index);
  const offsets: number[] = [];
  let bytes = decoded.bomLength;
  let i = 0;
  let next = 0;
  for (const index of indexes) {
    for (; i < index; i++) {
      const c = text.charCodeAt(i);
      if (c < 0x80) bytes += 1;
      else if (c < 0x800) bytes += 2;
      else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
        bytes += 4;
        i++;
      } else if (c === 0xfffd && replaced[next] === i) {
        bytes += 1;
        next++;
      } else bytes += 3;
    }
    offsets.push(bytes);
  }
  return offsets;
}
