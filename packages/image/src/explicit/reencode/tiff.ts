/**
 * A labelled TIFF keeps the source file: sharp encodes the first page with the source's
 * compression, predictor and tiling, and only that page's image data and the tags that describe it
 * change (TIFF 6.0 §8: size, samples, compression, strips or tiles). Every other tag of IFD0 (Make,
 * Artist, XMP, ICC, IPTC, the Exif and GPS pointers) keeps its bytes, and nothing else moves: the new
 * IFD0 and any image data that does not fit where the old data was are appended, so the Exif IFD,
 * maker notes and other pages keep their offsets. The old image data is zeroed, not left behind.
 */
import { bytesSource, concat, type Finding, finding } from '@aigc-label/core';
import type { TiffOptions } from 'sharp';
import { TiffEdit } from '../../shared/ifd-edit.js';
import {
  encodeEntry,
  encodeIfd,
  entryBytes,
  type Ifd,
  type IfdEntry,
  parseTiffHeader,
  putUint,
  readIfd,
  readUint,
  type TiffHeader,
  TiffType,
} from '../../shared/tiff-ifd.js';

/** Tags that describe how the first page's pixels are coded and where they are (TIFF 6.0 §8 baseline, §21-22 extensions). */
const IMAGE_TAGS = new Set([
  254, 256, 257, 258, 259, 262, 266, 273, 277, 278, 279, 284, 317, 322, 323, 324, 325, 338, 339, 347, 530, 531, 532,
]);
const STRIP_OFFSETS = 273;
const STRIP_BYTE_COUNTS = 279;
const TILE_OFFSETS = 324;
const TILE_BYTE_COUNTS = 325;
const FORMAT = 'tiff';
/** sharp's names for the TIFF compressions it writes (TIFF 6.0 §8 and the registered codes). */
const COMPRESSIONS: Record<number, string> = {
  1: 'none',
  5: 'lzw',
  7: 'jpeg',
  8: 'deflate',
  32946: 'deflate',
  32773: 'packbits',
  50000: 'zstd',
  50001: 'webp',
};

/** Bytes of each integer a value holds, by field type: SHORT, SSHORT; LONG, SLONG, IFD, and RATIONALs as two LONGs; LONG8. Byte types are copied as they are. */
const INTEGER_WIDTH: Record<number, number> = { 3: 2, 8: 2, 4: 4, 9: 4, 13: 4, 5: 4, 10: 4, 16: 8, 17: 8, 18: 8 };
/** Largest strip offset or byte-count table read (a million strips). */
const maximumTableBytes = 8 * 1024 * 1024;

/** The integers of an entry's value (strip offsets and counts, bits per sample, a rational's two halves). */
async function numbers(tiff: Uint8Array, header: TiffHeader, entry: IfdEntry): Promise<number[]> {
  const width = INTEGER_WIDTH[entry.type] ?? 4;
  const bytes = await entryBytes(bytesSource(tiff), entry, FORMAT, maximumTableBytes);
  return Array.from({ length: bytes.length / width }, (_, i) => readUint(header, bytes, i * width, width));
}

const entryOf = (ifd: Ifd, tag: number) => ifd.entries.find((e) => e.tag === tag);

/** sharp's TIFF settings for the source's first page. */
export async function tiffCoding(source: Uint8Array): Promise<{ options: TiffOptions; findings: Finding[] }> {
  const tiff = bytesSource(source);
  const header = await parseTiffHeader(tiff, FORMAT);
  const ifd = await readIfd(tiff, header.ifd0Offset, header, FORMAT);
  const value = async (tag: number) => {
    const entry = entryOf(ifd, tag);
    return entry ? (await numbers(source, header, entry))[0] : undefined;
  };
  const findings: Finding[] = [];
  const code = (await value(259)) ?? 1;
  let compression = COMPRESSIONS[code];
  if (!compression) {
    compression = 'lzw';
    findings.push(
      finding('explicit/reencode-changed', 'info', `TIFF compression ${code} cannot be written here; the first page was written with LZW`),
    );
  }
  const predictor = (await value(317)) ?? 1;
  const tileWidth = await value(322);
  const tileHeight = await value(323);
  const options: TiffOptions = {
    compression,
    predictor: predictor === 2 ? 'horizontal' : predictor === 3 ? 'float' : 'none',
    ...(tileWidth && tileHeight ? { tile: true, tileWidth, tileHeight } : {}),
  };
  if (ifd.nextOffset !== 0) {
    findings.push(finding('explicit/reencode-changed', 'warning', 'only the first page of this multi-page TIFF carries the visible label'));
  }
  return { options, findings };
}

/**
 * Where the first page's image data is: its strips or tiles (each zeroed once when shared), and the
 * single range they fill when they lie end to end.
 */
async function oldImageRegion(source: Uint8Array, header: TiffHeader, ifd: Ifd) {
  const offsetsEntry = entryOf(ifd, STRIP_OFFSETS) ?? entryOf(ifd, TILE_OFFSETS);
  const countsEntry = entryOf(ifd, STRIP_BYTE_COUNTS) ?? entryOf(ifd, TILE_BYTE_COUNTS);
  if (!offsetsEntry || !countsEntry) return null;
  const offsets = await numbers(source, header, offsetsEntry);
  const counts = await numbers(source, header, countsEntry);
  const pieces = new Map<number, number>();
  offsets.forEach((offset, i) => {
    const length = Math.min(counts[i] ?? 0, Math.max(0, source.length - offset));
    if (length > 0) pieces.set(offset, Math.max(length, pieces.get(offset) ?? 0));
  });
  const sorted = [...pieces].sort((a, b) => a[0] - b[0]);
  // End to end, or with the one pad byte that word-aligns the next strip (TIFF 6.0 §2).
  const contiguous = sorted.every(([offset], i) => {
    if (i === 0) return true;
    const gap = offset - (sorted[i - 1]![0] + sorted[i - 1]![1]);
    return gap === 0 || gap === 1;
  });
  const first = sorted[0];
  const last = sorted[sorted.length - 1];
  if (!first || !last || !contiguous) return { pieces: sorted, start: 0, end: 0 };
  return { pieces: sorted, start: first[0], end: last[0] + last[1] };
}

/** The source with its first page's image replaced by the encoder's. */
export async function tiffWithSourceMetadata(source: Uint8Array, encoded: Uint8Array): Promise<Uint8Array> {
  const header = await parseTiffHeader(bytesSource(source), FORMAT);
  const ifd = await readIfd(bytesSource(source), header.ifd0Offset, header, FORMAT);
  const newHeader = await parseTiffHeader(bytesSource(encoded), FORMAT);
  const newIfd = await readIfd(bytesSource(encoded), newHeader.ifd0Offset, newHeader, FORMAT);
  const edit = new TiffEdit(header, FORMAT, source.length, null);

  const newOffsetsEntry = entryOf(newIfd, STRIP_OFFSETS) ?? entryOf(newIfd, TILE_OFFSETS)!;
  const newCountsEntry = entryOf(newIfd, STRIP_BYTE_COUNTS) ?? entryOf(newIfd, TILE_BYTE_COUNTS)!;
  const newOffsets = await numbers(encoded, newHeader, newOffsetsEntry);
  const newCounts = await numbers(encoded, newHeader, newCountsEntry);
  const newData = concat(newOffsets.map((offset, i) => encoded.subarray(offset, offset + newCounts[i]!)));
  // The new image data goes where the old was when it fits there (an uncompressed page always does),
  // else at the end; the old data is overwritten or zeroed, never left behind.
  const region = await oldImageRegion(source, header, ifd);
  let placedAt: number;
  if (region && newData.length <= region.end - region.start) {
    const bytes = new Uint8Array(region.end - region.start);
    bytes.set(newData);
    edit.patch(region.start, bytes);
    placedAt = region.start;
  } else {
    for (const [offset, length] of region?.pieces ?? []) edit.patch(offset, new Uint8Array(length));
    placedAt = edit.append(newData);
  }
  const placed: number[] = [];
  for (let i = 0, at = placedAt; i < newCounts.length; at += newCounts[i]!, i++) placed.push(at);
  const entries = new Map<number, Uint8Array>();
  for (const entry of newIfd.entries) {
    if (!IMAGE_TAGS.has(entry.tag)) continue;
    const width = INTEGER_WIDTH[entry.type];
    if (width === undefined) {
      // Bytes need no byte-order change (JPEGTables, ASCII).
      const value = await entryBytes(bytesSource(encoded), entry, FORMAT, maximumTableBytes);
      entries.set(entry.tag, valueEntry(edit, header, entry.tag, entry.type, entry.count, value));
      continue;
    }
    const isOffsets = entry === newOffsetsEntry;
    const values = isOffsets ? placed : await numbers(encoded, newHeader, entry);
    const type = isOffsets ? (header.bigTiff ? TiffType.long8 : TiffType.long) : entry.type;
    const size = INTEGER_WIDTH[type]!;
    const bytes = new Uint8Array(values.length * size);
    for (const [i, v] of values.entries()) putUint(header, bytes, i * size, size, v);
    entries.set(entry.tag, valueEntry(edit, header, entry.tag, type, entry.count, bytes));
  }
  const kept = ifd.entries.filter((e) => !IMAGE_TAGS.has(e.tag)).map((e) => ({ tag: e.tag, raw: e.raw }));
  const all = [...kept, ...[...entries].map(([tag, raw]) => ({ tag, raw }))].sort((a, b) => a.tag - b.tag);
  const at = edit.append(
    encodeIfd(
      header,
      all.map((e) => e.raw),
      ifd.nextOffset,
    ),
  );
  edit.patchOffset(header.ifd0PointerAt, at);
  // The old IFD0 says where the unlabelled image was; nothing points to it any more.
  edit.patch(ifd.offset, new Uint8Array(ifd.nextPointerOffset + header.offsetSize - ifd.offset));
  return edit.applyTo(source);
}

/** An entry whose value is inline when it fits, else appended. */
function valueEntry(edit: TiffEdit, header: TiffHeader, tag: number, type: number, count: number, value: Uint8Array): Uint8Array {
  if (value.length <= header.offsetSize) {
    const inline = new Uint8Array(header.offsetSize);
    inline.set(value);
    return encodeEntry(header, tag, type, count, inline);
  }
  return encodeEntry(header, tag, type, count, edit.append(value));
}
