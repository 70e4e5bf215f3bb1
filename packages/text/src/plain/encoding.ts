import { MalformedInputError, UnsupportedFormatError } from '@aigc-label/core';

/** The byte-order mark a text file starts with, if any. */
export type TextBom = 'utf-8' | 'utf-16le' | 'utf-16be' | null;

export interface DecodedText {
  readonly text: string;
  readonly bom: TextBom;
  /** Bytes the BOM takes; `text` starts right after it. */
  readonly bomLength: number;
}

export function bomOf(bytes: Uint8Array): TextBom {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return 'utf-8';
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return 'utf-16le';
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return 'utf-16be';
  return null;
}

const bomLengths: Record<Exclude<TextBom, null>, number> = { 'utf-8': 3, 'utf-16le': 2, 'utf-16be': 2 };

/**
 * Offset of the first byte that breaks UTF-8 (RFC 3629: no overlongs, no
 * surrogates, nothing above U+10FFFF), or -1. With `allowTruncatedEnd`, a
 * sequence cut off by the end of `bytes` is accepted: sniffing sees only a head.
 */
export function firstInvalidUtf8Offset(bytes: Uint8Array, allowTruncatedEnd = false): number {
  const n = bytes.length;
  let i = 0;
  while (i < n) {
    const b = bytes[i];
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    let max = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) need = 2;
    else if (b >= 0xf0 && b <= 0xf4) need = 3;
    else return i;
    // Second-byte ranges that rule out overlongs, surrogates and code points over U+10FFFF.
    min = b === 0xe0 ? 0xa0 : b === 0xf0 ? 0x90 : 0x80;
    if (b === 0xed) max = 0x9f;
    if (b === 0xf4) max = 0x8f;
    for (let k = 1; k <= need; k++) {
      if (i + k >= n) return allowTruncatedEnd ? -1 : i;
      const c = bytes[i + k];
      if (c < (k === 1 ? min : 0x80) || c > (k === 1 ? max : 0xbf)) return i;
    }
    i += need + 1;
  }
  return -1;
}

/**
 * What every text handler's sniff accepts: UTF-8 (with or without BOM) with no
 * NUL byte in the head, or a UTF-16 BOM (read is supported, write is refused clearly).
 */
export function looksLikeText(head: Uint8Array): boolean {
  const bom = bomOf(head);
  if (bom === 'utf-16le' || bom === 'utf-16be') return true;
  if (head.length === 0 || head.includes(0)) return false;
  return firstInvalidUtf8Offset(head, true) === -1;
}

const strictDecoders = {
  'utf-8': new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }),
  'utf-16le': new TextDecoder('utf-16le', { fatal: true, ignoreBOM: true }),
  'utf-16be': new TextDecoder('utf-16be', { fatal: true, ignoreBOM: true }),
};

/** Decodes a whole text file; invalid bytes are a MalformedInputError naming the offset. */
export function decodeText(bytes: Uint8Array, format: string): DecodedText {
  const bom = bomOf(bytes);
  const bomLength = bom ? bomLengths[bom] : 0;
  const body = bytes.subarray(bomLength);
  if (bom === 'utf-16le' || bom === 'utf-16be') {
    try {
      return { text: strictDecoders[bom].decode(body), bom, bomLength };
    } catch {
      throw new MalformedInputError(format, `the file has a ${bom.toUpperCase()} byte-order mark but is not valid ${bom.toUpperCase()}`);
    }
  }
  const bad = firstInvalidUtf8Offset(body);
  if (bad !== -1) {
    throw new MalformedInputError(
      format,
      `not valid UTF-8 (byte 0x${body[bad].toString(16).padStart(2, '0')} at offset ${bad + bomLength}); convert the file to UTF-8`,
    );
  }
  return { text: strictDecoders['utf-8'].decode(body), bom, bomLength };
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

/** UTF-8 length of `text.slice(0, index)`, without encoding it. Lone surrogates count as U+FFFD (3 bytes), as TextEncoder writes them. */
export function utf8ByteOffset(text: string, index: number): number {
  let bytes = 0;
  for (let i = 0; i < index; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < index && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}
