import { fromAscii } from '@aigc-label/core';

/** First boxes of QuickTime files written without `ftyp`. */
const QUICKTIME_FIRST_BOXES = new Set(['moov', 'mdat', 'free', 'skip', 'wide', 'pnot']);

/** The major brand when the file starts with `ftyp`, '' when it starts with another QuickTime box, null otherwise. */
export function isobmffBrand(head: Uint8Array): string | null {
  if (head.length < 12) return null;
  const type = fromAscii(head, 4, 8);
  if (type === 'ftyp') return fromAscii(head, 8, 12);
  return QUICKTIME_FIRST_BOXES.has(type) ? '' : null;
}
