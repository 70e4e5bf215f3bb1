import {
  type ByteSource,
  concat,
  crc32,
  fromUtf8,
  inflateCapped,
  LimitExceededError,
  MalformedInputError,
  readExact,
  UnsupportedFormatError,
  u16le,
  u32le,
  u64le,
} from '@aigc-label/core';

/**
 * ZIP directory reader (APPNOTE.TXT 6.3.10). The central directory is the
 * authority for sizes and offsets: local headers written with a data descriptor
 * (bit 3) carry zeros there, and ZIP64 archives keep the real values in the 0x0001
 * extra field. Every count and length read from the file is bounded.
 */

export const LOCAL_HEADER_SIGNATURE = 0x04034b50;
const CENTRAL_HEADER_SIGNATURE = 0x02014b50;
const END_OF_CENTRAL_DIRECTORY_SIGNATURE = 0x06054b50;
const ZIP64_END_SIGNATURE = 0x06064b50;
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
export const ZIP64_EXTRA_ID = 0x0001;
export const U32_MARKER = 0xffffffff;
export const U16_MARKER = 0xffff;

/** More entries than any real document has; a bigger count is a crafted file. */
export const maximumZipEntries = 100_000;
/** Longest entry name accepted (OOXML part names are short). */
export const maximumEntryNameInBytes = 4096;
/** Largest central directory loaded into memory. */
export const maximumCentralDirectoryInBytes = 64 * 1024 * 1024;

export interface ZipEntry {
  /** Raw name bytes, kept for byte-identical rewrites. */
  readonly nameBytes: Uint8Array;
  /** Name as text (UTF-8 when flag bit 11 is set, otherwise read as UTF-8 too: OOXML names are ASCII). */
  readonly name: string;
  readonly versionMadeBy: number;
  readonly versionNeeded: number;
  readonly flags: number;
  readonly method: number;
  readonly time: number;
  readonly date: number;
  readonly crc: number;
  readonly compressedSize: number;
  readonly uncompressedSize: number;
  readonly localHeaderOffset: number;
  readonly internalAttributes: number;
  readonly externalAttributes: number;
  /** Extra fields other than ZIP64, copied into the rebuilt directory. */
  readonly otherExtra: Uint8Array;
  readonly comment: Uint8Array;
  /** Which fixed fields the original directory record moved into the ZIP64 extra. */
  readonly zip64: { readonly uncompressed: boolean; readonly compressed: boolean; readonly offset: boolean };
}

export interface ZipDirectory {
  readonly entries: readonly ZipEntry[];
  /** Offset of the first central directory record: where the entry data ends. */
  readonly centralDirectoryOffset: number;
  readonly isZip64: boolean;
  readonly comment: Uint8Array;
}

const fail = (message: string) => new MalformedInputError('zip', message);
// Shared by the many entries that have no comment, extra field or ZIP64 sizes: a typed-array view costs a hundred bytes.
const noBytes = new Uint8Array(0);
const noZip64 = Object.freeze({ uncompressed: false, compressed: false, offset: false });

async function readTail(source: ByteSource): Promise<{ tail: Uint8Array; tailStart: number }> {
  // EOCD is 22 bytes plus a comment of at most 65535 bytes.
  const tailStart = Math.max(0, source.size - (22 + 0xffff));
  return { tail: await readExact(source, tailStart, source.size - tailStart, 'zip', 'end of central directory'), tailStart };
}

/** An entry name from a file, fit for a one-line message: quoted, control characters escaped. */
export const quotedName = (name: string): string => JSON.stringify(name);

/**
 * The central directory, for a rewrite: the archive must fill the file (a stub or another file
 * before it, or another file after its end record, would be lost or shifted by a rewrite).
 */
export async function readZipDirectory(source: ByteSource): Promise<ZipDirectory> {
  const { directory, leadingBytes, trailingBytes } = await readZipDirectoryAfter(source);
  if (leadingBytes > 0) {
    throw fail(`${leadingBytes} bytes precede the archive (a self-extractor stub or another file); such an archive is not rewritten`);
  }
  if (trailingBytes > 0) {
    throw fail(`${trailingBytes} bytes follow the end of the archive (another file, or garbage); such an archive is not rewritten`);
  }
  return directory;
}

/**
 * Where the last end-of-central-directory record in `tail` starts, its comment inside `tail`, or
 * -1. The signature's first byte is found with the native `lastIndexOf`: the OOXML tail sniff runs
 * this over every small file a batch resolves.
 */
export function findEndOfCentralDirectory(tail: Uint8Array): number {
  if (tail.length < 22) return -1;
  // lastIndexOf with a negative start would count from the end, so the search stops at byte 0 itself.
  for (let i = tail.lastIndexOf(0x50, tail.length - 22); i >= 0; i = i === 0 ? -1 : tail.lastIndexOf(0x50, i - 1)) {
    if (u32le(tail, i) === END_OF_CENTRAL_DIRECTORY_SIGNATURE && i + 22 + u16le(tail, i + 20) <= tail.length) return i;
  }
  return -1;
}

/**
 * The central directory of an archive that may have bytes before it (a self-extractor stub, or
 * a polyglot's other format): when the directory is not where the end record says but right
 * before the end record, every offset is shifted by the bytes in front (APPNOTE.TXT 4.3.1;
 * what Info-ZIP and Python's zipfile do). `leadingBytes` is that shift, 0 for a plain archive.
 */
export async function readZipDirectoryAfter(
  source: ByteSource,
): Promise<{ directory: ZipDirectory; leadingBytes: number; trailingBytes: number }> {
  if (source.size < 22) throw fail(`${source.size} bytes is too short for a ZIP archive`);
  const { tail, tailStart } = await readTail(source);
  const eocd = findEndOfCentralDirectory(tail);
  if (eocd < 0) throw fail('no end-of-central-directory record; the archive is truncated or not a ZIP');
  const diskNumber = u16le(tail, eocd + 4);
  const directoryDisk = u16le(tail, eocd + 6);
  let entryCount = u16le(tail, eocd + 10);
  let directorySize = u32le(tail, eocd + 12);
  let directoryOffset = u32le(tail, eocd + 16);
  const comment = tail.slice(eocd + 22, eocd + 22 + u16le(tail, eocd + 20));
  let isZip64 = false;
  const locator = eocd - 20;
  if (locator >= 0 && u32le(tail, locator) === ZIP64_LOCATOR_SIGNATURE) {
    isZip64 = true;
    const zip64EndOffset = u64le(tail, locator + 8);
    const record = await readExact(source, zip64EndOffset, 56, 'zip', 'ZIP64 end-of-central-directory record');
    if (u32le(record, 0) !== ZIP64_END_SIGNATURE) throw fail(`no ZIP64 end-of-central-directory record at offset ${zip64EndOffset}`);
    entryCount = u64le(record, 32);
    directorySize = u64le(record, 40);
    directoryOffset = u64le(record, 48);
  } else if (entryCount === U16_MARKER || directorySize === U32_MARKER || directoryOffset === U32_MARKER) {
    throw fail('the end-of-central-directory record points to ZIP64 fields but the ZIP64 locator is missing');
  }
  if (diskNumber !== 0 || directoryDisk !== 0) throw new UnsupportedFormatError('zip: multi-volume archives are not supported');
  if (entryCount > maximumZipEntries)
    throw new LimitExceededError(`zip: ${entryCount} entries is over the ${maximumZipEntries}-entry limit`);
  if (directorySize > maximumCentralDirectoryInBytes) {
    throw new LimitExceededError(`zip: a ${directorySize}-byte central directory is over ${maximumCentralDirectoryInBytes} bytes`);
  }
  let leadingBytes = 0;
  const before = tailStart + eocd - directorySize;
  if (
    !isZip64 &&
    before > directoryOffset &&
    !(await centralHeaderAt(source, directoryOffset)) &&
    (await centralHeaderAt(source, before))
  ) {
    leadingBytes = before - directoryOffset;
    directoryOffset = before;
  }
  if (directoryOffset + directorySize > source.size) throw fail('the central directory runs past the end of the file');
  if (tailStart + eocd < directoryOffset + directorySize) throw fail('the central directory overlaps its end record');
  const directory = await readExact(source, directoryOffset, directorySize, 'zip', 'central directory');
  const entries: ZipEntry[] = [];
  let at = 0;
  for (let index = 0; index < entryCount; index++) {
    if (at + 46 > directory.length || u32le(directory, at) !== CENTRAL_HEADER_SIGNATURE) {
      throw fail(`central directory record ${index} at offset ${directoryOffset + at} is damaged`);
    }
    const nameLength = u16le(directory, at + 28);
    const extraLength = u16le(directory, at + 30);
    const commentLength = u16le(directory, at + 32);
    if (nameLength > maximumEntryNameInBytes)
      throw new LimitExceededError(`zip: an entry name of ${nameLength} bytes is over ${maximumEntryNameInBytes}`);
    const end = at + 46 + nameLength + extraLength + commentLength;
    if (end > directory.length) throw fail(`central directory record ${index} runs past the directory`);
    if (u16le(directory, at + 34) !== 0 && u16le(directory, at + 34) !== U16_MARKER) {
      throw new UnsupportedFormatError('zip: multi-volume archives are not supported');
    }
    // Views into the directory buffer, not copies: a 100,000-entry directory stays one allocation.
    const nameBytes = directory.subarray(at + 46, at + 46 + nameLength);
    const extra = directory.subarray(at + 46 + nameLength, at + 46 + nameLength + extraLength);
    let uncompressedSize = u32le(directory, at + 24);
    let compressedSize = u32le(directory, at + 20);
    let localHeaderOffset = u32le(directory, at + 42) + leadingBytes;
    const needs64 = uncompressedSize === U32_MARKER || compressedSize === U32_MARKER || localHeaderOffset === U32_MARKER;
    const zip64 = needs64
      ? {
          uncompressed: uncompressedSize === U32_MARKER,
          compressed: compressedSize === U32_MARKER,
          offset: localHeaderOffset === U32_MARKER,
        }
      : noZip64;
    const others: Uint8Array[] = [];
    for (let e = 0; e + 4 <= extra.length; ) {
      const id = u16le(extra, e);
      const size = u16le(extra, e + 2);
      if (e + 4 + size > extra.length) throw fail(`entry ${index} has a damaged extra field`);
      if (id === ZIP64_EXTRA_ID) {
        let field = e + 4;
        const next = (): number => {
          if (field + 8 > e + 4 + size) throw fail(`entry ${index} has a short ZIP64 extra field`);
          const value = u64le(extra, field);
          field += 8;
          return value;
        };
        if (zip64.uncompressed) uncompressedSize = next();
        if (zip64.compressed) compressedSize = next();
        if (zip64.offset) localHeaderOffset = next();
      } else {
        others.push(extra.subarray(e, e + 4 + size));
      }
      e += 4 + size;
    }
    const otherExtra = others.length === 0 ? noBytes : others.length === 1 ? others[0] : concat(others);
    if ((zip64.uncompressed && uncompressedSize === U32_MARKER) || (zip64.offset && localHeaderOffset === U32_MARKER)) {
      throw fail(`entry ${index} needs a ZIP64 extra field but has none`);
    }
    entries.push({
      nameBytes,
      name: fromUtf8(nameBytes),
      versionMadeBy: u16le(directory, at + 4),
      versionNeeded: u16le(directory, at + 6),
      flags: u16le(directory, at + 8),
      method: u16le(directory, at + 10),
      time: u16le(directory, at + 12),
      date: u16le(directory, at + 14),
      crc: u32le(directory, at + 16),
      compressedSize,
      uncompressedSize,
      localHeaderOffset,
      internalAttributes: u16le(directory, at + 36),
      externalAttributes: u32le(directory, at + 38),
      otherExtra,
      comment: commentLength === 0 ? noBytes : directory.subarray(at + 46 + nameLength + extraLength, end),
      zip64,
    });
    at = end;
  }
  // Rewrites copy each local record up to the next one, so records must not overlap.
  const byOffset = [...entries].sort((a, b) => a.localHeaderOffset - b.localHeaderOffset);
  byOffset.forEach((entry, i) => {
    const next = i + 1 < byOffset.length ? byOffset[i + 1].localHeaderOffset : directoryOffset;
    if (entry.localHeaderOffset + 30 + entry.compressedSize > next)
      throw fail(`entry ${quotedName(entry.name)} overlaps the next entry or the central directory`);
  });
  const trailingBytes = source.size - (tailStart + eocd + 22 + comment.length);
  return { directory: { entries, centralDirectoryOffset: directoryOffset, isZip64, comment }, leadingBytes, trailingBytes };
}

async function centralHeaderAt(source: ByteSource, offset: number): Promise<boolean> {
  return offset >= 0 && offset + 4 <= source.size && u32le(await source.read(offset, 4), 0) === CENTRAL_HEADER_SIGNATURE;
}

/**
 * Why `name` must not be written as an entry name, or null: a name that an extractor could
 * resolve outside its target folder (zip-slip), or that OPC forbids for a part name
 * (ECMA-376 Part 2 §9.1.1.1): a `..` segment, a leading `/`, a drive letter, a backslash.
 */
export function unsafeEntryName(name: string): string | null {
  if (name === '') return 'is empty';
  if (name.includes('\\')) return 'holds a backslash';
  if (name.includes('\0')) return 'holds a NUL character';
  if (name.startsWith('/')) return 'starts with /';
  if (/^[A-Za-z]:/.test(name)) return 'starts with a drive letter';
  if (name.split('/').includes('..')) return 'has a .. segment';
  return null;
}

/** Offset of an entry's data: after its local header, whose name and extra lengths may differ from the directory's. */
export async function entryDataOffset(source: ByteSource, entry: ZipEntry): Promise<number> {
  const header = await readExact(source, entry.localHeaderOffset, 30, 'zip', `local header of ${quotedName(entry.name)}`);
  if (u32le(header, 0) !== LOCAL_HEADER_SIGNATURE)
    throw fail(`no local header for ${quotedName(entry.name)} at offset ${entry.localHeaderOffset}`);
  return entry.localHeaderOffset + 30 + u16le(header, 26) + u16le(header, 28);
}

/** Decompresses one entry, refusing to expand past `maxBytes` (zip bombs) and checking its CRC. */
export async function readEntryData(source: ByteSource, entry: ZipEntry, maxBytes: number): Promise<Uint8Array> {
  if (entry.flags & 1) throw new UnsupportedFormatError(`zip: ${quotedName(entry.name)} is encrypted`);
  if (entry.uncompressedSize > maxBytes) {
    throw new LimitExceededError(
      `zip: ${quotedName(entry.name)} declares ${entry.uncompressedSize} bytes, over the ${maxBytes}-byte limit for this part`,
    );
  }
  const start = await entryDataOffset(source, entry);
  const compressed = await readExact(source, start, entry.compressedSize, 'zip', `data of ${quotedName(entry.name)}`);
  let data: Uint8Array;
  if (entry.method === 0) data = compressed;
  else if (entry.method === 8)
    data = inflateCapped(compressed, `zip: ${quotedName(entry.name)}`, { wrapper: 'raw', maxOutputBytes: maxBytes });
  else
    throw new UnsupportedFormatError(
      `zip: ${quotedName(entry.name)} uses compression method ${entry.method}; only stored and deflate are supported`,
    );
  if (data.length !== entry.uncompressedSize || crc32(data) !== entry.crc) {
    throw fail(`${quotedName(entry.name)} does not match its size or CRC in the central directory`);
  }
  return data;
}
