/**
 * A labelled PNG keeps the source's ancillary chunks (PNG spec §5.6, §14.2): sharp encodes only the
 * pixels (IHDR, PLTE, tRNS, IDAT), and every other chunk of the source is put back in its place,
 * byte for byte, so no pHYs, eXIf or colour chunk is invented or changed.
 */
import { bytesSource, concat, type Finding, finding, MalformedInputError } from '@aigc-label/core';
import { listChunks, makeChunk, PNG_SIGNATURE, type PngChunk } from '../../png/chunks.js';

/** Chunks that describe the coded pixels: they come from the encoder. */
const PIXEL_CHUNKS = new Set(['IHDR', 'PLTE', 'tRNS', 'IDAT', 'IEND']);
/** Chunks that must precede PLTE (PNG spec §5.6, Table 7). */
const BEFORE_PLTE = new Set(['cHRM', 'cICP', 'gAMA', 'iCCP', 'mDCV', 'cLLI', 'sBIT', 'sRGB']);
/** Chunks whose contents depend on the colour type or bit depth (bKGD, sBIT) or count palette entries (hIST). */
const COLOUR_TYPE_BOUND = new Set(['bKGD', 'sBIT', 'hIST']);
/** Unsafe-to-copy chunks (§5.4: lowercase fourth letter is safe) that we know do not depend on the pixel data. */
const KNOWN_UNSAFE = new Set([
  'cHRM',
  'cICP',
  'gAMA',
  'iCCP',
  'mDCV',
  'cLLI',
  'sBIT',
  'sRGB',
  'bKGD',
  'hIST',
  'pHYs',
  'sPLT',
  'eXIf',
  'tIME',
  'oFFs',
  'pCAL',
  'sCAL',
  'sTER',
  'caBX',
]);
const PALETTE = 3;

export interface PngHeader {
  readonly width: number;
  readonly height: number;
  readonly bitDepth: number;
  readonly colourType: number;
  readonly interlace: number;
}

export interface ParsedPng {
  readonly bytes: Uint8Array;
  readonly chunks: readonly PngChunk[];
  readonly header: PngHeader;
}

export const data = (png: Uint8Array, chunk: PngChunk) => png.subarray(chunk.dataOffset, chunk.dataOffset + chunk.length);
export const whole = (png: Uint8Array, chunk: PngChunk) => png.subarray(chunk.offset, chunk.end);

export async function parsePng(bytes: Uint8Array): Promise<ParsedPng> {
  const { chunks } = await listChunks(bytesSource(bytes), { checkImageData: false });
  const ihdr = data(bytes, chunks[0]!);
  if (ihdr.length < 13) throw new MalformedInputError('png', 'IHDR is shorter than 13 bytes');
  const view = new DataView(ihdr.buffer, ihdr.byteOffset, ihdr.byteLength);
  const header = { width: view.getUint32(0), height: view.getUint32(4), bitDepth: ihdr[8]!, colourType: ihdr[9]!, interlace: ihdr[12]! };
  return { bytes, chunks, header };
}

const describe = (h: PngHeader) => `${h.bitDepth}-bit colour type ${h.colourType}${h.interlace ? ' interlaced' : ''}`;

/** A palette background index moved to the nearest colour of the new palette (bKGD for colour type 3, §11.3.4.1). */
function remapBackground(before: Uint8Array | null, after: Uint8Array | null, bkgd: Uint8Array): Uint8Array | null {
  const index = bkgd[0]!;
  if (!before || !after || bkgd.length !== 1 || 3 * index + 2 >= before.length) return null;
  let best = 0;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (let entry = 0; 3 * entry + 2 < after.length; entry++) {
    let distance = 0;
    for (let c = 0; c < 3; c++) distance += (after[3 * entry + c]! - before[3 * index + c]!) ** 2;
    if (distance < bestDistance) [best, bestDistance] = [entry, distance];
  }
  return Uint8Array.of(best);
}

export const paletteOf = (png: ParsedPng): Uint8Array | null => {
  const plte = png.chunks.find((c) => c.type === 'PLTE');
  return plte ? data(png.bytes, plte) : null;
};

/**
 * An ancillary chunk of the source as the re-encoded file keeps it, or null when it described the
 * old pixels: unknown unsafe-to-copy chunks (§14.2), colour-type-bound ones when the coding changed,
 * a palette's histogram. A palette's background index moves to the nearest new palette entry.
 */
export function keptChunk(source: ParsedPng, chunk: PngChunk, sameCoding: boolean, newPalette: Uint8Array | null): Uint8Array | null {
  const { type } = chunk;
  const safeToCopy = (type.charCodeAt(3) & 0x20) !== 0;
  if (!safeToCopy && !KNOWN_UNSAFE.has(type)) return null;
  if (COLOUR_TYPE_BOUND.has(type) && !sameCoding) return null;
  if (source.header.colourType !== PALETTE) return whole(source.bytes, chunk);
  if (type === 'hIST') return null; // counts of the old palette's entries
  if (type !== 'bKGD') return whole(source.bytes, chunk);
  const index = remapBackground(paletteOf(source), newPalette, data(source.bytes, chunk));
  return index && makeChunk('bKGD', index);
}

export const droppedFinding = (types: readonly string[]): Finding =>
  finding(
    'explicit/reencode-changed',
    'info',
    `PNG chunks that describe the old pixels were not copied: ${[...new Set(types)].join(', ')}`,
  );

/**
 * The encoder's IHDR, PLTE, tRNS and IDAT with every other chunk of the source around them, in the
 * source's order (the ones PNG wants before PLTE first). Colour-type-bound chunks stay only when
 * the colour type and bit depth did; unknown unsafe-to-copy chunks are dropped as §14.2 requires.
 */
export async function pngWithSourceMetadata(
  source: ParsedPng,
  encodedBytes: Uint8Array,
): Promise<{ bytes: Uint8Array; findings: Finding[] }> {
  const encoded = await parsePng(encodedBytes);
  const findings: Finding[] = [];
  const sameCoding = encoded.header.colourType === source.header.colourType && encoded.header.bitDepth === source.header.bitDepth;
  if (!sameCoding || encoded.header.interlace !== source.header.interlace) {
    findings.push(
      finding('explicit/reencode-changed', 'info', `PNG coding changed from ${describe(source.header)} to ${describe(encoded.header)}`),
    );
  }
  const firstIdat = source.chunks.findIndex((c) => c.type === 'IDAT');
  const early: Uint8Array[] = [];
  const middle: Uint8Array[] = [];
  const late: Uint8Array[] = [];
  const dropped: string[] = [];
  source.chunks.forEach((chunk, index) => {
    if (PIXEL_CHUNKS.has(chunk.type)) return;
    const bytes = keptChunk(source, chunk, sameCoding, paletteOf(encoded));
    if (!bytes) dropped.push(chunk.type);
    else if (index > firstIdat) late.push(bytes);
    else if (BEFORE_PLTE.has(chunk.type)) early.push(bytes);
    else middle.push(bytes);
  });
  if (dropped.length > 0) findings.push(droppedFinding(dropped));
  const pick = (type: string) => encoded.chunks.filter((c) => c.type === type).map((c) => whole(encoded.bytes, c));
  const bytes = concat([
    PNG_SIGNATURE,
    ...pick('IHDR'),
    ...early,
    ...pick('PLTE'),
    ...pick('tRNS'),
    ...middle,
    ...pick('IDAT'),
    ...late,
    ...pick('IEND'),
  ]);
  return { bytes, findings };
}
