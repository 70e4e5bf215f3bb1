import {
  AigcLabelError,
  LimitExceededError,
  toHex,
  UnsupportedFormatError,
  type WatermarkCapability,
  type WatermarkReading,
} from '@aigc-label/core';
import type { OverlayOptions } from 'sharp';
import { DEFAULT_PIXEL_LIMIT } from '../explicit/options.js';
import { sharp } from '../explicit/sharp.js';
import type { RawPixels } from './raw.js';

// The mark's code and the re-encoder load when a mark is embedded or looked for, not with the format modules that hold this capability.
const marking = () => Promise.all([import('./embed.js'), import('../explicit/apply.js'), import('../explicit/reencode/index.js')]);

/**
 * Marks every frame of an image (the stacked pages of an animated WebP) and re-encodes it in its
 * own format with the settings the visible label uses (JPEG quality estimated from the source),
 * EXIF, ICC and XMP kept; the metadata label is written over the result afterwards.
 */
async function embedInImage(bytes: Uint8Array, payload: Uint8Array, key: string | undefined) {
  const [{ embedWatermark, WATERMARK_MIN_SIDE }, { imageError, readMetadata }, { reencodeLike }] = await marking();
  const limitInputPixels = DEFAULT_PIXEL_LIMIT;
  const meta = await readMetadata(bytes, limitInputPixels);
  const format = meta.format ?? 'image';
  const pages = format === 'webp' ? (meta.pages ?? 1) : 1;
  if (meta.depth !== undefined && meta.depth !== 'uchar') {
    throw new UnsupportedFormatError(`${format}: ${meta.depth} samples; the mark is embedded in 8-bit pixels only, which would lose depth`);
  }
  if ((meta.width ?? 0) * (meta.pageHeight ?? meta.height ?? 0) * pages > limitInputPixels) {
    throw new LimitExceededError(`${format}: the image exceeds the pixel limit of ${limitInputPixels}`);
  }
  const shorter = Math.min(meta.width ?? 0, meta.pageHeight ?? meta.height ?? 0);
  if (shorter < WATERMARK_MIN_SIDE)
    return { skipped: `a shorter side of ${shorter} px cannot hold the mark (at least ${WATERMARK_MIN_SIDE} px)` };
  const input = () => sharp(bytes, { animated: pages > 1, limitInputPixels });
  try {
    const { data, info } = await input().raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    const channels = info.channels as RawPixels['channels'];
    const pageHeight = info.height / pages;
    const pageBytes = info.width * pageHeight * channels;
    const marked = new Uint8Array(data.length);
    let psnr = Number.POSITIVE_INFINITY;
    for (let page = 0; page < pages; page++) {
      const pixels = data.subarray(page * pageBytes, (page + 1) * pageBytes);
      const result = embedWatermark({ data: pixels, width: info.width, height: pageHeight, channels }, { payload, key });
      marked.set(result.pixels.data, page * pageBytes);
      psnr = Math.min(psnr, result.psnr);
    }
    // The marked pixels replace the decoded ones in the source's own pipeline, so its metadata stays.
    const raw = { width: info.width, height: info.height, channels };
    // sharp reads typed arrays as overlays too; its types only name Buffer.
    const overlay = marked as unknown as NonNullable<OverlayOptions['input']>;
    const composited = input().composite([{ input: overlay, raw, blend: 'source', left: 0, top: 0 }]);
    // The visible label's re-encoder: the source's coding, and every metadata byte of its container kept.
    const reencoded = await reencodeLike(composited, meta, bytes, {});
    const detail = `keyed luma mark on ${pages > 1 ? `${pages} frames` : 'the image'}, PSNR ${psnr.toFixed(1)} dB, re-encoded as ${format}`;
    return { bytes: reencoded.bytes, detail, findings: reencoded.findings, skipped: undefined };
  } catch (error) {
    if (error instanceof AigcLabelError) throw error;
    throw imageError(error, format);
  }
}

/** The image mark (spread-spectrum tiles on luma, `watermark/README.md`) for every format sharp encodes back to itself. */
export const imageWatermark: WatermarkCapability = {
  summary: 'keyed spread-spectrum luma mark (re-encodes the pixels)',
  embedCost: 'media',
  detectCost: 'media',
  embedder: {
    input: 'bytes',
    async embed(bytes, { payload, key }) {
      const result = await embedInImage(bytes, payload, key);
      if (result.skipped !== undefined) return { bytes, detail: '', findings: [], skipped: result.skipped };
      return { bytes: result.bytes, detail: result.detail, findings: [...result.findings] };
    },
  },
  async detect(input) {
    const { detectImageWatermark } = await import('./detect.js');
    const detection = await detectImageWatermark(await input.bytes(), { key: input.key });
    if (!detection.found || !detection.payload) return { readings: [], findings: [] };
    const reading: WatermarkReading = {
      payload: detection.payload,
      confidence: detection.confidence,
      falsePositiveBound: detection.falsePositiveBound,
      detail: `image watermark, payload ${toHex(detection.payload)}, chip ${detection.chipSize?.toFixed(1)} px, sync ${detection.syncScore.toFixed(1)} σ`,
      where: 'pixels',
    };
    return { readings: [reading], findings: [] };
  },
};
