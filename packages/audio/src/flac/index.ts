import {
  type AigcLabel,
  type ByteSource,
  encodeLabel,
  type Finding,
  type FormatHandler,
  finding,
  type LabelCarrier,
  LimitExceededError,
  MalformedInputError,
  putU24be,
  type ReadResult,
  Rules,
  readExact,
  type Segment,
  startsWith,
  u24be,
  utf8,
  type WriteOptions,
  type WriteResult,
} from '@aigc-label/core';
import { id3LabelCarriers, id3TagFindings, rewriteId3Label } from '../id3/label.js';
import { afterLeadingId3Tags, id3ChainEnd, id3HidesWhatFollows, readLeadingId3Tags } from '../id3/leading.js';
import { isId3Header } from '../id3/tag.js';
import { audibleLabel } from '../rhythm/capability.js';
import {
  parseVorbisComments,
  serializeVorbisComments,
  type VorbisComments,
  vorbisLabelCarriers,
  withLabelComment,
  withoutLabelComments,
} from '../vorbis-comment/index.js';
import { audioWatermark } from '../watermark/capability.js';

/** Findings only this format emits, with their meaning (the README's rule table is generated from these). */
export const flacRules = {
  'flac/metadata-grew': 'no room in PADDING; the audio frames moved (info)',
} as const;

/** FLAC metadata blocks (FLAC format §METADATA_BLOCK_HEADER): 1 bit last, 7 bits type, 24-bit BE length. */
interface FlacBlock {
  readonly type: number;
  readonly offset: number;
  readonly length: number;
  readonly last: boolean;
}

const FLAC_MAGIC = Uint8Array.of(0x66, 0x4c, 0x61, 0x43);
const BLOCK_STREAMINFO = 0;
const BLOCK_PADDING = 1;
const BLOCK_VORBIS_COMMENT = 4;
const BLOCK_INVALID = 127;
const maximumBlockLength = 0xffffff;
/** Most metadata blocks read before giving up on a hostile file. */
const maximumBlockCount = 10_000;

const fail = (message: string) => new MalformedInputError('flac', message);

/** FLAC frame header sync (FLAC format §FRAME_HEADER): 14 bits 11111111111110, then a reserved 0. */
const isFrameSync = (bytes: Uint8Array): boolean => bytes.length >= 2 && bytes[0] === 0xff && (bytes[1] & 0xfe) === 0xf8;
/** Block types the format defines (STREAMINFO … PICTURE); only these count as stray metadata. */
const highestKnownBlockType = 6;

export const flacSignatureAfter = (bytes: Uint8Array, at: number): boolean => startsWith(bytes, FLAC_MAGIC, at);

interface FlacLayout {
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
async function listBlocks(source: ByteSource, start: number, salvage = false): Promise<FlacLayout> {
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

async function readComments(source: ByteSource, block: FlacBlock): Promise<VorbisComments> {
  const body = await readExact(source, block.offset + 4, block.length, 'flac', 'VORBIS_COMMENT block');
  return parseVorbisComments(body, 'flac', `VORBIS_COMMENT block at byte ${block.offset}`);
}

function blockHeader(type: number, length: number, last: boolean): Uint8Array {
  if (length > maximumBlockLength) throw new LimitExceededError(`flac: a metadata block of ${length} bytes is over the 16 MiB limit`);
  const header = new Uint8Array(4);
  header[0] = (last ? 0x80 : 0) | type;
  putU24be(header, 1, length);
  return header;
}

export const flac: FormatHandler = {
  id: 'flac',
  kind: 'audio',
  name: 'FLAC',
  extensions: ['flac'],
  mimeTypes: ['audio/flac', 'audio/x-flac'],
  carrier: 'VORBIS_COMMENT block, AIGC= comment',
  contentRegions: {
    unsupported:
      'not declared yet: the VORBIS_COMMENT and PADDING blocks and the last-block flags change on writing, so the selection must skip block headers',
  },
  rules: flacRules,
  explicit: audibleLabel,
  watermark: audioWatermark,
  sniffUncertain: (head) => id3HidesWhatFollows(head, 'flac'),
  sniff(head) {
    if (startsWith(head, FLAC_MAGIC)) return true;
    // Some taggers put an ID3v2 tag before "fLaC" (not in the FLAC format, but common).
    // A tag longer than the head may hide either "fLaC" or MPEG audio: the extension
    // decides, and the MP3 handler reads such a file as FLAC when "fLaC" follows.
    if (!isId3Header(head)) return false;
    const end = id3ChainEnd(head, 'flac');
    return end !== null && (end + 4 > head.length || flacSignatureAfter(head, end));
  },

  async read(source: ByteSource): Promise<ReadResult> {
    const id3Tags = await readLeadingId3Tags(source, 'flac');
    const { blocks, strayBlocks, damage } = await listBlocks(source, afterLeadingId3Tags(id3Tags), true);
    const carriers: LabelCarrier[] = id3Tags.flatMap(({ offset, tag }) => id3LabelCarriers(tag, offset, false, 'ID3 tag before "fLaC", '));
    const findings: Finding[] = id3Tags.flatMap(({ offset, tag }) => id3TagFindings(tag, offset));
    const commentBlocks = blocks.filter((b) => b.type === BLOCK_VORBIS_COMMENT);
    for (const block of [...commentBlocks, ...strayBlocks.filter((b) => b.type === BLOCK_VORBIS_COMMENT)]) {
      const where = `VORBIS_COMMENT block at byte ${block.offset}${strayBlocks.includes(block) ? ' (after the block marked last)' : ''}`;
      try {
        carriers.push(...vorbisLabelCarriers(await readComments(source, block), 'vorbis-comment', where, block.offset));
      } catch (error) {
        if (!(error instanceof MalformedInputError)) throw error;
        damage.push(`the ${where} cannot be read: ${error.detail}`);
      }
    }
    if (commentBlocks.length > 1) {
      findings.push(finding(Rules.damaged, 'warning', `${commentBlocks.length} VORBIS_COMMENT blocks; the FLAC format allows one`));
    }
    for (const problem of damage) findings.push(finding(Rules.damaged, 'error', problem));
    return { format: 'flac', carriers, findings };
  },

  /**
   * Puts `AIGC=<json>` into the VORBIS_COMMENT block (creating it after
   * STREAMINFO when missing) and takes the room from the first PADDING block, so
   * the audio frames usually stay where they are. Other blocks are copied.
   */
  async write(source: ByteSource, label: AigcLabel, options: WriteOptions = {}): Promise<WriteResult> {
    const json = encodeLabel(label, options.form ?? 'bare');
    const id3Tags = await readLeadingId3Tags(source, 'flac');
    const flacStart = afterLeadingId3Tags(id3Tags);
    const { blocks, audioStart, damage } = await listBlocks(source, flacStart);
    // Which blocks the decoder and other readers take as metadata is unclear: writing could leave two labels.
    if (damage.length > 0) throw fail(`${damage.join('; ')}; not labeled, since readers disagree on where the metadata ends`);
    const commentBlocks = blocks.filter((b) => b.type === BLOCK_VORBIS_COMMENT);
    const bodies = new Map<FlacBlock, Uint8Array>();
    const findings: Finding[] = id3Tags.flatMap(({ offset, tag }) => id3TagFindings(tag, offset));
    for (const [index, block] of commentBlocks.entries()) {
      const comments = await readComments(source, block);
      if (index === 0) bodies.set(block, serializeVorbisComments(withLabelComment(comments, json)));
      else {
        // A second comment block is out of spec; drop its label copy so the file keeps one (GB 45438 §6.1 c)).
        const cleaned = withoutLabelComments(comments);
        if (cleaned.comments.length !== comments.comments.length) bodies.set(block, serializeVorbisComments(cleaned));
      }
    }
    const created: Uint8Array | null =
      commentBlocks.length === 0
        ? serializeVorbisComments(withLabelComment({ vendor: utf8('aigc-label'), comments: [], rest: new Uint8Array(0) }, json))
        : null;
    let growth = created ? 4 + created.length : 0;
    for (const [block, body] of bodies) growth += body.length - block.length;
    const padding = blocks.find((b) => b.type === BLOCK_PADDING);
    // The padding absorbs the growth when it can; it may shrink to an empty block, or vanish when exactly its header is needed.
    let paddingLength: number | null = padding ? padding.length : null;
    if (padding && padding.length - growth >= 0) paddingLength = padding.length - growth;
    else if (padding && padding.length - growth === -4) paddingLength = null;
    else if (growth > 0)
      findings.push(finding('flac/metadata-grew', 'info', `no room in PADDING; the audio frames moved by ${growth} bytes`));

    const out: { type: number; body: Segment; length: number }[] = [];
    for (const block of blocks) {
      const body = bodies.get(block);
      if (block === padding) {
        if (paddingLength !== null) out.push({ type: BLOCK_PADDING, body: new Uint8Array(paddingLength), length: paddingLength });
      } else if (body) out.push({ type: block.type, body, length: body.length });
      else out.push({ type: block.type, body: { from: block.offset + 4, length: block.length }, length: block.length });
      if (block.type === BLOCK_STREAMINFO && created) out.push({ type: BLOCK_VORBIS_COMMENT, body: created, length: created.length });
    }
    const segments: Segment[] = [];
    for (const { offset, tag } of id3Tags) {
      // The label lives in VORBIS_COMMENT; a TXXX:AIGC copy in a leading ID3 tag is removed (GB 45438 §6.1 c)).
      const hasLabel = id3LabelCarriers(tag, offset, false, '').length > 0;
      segments.push(hasLabel ? rewriteId3Label(tag, null, 0) : { from: offset, length: tag.totalSize });
      if (hasLabel) findings.push(finding(Rules.multipleLabels, 'info', 'removed the TXXX:AIGC frame from the ID3 tag before "fLaC"'));
    }
    segments.push(FLAC_MAGIC.slice());
    for (const [index, block] of out.entries()) {
      segments.push(blockHeader(block.type, block.length, index === out.length - 1));
      if (block.length > 0) segments.push(block.body);
    }
    if (audioStart < source.size) segments.push({ from: audioStart, length: source.size - audioStart });
    return { segments, findings };
  },
};
