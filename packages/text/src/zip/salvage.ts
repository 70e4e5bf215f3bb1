import { type ByteSource, fromUtf8, LimitExceededError, MalformedInputError, u16le, u32le, u64le } from '@aigc-label/core';
import {
  LOCAL_HEADER_SIGNATURE,
  maximumEntryNameInBytes,
  maximumZipEntries,
  readZipDirectoryAfter,
  U32_MARKER,
  ZIP64_EXTRA_ID,
  type ZipDirectory,
  type ZipEntry,
} from './archive.js';

/**
 * Reading a ZIP whose central directory is missing or damaged (issue 25): walk the local
 * headers from the front, as `zip -FF` and the recovery modes of extractors do (APPNOTE.TXT
 * 4.3.7, 4.3.9). Read only: an archive whose directory is damaged is never rewritten.
 */

const DATA_DESCRIPTOR_SIGNATURE = 0x08074b50;
const CENTRAL_HEADER_SIGNATURE = 0x02014b50;
const DATA_DESCRIPTOR_FLAG = 0x08;
/** How far from the start the first local header may sit (a self-extractor stub before it). */
const maximumLeadingBytes = 64 * 1024;
const scanChunkInBytes = 1024 * 1024;

export interface TolerantDirectory {
  readonly directory: ZipDirectory;
  /** What is wrong with the central directory, or null when it was read as it is. */
  readonly damage: string | null;
  /** Bytes before the archive (a self-extractor stub, or a polyglot's other file); its offsets count from there. */
  readonly leadingBytes: number;
}

// Shared by every salvaged entry: a walk may find 100,000 of them, and each typed array costs its own header.
const NOTHING = new Uint8Array(0);
const NO_ZIP64 = Object.freeze({ uncompressed: false, compressed: false, offset: false });

/** The central directory when it reads; otherwise the entries found by walking the local headers. */
export async function readZipDirectoryTolerant(source: ByteSource): Promise<TolerantDirectory> {
  try {
    const { directory, leadingBytes } = await readZipDirectoryAfter(source);
    return { directory, damage: null, leadingBytes };
  } catch (error) {
    if (!(error instanceof MalformedInputError)) throw error;
    const { entries, end } = await walkLocalHeaders(source);
    if (entries.length === 0) throw error;
    return {
      directory: { entries, centralDirectoryOffset: end, isZip64: false, comment: new Uint8Array(0) },
      damage: `${error.message.replace(/^zip: /, '')}; ${entries.length} entries were found by walking the local headers`,
      leadingBytes: 0,
    };
  }
}

/**
 * The entries whose local headers follow one another from the first one; stops at the central
 * directory, at anything that is not a local header, or at a record cut off by the end of the
 * file. Each step reads one header, or scans the entry's data once for its data descriptor, so
 * the walk is linear in the file size.
 */
async function walkLocalHeaders(source: ByteSource): Promise<{ entries: ZipEntry[]; end: number }> {
  const entries: ZipEntry[] = [];
  let at = await firstLocalHeader(source);
  if (at < 0) return { entries, end: 0 };
  while (at + 30 <= source.size) {
    const header = await source.read(at, 30);
    if (u32le(header, 0) !== LOCAL_HEADER_SIGNATURE) break;
    if (entries.length >= maximumZipEntries) {
      throw new LimitExceededError(`zip: over ${maximumZipEntries} local headers; a bigger count is a crafted file`);
    }
    const flags = u16le(header, 6);
    const nameLength = u16le(header, 26);
    const extraLength = u16le(header, 28);
    if (nameLength > maximumEntryNameInBytes) break;
    const dataStart = at + 30 + nameLength + extraLength;
    if (dataStart > source.size) break;
    const names = await source.read(at + 30, nameLength + extraLength);
    const nameBytes = names.subarray(0, nameLength);
    let crc = u32le(header, 14);
    let compressedSize = u32le(header, 18);
    let uncompressedSize = u32le(header, 22);
    const zip64 = zip64Sizes(names.subarray(nameLength));
    if (zip64 && compressedSize === U32_MARKER) compressedSize = zip64.compressed;
    if (zip64 && uncompressedSize === U32_MARKER) uncompressedSize = zip64.uncompressed;
    let next = dataStart + compressedSize;
    if (flags & DATA_DESCRIPTOR_FLAG) {
      const descriptor = await findDataDescriptor(source, dataStart);
      if (!descriptor) break;
      ({ crc, compressedSize, uncompressedSize } = descriptor);
      next = descriptor.end;
    }
    if (dataStart + compressedSize > source.size) break;
    entries.push({
      nameBytes,
      name: fromUtf8(nameBytes),
      versionMadeBy: u16le(header, 4),
      versionNeeded: u16le(header, 4),
      flags,
      method: u16le(header, 8),
      time: u16le(header, 10),
      date: u16le(header, 12),
      crc,
      compressedSize,
      uncompressedSize,
      localHeaderOffset: at,
      internalAttributes: 0,
      externalAttributes: 0,
      otherExtra: NOTHING,
      comment: NOTHING,
      zip64: NO_ZIP64,
    });
    at = next;
  }
  return { entries, end: at };
}

/** The first local header signature in the first 64 KiB, or -1. */
async function firstLocalHeader(source: ByteSource): Promise<number> {
  const head = await source.read(0, Math.min(source.size, maximumLeadingBytes + 4));
  for (let i = 0; i + 4 <= head.length; i++) if (u32le(head, i) === LOCAL_HEADER_SIGNATURE) return i;
  return -1;
}

function zip64Sizes(extra: Uint8Array): { uncompressed: number; compressed: number } | null {
  for (let e = 0; e + 4 <= extra.length; e += 4 + u16le(extra, e + 2)) {
    if (u16le(extra, e) === ZIP64_EXTRA_ID && e + 20 <= extra.length)
      return { uncompressed: u64le(extra, e + 4), compressed: u64le(extra, e + 12) };
  }
  return null;
}

interface Descriptor {
  readonly crc: number;
  readonly compressedSize: number;
  readonly uncompressedSize: number;
  /** Just past the descriptor: where the next record starts. */
  readonly end: number;
}

/**
 * The data descriptor after an entry whose sizes were not known when its header was written
 * (APPNOTE.TXT 4.3.9): the first place after `dataStart` where a descriptor gives the distance
 * back to `dataStart` as its compressed size: one with its optional signature, or one without
 * it right before the next record. One pass over the entry's data.
 */
async function findDataDescriptor(source: ByteSource, dataStart: number): Promise<Descriptor | null> {
  for (let chunkStart = dataStart; chunkStart < source.size; chunkStart += scanChunkInBytes) {
    // 12 bytes back for a descriptor without signature, 28 ahead for one (and the next signature) past the chunk end.
    const back = Math.min(12, chunkStart - dataStart);
    const from = chunkStart - back;
    const chunk = await source.read(from, Math.min(back + scanChunkInBytes + 28, source.size - from));
    const limit = Math.min(chunk.length, back + scanChunkInBytes);
    for (let i = back; i < limit; i++) {
      if (chunk[i] !== 0x50 || chunk[i + 1] !== 0x4b) continue;
      const p = from + i;
      const signature = i + 4 <= chunk.length ? u32le(chunk, i) : 0;
      if (signature === DATA_DESCRIPTOR_SIGNATURE) {
        // The 32-bit form (16 bytes) or the ZIP64 form (24 bytes, §4.3.9.2): whichever gives the
        // right size and ends at the next record or the end of the file.
        const distance = p - dataStart;
        const endsAtRecord = (length: number) =>
          p + length === source.size ||
          (i + length + 4 <= chunk.length && [LOCAL_HEADER_SIGNATURE, CENTRAL_HEADER_SIGNATURE].includes(u32le(chunk, i + length)));
        if (i + 24 <= chunk.length && u64le(chunk, i + 8) === distance && endsAtRecord(24)) {
          return { crc: u32le(chunk, i + 4), compressedSize: distance, uncompressedSize: u64le(chunk, i + 16), end: p + 24 };
        }
        if (i + 16 <= chunk.length && u32le(chunk, i + 8) === distance && endsAtRecord(16)) {
          return { crc: u32le(chunk, i + 4), compressedSize: distance, uncompressedSize: u32le(chunk, i + 12), end: p + 16 };
        }
      }
      // A descriptor without its signature: crc, compressed and uncompressed sizes right before the next record.
      const nextRecord = signature === LOCAL_HEADER_SIGNATURE || signature === CENTRAL_HEADER_SIGNATURE;
      if (nextRecord && i >= 12 && u32le(chunk, i - 8) === p - 12 - dataStart) {
        return { crc: u32le(chunk, i - 12), compressedSize: p - 12 - dataStart, uncompressedSize: u32le(chunk, i - 4), end: p };
      }
    }
  }
  return null;
}
