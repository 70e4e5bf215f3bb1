import { type ByteSource, type ContentRegionsCapability, regionsExcept } from '@aigc-label/core';
import { isApp, isExif, isExtendedXmp, isStandardXmp, payload, readJpegHead } from './segments.js';

const mentionsAigc = (bytes: Uint8Array): boolean => {
  for (let i = bytes.indexOf(0x41); i >= 0 && i + 4 <= bytes.length; i = bytes.indexOf(0x41, i + 1)) {
    if (bytes[i + 1] === 0x49 && bytes[i + 2] === 0x47 && bytes[i + 3] === 0x43) return true;
  }
  return false;
};

/**
 * JPEG content regions, scheme `jpeg/segments-but-label@1`: every byte of the file except the
 * APP1 segments a label write may add, rewrite or remove: the standard and Extended XMP
 * segments, the EXIF segment (UserComment is the guide's alternative carrier), and any other
 * APP segment that mentions `AIGC` (a vendor blob the writer removes). Covers the entropy-coded
 * image data, the tables, the frame header, ICC profiles, C2PA and every other segment; not
 * EXIF (camera data, orientation) or XMP.
 */
export const jpegContentRegions: ContentRegionsCapability = {
  scheme: 'jpeg/segments-but-label@1',
  async regions(source: ByteSource) {
    const { head, segments } = await readJpegHead(source);
    const excluded = segments
      .filter((s) => isStandardXmp(head, s) || isExtendedXmp(head, s) || isExif(head, s) || (isApp(s) && mentionsAigc(payload(head, s))))
      .map((s) => ({ start: s.offset, end: s.end }));
    return regionsExcept(source.size, excluded);
  },
};
