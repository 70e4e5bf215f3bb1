import { type ByteSource, type ContentRegionsCapability, fromLatin1, readExact, regionsExcept } from '@aigc-label/core';
import { listChunks } from './chunks.js';

const TEXT_CHUNKS = new Set(['tEXt', 'zTXt', 'iTXt']);
/** A keyword is 1-79 Latin-1 bytes and a NUL (PNG spec §11.3.4.2). */
const KEYWORD_READ_BYTES = 80;

/** The text chunks a label write may add, rewrite or remove: the XMP packet and any keyword naming AIGC. */
const isLabelCarrierKeyword = (keyword: string): boolean => keyword === 'XML:com.adobe.xmp' || /aigc/i.test(keyword);

/**
 * PNG content regions, scheme `png/chunks-but-label@1`: the signature and every chunk as
 * stored (length, type, data, CRC) in file order, and any bytes after IEND, except the
 * tEXt/zTXt/iTXt chunks whose keyword is `XML:com.adobe.xmp` or contains `AIGC` (any case).
 * Covers the pixels (IDAT/fdAT), the header, palette, colour profile, EXIF (eXIf) and the
 * other text chunks; not the XMP packet, which holds the label and whatever else is in it.
 */
export const pngContentRegions: ContentRegionsCapability = {
  scheme: 'png/chunks-but-label@1',
  async regions(source: ByteSource) {
    const { chunks } = await listChunks(source, { checkImageData: false });
    const excluded: { start: number; end: number }[] = [];
    for (const chunk of chunks) {
      if (!TEXT_CHUNKS.has(chunk.type)) continue;
      const head = await readExact(source, chunk.dataOffset, Math.min(chunk.length, KEYWORD_READ_BYTES), 'png', `${chunk.type} chunk`);
      const nul = head.indexOf(0);
      if (isLabelCarrierKeyword(fromLatin1(nul < 0 ? head : head.subarray(0, nul)))) excluded.push({ start: chunk.offset, end: chunk.end });
    }
    return regionsExcept(source.size, excluded);
  },
};
