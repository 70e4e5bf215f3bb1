/**
 * FLAC audio frames (RFC 9639 §9): the frame header, STREAMINFO, and a tolerant walk over a
 * file's frames. A frame has no length field, so the walk finds where one ends the way a
 * decoder resynchronises: at the next sync code (0xFFF8 fixed, 0xFFF9 variable block size)
 * whose header passes its CRC-8, where the bytes before it (this frame, its CRC-16 included)
 * have CRC-16 0. The walk is one pass in blocks, linear in the input.
 */
import { type ByteSource, crc8Smbus, crc16Umts, u16be, u24be } from '@aigc-label/core';

/** Most frames walked in one file (about 100 hours at 44.1 kHz with 4096-sample blocks). */
export const maximumFlacFrames = 4_000_000;
/** Longest frame header: 4 bytes, a 7-byte coded number, 2 of block size, 2 of sample rate, the CRC-8. */
const MAXIMUM_HEADER = 16;

const SAMPLE_RATES = [0, 88_200, 176_400, 192_000, 8000, 16_000, 22_050, 24_000, 32_000, 44_100, 48_000, 96_000];
const BITS = [0, 8, 12, 0, 16, 20, 24, 32];

/** STREAMINFO (RFC 9639 §8.2), the 34-byte body of the first metadata block. */
export interface StreamInfo {
  readonly minBlockSize: number;
  readonly maxBlockSize: number;
  /** 0 when unknown. */
  readonly minFrameSize: number;
  readonly maxFrameSize: number;
  readonly sampleRate: number;
  readonly channels: number;
  readonly bitsPerSample: number;
  /** 0 when unknown. */
  readonly totalSamples: number;
  readonly md5: Uint8Array;
}

export function readStreamInfo(body: Uint8Array): StreamInfo {
  return {
    minBlockSize: u16be(body, 0),
    maxBlockSize: u16be(body, 2),
    minFrameSize: u24be(body, 4),
    maxFrameSize: u24be(body, 7),
    sampleRate: (body[10]! << 12) | (body[11]! << 4) | (body[12]! >> 4),
    channels: ((body[12]! >> 1) & 7) + 1,
    bitsPerSample: (((body[12]! & 1) << 4) | (body[13]! >> 4)) + 1,
    totalSamples: (body[13]! & 0x0f) * 2 ** 32 + (((body[14]! << 24) | (body[15]! << 16) | (body[16]! << 8) | body[17]!) >>> 0),
    md5: body.slice(18, 34),
  };
}

/** A copy of a STREAMINFO body with new frame sizes, sample count and MD5 (the rest kept). */
export function writeStreamInfo(
  body: Uint8Array,
  update: { minFrameSize: number; maxFrameSize: number; totalSamples: number; md5: Uint8Array },
) {
  const out = body.slice(0, 34);
  const put24 = (at: number, value: number) => out.set([(value >> 16) & 0xff, (value >> 8) & 0xff, value & 0xff], at);
  put24(4, update.minFrameSize);
  put24(7, update.maxFrameSize);
  const high = Math.floor(update.totalSamples / 2 ** 32);
  const low = update.totalSamples >>> 0;
  out[13] = (out[13]! & 0xf0) | (high & 0x0f);
  out.set([low >>> 24, (low >> 16) & 0xff, (low >> 8) & 0xff, low & 0xff], 14);
  out.set(update.md5, 18);
  return out;
}

/** A frame header (RFC 9639 §9.1). */
export interface FlacFrameHeader {
  /** Blocking strategy bit: the coded number is a sample number (variable) or a frame number (fixed). */
  readonly variable: boolean;
  readonly blockSize: number;
  /** Null: "get from STREAMINFO". */
  readonly sampleRate: number | null;
  readonly channels: number;
  readonly bitsPerSample: number | null;
  /** The frame number (fixed block size) or the first sample's number (variable). */
  readonly number: number;
  /** Where the coded number ends (the uncommon block size and sample rate follow it). */
  readonly numberEnd: number;
  /** Header length, CRC-8 included. */
  readonly length: number;
}

/**
 * The frame header at `at`, or null when the bytes there are not one: no sync, a reserved or
 * forbidden code, a bad coded number, too few bytes, or a CRC-8 that does not match.
 */
export function flacFrameHeader(bytes: Uint8Array, at: number): FlacFrameHeader | null {
  if (at + 6 > bytes.length || bytes[at] !== 0xff || (bytes[at + 1]! & 0xfe) !== 0xf8) return null;
  const sizeCode = bytes[at + 2]! >> 4;
  const rateCode = bytes[at + 2]! & 0x0f;
  const channelCode = bytes[at + 3]! >> 4;
  const bitsCode = (bytes[at + 3]! >> 1) & 7;
  if (sizeCode === 0 || rateCode === 15 || channelCode > 10 || bitsCode === 3 || (bytes[at + 3]! & 1) !== 0) return null;
  // The coded number, UTF-8 style: up to 6 bytes for a frame number, 7 for a sample number.
  const lead = bytes[at + 4]!;
  let extra = 0;
  while (extra < 7 && lead & (0x80 >> extra)) extra++;
  if (extra === 1 || extra > 6 + (bytes[at + 1]! & 1)) return null;
  const numberLength = extra === 0 ? 1 : extra;
  let p = at + 5;
  let number = extra === 0 ? lead : lead & (0x7f >> extra);
  for (let i = 1; i < numberLength; i++, p++) {
    if ((bytes[p]! & 0xc0) !== 0x80) return null;
    number = number * 64 + (bytes[p]! & 0x3f);
  }
  const numberEnd = p;
  let blockSize: number;
  if (sizeCode === 1) blockSize = 192;
  else if (sizeCode <= 5) blockSize = 144 << sizeCode;
  else if (sizeCode === 6) blockSize = (bytes[p++] ?? 0) + 1;
  else if (sizeCode === 7) {
    blockSize = ((bytes[p]! << 8) | bytes[p + 1]!) + 1;
    p += 2;
  } else blockSize = 1 << sizeCode;
  let sampleRate: number | null = SAMPLE_RATES[rateCode] ?? null;
  if (rateCode === 0) sampleRate = null;
  else if (rateCode === 12) sampleRate = (bytes[p++] ?? 0) * 1000;
  else if (rateCode === 13) {
    sampleRate = (bytes[p]! << 8) | bytes[p + 1]!;
    p += 2;
  } else if (rateCode === 14) {
    sampleRate = ((bytes[p]! << 8) | bytes[p + 1]!) * 10;
    p += 2;
  }
  // Fields past the end read as 0; the CRC-8 byte must still be there.
  if (p + 1 > bytes.length) return null;
  if (crc8Smbus(bytes, 0, at, p) !== bytes[p]) return null;
  return {
    variable: (bytes[at + 1]! & 1) === 1,
    blockSize,
    sampleRate,
    channels: channelCode < 8 ? channelCode + 1 : 2,
    bitsPerSample: bitsCode === 0 ? null : BITS[bitsCode]!,
    number,
    numberEnd: numberEnd - at,
    length: p + 1 - at,
  };
}

/** The coded number of a frame header (RFC 9639 §9.1.5): UTF-8 style, 1 to 7 bytes. */
function codedNumber(value: number): number[] {
  if (value < 0x80) return [value];
  const bytes: number[] = [];
  let rest = value;
  let lead = 0x3f; // the bits left in the lead byte shrink by one per continuation byte
  while (rest > lead || bytes.length === 0) {
    bytes.unshift(0x80 | (rest % 64));
    rest = Math.floor(rest / 64);
    lead >>= 1;
    if (bytes.length === 6) break;
  }
  const marker = (0xff00 >> (bytes.length + 1)) & 0xff;
  return [marker | rest, ...bytes];
}

/**
 * `header` (a whole frame header, CRC-8 included) with another coded number and blocking
 * strategy, and its CRC-8 recomputed: the block size, rate, channel and bit-depth fields are kept.
 */
export function renumberedHeader(header: Uint8Array, parsed: FlacFrameHeader, number: number, variable = parsed.variable): Uint8Array {
  const coded = codedNumber(number);
  const uncommon = header.subarray(parsed.numberEnd, parsed.length - 1);
  const out = new Uint8Array(4 + coded.length + uncommon.length + 1);
  out.set(header.subarray(0, 4));
  out[1] = 0xf8 | (variable ? 1 : 0);
  out.set(coded, 4);
  out.set(uncommon, 4 + coded.length);
  out[out.length - 1] = crc8Smbus(out, 0, 0, out.length - 1);
  return out;
}

/** The frames of a stream, as the walk found them. */
export interface FlacFrames {
  /** Offset of each frame, and the end of the last one. */
  readonly offsets: Float64Array;
  /** Header length of each frame (CRC-8 included). */
  readonly headerLengths: Uint8Array;
  readonly count: number;
  /** Block size of every frame but the last (fixed block size). */
  readonly blockSize: number;
  readonly lastBlockSize: number;
  readonly totalSamples: number;
  /** Where the frames end: the end of the file, or where an ID3v1 tag starts. */
  readonly end: number;
}

/**
 * Walks the frames of a fixed-block-size stream from `start` to the end of the file (or an
 * ID3v1 tag at its end), or returns why it cannot: no frame where one should start, a frame
 * whose CRC-16 never matches (damage), a frame number out of sequence, a variable block size,
 * a short block before the last, or a frame whose rate, channels or bit depth differ from
 * STREAMINFO's.
 */
export async function walkFlacFrames(source: ByteSource, start: number, info: StreamInfo): Promise<FlacFrames | { reason: string }> {
  let end = source.size;
  if (end - start >= 128 && String.fromCharCode(...(await source.read(end - 128, 3))) === 'TAG') end -= 128;
  const offsets: number[] = [];
  const headerLengths: number[] = [];
  let blockSize = 0;
  let lastBlockSize = 0;
  let totalSamples = 0;
  const block = 1 << 20;
  let bufferStart = start;
  let buffer = await source.read(start, Math.min(block, end - start));
  /** The header at `at` (in the buffer) when it is the next frame of this stream. */
  const frameAt = (at: number): FlacFrameHeader | null => {
    const header = flacFrameHeader(buffer, at - bufferStart);
    if (!header) return null;
    if (header.variable || header.number !== offsets.length) return null;
    if (header.channels !== info.channels) return null;
    if (header.sampleRate !== null && header.sampleRate !== info.sampleRate) return null;
    if (header.bitsPerSample !== null && header.bitsPerSample !== info.bitsPerSample) return null;
    return header;
  };
  let at = start;
  let header = frameAt(at);
  if (!header) {
    const head = buffer.subarray(0, 2);
    if (head[0] === 0xff && head[1] === 0xf9) return { reason: 'the FLAC stream has a variable block size' };
    return { reason: `no FLAC frame where the audio starts (byte ${start})` };
  }
  while (header) {
    if (offsets.length >= maximumFlacFrames) return { reason: `the FLAC stream has more than ${maximumFlacFrames} frames` };
    // Fixed block size: every frame but the last has the first frame's.
    if (offsets.length === 0) blockSize = header.blockSize;
    else if (lastBlockSize !== blockSize)
      return { reason: `FLAC frame ${offsets.length - 1} has another block size, and it is not the last` };
    offsets.push(at);
    headerLengths.push(header.length);
    lastBlockSize = header.blockSize;
    totalSamples += header.blockSize;
    const frameStart = at;
    // The CRC-16 runs from the frame's start to `crcAt`; it is brought up to a candidate header
    // only when that header is valid, so each byte is folded in once, however many candidates.
    let crc = 0;
    let crcAt = at;
    let scan = at + header.length + 2;
    header = null;
    for (;;) {
      const bufferEnd = bufferStart + buffer.length;
      // Keep a whole header's bytes ahead of the scan, except at the end.
      const limit = bufferEnd === end ? end : bufferEnd - MAXIMUM_HEADER;
      if (scan >= limit) {
        crc = crc16Umts(buffer, crc, crcAt - bufferStart, Math.max(crcAt, limit) - bufferStart);
        crcAt = Math.max(crcAt, limit);
        if (bufferEnd === end) {
          if (crc !== 0)
            return { reason: `FLAC frame ${offsets.length - 1} (byte ${frameStart}) fails its CRC-16, or data follows the frames` };
          at = end;
          break;
        }
        bufferStart = crcAt;
        buffer = await source.read(crcAt, Math.min(block, end - crcAt));
        scan = Math.max(scan, crcAt);
        continue;
      }
      const sync = buffer.indexOf(0xff, scan - bufferStart);
      if (sync < 0 || bufferStart + sync >= limit) {
        scan = limit;
        continue;
      }
      const q = bufferStart + sync;
      scan = q + 1;
      if (buffer[sync + 1] !== 0xf8) continue;
      const next = frameAt(q);
      if (!next) continue;
      crc = crc16Umts(buffer, crc, crcAt - bufferStart, sync);
      crcAt = q;
      if (crc === 0) {
        at = q;
        header = next;
        break;
      }
    }
  }
  if (lastBlockSize > blockSize) return { reason: 'the last FLAC frame is longer than the block size' };
  // A stream of one short frame: the block size STREAMINFO declares.
  if (offsets.length === 1) blockSize = Math.max(blockSize, info.maxBlockSize);
  const all = new Float64Array(offsets.length + 1);
  all.set(offsets);
  all[offsets.length] = at;
  return {
    offsets: all,
    headerLengths: Uint8Array.from(headerLengths),
    count: offsets.length,
    blockSize,
    lastBlockSize,
    totalSamples,
    end: at,
  };
}
