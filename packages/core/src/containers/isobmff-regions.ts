import type { ByteSource, CopyRange } from '../binary/source.js';
import type { ContentRegionsCapability } from '../format.js';
import { type Box, containerBoxes, listBoxes, listBoxesIn, readBox } from './isobmff.js';
import { maximumMoovInBytes, XMP_UUID } from './quicktime-meta.js';

/** Top-level boxes a label write may resize or rewrite: padding the moov grows into, the fragment index, XMP. */
const REWRITTEN_TOP_LEVEL = new Set(['free', 'skip', 'wide', 'mfra']);
/** moov children that hold the label (moov/udta/meta, moov/meta). */
const LABEL_BOXES = new Set(['udta', 'meta']);
/** Boxes holding absolute file offsets, which move when the moov in front of the media data grows. */
const OFFSET_BOXES = new Set(['stco', 'co64', 'tfhd']);
/** Largest moof read to list its boxes. */
const maximumFragmentInBytes = 64 * 1024 * 1024;
/** moov > trak > mdia > minf > stbl is five deep; anything deeper is not a movie's box tree. */
const maximumDepth = 8;

/**
 * Leaf boxes of a container held in `bytes` (the container at `base` in the file), in file
 * order, except those `skip` names; container headers are left out, because a write that
 * promotes stco to co64 changes their sizes.
 */
function leafRanges(
  bytes: Uint8Array,
  box: Box,
  base: number,
  format: string,
  skip: (box: Box, depth: number) => boolean,
  depth = 0,
): CopyRange[] {
  const ranges: CopyRange[] = [];
  for (const child of listBoxesIn(bytes, box.offset - base + box.headerSize, box.end - base, format)) {
    const placed = { ...child, offset: child.offset + base, end: child.end + base };
    if (skip(placed, depth)) continue;
    if (containerBoxes.has(child.type) && depth < maximumDepth) ranges.push(...leafRanges(bytes, placed, base, format, skip, depth + 1));
    else ranges.push({ from: placed.offset, length: placed.size });
  }
  return ranges;
}

/**
 * MP4/MOV/M4A content regions, scheme `isobmff/media-and-tracks@1`: in file order, every
 * top-level box whole (ftyp, mdat, sidx, …) except padding (free, skip, wide), mfra and XMP
 * `uuid` boxes; of moov and each moof, their leaf boxes (track headers, sample descriptions,
 * timing and sample tables, edit lists), except moov/udta and moov/meta (the label's home)
 * and the boxes holding absolute offsets (stco, co64, tfhd), which a write may shift. The
 * media data is covered byte for byte; chunk offsets are not, but what they point at is.
 */
export const movieContentRegions = (format: string): ContentRegionsCapability => ({
  scheme: 'isobmff/media-and-tracks@1',
  async regions(source: ByteSource) {
    const ranges: CopyRange[] = [];
    for (const box of await listBoxes(source, 0, source.size, format)) {
      if (REWRITTEN_TOP_LEVEL.has(box.type) || (box.type === 'uuid' && box.uuid === XMP_UUID)) continue;
      if (box.type !== 'moov' && box.type !== 'moof') {
        ranges.push({ from: box.offset, length: box.size });
        continue;
      }
      const bytes = await readBox(source, box, format, box.type === 'moov' ? maximumMoovInBytes : maximumFragmentInBytes);
      const skip = (child: Box, depth: number) =>
        OFFSET_BOXES.has(child.type) || (depth === 0 && box.type === 'moov' && LABEL_BOXES.has(child.type));
      ranges.push(...leafRanges(bytes, box, box.offset, format, skip));
    }
    return ranges.filter((range) => range.length > 0);
  },
});
