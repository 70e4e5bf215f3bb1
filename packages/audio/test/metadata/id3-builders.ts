/** Byte-level builders for ID3v2 tags and frames, written from the id3.org structure documents. */
import { deflateSync } from 'node:zlib';
import { ascii, concat, utf8 } from '@aigc-label/core';

export const syncSafe = (size: number) => Uint8Array.of((size >> 21) & 0x7f, (size >> 14) & 0x7f, (size >> 7) & 0x7f, size & 0x7f);
const u32be = (value: number) => Uint8Array.of(value >>> 24, (value >> 16) & 0xff, (value >> 8) & 0xff, value & 0xff);

/** A frame: v2.2 (3-char id, 24-bit size), v2.3 (32-bit size) or v2.4 (sync-safe size); `stored` is the frame data as stored. */
export function frame(version: number, id: string, stored: Uint8Array, flags = 0): Uint8Array {
  if (version === 2)
    return concat([ascii(id), Uint8Array.of(stored.length >> 16, (stored.length >> 8) & 0xff, stored.length & 0xff), stored]);
  const size = version === 4 ? syncSafe(stored.length) : u32be(stored.length);
  return concat([ascii(id), size, Uint8Array.of(flags >> 8, flags & 0xff), stored]);
}

/** A tag around `body` (frames and padding), with a footer when asked (v2.4). */
export function tag(version: number, flags: number, body: Uint8Array, footer = false): Uint8Array {
  const header = concat([ascii('ID3'), Uint8Array.of(version, 0, flags), syncSafe(body.length)]);
  return concat(footer ? [header, body, concat([ascii('3DI'), header.subarray(3)])] : [header, body]);
}

/** TXXX body, Latin-1 (encoding 0) or UTF-8 (encoding 3). */
export const userText = (description: string, value: string, encoding: 0 | 3 = 0) =>
  concat([
    Uint8Array.of(encoding),
    encoding === 3 ? utf8(description) : ascii(description),
    Uint8Array.of(0),
    encoding === 3 ? utf8(value) : ascii(value),
  ]);

/** A text frame body (T***), Latin-1. */
export const text = (value: string) => concat([Uint8Array.of(0), ascii(value)]);

/** UTF-16 with a little-endian BOM (FF FE), the form that needs unsynchronisation. */
export function utf16Text(value: string): Uint8Array {
  const out = new Uint8Array(3 + value.length * 2);
  out.set([1, 0xff, 0xfe]);
  for (let i = 0; i < value.length; i++) {
    out[3 + 2 * i] = value.charCodeAt(i) & 0xff;
    out[4 + 2 * i] = value.charCodeAt(i) >> 8;
  }
  return out;
}

/** ID3v2.4 §6.1 unsynchronisation: a 0x00 after every 0xFF followed by 0x00 or 0xE0-0xFF, and after a final 0xFF. */
export function unsync(bytes: Uint8Array): Uint8Array {
  const out: number[] = [];
  bytes.forEach((b, i) => {
    out.push(b);
    if (b === 0xff && (i + 1 === bytes.length || bytes[i + 1] === 0 || bytes[i + 1] >= 0xe0)) out.push(0);
  });
  return Uint8Array.from(out);
}

export const zlib = (bytes: Uint8Array) => new Uint8Array(deflateSync(bytes));

/** ID3v2.4 §4.1.2: compressed (k) with its data-length indicator (p), format flags 0x0009. */
export const compressedV24 = (plain: Uint8Array) => ({ stored: concat([syncSafe(plain.length), zlib(plain)]), flags: 0x0009 });

/** ID3v2.3 §3.3.1 i: compressed, the decompressed size (4 bytes, plain) first. */
export const compressedV23 = (plain: Uint8Array) => ({ stored: concat([u32be(plain.length), zlib(plain)]), flags: 0x0080 });
