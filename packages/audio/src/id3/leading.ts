import { type ByteSource, MalformedInputError, readExact } from '@aigc-label/core';
import { ID3_HEADER_SIZE, type Id3Tag, id3TagSize, isId3Header, parseId3Tag } from './tag.js';

/** Most ID3v2 tags read back to back at the start of a file (some taggers prepend a second one). */
const maximumLeadingTags = 8;

export interface LeadingId3Tag {
  readonly offset: number;
  readonly tag: Id3Tag;
}

/**
 * The ID3v2 tags at the start of a file (MP3, and FLAC files some taggers prefix), one after the
 * other. With `salvage` (reading, issue 25 item 2), a tag the file ends inside is read as far as
 * it goes (its `totalSize` still the declared one, past the end), and a frame running past the
 * end of its tag ends the frames (`Id3Tag.cut`); without it both fail.
 */
export async function readLeadingId3Tags(source: ByteSource, format: string, salvage = false): Promise<LeadingId3Tag[]> {
  const tags: LeadingId3Tag[] = [];
  let offset = 0;
  while (tags.length < maximumLeadingTags && offset + ID3_HEADER_SIZE <= source.size) {
    const header = await readExact(source, offset, ID3_HEADER_SIZE, format, 'ID3 header');
    if (!isId3Header(header)) break;
    const size = id3TagSize(header, format);
    if (offset + size > source.size && salvage) {
      tags.push({ offset, tag: parseId3Tag(await readExact(source, offset, source.size - offset, format, 'ID3 tag'), format, true) });
      break;
    }
    if (offset + size > source.size) {
      throw new MalformedInputError(
        format,
        `ID3 tag at byte ${offset} declares ${size} bytes, past the end of the file (${source.size} bytes)`,
      );
    }
    tags.push({ offset, tag: parseId3Tag(await readExact(source, offset, size, format, 'ID3 tag'), format, salvage) });
    offset += size;
  }
  return tags;
}

/** Offset just past the leading tags. */
export const afterLeadingId3Tags = (tags: readonly LeadingId3Tag[]): number =>
  tags.length === 0 ? 0 : tags[tags.length - 1].offset + tags[tags.length - 1].tag.totalSize;

/**
 * Where the ID3v2 tags at the start of `head` end (possibly past the end of `head`, for
 * a large tag), for sniffing what follows them; null when a tag header is invalid.
 */
export function id3ChainEnd(head: Uint8Array, format: string): number | null {
  let end = 0;
  for (let count = 0; count < maximumLeadingTags && isId3Header(head, end); count++) {
    try {
      end += id3TagSize(head.subarray(end, end + ID3_HEADER_SIZE), format);
    } catch {
      return null;
    }
  }
  return end;
}

/** True when leading ID3 tags run past `head`, so the head cannot show what follows them (MP3 frames or "fLaC"). */
export function id3HidesWhatFollows(head: Uint8Array, format: string): boolean {
  if (!isId3Header(head)) return false;
  const end = id3ChainEnd(head, format);
  return end !== null && end + 4 > head.length;
}
