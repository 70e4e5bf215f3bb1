import { type ByteSource, MalformedInputError, readExact } from '@aigc-label/core';
import type { LeadingId3Tag } from './leading.js';
import { ID3_HEADER_SIZE, parseId3Tag, readSyncSafe } from './tag.js';

/** ID3v1 (and v1.1): 128 bytes at the very end, starting "TAG". */
const ID3V1_SIZE = 128;

/**
 * An ID3v2.4 tag appended to the end of a file (ID3v2.4 §3.4: found from the end by its
 * "3DI" footer), before an ID3v1 tag when there is one; null when there is none.
 * `notBefore` is where the audio starts: a tag cannot begin inside the leading tags.
 */
export async function readAppendedId3Tag(source: ByteSource, format: string, notBefore: number): Promise<LeadingId3Tag | null> {
  let end = source.size;
  if (end - notBefore >= ID3V1_SIZE) {
    const v1 = await readExact(source, end - ID3V1_SIZE, 3, format, 'ID3v1 tag');
    if (v1[0] === 0x54 && v1[1] === 0x41 && v1[2] === 0x47) end -= ID3V1_SIZE;
  }
  if (end - notBefore < 2 * ID3_HEADER_SIZE) return null;
  const footer = await readExact(source, end - ID3_HEADER_SIZE, ID3_HEADER_SIZE, format, 'ID3 footer');
  if (footer[0] !== 0x33 || footer[1] !== 0x44 || footer[2] !== 0x49 || footer[3] !== 4) return null;
  const total = 2 * ID3_HEADER_SIZE + readSyncSafe(footer, 6, format, 'ID3 footer size');
  const offset = end - total;
  if (offset < notBefore) {
    throw new MalformedInputError(format, `the ID3 footer at byte ${end - ID3_HEADER_SIZE} declares a tag that starts before the audio`);
  }
  return { offset, tag: parseId3Tag(await readExact(source, offset, total, format, 'appended ID3 tag'), format) };
}
