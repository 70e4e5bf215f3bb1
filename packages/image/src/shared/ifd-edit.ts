import { MalformedInputError } from '@aigc-label/core';
import type { ByteEdit } from './carriers.js';
import { encodeEntry, encodeIfd, type Ifd, type IfdEntry, ifdEnd, putUint, type TiffHeader, TiffType } from './tiff-ifd.js';

/** Bytes of the TIFF data that something refers to: an IFD (owner null) or an entry's out-of-line value. */
export interface KnownRange {
  readonly start: number;
  readonly end: number;
  readonly owner: IfdEntry | null;
}

/** The IFDs themselves and every out-of-line value they point to. */
export function knownRanges(header: TiffHeader, ifds: readonly Ifd[]): KnownRange[] {
  const ranges: KnownRange[] = [];
  for (const ifd of ifds) {
    ranges.push({ start: ifd.offset, end: ifdEnd(ifd, header), owner: null });
    for (const e of ifd.entries) if (!e.inline) ranges.push({ start: e.valueOffset, end: e.valueOffset + e.valueLength, owner: e });
  }
  return ranges;
}

const align = (offset: number) => offset + (offset % 2);

/**
 * Edits to TIFF data (a TIFF file, or the TIFF stream of an EXIF block) that move
 * nothing: bytes overwritten in place, same length, and new data appended at
 * `tailStart`. Inserting bytes in the middle would shift every offset after them,
 * including the ones inside MakerNotes, whose layout is private to each camera
 * maker and which no tool can fix up reliably; appending keeps every existing
 * offset valid by construction, at the cost of a few orphaned bytes when a
 * structure must grow.
 */
export class TiffEdit {
  readonly patches: ByteEdit[] = [];
  private readonly appended: Uint8Array[] = [];
  private end: number;

  /**
   * @param known every byte range the data refers to, when the caller has read all of
   *   it (an EXIF block); values are then overwritten or blanked in place when nothing
   *   else shares their bytes. Null when parts are unread (a TIFF file's other pages,
   *   SubIFDs, strips): old values then stay as unreferenced bytes.
   */
  constructor(
    readonly header: TiffHeader,
    readonly format: string,
    readonly tailStart: number,
    private readonly known: readonly KnownRange[] | null,
  ) {
    this.end = tailStart;
  }

  /** Overwrites bytes before the tail. Two patches on the same bytes mean two structures share them, which no writer makes. */
  patch(at: number, bytes: Uint8Array): void {
    const end = at + bytes.length;
    if (end > this.tailStart || this.patches.some((p) => at < p.end && p.start < end)) {
      throw new MalformedInputError(this.format, `TIFF structures overlap at byte ${at}; the file is damaged`);
    }
    this.patches.push({ start: at, end, insert: bytes });
  }

  /** Where the next appended data would start, after `skipping` bytes appended before it (values start on a word boundary, TIFF 6.0 §2). */
  nextAppendAt(skipping = 0): number {
    return align(skipping === 0 ? this.end : align(this.end) + skipping);
  }

  append(bytes: Uint8Array): number {
    const at = this.nextAppendAt();
    if (at > this.end) this.appended.push(new Uint8Array(at - this.end));
    this.appended.push(bytes);
    this.end = at + bytes.length;
    return at;
  }

  /** The appended data, which goes at `tailStart`. */
  tail(): Uint8Array {
    const out = new Uint8Array(this.end - this.tailStart);
    let at = 0;
    for (const part of this.appended) {
      out.set(part, at);
      at += part.length;
    }
    return out;
  }

  /** The edited data, for TIFF data held in memory (`data` ends at `tailStart`). */
  applyTo(data: Uint8Array): Uint8Array {
    const out = new Uint8Array(this.end);
    out.set(data.subarray(0, this.tailStart));
    for (const p of this.patches) out.set(p.insert, p.start);
    out.set(this.tail(), this.tailStart);
    return out;
  }

  /** Can `entryCount` entries be written over `ifd` without growing it (an IFD cut before its next pointer cannot)? */
  fitsInPlace(ifd: Ifd, entryCount: number): boolean {
    return entryCount <= ifd.entries.length && !ifd.nextPointerMissing;
  }

  /**
   * Writes `entries` as `ifd`: in place when they fit (the bytes left over are zeroed),
   * else as a new IFD appended. Returns where the IFD now is; the caller repoints
   * whatever pointed to the old one. An IFD whose next pointer was itself keeps that loop.
   */
  writeIfd(ifd: Ifd, entries: readonly Uint8Array[], next = ifd.nextOffset): number {
    if (this.fitsInPlace(ifd, entries.length)) {
      const bytes = new Uint8Array(ifdEnd(ifd, this.header) - ifd.offset);
      bytes.set(encodeIfd(this.header, entries, next));
      this.patch(ifd.offset, bytes);
      return ifd.offset;
    }
    const at = this.nextAppendAt();
    return this.append(encodeIfd(this.header, entries, next === ifd.offset ? at : next));
  }

  /** Overwrites the offset stored at `at` (the header's IFD0 offset, a next pointer). */
  patchOffset(at: number, offset: number): void {
    const bytes = new Uint8Array(this.header.offsetSize);
    putUint(this.header, bytes, 0, this.header.offsetSize, offset);
    this.patch(at, bytes);
  }

  /** An entry pointing to the sub-IFD now at `offset` (LONG, or IFD8 in BigTIFF). */
  pointerEntry(tag: number, offset: number): Uint8Array {
    return encodeEntry(this.header, tag, this.header.bigTiff ? TiffType.ifd8 : TiffType.long, 1, offset);
  }

  /**
   * The entry for a byte-sized value (UNDEFINED, BYTE, ASCII): inline when it fits,
   * over `old`'s value when that is only this entry's and long enough, else appended
   * (and `old`'s value blanked).
   */
  byteValueEntry(tag: number, type: number, value: Uint8Array, old?: IfdEntry): Uint8Array {
    if (value.length <= this.header.offsetSize) return encodeEntry(this.header, tag, type, value.length, value);
    if (old && this.owns(old) && old.valueLength >= value.length) {
      const bytes = new Uint8Array(old.valueLength);
      bytes.set(value);
      this.patch(old.valueOffset, bytes);
      return encodeEntry(this.header, tag, type, value.length, old.valueOffset);
    }
    if (old) this.blank(old);
    return encodeEntry(this.header, tag, type, value.length, this.append(value));
  }

  /** Zeroes the out-of-line value of an entry being removed or replaced, when nothing else shares its bytes. */
  blank(entry: IfdEntry): void {
    if (this.owns(entry)) this.patch(entry.valueOffset, new Uint8Array(entry.valueLength));
  }

  private owns(entry: IfdEntry): boolean {
    if (this.known === null || entry.inline) return false;
    const start = entry.valueOffset;
    const end = start + entry.valueLength;
    return end <= this.tailStart && this.known.every((r) => r.owner === entry || r.end <= start || end <= r.start);
  }
}
