/**
 * The FLAC metadata block walk (FLAC format §METADATA_BLOCK_HEADER): one implementation, for the
 * format handler (flac/index.ts) and for putting a file's blocks back after a re-encode
 * (pcm/keep-tags.ts). It imports nothing but core and the ID3 reader, so either can load it.
 */
import { type ByteSource, LimitExceededError, MalformedInputError, readExact, startsWith, u24be } from '@aigc-label/core';
import { afterLeadingId3Tags, readLeadingId3Tags } from '../id3/leading.js';

/** FLAC metadata blocks (FLAC format §METADATA_BLOCK_HEADER): 1 bit last, 7 bits type, 24-bit BE length. */
export interface FlacBlock {
  readonly type: number;
  readonly offset: number;
  readonly length: number;
  readonly last: boolean;
}

export const FLAC_MAGIC = Uint8Array.of(0x66, 0x4c, 0x61, 0x43);
export const BLOCK_STREAMINFO = 0;
const BLOCK_INVALID = 127;
/** Most metadata blocks read before giving up on a hostile file. */
const maximumBlockCount = 10_000;

const fail = (message: string) => new MalformedInputError('flac', message);

/** FLAC frame header sync (FLAC format §FRAME_HEADER): 14 bits 11111111111110, then a reserved 0. */
const isFrameSync = (bytes: Uint8Array): boolean => bytes.length >= 2 && bytes[0] === 0xff && (bytes[1] & 0xfe) === 0xf8;
/** Block types the format defines (STREAMINFO … PICTURE); only these count as stray metadata. */
const highestKnownBlockType = 6;

export const flacSignatureAfter = (bytes: Uint8Array, at: number): boolean => startsWith(bytes, FLAC_MAGIC, at);

export interface FlacLayout {
  readonly blocks: FlacBlock[];
  /** Offset just past the block marked last. */
  readonly audioStart: number;
  /** Metadata blocks found after the block marked last (damage), read for their labels only. */
  readonly strayBlocks: FlacBlock[];
  /** What is wrong with the metadata, one sentence each; labeling refuses such a file. */
  readonly damage: string[];
}

/**
 * The metadata blocks after "fLaC". With `salvage` (reading, issue 25 item 2), a block that
 * runs past the end of the file or has the invalid type 127 ends the walk, and a first block
 * other than STREAMINFO is read past; each is listed in `damage`, which makes `write` refuse.
 */
export async function listBlocks(source: ByteSource, start: number, salvage = false): Promise<FlacLayout> {
  const magic = await readExact(source, start, Math.min(4, source.size - start), 'flac', 'FLAC signature');
  if (!startsWith(magic, FLAC_MAGIC)) {
    const hint = start > 0 ? ' after the ID3 tag (not a FLAC file with an ID3 tag in front; an MP3?)' : '';
    throw fail(`no "fLaC" signature at byte ${start}${hint}`);
  }
  const damage: string[] = [];
  const problem = (error: MalformedInputError) => {
    if (!salvage) throw error;
    damage.push(error.detail);
  };
  const blocks: FlacBlock[] = [];
  let offset = start + 4;
  for (;;) {
    const block = await readBlockHeader(source, offset, blocks.length).catch((error: unknown) => {
      if (error instanceof MalformedInputError) return problem(error);
      throw error;
    });
    if (!block) break;
    if (block.type === BLOCK_INVALID) {
      problem(fail(`metadata block at byte ${offset} has the invalid type 127`));
      break;
    }
    blocks.push(block);
    offset += 4 + block.length;
    if (block.last) break;
  }
  if (blocks[0]?.type !== BLOCK_STREAMINFO) problem(fail('the first metadata block is not STREAMINFO'));
  const streamInfos = blocks.filter((b) => b.type === BLOCK_STREAMINFO).length;
  if (streamInfos > 1) damage.push(`${streamInfos} STREAMINFO blocks; the FLAC format allows one`);
  const strayBlocks = await strayMetadata(source, offset, blocks.length);
  if (strayBlocks.length > 0) {
    damage.push(
      `${strayBlocks.length} metadata blocks follow the block marked last (from byte ${offset}), where the audio frames should start`,
    );
  }
  return { blocks, audioStart: offset, strayBlocks, damage };
}

async function readBlockHeader(source: ByteSource, offset: number, count: number): Promise<FlacBlock> {
  if (count >= maximumBlockCount) throw new LimitExceededError(`flac: more than ${maximumBlockCount} metadata blocks`);
  const header = await readExact(source, offset, 4, 'flac', 'metadata block header');
  const type = header[0] & 0x7f;
  const length = u24be(header, 1);
  if (offset + 4 + length > source.size) {
    throw fail(
      `metadata block of type ${type} at byte ${offset} declares ${length} bytes, past the end of the file (${source.size} bytes)`,
    );
  }
  return { type, offset, length, last: (header[0] & 0x80) !== 0 };
}

/**
 * A damaged file may have more metadata blocks after the one marked last (a block
 * wrongly marked last). They count only when a chain of well-formed blocks leads
 * from there to a frame sync or the end of the file; otherwise what follows is audio.
 */
async function strayMetadata(source: ByteSource, start: number, counted: number): Promise<FlacBlock[]> {
  const stray: FlacBlock[] = [];
  let offset = start;
  while (offset + 4 <= source.size) {
    const head = await source.read(offset, 4);
    if (isFrameSync(head)) return stray;
    const type = head[0] & 0x7f;
    if (type > highestKnownBlockType || offset + 4 + u24be(head, 1) > source.size) return [];
    const block = await readBlockHeader(source, offset, counted + stray.length);
    stray.push(block);
    offset += 4 + block.length;
  }
  return offset === source.size ? stray : [];
}

/**
 * The metadata blocks of a FLAC file, after any ID3v2 tags a tagger put in front: where "fLaC"
 * is, the blocks, and where the frames start. A block past the end of the file fails.
 */
export async function readFlacMetadata(source: ByteSource): Promise<{ magic: number; blocks: FlacBlock[]; audioStart: number }> {
  const magic = afterLeadingId3Tags(await readLeadingId3Tags(source, 'flac'));
  const { blocks, audioStart } = await listBlocks(source, magic);
  return { magic, blocks, audioStart };
}
