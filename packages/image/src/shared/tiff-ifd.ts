import {
  type ByteSource,
  fromLatin1,
  fromUtf8,
  type LabelCarrier,
  LimitExceededError,
  MalformedInputError,
  maximumXmpPacketInBytes,
  readExact,
  u16be,
  u16le,
  u32be,
  u32le,
} from '@aigc-label/core';
import { looksLikeLabel, textCarrier } from './carriers.js';

/**
 * TIFF 6.0 image file directories, shared by TIFF files and the EXIF blocks of
 * JPEG (APP1 "Exif\0\0"), WebP (EXIF chunk) and HEIF (Exif item). They read
 * through a ByteSource over the TIFF stream, so a TIFF file is never loaded whole;
 * offsets are relative to the start of the TIFF header.
 */
export interface TiffHeader {
  readonly littleEndian: boolean;
  readonly ifd0Offset: number;
}

export interface IfdEntry {
  readonly tag: number;
  readonly type: number;
  readonly count: number;
  /** Offset of the 12-byte entry. */
  readonly entryOffset: number;
  /** Offset of the value: inside the entry when it fits in 4 bytes, else the pointed-to offset. */
  readonly valueOffset: number;
  readonly valueLength: number;
  /** The 12 bytes of the entry as stored (inline values live in its last 4). */
  readonly raw: Uint8Array;
}

export interface Ifd {
  readonly offset: number;
  readonly entries: readonly IfdEntry[];
  /** Offset of the u32 that points to the next IFD. */
  readonly nextPointerOffset: number;
  readonly nextOffset: number;
}

export const TiffTag = {
  imageDescription: 270,
  xmp: 700,
  exifIfd: 34665,
  userComment: 37510,
} as const;

export const TiffType = { byte: 1, ascii: 2, short: 3, long: 4, undefined: 7 } as const;

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
/** More entries than any real IFD has; bounds a hostile count. */
const maximumIfdEntries = 4096;

export const reader = (littleEndian: boolean) => ({
  u16: littleEndian ? u16le : u16be,
  u32: littleEndian ? u32le : u32be,
});

export async function parseTiffHeader(tiff: ByteSource, format: string): Promise<TiffHeader> {
  if (tiff.size < 8) throw new MalformedInputError(format, 'TIFF header is truncated');
  const head = await readExact(tiff, 0, 8, format, 'TIFF header');
  const order = (head[0] << 8) | head[1];
  if (order !== 0x4949 && order !== 0x4d4d) throw new MalformedInputError(format, 'no TIFF byte-order mark (II or MM)');
  const littleEndian = order === 0x4949;
  const { u16, u32 } = reader(littleEndian);
  const magic = u16(head, 2);
  if (magic === 43) throw new MalformedInputError(format, 'BigTIFF is not supported');
  if (magic !== 42) throw new MalformedInputError(format, `TIFF magic number is ${magic}, not 42`);
  return { littleEndian, ifd0Offset: u32(head, 4) };
}

export async function readIfd(tiff: ByteSource, offset: number, littleEndian: boolean, format: string): Promise<Ifd> {
  const { u16, u32 } = reader(littleEndian);
  if (offset < 8 || offset + 2 > tiff.size) {
    throw new MalformedInputError(format, `IFD offset ${offset} points past the end of the TIFF data (${tiff.size} bytes)`);
  }
  const count = u16(await readExact(tiff, offset, 2, format, 'IFD entry count'), 0);
  if (count > maximumIfdEntries)
    throw new LimitExceededError(`${format}: IFD at ${offset} declares ${count} entries, over ${maximumIfdEntries}`);
  const nextPointerOffset = offset + 2 + count * 12;
  if (nextPointerOffset + 4 > tiff.size) {
    throw new MalformedInputError(format, `IFD at offset ${offset} with ${count} entries runs past the end of the TIFF data`);
  }
  const block = await readExact(tiff, offset + 2, count * 12 + 4, format, `IFD at offset ${offset}`);
  const entries: IfdEntry[] = [];
  for (let i = 0; i < count; i++) {
    const at = i * 12;
    const entryOffset = offset + 2 + at;
    const type = u16(block, at + 2);
    const n = u32(block, at + 4);
    const valueLength = n * (TYPE_SIZES[type] ?? 1);
    const valueOffset = valueLength <= 4 ? entryOffset + 8 : u32(block, at + 8);
    entries.push({ tag: u16(block, at), type, count: n, entryOffset, valueOffset, valueLength, raw: block.slice(at, at + 12) });
  }
  return { offset, entries, nextPointerOffset, nextOffset: u32(block, count * 12) };
}

/** The bytes of an entry's value; a value that points past the end, or is over `limit` bytes, throws. */
export async function entryBytes(tiff: ByteSource, entry: IfdEntry, format: string, limit = maximumXmpPacketInBytes): Promise<Uint8Array> {
  if (entry.valueLength <= 4) return entry.raw.subarray(8, 8 + entry.valueLength);
  if (entry.valueLength > limit)
    throw new LimitExceededError(`${format}: TIFF tag ${entry.tag} value of ${entry.valueLength} bytes is over ${limit}`);
  return readExact(tiff, entry.valueOffset, entry.valueLength, format, `TIFF tag ${entry.tag} value`);
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
    return String.fromCharCode(...units).replace(/\0+$/, '');
  }
  // ASCII, JIS, or the undefined code (eight NULs): read as UTF-8, which ASCII is a subset of.
  return fromUtf8(code.startsWith('ASCII') || code === '\0'.repeat(8) ? body : value).replace(/\0+$/, '');
}

/**
 * Labels in EXIF text tags: IFD0 ImageDescription and Exif IFD UserComment
 * (image guide Annex B alternative). `where` names the EXIF block for messages.
 */
export async function exifTextCarriers(tiff: ByteSource, base: number, where: string, format: string): Promise<LabelCarrier[]> {
  const { littleEndian, ifd0Offset } = await parseTiffHeader(tiff, format);
  const ifd0 = await readIfd(tiff, ifd0Offset, littleEndian, format);
  const carriers: LabelCarrier[] = [];
  const description = ifd0.entries.find((e) => e.tag === TiffTag.imageDescription);
  if (description) {
    const text = fromUtf8(await entryBytes(tiff, description, format)).replace(/\0+$/, '');
    if (looksLikeLabel(text)) {
      carriers.push(textCarrier('exif-image-description', `${where}, IFD0 ImageDescription`, base + description.entryOffset, text));
    }
  }
  const exifPointer = ifd0.entries.find((e) => e.tag === TiffTag.exifIfd);
  if (exifPointer) {
    const exif = await readIfd(tiff, reader(littleEndian).u32(exifPointer.raw, 8), littleEndian, format);
    const comment = exif.entries.find((e) => e.tag === TiffTag.userComment);
    if (comment) {
      const text = decodeUserComment(await entryBytes(tiff, comment, format));
      if (looksLikeLabel(text))
        carriers.push(textCarrier('exif-user-comment', `${where}, Exif IFD UserComment`, base + comment.entryOffset, text));
    }
  }
  return carriers;
}
