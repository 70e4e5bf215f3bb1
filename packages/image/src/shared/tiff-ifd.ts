import {
  type ByteSource,
  type Finding,
  finding,
  fromLatin1,
  fromUtf8,
  type LabelCarrier,
  LimitExceededError,
  MalformedInputError,
  maximumXmpPacketInBytes,
  putU16be,
  putU16le,
  putU32be,
  putU32le,
  putU64be,
  putU64le,
  Rules,
  readExact,
  trimTrailingNuls,
  u16be,
  u16le,
  u32be,
  u32le,
  u64be,
  u64le,
} from '@aigc-label/core';
import { looksLikeLabel, textCarrier } from './carriers.js';

/**
 * TIFF 6.0 image file directories, shared by TIFF files and the EXIF blocks of
 * JPEG (APP1 "Exif\0\0"), WebP (EXIF chunk) and HEIF (Exif item). They read
 * through a ByteSource over the TIFF stream, so a TIFF file is never loaded whole;
 * offsets are relative to the start of the TIFF header. BigTIFF (version 43)
 * differs only in field widths: 8-byte entry counts and offsets, 20-byte entries.
 */
export interface TiffHeader {
  readonly littleEndian: boolean;
  readonly bigTiff: boolean;
  readonly ifd0Offset: number;
  /** Where the header stores the IFD0 offset: byte 4, or 8 in BigTIFF. */
  readonly ifd0PointerAt: number;
  /** Bytes of an IFD's entry count: 2, or 8 in BigTIFF. */
  readonly countSize: number;
  /** Bytes of an offset, and of an entry's count and value fields: 4, or 8 in BigTIFF. */
  readonly offsetSize: number;
  /** Bytes of one IFD entry: 12, or 20 in BigTIFF. */
  readonly entrySize: number;
}

export interface IfdEntry {
  readonly tag: number;
  readonly type: number;
  readonly count: number;
  /** Offset of the entry. */
  readonly entryOffset: number;
  /** Offset of the value: inside the entry when it fits in the value field, else the pointed-to offset. */
  readonly valueOffset: number;
  readonly valueLength: number;
  /** The value is stored in the entry's last 4 (BigTIFF: 8) bytes. */
  readonly inline: boolean;
  /** The entry as stored (inline values live in its last 4 or 8 bytes). */
  readonly raw: Uint8Array;
}

export interface Ifd {
  readonly offset: number;
  readonly entries: readonly IfdEntry[];
  /** Offset of the pointer to the next IFD; the IFD ends after it. */
  readonly nextPointerOffset: number;
  readonly nextOffset: number;
  /** The data ends after the entries, without the next pointer (a tiny file): read as the last IFD, next 0. */
  readonly nextPointerMissing: boolean;
}

export const TiffTag = {
  imageDescription: 270,
  xmp: 700,
  exifIfd: 34665,
  gpsIfd: 34853,
  userComment: 37510,
  interopIfd: 40965,
  thumbnailOffset: 513,
  thumbnailLength: 514,
} as const;

export const TiffType = { byte: 1, ascii: 2, short: 3, long: 4, undefined: 7, ifd: 13, long8: 16, ifd8: 18 } as const;

/** Bytes per value for each field type (TIFF 6.0 §2, plus BigTIFF's 8-byte types). */
const TYPE_SIZES: Record<number, number> = {
  1: 1,
  2: 1,
  3: 2,
  4: 4,
  5: 8,
  6: 1,
  7: 1,
  8: 2,
  9: 4,
  10: 8,
  11: 4,
  12: 8,
  13: 4,
  16: 8,
  17: 8,
  18: 8,
};
const UNSIGNED_INTEGER_TYPES = new Set<number>([TiffType.short, TiffType.long, TiffType.ifd, TiffType.long8, TiffType.ifd8]);
/** More entries than any real IFD has; bounds a hostile count. */
export const maximumIfdEntries = 4096;
/** Pages followed along an IFD chain; far more than real multi-page files have. */
export const maximumIfdChainLength = 65_536;

const headerSize = (header: TiffHeader): number => (header.bigTiff ? 16 : 8);

export function classicHeader(littleEndian: boolean, ifd0Offset: number): TiffHeader {
  return { littleEndian, bigTiff: false, ifd0Offset, ifd0PointerAt: 4, countSize: 2, offsetSize: 4, entrySize: 12 };
}

/** An unsigned integer of `width` bytes (2, 4 or 8) in the file's byte order. */
export function readUint(header: TiffHeader, bytes: Uint8Array, at: number, width: number): number {
  const le = header.littleEndian;
  if (width === 2) return le ? u16le(bytes, at) : u16be(bytes, at);
  if (width === 4) return le ? u32le(bytes, at) : u32be(bytes, at);
  return le ? u64le(bytes, at) : u64be(bytes, at);
}

export function putUint(header: TiffHeader, bytes: Uint8Array, at: number, width: number, value: number): void {
  const le = header.littleEndian;
  if (width === 2) (le ? putU16le : putU16be)(bytes, at, value);
  else if (width === 4) (le ? putU32le : putU32be)(bytes, at, value);
  else (le ? putU64le : putU64be)(bytes, at, value);
}

export async function parseTiffHeader(tiff: ByteSource, format: string): Promise<TiffHeader> {
  if (tiff.size < 8) throw new MalformedInputError(format, 'TIFF header is truncated');
  const head = await readExact(tiff, 0, Math.min(16, tiff.size), format, 'TIFF header');
  const order = (head[0] << 8) | head[1];
  if (order !== 0x4949 && order !== 0x4d4d) throw new MalformedInputError(format, 'no TIFF byte-order mark (II or MM)');
  const classic = classicHeader(order === 0x4949, 0);
  const magic = readUint(classic, head, 2, 2);
  if (magic === 42) return { ...classic, ifd0Offset: readUint(classic, head, 4, 4) };
  if (magic !== 43) throw new MalformedInputError(format, `TIFF magic number is ${magic}, not 42 (TIFF) or 43 (BigTIFF)`);
  if (head.length < 16) throw new MalformedInputError(format, 'BigTIFF header is truncated');
  const offsetSize = readUint(classic, head, 4, 2);
  if (offsetSize !== 8) throw new MalformedInputError(format, `BigTIFF offset size is ${offsetSize}, not 8`);
  const big = { ...classic, bigTiff: true, ifd0PointerAt: 8, countSize: 8, offsetSize: 8, entrySize: 20 };
  return { ...big, ifd0Offset: readUint(big, head, 8, 8) };
}

/** The entry count of the IFD at `offset`, checked against the data size and the entry bound. */
async function ifdEntryCount(tiff: ByteSource, offset: number, header: TiffHeader, format: string): Promise<number> {
  if (offset < headerSize(header) || offset + header.countSize > tiff.size) {
    throw new MalformedInputError(format, `IFD offset ${offset} points past the end of the TIFF data (${tiff.size} bytes)`);
  }
  const count = readUint(header, await readExact(tiff, offset, header.countSize, format, 'IFD entry count'), 0, header.countSize);
  if (count > maximumIfdEntries)
    throw new LimitExceededError(`${format}: IFD at ${offset} declares ${count} entries, over ${maximumIfdEntries}`);
  // The next pointer may be missing at the very end (ExifTool and libtiff read such a file); the entries may not.
  if (offset + header.countSize + count * header.entrySize > tiff.size) {
    throw new MalformedInputError(format, `IFD at offset ${offset} with ${count} entries runs past the end of the TIFF data`);
  }
  return count;
}

export async function readIfd(tiff: ByteSource, offset: number, header: TiffHeader, format: string): Promise<Ifd> {
  const { countSize, entrySize, offsetSize } = header;
  const count = await ifdEntryCount(tiff, offset, header, format);
  const nextPointerMissing = nextPointerIsMissing(tiff, offset, count, header);
  const blockLength = count * entrySize + (nextPointerMissing ? 0 : offsetSize);
  const block = await readExact(tiff, offset + countSize, blockLength, format, `IFD at offset ${offset}`);
  const entries: IfdEntry[] = [];
  for (let i = 0; i < count; i++) {
    const at = i * entrySize;
    const entryOffset = offset + countSize + at;
    const type = readUint(header, block, at + 2, 2);
    const n = readUint(header, block, at + 4, offsetSize);
    const valueLength = n * (TYPE_SIZES[type] ?? 1);
    const valueField = entrySize - offsetSize;
    const inline = valueLength <= offsetSize;
    const valueOffset = inline ? entryOffset + valueField : readUint(header, block, at + valueField, offsetSize);
    const raw = block.slice(at, at + entrySize);
    entries.push({ tag: readUint(header, block, at, 2), type, count: n, entryOffset, valueOffset, valueLength, inline, raw });
  }
  const nextPointerOffset = offset + countSize + count * entrySize;
  const nextOffset = nextPointerMissing ? 0 : readUint(header, block, count * entrySize, offsetSize);
  return { offset, entries, nextPointerOffset, nextOffset, nextPointerMissing };
}

/** Does the data end after the entries of the IFD at `offset`, before its next pointer? */
const nextPointerIsMissing = (tiff: ByteSource, offset: number, count: number, header: TiffHeader): boolean =>
  offset + header.countSize + count * header.entrySize + header.offsetSize > tiff.size;

/** The byte after an IFD's next pointer. */
export const ifdEnd = (ifd: Ifd, header: TiffHeader): number => ifd.nextPointerOffset + header.offsetSize;

/** The bytes of an entry's value; a value that points past the end, or is over `limit` bytes, throws. */
export async function entryBytes(tiff: ByteSource, entry: IfdEntry, format: string, limit = maximumXmpPacketInBytes): Promise<Uint8Array> {
  if (entry.inline) {
    const valueField = entry.valueOffset - entry.entryOffset;
    return entry.raw.subarray(valueField, valueField + entry.valueLength);
  }
  if (entry.valueLength > limit)
    throw new LimitExceededError(`${format}: TIFF tag ${entry.tag} value of ${entry.valueLength} bytes is over ${limit}`);
  return readExact(tiff, entry.valueOffset, entry.valueLength, format, `TIFF tag ${entry.tag} value`);
}

/** The value of a one-value integer entry (an IFD pointer, an offset or a length), or null for any other entry. */
export function entryNumber(header: TiffHeader, entry: IfdEntry): number | null {
  if (!UNSIGNED_INTEGER_TYPES.has(entry.type) || entry.count !== 1 || !entry.inline) return null;
  return readUint(header, entry.raw, header.entrySize - header.offsetSize, TYPE_SIZES[entry.type]);
}

/** Follows the pointer in `entry` (Exif, GPS, Interop IFD) to its IFD; a pointer that is not one integer throws. */
export async function readSubIfd(tiff: ByteSource, entry: IfdEntry, header: TiffHeader, format: string): Promise<Ifd> {
  const offset = entryNumber(header, entry);
  if (offset === null) {
    throw new MalformedInputError(format, `TIFF tag ${entry.tag} should point to an IFD but has type ${entry.type}, count ${entry.count}`);
  }
  return readIfd(tiff, offset, header, format);
}

/** A 12-byte (or 20-byte BigTIFF) IFD entry whose value is an offset or fits in the value field (TIFF 6.0 §2). */
export function encodeEntry(header: TiffHeader, tag: number, type: number, count: number, value: number | Uint8Array): Uint8Array {
  const out = new Uint8Array(header.entrySize);
  putUint(header, out, 0, 2, tag);
  putUint(header, out, 2, 2, type);
  putUint(header, out, 4, header.offsetSize, count);
  const valueField = header.entrySize - header.offsetSize;
  if (value instanceof Uint8Array) out.set(value, valueField);
  else putUint(header, out, valueField, header.offsetSize, value);
  return out;
}

/** An IFD: count, entries in the order given, next pointer. */
export function encodeIfd(header: TiffHeader, entries: readonly Uint8Array[], next: number): Uint8Array {
  const out = new Uint8Array(header.countSize + entries.length * header.entrySize + header.offsetSize);
  putUint(header, out, 0, header.countSize, entries.length);
  entries.forEach((entry, i) => {
    out.set(entry, header.countSize + i * header.entrySize);
  });
  putUint(header, out, out.length - header.offsetSize, header.offsetSize, next);
  return out;
}

/**
 * The entries of `ifd` with `replace` (new raw entries by tag) applied: a replaced
 * tag keeps its place, a tag listed with null is dropped, a new tag goes before the
 * first larger one (TIFF 6.0 §2: ascending order), so a sorted IFD stays sorted and
 * an unsorted one keeps the order it has.
 */
export function editedEntries(ifd: Ifd, replace: ReadonlyMap<number, Uint8Array | null>): Uint8Array[] {
  const out: { tag: number; raw: Uint8Array }[] = [];
  for (const e of ifd.entries) {
    const change = replace.get(e.tag);
    if (change === null) continue;
    out.push({ tag: e.tag, raw: change ?? e.raw });
  }
  for (const [tag, raw] of replace) {
    if (raw === null || ifd.entries.some((e) => e.tag === tag)) continue;
    const before = out.findIndex((e) => e.tag > tag);
    out.splice(before === -1 ? out.length : before, 0, { tag, raw });
  }
  return out.map((e) => e.raw);
}

export interface IfdChain {
  /** Offsets of the IFDs (pages) in chain order, IFD0 first. */
  readonly offsets: readonly number[];
  /** The next pointer that leads back to an IFD already in the chain, and that IFD; null when the chain ends. */
  readonly loop: { readonly pointerAt: number; readonly target: number } | null;
  /** False when the walk stopped at `maximumIfdChainLength` pages, before the chain ended. */
  readonly complete: boolean;
  readonly findings: readonly Finding[];
}

/**
 * Walks the chain of IFDs (one per page) reading only each entry count and next
 * pointer, so it is linear in the number of pages. A next pointer back into the
 * chain is a loop (libtiff and Pillow stop there); a page past the end of the data
 * ends the chain. Both are findings.
 */
export async function walkIfdChain(tiff: ByteSource, header: TiffHeader, format: string): Promise<IfdChain> {
  const offsets: number[] = [];
  const seen = new Set<number>();
  const findings: Finding[] = [];
  const ended = (loop: IfdChain['loop'], complete = true): IfdChain => ({ offsets, loop, complete, findings });
  let offset = header.ifd0Offset;
  let pointerAt = header.ifd0PointerAt;
  while (offset !== 0) {
    if (seen.has(offset)) {
      const page = offsets.indexOf(offset) + 1;
      const message = `the IFD chain loops: the next pointer at byte ${pointerAt} leads back to page ${page} (IFD at byte ${offset}); readers stop there`;
      findings.push(finding(Rules.damaged, 'warning', message));
      return ended({ pointerAt, target: offset });
    }
    if (offsets.length === maximumIfdChainLength) return ended(null, false);
    let count: number;
    try {
      count = await ifdEntryCount(tiff, offset, header, format);
    } catch (error) {
      if (offsets.length === 0 || !(error instanceof MalformedInputError || error instanceof LimitExceededError)) throw error;
      findings.push(finding(Rules.damaged, 'warning', `page ${offsets.length + 1}: ${error.message}`));
      return ended(null);
    }
    seen.add(offset);
    offsets.push(offset);
    pointerAt = offset + header.countSize + count * header.entrySize;
    if (nextPointerIsMissing(tiff, offset, count, header)) {
      const message = `the IFD at byte ${offset} has no next-IFD pointer (the data ends after its entries); read as the last page`;
      findings.push(finding(Rules.damaged, 'info', message));
      return ended(null);
    }
    offset = readUint(header, await readExact(tiff, pointerAt, header.offsetSize, format, 'next IFD pointer'), 0, header.offsetSize);
  }
  return ended(null);
}

/** EXIF 2.3 §4.6.5 UserComment: an 8-byte character code, then the text. */
export function decodeUserComment(value: Uint8Array): string {
  const code = fromLatin1(value.subarray(0, 8));
  const body = value.subarray(8);
  if (code.startsWith('UNICODE')) {
    // UCS-2 in the byte order of the file is common, but most writers use big-endian; pick by the BOM-less NUL position.
    const littleEndian = body.length > 1 && body[0] !== 0 && body[1] === 0;
    const units: number[] = [];
    for (let i = 0; i + 1 < body.length; i += 2) units.push(littleEndian ? u16le(body, i) : u16be(body, i));
    return trimTrailingNuls(String.fromCharCode(...units));
  }
  // ASCII, JIS, or the undefined code (eight NULs): read as UTF-8, which ASCII is a subset of.
  return trimTrailingNuls(fromUtf8(code.startsWith('ASCII') || code === '\0'.repeat(8) ? body : value));
}

/** Where an EXIF text tag holding a label sits. */
export type ExifLabelPlace = 'IFD0 ImageDescription' | 'IFD0 UserComment' | 'Exif IFD UserComment';

export interface ExifTextLabel {
  readonly place: ExifLabelPlace;
  readonly entry: IfdEntry;
  readonly text: string;
}

export interface ExifDirectories {
  readonly header: TiffHeader;
  readonly ifd0: Ifd;
  readonly exifIfd: Ifd | undefined;
  /** The text tags that look like a label. */
  readonly labels: readonly ExifTextLabel[];
}

/**
 * Reads IFD0 and the Exif IFD and finds the text tags holding a label: IFD0
 * ImageDescription, the Exif IFD UserComment (image guide Annex B), and a
 * UserComment misplaced in IFD0 (read, never written).
 */
export async function exifDirectories(tiff: ByteSource, format: string): Promise<ExifDirectories> {
  const header = await parseTiffHeader(tiff, format);
  const ifd0 = await readIfd(tiff, header.ifd0Offset, header, format);
  const pointer = ifd0.entries.find((e) => e.tag === TiffTag.exifIfd);
  const exifIfd = pointer ? await readSubIfd(tiff, pointer, header, format) : undefined;
  const labels: ExifTextLabel[] = [];
  const look = async (place: ExifLabelPlace, entry: IfdEntry | undefined) => {
    if (!entry) return;
    const value = await entryBytes(tiff, entry, format);
    const text = entry.tag === TiffTag.userComment ? decodeUserComment(value) : trimTrailingNuls(fromUtf8(value));
    if (looksLikeLabel(text)) labels.push({ place, entry, text });
  };
  await look(
    'IFD0 ImageDescription',
    ifd0.entries.find((e) => e.tag === TiffTag.imageDescription),
  );
  await look(
    'IFD0 UserComment',
    ifd0.entries.find((e) => e.tag === TiffTag.userComment),
  );
  await look(
    'Exif IFD UserComment',
    exifIfd?.entries.find((e) => e.tag === TiffTag.userComment),
  );
  return { header, ifd0, exifIfd, labels };
}

/** The labels `exifDirectories` found, as carriers. `base` is the TIFF header's offset in the file, `where` names the EXIF block. */
export function exifLabelCarriers({ labels }: ExifDirectories, base: number, where: string): LabelCarrier[] {
  return labels.map(({ place, entry, text }) => {
    const kind = place === 'IFD0 ImageDescription' ? 'exif-image-description' : 'exif-user-comment';
    const carrier = textCarrier(kind, `${where}, ${place}`, base + entry.entryOffset, text);
    if (place !== 'IFD0 UserComment') return carrier;
    const message =
      'UserComment (tag 0x9286) is in IFD0; EXIF and the image guide (TC260-PG-20259A Annex B) put it in the Exif IFD, and the guide names XMP TC260:AIGC first';
    return { ...carrier, findings: [...carrier.findings, finding(Rules.nonCanonicalCarrier, 'warning', message)] };
  });
}

/** Labels in EXIF text tags as carriers. */
export async function exifTextCarriers(tiff: ByteSource, base: number, where: string, format: string): Promise<LabelCarrier[]> {
  return exifLabelCarriers(await exifDirectories(tiff, format), base, where);
}
