/**
 * A labelled still WebP keeps the source's container: sharp encodes only the image (VP8 or VP8L,
 * with ALPH for lossy alpha), and it takes the place of the source's image chunks among the
 * source's VP8X, ICCP, EXIF, XMP and unknown chunks (WebP container spec, "Extended File Format").
 * libvips would otherwise write an EXIF block of its own making.
 */
import { bytesSource, concat, MalformedInputError, riff } from '@aigc-label/core';

/** WebP container spec: VP8X flag bits. */
const ALPHA_FLAG = 0x10;
export const IMAGE_CHUNKS = new Set(['ALPH', 'VP8 ', 'VP8L']);

export interface ParsedWebp {
  readonly bytes: Uint8Array;
  readonly chunks: readonly riff.RiffChunk[];
  /** Offset where the RIFF body ends (bytes after it are not part of the WebP). */
  readonly end: number;
}

export async function parseWebp(bytes: Uint8Array): Promise<ParsedWebp> {
  const header = riff.parseRiffHeader(bytes, 'webp');
  if (header.form !== 'WEBP') throw new MalformedInputError('webp', 'not a RIFF WEBP file');
  const end = Math.min(bytes.length, 8 + header.declaredSize);
  const { chunks } = await riff.listRiffChunks(bytesSource(bytes), 12, end, 'webp');
  return { bytes, chunks, end };
}

export const chunkBytes = (webp: ParsedWebp, chunk: riff.RiffChunk): Uint8Array => webp.bytes.subarray(chunk.offset, chunk.end);
export const chunkData = (webp: ParsedWebp, chunk: riff.RiffChunk): Uint8Array =>
  webp.bytes.subarray(chunk.dataOffset, chunk.dataOffset + chunk.size);

/** The encoder's image chunks, in order (ALPH before VP8). */
export const imageChunks = (webp: ParsedWebp): Uint8Array[] =>
  webp.chunks.filter((c) => IMAGE_CHUNKS.has(c.id)).map((c) => chunkBytes(webp, c));

/** Whether coded image chunks carry alpha: an ALPH chunk, or the alpha hint of a VP8L header (lossless spec §3.2). */
export function imageHasAlpha(chunks: readonly Uint8Array[]): boolean {
  return chunks.some((c) => {
    const id = String.fromCharCode(...c.subarray(0, 4));
    return id === 'ALPH' || (id === 'VP8L' && c.length >= 13 && ((c[12]! >> 4) & 1) === 1);
  });
}

/** A RIFF WEBP file from its chunks, plus whatever followed the source's RIFF body. */
export function webpFile(chunks: readonly Uint8Array[], trailing: Uint8Array): Uint8Array {
  const body = concat(chunks);
  return concat([riff.riffHeader('WEBP', body.length), body, trailing]);
}

/** The source's chunks with its image chunks replaced by the encoder's, and the VP8X alpha flag set to match. */
export async function webpWithSourceMetadata(source: ParsedWebp, encodedBytes: Uint8Array): Promise<Uint8Array> {
  const encoded = await parseWebp(encodedBytes);
  const image = imageChunks(encoded);
  const trailing = source.bytes.subarray(source.end);
  if (source.chunks[0]?.id !== 'VP8X') {
    // A simple file has nothing but its image; the encoder's own file is the answer unless it needed VP8X for ALPH.
    return image.length === 1
      ? webpFile(image, trailing)
      : webpFile(
          encoded.chunks.map((c) => chunkBytes(encoded, c)),
          trailing,
        );
  }
  const out: Uint8Array[] = [];
  let placed = false;
  for (const chunk of source.chunks) {
    if (IMAGE_CHUNKS.has(chunk.id)) {
      if (!placed) out.push(...image);
      placed = true;
    } else if (chunk.id === 'VP8X') {
      const vp8x = chunkBytes(source, chunk).slice();
      vp8x[8] = imageHasAlpha(image) ? vp8x[8]! | ALPHA_FLAG : vp8x[8]! & ~ALPHA_FLAG;
      out.push(vp8x);
    } else out.push(chunkBytes(source, chunk));
  }
  if (!placed) throw new MalformedInputError('webp', 'the file has no image chunk');
  return webpFile(out, trailing);
}
