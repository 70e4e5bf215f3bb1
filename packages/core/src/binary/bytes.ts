/** Byte helpers. Everything is `Uint8Array`; nothing here touches Node's Buffer. */
import * as zlib from 'node:zlib';

const textDecoder = new TextDecoder('utf-8');
const strictDecoder = new TextDecoder('utf-8', { fatal: true });
const latin1Decoder = new TextDecoder('latin1');
const textEncoder = new TextEncoder();

export const utf8 = (text: string): Uint8Array => textEncoder.encode(text);
export const fromUtf8 = (bytes: Uint8Array): string => textDecoder.decode(bytes);
/** Returns null instead of replacement characters when the bytes are not UTF-8. */
export function fromUtf8Strict(bytes: Uint8Array): string | null {
  try {
    return strictDecoder.decode(bytes);
  } catch {
    return null;
  }
}
export const fromLatin1 = (bytes: Uint8Array): string => latin1Decoder.decode(bytes);

/** ASCII (Latin-1) string to bytes; for FourCCs and keywords. */
export function ascii(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff;
  return out;
}
/** Bytes to an ASCII (Latin-1) string: FourCCs and keywords, mostly 4 bytes, read on every file (no spread, which iterates). */
export function fromAscii(bytes: Uint8Array, start = 0, end = bytes.length): string {
  const stop = Math.min(end, bytes.length);
  if (stop - start === 4) return String.fromCharCode(bytes[start]!, bytes[start + 1]!, bytes[start + 2]!, bytes[start + 3]!);
  let text = '';
  for (let i = start; i < stop; i++) text += String.fromCharCode(bytes[i]!);
  return text;
}
/**
 * `text` without its trailing NULs (C strings, padded fields). A loop, not `/\0+$/`, which is
 * quadratic on a long run of NULs that is not at the end (issue 15).
 */
export function trimTrailingNuls(text: string): string {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 0) end--;
  return end === text.length ? text : text.slice(0, end);
}
/** A FourCC, keyword or name read from a file, fit for an error message: anything but printable ASCII becomes `?`. */
export const printableAscii = (text: string): string => text.replace(/[^\x20-\x7E]/g, '?');

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function startsWith(bytes: Uint8Array, prefix: readonly number[] | Uint8Array, at = 0): boolean {
  if (bytes.length < at + prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[at + i] !== prefix[i]) return false;
  return true;
}

/** Index of `needle` in `haystack` from `from`, or -1. */
export function indexOfBytes(haystack: Uint8Array, needle: Uint8Array, from = 0): number {
  const first = needle[0]!;
  const last = haystack.length - needle.length;
  outer: for (let i = haystack.indexOf(first, from); i !== -1 && i <= last; i = haystack.indexOf(first, i + 1)) {
    for (let j = 1; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

export const view = (bytes: Uint8Array): DataView => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

export const u16be = (b: Uint8Array, o: number): number => (b[o]! << 8) | b[o + 1]!;
export const u16le = (b: Uint8Array, o: number): number => b[o]! | (b[o + 1]! << 8);
export const u24be = (b: Uint8Array, o: number): number => (b[o]! << 16) | (b[o + 1]! << 8) | b[o + 2]!;
export const u24le = (b: Uint8Array, o: number): number => b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16);
export const u32be = (b: Uint8Array, o: number): number => ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
export const u32le = (b: Uint8Array, o: number): number => (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
/** 64-bit big-endian as a number; exact below 2^53, which bounds every real file size. */
export const u64be = (b: Uint8Array, o: number): number => u32be(b, o) * 0x1_0000_0000 + u32be(b, o + 4);
export const u64le = (b: Uint8Array, o: number): number => u32le(b, o + 4) * 0x1_0000_0000 + u32le(b, o);

export function putU16be(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 8) & 0xff;
  b[o + 1] = v & 0xff;
}
export function putU16le(b: Uint8Array, o: number, v: number): void {
  b[o] = v & 0xff;
  b[o + 1] = (v >>> 8) & 0xff;
}
export function putU24be(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 16) & 0xff;
  b[o + 1] = (v >>> 8) & 0xff;
  b[o + 2] = v & 0xff;
}
export function putU24le(b: Uint8Array, o: number, v: number): void {
  b[o] = v & 0xff;
  b[o + 1] = (v >>> 8) & 0xff;
  b[o + 2] = (v >>> 16) & 0xff;
}
export function putU32be(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 24) & 0xff;
  b[o + 1] = (v >>> 16) & 0xff;
  b[o + 2] = (v >>> 8) & 0xff;
  b[o + 3] = v & 0xff;
}
export function putU32le(b: Uint8Array, o: number, v: number): void {
  b[o] = v & 0xff;
  b[o + 1] = (v >>> 8) & 0xff;
  b[o + 2] = (v >>> 16) & 0xff;
  b[o + 3] = (v >>> 24) & 0xff;
}
export function putU64be(b: Uint8Array, o: number, v: number): void {
  putU32be(b, o, Math.floor(v / 0x1_0000_0000));
  putU32be(b, o + 4, v >>> 0);
}
export function putU64le(b: Uint8Array, o: number, v: number): void {
  putU32le(b, o, v >>> 0);
  putU32le(b, o + 4, Math.floor(v / 0x1_0000_0000));
}

// Slicing-by-8 (Kounavis and Berry, 2005): eight tables let the loop fold in eight bytes per
// step instead of one; the whole-file CRC check before a PNG write is three times faster.
const CRC32_TABLES = (() => {
  const tables = new Uint32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    tables[n] = c >>> 0;
  }
  for (let n = 0; n < 256; n++) {
    for (let t = 1; t < 8; t++) {
      const previous = tables[(t - 1) * 256 + n]!;
      tables[t * 256 + n] = (previous >>> 8) ^ tables[previous & 0xff]!;
    }
  }
  return tables;
})();

/**
 * zlib's CRC-32 (Node 20.15 and later): about ten times the table loop's speed on large inputs,
 * as when every packet of a video is hashed to prove it copied. The table loop serves short
 * inputs, where the call costs more than it saves, and older Node.
 */
const nativeCrc32 = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;
const NATIVE_CRC32_FROM_BYTES = 256;

/** CRC-32 (ISO 3309, as PNG and ZIP use it). Pass the previous value to continue. */
export function crc32(bytes: Uint8Array, previous = 0): number {
  return nativeCrc32 && bytes.length >= NATIVE_CRC32_FROM_BYTES ? nativeCrc32(bytes, previous) : tableCrc32(bytes, previous);
}

/** {@link crc32} by slicing-by-8 tables, in JavaScript. */
export function tableCrc32(bytes: Uint8Array, previous = 0): number {
  const t = CRC32_TABLES;
  let crc = ~previous >>> 0;
  let i = 0;
  for (const end = bytes.length - 7; i < end; i += 8) {
    const low = (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24)) ^ crc;
    const high = bytes[i + 4]! | (bytes[i + 5]! << 8) | (bytes[i + 6]! << 16) | (bytes[i + 7]! << 24);
    crc =
      t[1792 + (low & 0xff)]! ^
      t[1536 + ((low >>> 8) & 0xff)]! ^
      t[1280 + ((low >>> 16) & 0xff)]! ^
      t[1024 + (low >>> 24)]! ^
      t[768 + (high & 0xff)]! ^
      t[512 + ((high >>> 8) & 0xff)]! ^
      t[256 + ((high >>> 16) & 0xff)]! ^
      t[high >>> 24]!;
  }
  for (; i < bytes.length; i++) crc = t[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
  return ~crc >>> 0;
}

/**
 * The CRC-32 of a message of `length` bytes after the bytes at `at` change from `before` to
 * `after` (same length), from its old CRC alone: CRC-32 is affine, so the change adds the CRC
 * (zero start, no final XOR) of the difference. The rest of the message is never read.
 */
export function crc32Patched(crc: number, length: number, at: number, before: Uint8Array, after: Uint8Array): number {
  const t = CRC32_TABLES;
  let delta = 0;
  for (let i = 0; i < before.length; i++) delta = t[(delta ^ before[i]! ^ after[i]!) & 0xff]! ^ (delta >>> 8);
  for (let n = length - at - before.length; n > 0; n--) delta = t[delta & 0xff]! ^ (delta >>> 8);
  return (crc ^ delta) >>> 0;
}
