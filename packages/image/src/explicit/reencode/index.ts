/**
 * Writing a labelled image back in its own format: sharp encodes the pixels with the source's
 * coding (colour model, bit depth, chroma subsampling, palette, quality), and the source's
 * container supplies everything else, byte for byte (EXIF, ICC, XMP, colour description, unknown
 * chunks). Nothing the source did not have is added.
 */
import { type Finding, finding, UnsupportedFormatError } from '@aigc-label/core';
import type { Metadata, Sharp } from 'sharp';
import { estimateJpegEncoding } from '../jpeg-quality.js';
import type { VisibleLabelOptions } from '../options.js';
import { avifWithSourceMetadata, inspectAvif } from './avif.js';
import { compensable, encoderCoding, pixelsForAvif } from './avif-pixels.js';
import { jpegWithSourceMetadata } from './jpeg.js';
import { parsePng, pngWithSourceMetadata } from './png.js';
import { tiffCoding, tiffWithSourceMetadata } from './tiff.js';
import { imageChunks, parseWebp, webpWithSourceMetadata } from './webp.js';

export interface Reencoded {
  readonly bytes: Uint8Array;
  readonly findings: readonly Finding[];
}

/** sharp's Buffer as a plain Uint8Array over the same memory. */
const bytesOf = (buffer: Uint8Array): Uint8Array => new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);

/** The source's colour model and alpha: compositing leaves sRGB with alpha, whatever came in. */
export function likeSourcePixels(image: Sharp, meta: Metadata): Sharp {
  const withAlpha = meta.hasAlpha ? image : image.removeAlpha();
  const space = meta.space;
  if (space === 'b-w' || space === 'grey16' || space === 'rgb16' || space === 'cmyk') return withAlpha.toColourspace(space);
  return withAlpha;
}

/** Whether every image chunk of a WebP is lossless (VP8L), so the label is added without loss. */
async function isLosslessWebp(bytes: Uint8Array): Promise<boolean> {
  const image = imageChunks(await parseWebp(bytes));
  return image.length > 0 && image.every((c) => String.fromCharCode(...c.subarray(0, 4)) !== 'VP8 ');
}

/** AVIF with the source's subsampling, bit depth and YUV coding, swapped into the source's file. */
async function reencodeAvif(pixels: Sharp, bytes: Uint8Array): Promise<Reencoded> {
  const source = inspectAvif(bytes);
  if ('unsupported' in source) {
    const encoded = await pixels.avif({ quality: 80, chromaSubsampling: '4:2:0' }).toBuffer();
    const why = `AVIF re-encoded as a new file; its metadata and colour description were not carried over: ${source.unsupported}`;
    return { bytes: bytesOf(encoded), findings: [finding('explicit/reencode-changed', 'warning', why)] };
  }
  const findings: Finding[] = [];
  const { coding } = source;
  const lossless = source.matrix === 0;
  const encoder = await encoderCoding(lossless);
  if (!compensable(source, encoder)) throw new UnsupportedFormatError(`avif: YUV matrix ${source.matrix} cannot be re-encoded here`);
  // sharp offers 4:2:0 and 4:4:4; a 4:2:2 or monochrome source gets the one that loses nothing more.
  const subsampled = coding.subsamplingX && coding.subsamplingY;
  if (coding.monochrome || coding.subsamplingX !== coding.subsamplingY) {
    const was = coding.monochrome ? 'monochrome' : '4:2:2';
    findings.push(finding('explicit/reencode-changed', 'info', `AVIF chroma changed from ${was} to ${subsampled ? '4:2:0' : '4:4:4'}`));
  }
  const encoded = await (await pixelsForAvif(pixels, source, encoder))
    .avif({ quality: 80, lossless, chromaSubsampling: subsampled ? '4:2:0' : '4:4:4', bitdepth: coding.bitDepth })
    .toBuffer();
  return { bytes: avifWithSourceMetadata(source, bytesOf(encoded)), findings };
}

/**
 * Encodes `image` (the composited source, colour values untouched: ICC kept, not converted) in the
 * source's format and coding, then wraps it in the source's own container.
 */
export async function reencodeLike(image: Sharp, meta: Metadata, source: Uint8Array, options: VisibleLabelOptions): Promise<Reencoded> {
  // ICC kept means colours are not converted: the pixels stay in the source's colour space.
  const pixels = likeSourcePixels(image.keepIccProfile(), meta);
  switch (meta.format) {
    case 'jpeg': {
      const coding = estimateJpegEncoding(source);
      const encoded = await pixels
        .jpeg({
          quality: options.jpegQuality ?? coding?.quality ?? 75,
          chromaSubsampling: coding?.chromaSubsampling ?? '4:2:0',
          progressive: coding?.progressive ?? false,
        })
        .toBuffer();
      const result = jpegWithSourceMetadata(source, bytesOf(encoded));
      if (coding && coding.sourceSubsampling !== coding.chromaSubsampling) {
        const why = `JPEG chroma ${coding.sourceSubsampling} written as ${coding.chromaSubsampling} (the encoder writes 4:2:0 or 4:4:4)`;
        result.findings.push(finding('explicit/reencode-changed', 'info', why));
      }
      return result;
    }
    case 'png': {
      const parsed = await parsePng(source);
      const palette = parsed.header.colourType === 3;
      // libvips picks the palette's bit depth from the number of colours.
      const bits = parsed.header.bitDepth;
      const encoded = await pixels
        .png(
          palette
            ? { palette: true, colours: 2 ** bits, progressive: parsed.header.interlace === 1 }
            : { progressive: parsed.header.interlace === 1 },
        )
        .toBuffer();
      return pngWithSourceMetadata(parsed, bytesOf(encoded));
    }
    case 'webp': {
      const parsed = await parseWebp(source);
      const lossless = await isLosslessWebp(source);
      const encoded = bytesOf(await pixels.webp(lossless ? { lossless: true } : { quality: 90 }).toBuffer());
      const bytes = await webpWithSourceMetadata(parsed, encoded);
      return { bytes, findings: [] };
    }
    case 'tiff': {
      const coding = await tiffCoding(source);
      const encoded = bytesOf(await pixels.tiff(coding.options).toBuffer());
      return { bytes: await tiffWithSourceMetadata(source, encoded), findings: coding.findings };
    }
    case 'heif':
      if (meta.compression !== 'av1')
        throw new UnsupportedFormatError(`heif: cannot re-encode ${meta.compression ?? 'unknown'} images; only AVIF (AV1)`);
      return reencodeAvif(pixels, source);
    default:
      throw new UnsupportedFormatError(
        `${meta.format ?? 'unknown'} images cannot carry a drawn label; use JPEG, PNG, WebP, GIF, TIFF or AVIF`,
      );
  }
}
