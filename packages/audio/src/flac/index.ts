import {
  type AigcLabel,
  type ByteSource,
  type CopyRange,
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
import { BLOCK_STREAMINFO, FLAC_MAGIC, type FlacBlock, flacSignatureAfter, listBlocks } from './blocks.js';

/** Findings only this format emits, with their meaning (the README's rule table is generated from these). */
export const flacRules = {
  'flac/metadata-grew': 'no room in PADDING; the audio frames moved (info)',
} as const;

const BLOCK_PADDING = 1;
const BLOCK_VORBIS_COMMENT = 4;
const maximumBlockLength = 0xffffff;

const fail = (message: string) => new MalformedInputError('flac', message);

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
  /**
   * Scheme `flac/blocks-but-label@1`: "fLaC", the body of every metadata block but VORBIS_COMMENT
   * and PADDING (STREAMINFO with the audio's MD5, SEEKTABLE, PICTURE, APPLICATION, CUESHEET) and
   * every byte after the metadata (the audio frames). Not the block headers (a write changes
   * lengths and the last-block flag), VORBIS_COMMENT (written), PADDING (it absorbs the growth) or
   * ID3v2 tags in front (a label copy there is removed).
   */
  contentRegions: {
    scheme: 'flac/blocks-but-label@1',
    async regions(source) {
      const flacStart = afterLeadingId3Tags(await readLeadingId3Tags(source, 'flac'));
      const { blocks, audioStart, damage } = await listBlocks(source, flacStart);
      if (damage.length > 0) throw fail(`${damage.join('; ')}; readers disagree on where the metadata ends`);
      const ranges: CopyRange[] = [{ from: flacStart, length: FLAC_MAGIC.length }];
      for (const block of blocks) {
        if (block.type !== BLOCK_VORBIS_COMMENT && block.type !== BLOCK_PADDING && block.length > 0)
          ranges.push({ from: block.offset + 4, length: block.length });
      }
      if (audioStart < source.size) ranges.push({ from: audioStart, length: source.size - audioStart });
      return ranges;
    },
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
