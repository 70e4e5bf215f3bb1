import { concat, crc32, MalformedInputError, putU16le, putU32le, putU64le, type Segment, type WritePlan } from '@aigc-label/core';
import {
  LOCAL_HEADER_SIGNATURE,
  quotedName,
  U16_MARKER,
  U32_MARKER,
  unsafeEntryName,
  ZIP64_EXTRA_ID,
  type ZipDirectory,
  type ZipEntry,
} from './archive.js';

/**
 * Plans a rewritten archive without recompressing anything: each kept entry's
 * local record (header, compressed data, data descriptor) is a range copied from
 * the source, replaced entries are written stored in their old place, new ones
 * follow, and the central directory and end records are rebuilt with the new
 * offsets (APPNOTE.TXT 4.3.6).
 */

export interface ZipEdits {
  /** New content for existing entries, by index in `directory.entries`. */
  readonly replace: ReadonlyMap<number, Uint8Array>;
  /** Entries to add after the existing ones. */
  readonly add: readonly { readonly name: string; readonly data: Uint8Array }[];
}

const UTF8_NAME_FLAG = 0x0800;
const VERSION_DEFAULT = 20;
const VERSION_ZIP64 = 45;

interface Placed {
  readonly entry: ZipEntry;
  readonly offset: number;
}

/** A stored (method 0) entry; `inherit` keeps what the replaced entry or the archive had (dates, attributes). */
function storedEntry(name: string, data: Uint8Array, inherit: Partial<ZipEntry>): ZipEntry {
  const nameBytes = inherit.nameBytes ?? new TextEncoder().encode(name);
  return {
    name,
    versionMadeBy: VERSION_DEFAULT,
    // DOS date 1980-01-01 for new parts keeps the output reproducible.
    time: 0,
    date: 0x21,
    externalAttributes: 0,
    comment: new Uint8Array(0),
    ...inherit,
    nameBytes,
    versionNeeded: VERSION_DEFAULT,
    flags: nameBytes.every((b) => b < 0x80) ? 0 : UTF8_NAME_FLAG,
    method: 0,
    crc: crc32(data),
    compressedSize: data.length,
    uncompressedSize: data.length,
    localHeaderOffset: 0,
    internalAttributes: 0,
    otherExtra: new Uint8Array(0),
    zip64: { uncompressed: false, compressed: false, offset: false },
  };
}

function localHeader(entry: ZipEntry): Uint8Array {
  const header = new Uint8Array(30 + entry.nameBytes.length);
  putU32le(header, 0, LOCAL_HEADER_SIGNATURE);
  putU16le(header, 4, entry.versionNeeded);
  putU16le(header, 6, entry.flags);
  putU16le(header, 8, entry.method);
  putU16le(header, 10, entry.time);
  putU16le(header, 12, entry.date);
  putU32le(header, 14, entry.crc);
  putU32le(header, 18, entry.compressedSize);
  putU32le(header, 22, entry.uncompressedSize);
  putU16le(header, 26, entry.nameBytes.length);
  header.set(entry.nameBytes, 30);
  return header;
}

/** The ZIP64 extra field a directory record needs (APPNOTE.TXT 4.5.3), and which fixed fields it replaces. */
function zip64Fields({ entry, offset }: Placed) {
  const big = {
    uncompressed: entry.zip64.uncompressed || entry.uncompressedSize >= U32_MARKER,
    compressed: entry.zip64.compressed || entry.compressedSize >= U32_MARKER,
    offset: entry.zip64.offset || offset >= U32_MARKER,
  };
  const values = [
    ...(big.uncompressed ? [entry.uncompressedSize] : []),
    ...(big.compressed ? [entry.compressedSize] : []),
    ...(big.offset ? [offset] : []),
  ];
  return { big, values, length: values.length > 0 ? 4 + 8 * values.length : 0 };
}

const recordLength = (placed: Placed): number =>
  46 + placed.entry.nameBytes.length + zip64Fields(placed).length + placed.entry.otherExtra.length + placed.entry.comment.length;

/** Writes one central directory record (APPNOTE.TXT 4.3.12) at `at` of `record`, which holds the whole directory. */
function writeCentralRecord(record: Uint8Array, at: number, placed: Placed): number {
  const { entry, offset } = placed;
  const { big, values, length: zip64Length } = zip64Fields(placed);
  const extraLength = zip64Length + entry.otherExtra.length;
  const name = at + 46;
  putU32le(record, at, 0x02014b50);
  putU16le(record, at + 4, entry.versionMadeBy);
  putU16le(record, at + 6, values.length > 0 ? Math.max(entry.versionNeeded, VERSION_ZIP64) : entry.versionNeeded);
  putU16le(record, at + 8, entry.flags);
  putU16le(record, at + 10, entry.method);
  putU16le(record, at + 12, entry.time);
  putU16le(record, at + 14, entry.date);
  putU32le(record, at + 16, entry.crc);
  putU32le(record, at + 20, big.compressed ? U32_MARKER : entry.compressedSize);
  putU32le(record, at + 24, big.uncompressed ? U32_MARKER : entry.uncompressedSize);
  putU16le(record, at + 28, entry.nameBytes.length);
  putU16le(record, at + 30, extraLength);
  putU16le(record, at + 32, entry.comment.length);
  putU16le(record, at + 36, entry.internalAttributes);
  putU32le(record, at + 38, entry.externalAttributes);
  putU32le(record, at + 42, big.offset ? U32_MARKER : offset);
  record.set(entry.nameBytes, name);
  const extra = name + entry.nameBytes.length;
  if (zip64Length > 0) {
    putU16le(record, extra, ZIP64_EXTRA_ID);
    putU16le(record, extra + 2, 8 * values.length);
    for (const [i, value] of values.entries()) putU64le(record, extra + 4 + 8 * i, value);
  }
  record.set(entry.otherExtra, extra + zip64Length);
  record.set(entry.comment, extra + extraLength);
  return extra + extraLength + entry.comment.length - at;
}

/** The whole central directory in one buffer (a hundred thousand records are not a hundred thousand arrays). */
function centralDirectoryOf(records: readonly Placed[]): Uint8Array {
  const directory = new Uint8Array(records.reduce((sum, placed) => sum + recordLength(placed), 0));
  let at = 0;
  for (const placed of records) at += writeCentralRecord(directory, at, placed);
  return directory;
}

function endRecords(count: number, directoryOffset: number, directorySize: number, zip64: boolean, comment: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [];
  const needs64 = zip64 || count >= U16_MARKER || directoryOffset >= U32_MARKER || directorySize >= U32_MARKER;
  if (needs64) {
    const record = new Uint8Array(56);
    putU32le(record, 0, 0x06064b50);
    putU64le(record, 4, 44);
    putU16le(record, 12, VERSION_ZIP64);
    putU16le(record, 14, VERSION_ZIP64);
    putU64le(record, 24, count);
    putU64le(record, 32, count);
    putU64le(record, 40, directorySize);
    putU64le(record, 48, directoryOffset);
    const locator = new Uint8Array(20);
    putU32le(locator, 0, 0x07064b50);
    putU64le(locator, 8, directoryOffset + directorySize);
    putU32le(locator, 16, 1);
    parts.push(record, locator);
  }
  const end = new Uint8Array(22 + comment.length);
  putU32le(end, 0, 0x06054b50);
  putU16le(end, 8, Math.min(count, U16_MARKER));
  putU16le(end, 10, Math.min(count, U16_MARKER));
  putU32le(end, 12, Math.min(directorySize, U32_MARKER));
  putU32le(end, 16, Math.min(directoryOffset, U32_MARKER));
  putU16le(end, 20, comment.length);
  end.set(comment, 22);
  parts.push(end);
  return concat(parts);
}

/**
 * Every name the rewritten archive will hold, copied or added, is checked before anything is
 * planned: nothing we write can leave the extractor's folder (zip-slip), and no two entries
 * share a name, compared case-insensitively as OPC part names are (ECMA-376 Part 2 §9.1.1.4)
 * and as case-insensitive file systems would overwrite them.
 */
function assertSafeNames(names: Iterable<string>): void {
  const seen = new Set<string>();
  for (const name of names) {
    const unsafe = unsafeEntryName(name);
    if (unsafe !== null) {
      throw new MalformedInputError('zip', `the entry name ${quotedName(name)} ${unsafe}; an archive with such a name is not rewritten`);
    }
    const key = name.toLowerCase();
    if (seen.has(key)) throw new MalformedInputError('zip', `two entries are named ${quotedName(name)}; the archive is not rewritten`);
    seen.add(key);
  }
}

export function planZipRewrite(directory: ZipDirectory, edits: ZipEdits): WritePlan {
  assertSafeNames([...directory.entries.map((e) => e.name), ...edits.add.map((a) => a.name)]);
  const order = directory.entries
    .map((entry, index) => ({ entry, index }))
    .sort((a, b) => a.entry.localHeaderOffset - b.entry.localHeaderOffset);
  const segments: Segment[] = [];
  const placed: Placed[] = [];
  let output = 0;
  // Bytes before the first entry (a self-extractor stub, say) stay where they are.
  const firstOffset = order.length > 0 ? order[0].entry.localHeaderOffset : directory.centralDirectoryOffset;
  if (firstOffset > 0) {
    segments.push({ from: 0, length: firstOffset });
    output = firstOffset;
  }
  order.forEach(({ entry, index }, position) => {
    // A record runs to the next one, so data descriptors of any shape come along.
    const end = position + 1 < order.length ? order[position + 1].entry.localHeaderOffset : directory.centralDirectoryOffset;
    const replacement = edits.replace.get(index);
    if (replacement === undefined) {
      segments.push({ from: entry.localHeaderOffset, length: end - entry.localHeaderOffset });
      placed.push({ entry, offset: output });
      output += end - entry.localHeaderOffset;
      return;
    }
    const { nameBytes, versionMadeBy, time, date, externalAttributes, comment } = entry;
    const stored = storedEntry(entry.name, replacement, { nameBytes, versionMadeBy, time, date, externalAttributes, comment });
    const header = localHeader(stored);
    segments.push(header, replacement);
    placed.push({ entry: stored, offset: output });
    output += header.length + replacement.length;
  });
  const first = order[0]?.entry;
  for (const { name, data } of edits.add) {
    const stored = storedEntry(name, data, first ? { versionMadeBy: first.versionMadeBy, time: first.time, date: first.date } : {});
    const header = localHeader(stored);
    segments.push(header, data);
    placed.push({ entry: stored, offset: output });
    output += header.length + data.length;
  }
  // Directory order follows the original directory, then the added entries.
  const byIndex = new Map(order.map(({ index }, position) => [index, placed[position]]));
  const records = [...directory.entries.map((_, index) => byIndex.get(index) as Placed), ...placed.slice(order.length)];
  const centralDirectory = centralDirectoryOf(records);
  segments.push(centralDirectory, endRecords(records.length, output, centralDirectory.length, directory.isZip64, directory.comment));
  return { segments };
}
