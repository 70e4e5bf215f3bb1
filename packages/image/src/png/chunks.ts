import {
  ascii,
  type ByteSource,
  concat,
  crc32,
  LimitExceededError,
  MalformedInputError,
  putU32be,
  readExact,
  u32be,
} from '@aigc-label/core';

/** PNG chunk layout (PNG spec §5.3): u32 length, type, data, CRC-32 over type + data. */
export interface PngChunk {
  readonly type: string;
  readonly offset: number;
  readonly dataOffset: number;
  readonly length: number;
  /** Offset just past the CRC. */
  readonly end: number;
  /** null when the CRC was not checked (image data on a read, see `listChunks`). */
  readonly crcOk: boolean | null;
}

/** Image data chunks: the bulk of the file, whose CRCs a label read does not need. */
export const IMAGE_DATA_CHUNKS = new Set(['IDAT', 'fdAT']);

export const PNG_SIGNATURE = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);
/** PNG spec §5.3: a chunk length is at most 2^31 - 1. */
const maximumChunkLengthInBytes = 0x7fffffff;

const fail = (message: string) => new MalformedInputError('png', message);

/**
 * Most chunks a walker visits before it gives up on a hostile file: real files have a few
 * dozen, or some thousands of IDAT chunks in a big image (issue 15).
 */
export const maximumChunkCount = 1_000_000;
/** CRCs are computed over pieces of this size, so a big chunk is never held whole. */
const crcPieceInBytes = 4 * 1024 * 1024;
/** Bad CRCs listed one by one before the rest are only counted. */
const maximumListedBadCrcs = 16;

/** Chunks up to this size are read whole in one call, header to CRC: a walk over a million of them makes a million reads, not three. */
const smallChunkInBytes = 4096;

async function chunkCrcOk(source: ByteSource, offset: number, length: number): Promise<boolean> {
  if (length <= smallChunkInBytes) {
    const whole = await readExact(source, offset, 12 + length, 'png', 'chunk');
    return crc32(whole.subarray(4, 8 + length)) === u32be(whole, 8 + length);
  }
  let crc = 0;
  const covered = offset + 8 + length; // type + data, after the length field
  for (let at = offset + 4; at < covered; at += crcPieceInBytes) {
    crc = crc32(await readExact(source, at, Math.min(crcPieceInBytes, covered - at), 'png', 'chunk'), crc);
  }
  return crc === u32be(await readExact(source, covered, 4, 'png', 'chunk CRC'), 0);
}

/** PNG spec §5.3: chunk type bytes are ASCII letters. */
const isLetter = (b: number) => (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a);

export interface ChunkWalk {
  /** The chunks `keep` selected, in file order. */
  readonly chunks: PngChunk[];
  /** Bytes after IEND. */
  readonly trailing: number;
  /** Chunks whose CRC does not match (the first few), and how many there were. */
  readonly badCrcs: readonly PngChunk[];
  readonly badCrcCount: number;
  /** Structural damage a salvage walk went past or stopped at (issue 25); empty when strict. */
  readonly damage: readonly string[];
}

export interface WalkOptions {
  /** Check the CRCs of image data chunks too (before a write); a label read never touches the pixels. */
  readonly checkImageData?: boolean;
  /**
   * Read a damaged file as far as it goes (issue 25): chunks before IHDR, and the chunks before a
   * truncation or a chunk that breaks the syntax, are kept and the damage is reported. Otherwise
   * any damage, a bad CRC included, throws.
   */
  readonly salvage?: boolean;
  /** Which chunks to list (all by default): a walk over a million chunks keeps only those it needs. */
  readonly keep?: (type: string) => boolean;
}

/**
 * Walks every chunk up to and including IEND through the source, one header read per chunk, so
 * it is linear in the number of chunks and keeps only the chunks asked for.
 */
export async function listChunks(source: ByteSource, options: WalkOptions = {}): Promise<ChunkWalk> {
  const { checkImageData = true, salvage = false, keep = () => true } = options;
  if (source.size === 0) throw fail('the file is empty (0 bytes)');
  const signature = await source.read(0, 8);
  for (let i = 0; i < 8; i++) if (signature[i] !== PNG_SIGNATURE[i]) throw fail('no PNG signature');
  const chunks: PngChunk[] = [];
  const badCrcs: PngChunk[] = [];
  const damage: string[] = [];
  let badCrcCount = 0;
  let count = 0;
  let offset = 8;
  let ended = false;
  /** Damage that ends the walk: thrown when strict, reported when salvaging. */
  const broken = (message: string) => {
    if (!salvage) throw fail(message);
    damage.push(message);
  };
  while (!ended) {
    if (offset + 12 > source.size) {
      broken(`file is truncated: chunk header at offset ${offset} runs past the end (${source.size} bytes), before IEND`);
      break;
    }
    if (count >= maximumChunkCount) throw new LimitExceededError(`png: more than ${maximumChunkCount} chunks`);
    const header = await readExact(source, offset, 8, 'png', 'chunk header');
    const length = u32be(header, 0);
    const type = String.fromCharCode(header[4], header[5], header[6], header[7]); // once per chunk: no spread, no regex
    if (length > maximumChunkLengthInBytes) {
      broken(`chunk at offset ${offset} declares ${length} bytes, over the PNG limit`);
      break;
    }
    if (!(isLetter(header[4]) && isLetter(header[5]) && isLetter(header[6]) && isLetter(header[7]))) {
      broken(`chunk at offset ${offset} has an invalid type`);
      break;
    }
    const end = offset + 12 + length;
    if (end > source.size) {
      broken(`file is truncated: chunk ${type} at offset ${offset} declares ${length} bytes, past the end (${source.size} bytes)`);
      break;
    }
    if (count === 0 && type !== 'IHDR') broken(`the first chunk is ${type}, not IHDR`);
    const crcOk = checkImageData || !IMAGE_DATA_CHUNKS.has(type) ? await chunkCrcOk(source, offset, length) : null;
    const chunk = { type, offset, dataOffset: offset + 8, length, end, crcOk };
    if (crcOk === false) {
      if (!salvage) throw fail(`chunk ${type} at byte ${offset} has a bad CRC; refusing to write into a damaged file`);
      if (badCrcCount++ < maximumListedBadCrcs) badCrcs.push(chunk);
    }
    if (keep(type)) chunks.push(chunk);
    count++;
    offset = end;
    ended = type === 'IEND';
  }
  return { chunks, trailing: ended ? source.size - offset : 0, badCrcs, badCrcCount, damage };
}

export function makeChunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  putU32be(out, 0, data.length);
  out.set(ascii(type), 4);
  out.set(data, 8);
  putU32be(out, 8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/**
 * An uncompressed iTXt chunk (PNG spec §11.3.4.5): keyword, NUL, compression
 * flag 0, method 0, empty language tag, NUL, empty translated keyword, NUL, UTF-8 text.
 */
export const makeItxt = (keyword: string, text: Uint8Array): Uint8Array =>
  makeChunk('iTXt', concat([ascii(keyword), Uint8Array.of(0, 0, 0, 0, 0), text]));

export const makeText = (keyword: string, text: string): Uint8Array =>
  makeChunk('tEXt', concat([ascii(keyword), Uint8Array.of(0), ascii(text)]));
