/**
 * MPEG audio Layer III frames (ISO/IEC 11172-3, 13818-3 and the MPEG 2.5 extension): frame
 * headers, the walk over a file's frames, and the Xing/Info header with its LAME extension
 * (the LAME "mp3 info tag" revision 1) that carries the frame count, the seek table and the
 * encoder delay and padding that gapless players trim.
 */
import { type ByteSource, crc16Arc, MalformedInputError, putU16be, putU32be, u16be, u32be } from '@aigc-label/core';
import { type MpegFrameHeader, mpegFrameHeader } from '../mp3/frame-header.js';

/** Most frames walked in one file (about 30 hours at 44.1 kHz); past it the file is re-encoded instead. */
export const maximumMpegFrames = 4_000_000;

/** The 9-bit main_data_begin of a frame: how far back into earlier frames its audio data starts (the bit reservoir). */
export function mainDataBegin(frame: Uint8Array, header: MpegFrameHeader): number {
  const at = 4 + (header.protected ? 2 : 0);
  return header.version === 3 ? (frame[at]! << 1) | (frame[at + 1]! >> 7) : frame[at]!;
}

export interface MpegFrames {
  /** Offset of each frame, and the end of the last one. */
  readonly offsets: Float64Array;
  readonly count: number;
  readonly end: number;
  readonly first: MpegFrameHeader;
}

/**
 * Walks the frames from `start`, each header read where the previous frame ends, until a byte
 * that starts no frame (a trailing tag, or the end). Linear, in blocks, at most
 * {@link maximumMpegFrames}. Returns null when the walk meets something other than the end or a
 * known trailing tag (ID3v1 `TAG`, APEv2 `APETAGEX`, Lyrics3, an appended ID3v2 `3DI` footer or
 * `ID3` header), or a frame of another sample rate or version.
 */
export async function walkMpegFrames(source: ByteSource, start: number): Promise<MpegFrames | null> {
  const offsets: number[] = [];
  let first: MpegFrameHeader | null = null;
  let at = start;
  const block = 1 << 20;
  let bufferStart = start;
  let buffer = await source.read(start, Math.min(block, source.size - start));
  while (at + 4 <= source.size) {
    if (at + 4 > bufferStart + buffer.length) {
      bufferStart = at;
      buffer = await source.read(at, Math.min(block, source.size - at));
    }
    const header = mpegFrameHeader(buffer, at - bufferStart);
    if (!header) break;
    if (first && (header.sampleRate !== first.sampleRate || header.version !== first.version)) return null;
    first ??= header;
    if (at + header.length > source.size) break; // a truncated last frame stays as trailing bytes
    if (offsets.length >= maximumMpegFrames) return null;
    offsets.push(at);
    at += header.length;
  }
  if (!first) return null;
  if (at < source.size) {
    const tail = await source.read(at, Math.min(10, source.size - at));
    const text = String.fromCharCode(...tail);
    if (!/^(TAG|APETAGEX|LYRICSBEGIN|ID3|3DI)/.test(text) && !tail.every((b) => b === 0)) return null;
  }
  const all = new Float64Array(offsets.length + 1);
  all.set(offsets);
  all[offsets.length] = at;
  return { offsets: all, count: offsets.length, end: at, first };
}

const XING_FRAMES = 1;
const XING_BYTES = 2;
const XING_TOC = 4;
const XING_QUALITY = 8;

/** A Xing or Info header in a frame with no audio, and the LAME extension after it when there is one. */
export interface XingHeader {
  /** Where "Xing"/"Info" starts in the frame. */
  readonly at: number;
  readonly flags: number;
  readonly frames?: number;
  readonly bytes?: number;
  /** Where the 100-byte seek table starts in the frame, when present. */
  readonly tocAt?: number;
  /** Where the LAME extension (encoder string, then the fields) starts, when the frame has one. */
  readonly lameAt?: number;
  /** LAME: samples the encoder added before and after the audio (12 bits each). */
  readonly delay?: number;
  readonly padding?: number;
}

/** The Xing/Info header of the first frame, or null. A VBRI (Fraunhofer) header counts as none: such files are re-encoded. */
export function readXingHeader(frame: Uint8Array, header: MpegFrameHeader): XingHeader | null {
  const at = 4 + (header.protected ? 2 : 0) + header.sideInfo;
  if (at + 8 > frame.length) return null;
  const tag = String.fromCharCode(...frame.subarray(at, at + 4));
  if (tag !== 'Xing' && tag !== 'Info') return null;
  const flags = u32be(frame, at + 4);
  let field = at + 8;
  const take = (flag: number, size: number): number | undefined => {
    if (!(flags & flag)) return undefined;
    const value = field;
    field += size;
    return value;
  };
  const framesAt = take(XING_FRAMES, 4);
  const bytesAt = take(XING_BYTES, 4);
  const tocAt = take(XING_TOC, 100);
  take(XING_QUALITY, 4);
  if (field > frame.length) throw new MalformedInputError('mp3', 'the Xing header runs past its frame');
  const xing: XingHeader = {
    at,
    flags,
    ...(framesAt === undefined ? {} : { frames: u32be(frame, framesAt) }),
    ...(bytesAt === undefined ? {} : { bytes: u32be(frame, bytesAt) }),
    ...(tocAt === undefined ? {} : { tocAt }),
  };
  // The LAME extension: 9-byte encoder string, then fields up to the tag CRC 36 bytes on.
  if (field + 36 > frame.length || !/^(LAME|Lavc|Lavf|L3.99|GOGO)/.test(String.fromCharCode(...frame.subarray(field, field + 4)))) {
    return xing;
  }
  const delays = (frame[field + 21]! << 16) | (frame[field + 22]! << 8) | frame[field + 23]!;
  return { ...xing, lameAt: field, delay: delays >> 12, padding: delays & 0xfff };
}

export interface XingUpdate {
  readonly frames: number;
  readonly bytes: number;
  /** Offset of each audio frame after the Info frame, relative to the Info frame's start. */
  readonly frameOffset: (index: number) => number;
  readonly delay: number;
  readonly padding: number;
  /** LAME "music length": bytes from the Info frame's start to the end of the last frame. */
  readonly musicLength: number;
  /** CRC-16 of the audio frames after the Info frame. */
  readonly musicCrc: number;
}

/** A copy of the Info frame with new counts, seek table, delays, music length and CRCs. */
export function rewriteXingFrame(frame: Uint8Array, xing: XingHeader, update: XingUpdate): Uint8Array {
  const out = frame.slice();
  let field = xing.at + 8;
  if (xing.flags & XING_FRAMES) {
    putU32be(out, field, update.frames);
    field += 4;
  }
  if (xing.flags & XING_BYTES) {
    putU32be(out, field, update.bytes);
    field += 4;
  }
  if (xing.tocAt !== undefined) {
    // Entry i: where the frame i% of the way through starts, in 256ths of the stream's bytes.
    for (let i = 0; i < 100; i++) {
      const offset = update.frameOffset(Math.min(update.frames - 1, Math.floor((i * update.frames) / 100)));
      out[xing.tocAt + i] = Math.min(255, Math.floor((256 * offset) / update.bytes));
    }
  }
  if (xing.lameAt !== undefined) {
    const lame = xing.lameAt;
    const delay = Math.min(0xfff, update.delay);
    const padding = Math.min(0xfff, update.padding);
    out[lame + 21] = delay >> 4;
    out[lame + 22] = ((delay & 0xf) << 4) | (padding >> 8);
    out[lame + 23] = padding & 0xff;
    putU32be(out, lame + 28, update.musicLength);
    putU16be(out, lame + 32, update.musicCrc);
    putU16be(out, lame + 34, crc16Arc(out.subarray(0, lame + 34)));
  }
  return out;
}

/** Whether the stored LAME tag CRC (over the frame's first 190 bytes) matches: a tag we may rewrite. */
export function lameTagIntact(frame: Uint8Array, xing: XingHeader): boolean {
  if (xing.lameAt === undefined) return true;
  return u16be(frame, xing.lameAt + 34) === crc16Arc(frame.subarray(0, xing.lameAt + 34));
}
