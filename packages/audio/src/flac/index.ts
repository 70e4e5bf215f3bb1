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
import { id3LabelCarriers, rewriteId3Label } from '../id3/label.js';
import { afterLeadingId3Tags, readLeadingId3Tags } from '../id3/leading.js';
import { id3TagSize, isId3Header } from '../id3/tag.js';
import { audibleLabel } from '../rhythm/capability.js';
import {
  parseVorbisComments,
  serializeVorbisComments,
  type VorbisComments,
  vorbisLabelCarriers,
  withLabelComment,
  withoutLabelComments,
} from '../vorbis-comment/index.js';

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

async function listBlocks(source: ByteSource, start: number): Promise<{ blocks: FlacBlock[]; audioStart: number }> {
  const magic = await readExact(source, start, Math.min(4, source.size - start), 'flac', 'FLAC signature');
  if (!startsWith(magic, FLAC_MAGIC)) throw fail(`no "fLaC" signature at byte ${start}`);
  const blocks: FlacBlock[] = [];
  let offset = start + 4;
  for (;;) {
    if (blocks.length >= maximumBlockCount) throw new LimitExceededError(`flac: more than ${maximumBlockCount} metadata blocks`);
    const header = await readExact(source, offset, 4, 'flac', 'metadata block header');
    const type = header[0] & 0x7f;
    const length = u24be(header, 1);
    if (type === BLOCK_INVALID) throw fail(`metadata block at byte ${offset} has the invalid type 127`);
    if (offset + 4 + length > source.size) {
      throw fail(
        `metadata block of type ${type} at byte ${offset} declares ${length} bytes, past the end of the file (${source.size} bytes)`,
      );
    }
    blocks.push({ type, offset, length, last: (header[0] & 0x80) !== 0 });
    offset += 4 + length;
    if (header[0] & 0x80) break;
  }
  if (blocks[0].type !== BLOCK_STREAMINFO) throw fail('the first metadata block is not STREAMINFO');
  return { blocks, audioStart: offset };
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
  rules: flacRules,
  explicit: audibleLabel,
  sniff(head) {
    if (startsWith(head, FLAC_MAGIC)) return true;
    // Some taggers put an ID3v2 tag before "fLaC" (not in the FLAC format, but common).
    if (!isId3Header(head)) return false;
    try {
      return startsWith(head, FLAC_MAGIC, id3TagSize(head, 'flac'));
    } catch {
      return false;
    }
  },

  async read(source: ByteSource): Promise<ReadResult> {
    const id3Tags = await readLeadingId3Tags(source, 'flac');
    const { blocks } = await listBlocks(source, afterLeadingId3Tags(id3Tags));
    const carriers: LabelCarrier[] = id3Tags.flatMap(({ offset, tag }) => id3LabelCarriers(tag, offset, false, 'ID3 tag before "fLaC", '));
    const commentBlocks = blocks.filter((b) => b.type === BLOCK_VORBIS_COMMENT);
    for (const block of commentBlocks) {
      carriers.push(
        ...vorbisLabelCarriers(
          await readComments(source, block),
          'vorbis-comment',
          `VORBIS_COMMENT block at byte ${block.offset}`,
          block.offset,
        ),
      );
    }
    const findings: Finding[] = [];
    if (commentBlocks.length > 1) {
      findings.push(finding(Rules.damaged, 'warning', `${commentBlocks.length} VORBIS_COMMENT blocks; the FLAC format allows one`));
    }
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
    const { blocks, audioStart } = await listBlocks(source, flacStart);
    const commentBlocks = blocks.filter((b) => b.type === BLOCK_VORBIS_COMMENT);
    const bodies = new Map<FlacBlock, Uint8Array>();
    const findings: Finding[] = [];
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
