import { fromLatin1, LimitExceededError, MalformedInputError } from '@aigc-label/core';

/**
 * A small reader for PDF objects (ISO 32000-1 §7.2–7.3): enough to parse
 * trailers, cross-reference streams and the Info dictionary. Every value keeps
 * its character range so dictionary entries can be copied textually.
 */

export type PdfValue =
  | { readonly type: 'number'; readonly value: number }
  | { readonly type: 'ref'; readonly num: number; readonly gen: number }
  | { readonly type: 'name'; readonly value: string }
  | { readonly type: 'string'; readonly bytes: Uint8Array }
  | { readonly type: 'array'; readonly items: readonly Spanned[] }
  | { readonly type: 'dict'; readonly entries: readonly DictEntry[] }
  | { readonly type: 'bool'; readonly value: boolean }
  | { readonly type: 'null' }
  /** A dictionary value that does not parse, kept as its bytes (only in dictionaries parsed tolerantly). */
  | { readonly type: 'unparsed'; readonly reason: string };

export interface Spanned {
  readonly value: PdfValue;
  readonly start: number;
  readonly end: number;
}

export interface DictEntry {
  readonly key: string;
  /** From the `/Key` to the end of the value. */
  readonly start: number;
  readonly end: number;
  readonly value: Spanned;
}

const fail = (message: string) => new MalformedInputError('pdf', message);
/** Bounds on what one object may hold: far above real files (an Info dictionary has tens of entries, a flat page tree thousands of kids); each parsed entry costs a few hundred bytes. */
const maximumNesting = 64;
export const maximumDictionaryEntries = 10_000;
export const maximumArrayItems = 100_000;

const WHITESPACE = new Set([0x00, 0x09, 0x0a, 0x0c, 0x0d, 0x20]);
const DELIMITERS = new Set([0x28, 0x29, 0x3c, 0x3e, 0x5b, 0x5d, 0x7b, 0x7d, 0x2f, 0x25]);
export const isWhitespace = (byte: number): boolean => WHITESPACE.has(byte);
const isRegular = (byte: number): boolean => !WHITESPACE.has(byte) && !DELIMITERS.has(byte);

/** Thrown when a parse reaches the end of a window that is not the end of the file: read a bigger window. */
export class WindowTooSmall extends Error {}

export class PdfReader {
  /**
   * `base` is the file offset of `bytes[0]`, used in messages; `complete` says
   * whether `bytes` runs to the end of the data, or is a window of a bigger file.
   */
  constructor(
    readonly bytes: Uint8Array,
    readonly base = 0,
    readonly complete = true,
  ) {}

  private endOfData(what: string, at: number): Error {
    return this.complete ? fail(`${what} at offset ${this.base + at}`) : new WindowTooSmall();
  }

  skipSpace(at: number): number {
    let i = at;
    while (i < this.bytes.length) {
      const byte = this.bytes[i];
      if (WHITESPACE.has(byte)) i++;
      else if (byte === 0x25) {
        while (i < this.bytes.length && this.bytes[i] !== 0x0a && this.bytes[i] !== 0x0d) i++;
      } else break;
    }
    return i;
  }

  /** A run of regular characters (a keyword or number) at `at`, after whitespace. */
  token(at: number): { text: string; start: number; end: number } {
    const start = this.skipSpace(at);
    let end = start;
    while (end < this.bytes.length && isRegular(this.bytes[end])) end++;
    if (end === this.bytes.length && !this.complete) throw new WindowTooSmall();
    return { text: String.fromCharCode(...this.bytes.subarray(start, Math.min(end, start + 64))), start, end };
  }

  /** `N G obj` at `at`: the object number and where its value starts. */
  objectHeader(at: number): { num: number; gen: number; body: number } | null {
    const num = this.token(at);
    const gen = this.token(num.end);
    const keyword = this.token(gen.end);
    if (!/^\d+$/.test(num.text) || !/^\d+$/.test(gen.text) || keyword.text !== 'obj') return null;
    return { num: Number(num.text), gen: Number(gen.text), body: keyword.end };
  }

  /**
   * The value at `at`. With `tolerant`, a dictionary keeps an entry whose value does not parse
   * as an `unparsed` value spanning its bytes (up to the next key), so that what we do not
   * understand can be copied byte for byte (issue 13); nested values are parsed strictly.
   */
  parse(at: number, depth = 0, tolerant = false): Spanned {
    if (depth > maximumNesting) throw new LimitExceededError(`pdf: objects nested deeper than ${maximumNesting} levels`);
    const start = this.skipSpace(at);
    if (start >= this.bytes.length) throw this.endOfData('unexpected end of data', start);
    const byte = this.bytes[start];
    if (byte === 0x3c && this.bytes[start + 1] === 0x3c) return this.parseDict(start, depth, tolerant);
    if (byte === 0x3c) return this.parseHexString(start);
    if (byte === 0x28) return this.parseLiteralString(start);
    if (byte === 0x2f) {
      let end = start + 1;
      while (end < this.bytes.length && isRegular(this.bytes[end])) end++;
      const raw = fromLatin1(this.bytes.subarray(start + 1, Math.min(end, start + 1 + 256)));
      // #xx escapes in names (§7.3.5).
      const value = raw.replace(/#([0-9a-fA-F]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
      return { value: { type: 'name', value }, start, end };
    }
    if (byte === 0x5b) {
      const items: Spanned[] = [];
      let i = start + 1;
      for (;;) {
        i = this.skipSpace(i);
        if (i >= this.bytes.length) throw this.endOfData('unterminated array', start);
        if (this.bytes[i] === 0x5d) return { value: { type: 'array', items }, start, end: i + 1 };
        if (items.length >= maximumArrayItems)
          throw new LimitExceededError(`pdf: an array at offset ${this.base + start} has over ${maximumArrayItems} items`);
        const item = this.parse(i, depth + 1);
        items.push(item);
        i = item.end;
      }
    }
    const word = this.token(start);
    if (word.end === start) throw fail(`unexpected character 0x${byte.toString(16)} at offset ${this.base + start}`);
    if (/^[+-]?(\d+\.?\d*|\.\d+)$/.test(word.text)) {
      // `N G R` is a reference (§7.3.10).
      if (/^\d+$/.test(word.text)) {
        const gen = this.token(word.end);
        const r = this.token(gen.end);
        if (/^\d+$/.test(gen.text) && r.text === 'R') {
          return { value: { type: 'ref', num: Number(word.text), gen: Number(gen.text) }, start, end: r.end };
        }
      }
      return { value: { type: 'number', value: Number(word.text) }, start, end: word.end };
    }
    if (word.text === 'true' || word.text === 'false')
      return { value: { type: 'bool', value: word.text === 'true' }, start, end: word.end };
    if (word.text === 'null') return { value: { type: 'null' }, start, end: word.end };
    throw fail(`unexpected keyword "${word.text}" at offset ${this.base + start}`);
  }

  private parseDict(start: number, depth: number, tolerant: boolean): Spanned {
    const entries: DictEntry[] = [];
    let i = start + 2;
    for (;;) {
      i = this.skipSpace(i);
      if (i >= this.bytes.length) throw this.endOfData('unterminated dictionary', start);
      if (this.bytes[i] === 0x3e && this.bytes[i + 1] === 0x3e) return { value: { type: 'dict', entries }, start, end: i + 2 };
      if (entries.length >= maximumDictionaryEntries) {
        throw new LimitExceededError(`pdf: a dictionary at offset ${this.base + start} has over ${maximumDictionaryEntries} entries`);
      }
      try {
        const key = this.parse(i, depth + 1);
        if (key.value.type !== 'name') throw fail(`dictionary key at offset ${this.base + key.start} is not a name`);
        const value = this.parse(key.end, depth + 1);
        entries.push({ key: key.value.value, start: key.start, end: value.end, value });
        i = value.end;
      } catch (error) {
        if (!tolerant || !(error instanceof MalformedInputError)) throw error;
        const entry = this.unparsedEntry(i, error.message.replace(/^pdf: /, ''));
        entries.push(entry);
        i = entry.end;
      }
    }
  }

  /**
   * An entry that does not parse, from `start` up to the next key or the end of the
   * dictionary, skipping over strings and nested brackets so that their contents do not end it.
   */
  private unparsedEntry(start: number, reason: string): DictEntry {
    const keyEnd = this.bytes[start] === 0x2f ? this.token(start + 1).end : start;
    const key = keyEnd > start ? fromLatin1(this.bytes.subarray(start + 1, Math.min(keyEnd, start + 257))) : '';
    // Nested dictionaries and arrays are skipped; a `>>` that closes no dictionary of the entry ends the one it belongs to.
    let dictionaries = 0;
    let arrays = 0;
    let i = keyEnd;
    for (;;) {
      i = this.skipSpace(i);
      if (i >= this.bytes.length) throw this.endOfData('unterminated dictionary', start);
      const byte = this.bytes[i];
      if (byte === 0x2f && dictionaries === 0 && arrays === 0 && i > keyEnd) break;
      if (byte === 0x3e && this.bytes[i + 1] === 0x3e) {
        if (dictionaries === 0) break;
        dictionaries--;
        i += 2;
      } else if (byte === 0x3c && this.bytes[i + 1] === 0x3c) {
        dictionaries++;
        i += 2;
      } else if (byte === 0x28) i = this.parseLiteralString(i).end;
      else if (byte === 0x5b) {
        arrays++;
        i++;
      } else if (byte === 0x5d) {
        arrays = Math.max(0, arrays - 1);
        i++;
      } else i++;
    }
    let end = i;
    while (end > keyEnd && isWhitespace(this.bytes[end - 1] as number)) end--;
    return { key, start, end, value: { value: { type: 'unparsed', reason }, start: keyEnd, end } };
  }

  private parseHexString(start: number): Spanned {
    const end = this.bytes.indexOf(0x3e, start);
    if (end < 0) throw this.endOfData('unterminated hex string', start);
    const digits = fromLatin1(this.bytes.subarray(start + 1, end)).replace(/[\s\0]/g, '');
    if (!/^[0-9a-fA-F]*$/.test(digits)) throw fail(`bad hex string at offset ${this.base + start}`);
    const padded = digits.length % 2 === 1 ? `${digits}0` : digits;
    const out = new Uint8Array(padded.length / 2);
    for (let k = 0; k < out.length; k++) out[k] = Number.parseInt(padded.slice(2 * k, 2 * k + 2), 16);
    return { value: { type: 'string', bytes: out }, start, end: end + 1 };
  }

  private parseLiteralString(start: number): Spanned {
    // A growable buffer: the decoded string is never longer than its encoded bytes, so memory stays within twice the string.
    let out = new Uint8Array(64);
    let length = 0;
    const put = (byte: number) => {
      if (length === out.length) {
        const bigger = new Uint8Array(out.length * 2);
        bigger.set(out);
        out = bigger;
      }
      out[length++] = byte;
    };
    let nesting = 1;
    let i = start + 1;
    const bytes = this.bytes;
    while (i < bytes.length) {
      const byte = bytes[i++] as number;
      if (byte === 0x5c) {
        const next = bytes[i++];
        const simple = next === undefined ? undefined : ESCAPES.get(next);
        if (simple !== undefined) put(simple);
        else if (next !== undefined && next >= 0x30 && next <= 0x37) {
          let value = next - 0x30;
          for (let k = 0; k < 2 && (bytes[i] as number) >= 0x30 && (bytes[i] as number) <= 0x37; k++)
            value = value * 8 + ((bytes[i++] as number) - 0x30);
          put(value & 0xff);
        } else if (next === 0x0d) {
          if (bytes[i] === 0x0a) i++;
        } else if (next !== 0x0a && next !== undefined) put(next);
        continue;
      }
      if (byte === 0x28) nesting++;
      if (byte === 0x29 && --nesting === 0) return { value: { type: 'string', bytes: out.slice(0, length) }, start, end: i };
      put(byte);
    }
    throw this.endOfData('unterminated string', start);
  }
}

/** The escapes of a literal string (§7.3.4.2, Table 3). */
const ESCAPES = new Map([
  [0x6e, 0x0a],
  [0x72, 0x0d],
  [0x74, 0x09],
  [0x62, 0x08],
  [0x66, 0x0c],
  [0x28, 0x28],
  [0x29, 0x29],
  [0x5c, 0x5c],
]);

export const dictGet = (dict: PdfValue, key: string): PdfValue | undefined =>
  dict.type === 'dict' ? dict.entries.find((e) => e.key === key)?.value.value : undefined;

export function dictNumber(dict: PdfValue, key: string): number | undefined {
  const value = dictGet(dict, key);
  return value?.type === 'number' ? value.value : undefined;
}

/** Decodes a text string (§7.9.2.2): UTF-16BE or UTF-8 with BOM, otherwise PDFDocEncoding (read as Latin-1). */
export function decodeTextString(bytes: Uint8Array): { text: string; rawUtf8: boolean } {
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return { text: new TextDecoder('utf-16be').decode(bytes.subarray(2)), rawUtf8: false };
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf)
    return { text: new TextDecoder().decode(bytes.subarray(3)), rawUtf8: false };
  if (bytes.every((b) => b < 0x80)) return { text: fromLatin1(bytes), rawUtf8: false };
  // Some writers put UTF-8 without a BOM; accept it when it decodes cleanly.
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes), rawUtf8: true };
  } catch {
    return { text: new TextDecoder('latin1').decode(bytes), rawUtf8: false };
  }
}

/** A text string as PDF syntax: a literal string for ASCII, UTF-16BE hex with BOM otherwise. */
export function encodeTextString(text: string): string {
  if (/^[\x20-\x7e]*$/.test(text)) return `(${text.replace(/[\\()]/g, '\\$&')})`;
  let hex = 'FEFF';
  for (let i = 0; i < text.length; i++) hex += text.charCodeAt(i).toString(16).toUpperCase().padStart(4, '0');
  return `<${hex}>`;
}
