import { ascii, bytesSource, concat, LimitExceededError, MalformedInputError, startsWith, utf8 } from '@aigc-label/core';
import { type KnownRange, knownRanges, TiffEdit } from './ifd-edit.js';
import {
  classicHeader,
  editedEntries,
  encodeEntry,
  encodeIfd,
  entryNumber,
  exifDirectories,
  type Ifd,
  type IfdEntry,
  readIfd,
  readSubIfd,
  type TiffHeader,
  TiffTag,
  TiffType,
} from './tiff-ifd.js';

/** The "Exif\0\0" that starts an EXIF payload in JPEG APP1, and in WebP and HEIF when present. */
const EXIF_PREFIX = ascii('Exif\0\0');
/** EXIF 2.3 §4.6.5: the character code that prefixes a UserComment value. */
const ASCII_CODE = ascii('ASCII\0\0\0');

/** Image guide Annex B: UserComment holds the wrapped label after the ASCII character code, as type 7 (UNDEFINED). */
const userCommentValue = (wrappedLabel: string) => concat([ASCII_CODE, utf8(wrappedLabel)]);

/** A new EXIF payload holding only a UserComment: big-endian TIFF header, IFD0 with the Exif IFD pointer, the Exif IFD. */
export function newExifPayload(wrappedLabel: string): Uint8Array {
  const header = classicHeader(false, 8);
  const value = userCommentValue(wrappedLabel);
  const exifIfdAt = 8 + 2 + 12 + 4;
  const valueAt = exifIfdAt + 2 + 12 + 4;
  return concat([
    EXIF_PREFIX,
    ascii('MM\0*'),
    Uint8Array.of(0, 0, 0, 8),
    encodeIfd(header, [encodeEntry(header, TiffTag.exifIfd, TiffType.long, 1, exifIfdAt)], 0),
    encodeIfd(header, [encodeEntry(header, TiffTag.userComment, TiffType.undefined, value.length, valueAt)], 0),
    value,
  ]);
}

/**
 * Edits an EXIF payload ("Exif\0\0" + TIFF) in place: every EXIF text tag that holds
 * a label (IFD0 ImageDescription, UserComment in the Exif IFD or misplaced in IFD0) is
 * removed, and when `wrappedLabel` is given it is stored in the Exif IFD UserComment.
 * Every other byte stays where it was (see TiffEdit): tags this code does not know,
 * MakerNotes with offsets of their own, GPS, the thumbnail. A removed or replaced
 * value is zeroed when nothing else shares its bytes, so no stale label is left behind.
 */
export async function editExifPayload(payload: Uint8Array, wrappedLabel: string | null, format: string): Promise<Uint8Array> {
  if (!startsWith(payload, EXIF_PREFIX)) throw new MalformedInputError(format, 'the EXIF payload does not start with "Exif\\0\\0"');
  const tiff = payload.subarray(EXIF_PREFIX.length);
  const source = bytesSource(tiff);
  const { header, ifd0, exifIfd, labels } = await exifDirectories(source, format);
  const edit = new TiffEdit(header, format, tiff.length, await exifKnownRanges(tiff, header, ifd0, exifIfd));

  const ifd0Changes = new Map<number, Uint8Array | null>();
  for (const { place, entry } of labels) {
    if (place === 'Exif IFD UserComment') continue;
    ifd0Changes.set(entry.tag, null);
    edit.blank(entry);
  }
  const comment = exifIfd?.entries.find((e) => e.tag === TiffTag.userComment);
  if (wrappedLabel !== null) {
    const entry = edit.byteValueEntry(TiffTag.userComment, TiffType.undefined, userCommentValue(wrappedLabel), comment);
    const exifIfdAt = exifIfd
      ? edit.writeIfd(exifIfd, editedEntries(exifIfd, new Map([[TiffTag.userComment, entry]])))
      : edit.append(encodeIfd(header, [entry], 0));
    if (exifIfdAt !== exifIfd?.offset) ifd0Changes.set(TiffTag.exifIfd, edit.pointerEntry(TiffTag.exifIfd, exifIfdAt));
  } else if (exifIfd && comment && labels.some((l) => l.entry === comment)) {
    edit.blank(comment);
    edit.writeIfd(exifIfd, editedEntries(exifIfd, new Map([[TiffTag.userComment, null]])));
  }
  if (ifd0Changes.size > 0) {
    const ifd0At = edit.writeIfd(ifd0, editedEntries(ifd0, ifd0Changes));
    if (ifd0At !== ifd0.offset) edit.patchOffset(header.ifd0PointerAt, ifd0At);
  }
  return concat([EXIF_PREFIX, edit.applyTo(tiff)]);
}

/**
 * Every byte range the EXIF block refers to: IFD0, the Exif, GPS and Interop IFDs,
 * IFD1 and its thumbnail, and their values (a MakerNote is one value). The optional
 * IFDs are read tolerantly: one that does not parse adds nothing.
 */
async function exifKnownRanges(tiff: Uint8Array, header: TiffHeader, ifd0: Ifd, exifIfd: Ifd | undefined): Promise<KnownRange[]> {
  const source = bytesSource(tiff);
  const tolerant = async (read: () => Promise<Ifd>): Promise<Ifd[]> => {
    try {
      return [await read()];
    } catch (error) {
      if (error instanceof MalformedInputError || error instanceof LimitExceededError) return [];
      throw error;
    }
  };
  const pointer = (ifd: Ifd | undefined, tag: number): IfdEntry | undefined => ifd?.entries.find((e) => e.tag === tag);
  const sub = async (ifd: Ifd | undefined, tag: number) => {
    const entry = pointer(ifd, tag);
    return entry ? tolerant(() => readSubIfd(source, entry, header, 'exif')) : [];
  };
  const ifd1 = ifd0.nextOffset === 0 ? [] : await tolerant(() => readIfd(source, ifd0.nextOffset, header, 'exif'));
  const ifds = [
    ifd0,
    ...(exifIfd ? [exifIfd] : []),
    ...(await sub(ifd0, TiffTag.gpsIfd)),
    ...(await sub(exifIfd, TiffTag.interopIfd)),
    ...ifd1,
  ];
  const ranges = knownRanges(header, ifds);
  const thumbnailAt = pointer(ifd1[0], TiffTag.thumbnailOffset);
  const thumbnailLength = pointer(ifd1[0], TiffTag.thumbnailLength);
  if (thumbnailAt && thumbnailLength) {
    const start = entryNumber(header, thumbnailAt);
    const length = entryNumber(header, thumbnailLength);
    if (start !== null && length !== null) ranges.push({ start, end: start + length, owner: null });
  }
  return ranges;
}
