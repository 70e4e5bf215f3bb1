import {
  type AigcLabel,
  type ByteSource,
  decodeLabel,
  encodeLabel,
  type Finding,
  type FormatHandler,
  finding,
  fromUtf8,
  type LabelCarrier,
  LimitExceededError,
  MalformedInputError,
  type ReadResult,
  Rules,
  readExact,
  riff,
  type Segment,
  startsWith,
  utf8,
  type WriteOptions,
  type WriteResult,
} from '@aigc-label/core';
import { id3LabelCarriers, rewriteId3Label } from '../id3/label.js';
import { parseId3Tag } from '../id3/tag.js';
import { audibleLabel } from '../rhythm/capability.js';
import { audioWatermark } from '../watermark/capability.js';
import { wavContentRegions } from './regions.js';

/** Findings only this format emits, with their meaning (the README's rule table is generated from these). */
export const wavRules = {
  'wav/sizes-fixed': 'the real RIFF and data sizes replaced streaming placeholders (info)',
} as const;

/** The chunk id the audio guide names for WAV (TC260-PG-202510A): a top-level RIFF chunk `AIGC` holding the JSON. */
const AIGC_CHUNK = 'AIGC';
/** FourCCs are case-sensitive, but a lower-case `aigc` is plainly meant as a label too; it is read and replaced. */
const isAigcId = (id: string): boolean => id.toUpperCase() === AIGC_CHUNK;
/** Largest metadata chunk (AIGC, LIST/INFO, id3) read into memory. */
const maximumMetadataChunkInBytes = 64 * 1024 * 1024;

const isId3Chunk = (chunk: riff.RiffChunk): boolean => chunk.id === 'id3 ' || chunk.id === 'ID3 ';
const isInfoList = (chunk: riff.RiffChunk): boolean => chunk.id === 'LIST' && chunk.listType === 'INFO';

async function readChunkData(source: ByteSource, chunk: riff.RiffChunk): Promise<Uint8Array> {
  if (chunk.size > maximumMetadataChunkInBytes) {
    throw new LimitExceededError(
      `wav: chunk "${chunk.id}" at byte ${chunk.offset} has ${chunk.size} bytes, over the ${maximumMetadataChunkInBytes}-byte metadata limit`,
    );
  }
  return readExact(source, chunk.dataOffset, chunk.size, 'wav', `chunk "${chunk.id}"`);
}

function textCarrier(carrier: string, location: string, offset: number, data: Uint8Array, canonical: boolean): LabelCarrier {
  const raw = fromUtf8(data);
  const decoded = decodeLabel(raw);
  return { carrier, location, offset, raw, label: decoded.label, form: decoded.form, canonical, findings: decoded.findings };
}

/** The label-bearing pieces of a WAV file's top level. */
interface WavLayout {
  readonly file: riff.RiffFile;
  readonly carriers: LabelCarrier[];
  /** LIST/INFO chunks that hold an AIGC entry, with their entries. */
  readonly infoLists: Map<riff.RiffChunk, riff.InfoEntry[]>;
  /** id3 chunks that hold a TXXX:AIGC frame, with the parsed tag. */
  readonly id3Chunks: Map<riff.RiffChunk, ReturnType<typeof parseId3Tag>>;
}

/**
 * The file's chunks and label carriers. With `damage` (salvage reading, issue 25 item 2) a
 * truncated file, a chunk past the end (a `data` size of 0xFFFFFFFF included) and a metadata
 * chunk that does not parse are noted there instead of failing the read.
 */
async function readLayout(source: ByteSource, damage?: string[]): Promise<WavLayout> {
  const file = await riff.readRiffFile(source, 'wav', 'WAVE', damage);
  const carriers: LabelCarrier[] = [];
  const infoLists = new Map<riff.RiffChunk, riff.InfoEntry[]>();
  const id3Chunks = new Map<riff.RiffChunk, ReturnType<typeof parseId3Tag>>();
  for (const chunk of file.chunks) {
    try {
      await readChunkCarriers(source, chunk, carriers, infoLists, id3Chunks);
    } catch (error) {
      if (!damage || !(error instanceof MalformedInputError)) throw error;
      damage.push(`chunk "${chunk.id}" at byte ${chunk.offset} cannot be read: ${error.detail}`);
    }
  }
  return { file, carriers, infoLists, id3Chunks };
}

async function readChunkCarriers(
  source: ByteSource,
  chunk: riff.RiffChunk,
  carriers: LabelCarrier[],
  infoLists: Map<riff.RiffChunk, riff.InfoEntry[]>,
  id3Chunks: Map<riff.RiffChunk, ReturnType<typeof parseId3Tag>>,
): Promise<void> {
  if (isAigcId(chunk.id)) {
    const where = `RIFF chunk "${chunk.id}" at byte ${chunk.offset}`;
    carriers.push(textCarrier('riff-chunk', where, chunk.offset, await readChunkData(source, chunk), chunk.id === AIGC_CHUNK));
  } else if (isInfoList(chunk)) {
    const body = await readChunkData(source, chunk);
    const entries = riff.parseInfoList(body.subarray(4), 'wav', chunk.dataOffset + 4);
    const labels = entries.filter((e) => isAigcId(e.id));
    for (const e of labels) {
      carriers.push(textCarrier('riff-info', `LIST/INFO entry "AIGC" at byte ${e.offset}`, e.offset, e.data, false));
    }
    if (labels.length > 0) infoLists.set(chunk, entries);
  } else if (isId3Chunk(chunk)) {
    const tag = parseId3Tag(await readChunkData(source, chunk), 'wav');
    const found = id3LabelCarriers(tag, chunk.dataOffset, false, `"${chunk.id}" chunk, `);
    carriers.push(...found);
    if (found.length > 0) id3Chunks.set(chunk, tag);
  }
}

/**
 * The chunk as stored, plus the pad byte a last chunk of odd size may lack. In a
 * streamed file the header gets the real size in place of the placeholder.
 */
function copyChunk(chunk: riff.RiffChunk, streamed: boolean): Segment[] {
  const stored = chunk.end - chunk.offset;
  const whole = 8 + chunk.size + (chunk.size & 1);
  const copy: Segment[] = streamed
    ? [riff.riffChunkHeader(chunk.id, chunk.size), { from: chunk.dataOffset, length: stored - 8 }]
    : [{ from: chunk.offset, length: stored }];
  return stored < whole ? [...copy, new Uint8Array(whole - stored)] : copy;
}

export const wav: FormatHandler = {
  id: 'wav',
  kind: 'audio',
  name: 'WAVE',
  extensions: ['wav', 'wave'],
  mimeTypes: ['audio/wav', 'audio/x-wav', 'audio/vnd.wave'],
  carrier: 'RIFF chunk AIGC',
  rules: wavRules,
  // RIFF, and RF64/BW64 (EBU Tech 3306) whose 64-bit sizes live in a ds64 chunk.
  explicit: audibleLabel,
  contentRegions: wavContentRegions,
  watermark: audioWatermark,
  sniff: (head) =>
    head.length >= 12 &&
    (startsWith(head, utf8('RIFF')) || startsWith(head, utf8('RF64')) || startsWith(head, utf8('BW64'))) &&
    startsWith(head, utf8('WAVE'), 8),

  async read(source: ByteSource): Promise<ReadResult> {
    const damage: string[] = [];
    const { file, carriers } = await readLayout(source, damage);
    const findings: Finding[] = damage.map((problem) => finding(Rules.damaged, 'error', problem));
    if (file.streamed) findings.push(finding(Rules.damaged, 'info', 'streamed WAV: the RIFF and data sizes are placeholders'));
    if (file.missingPad) findings.push(finding(Rules.damaged, 'info', 'the pad byte of the odd-sized last chunk is missing'));
    if (file.trailing > 0) findings.push(finding(Rules.damaged, 'info', `${file.trailing} stray bytes at the end of the RIFF body`));
    if (file.afterBody > 0) findings.push(finding(Rules.damaged, 'info', `${file.afterBody} bytes follow the RIFF body`));
    if (!file.chunks.some((c) => c.id === 'data')) findings.push(finding(Rules.damaged, 'warning', 'no "data" chunk'));
    return { format: 'wav', carriers, findings };
  },

  /**
   * Writes one top-level `AIGC` chunk (in place of an existing one, else before
   * `data`) and fixes the RIFF size. LIST/INFO/AIGC entries and id3 TXXX:AIGC
   * frames are removed so the file keeps one label (GB 45438 §6.1 c)); every other
   * chunk, the audio data included, is a copied range. RF64/BW64 files stay
   * RF64/BW64; their new size goes into ds64.
   */
  async write(source: ByteSource, label: AigcLabel, options: WriteOptions = {}): Promise<WriteResult> {
    const { file, infoLists, id3Chunks } = await readLayout(source);
    const labelChunk = riff.riffChunk(AIGC_CHUNK, utf8(encodeLabel(label, options.form ?? 'bare')));
    const findings: Finding[] = [];
    const body: Segment[] = [];
    let placed = false;
    const place = () => {
      if (!placed) body.push(labelChunk);
      placed = true;
    };
    const existing = file.chunks.find((c) => isAigcId(c.id));
    let ds64Index = -1;
    for (const chunk of file.chunks) {
      if (chunk === existing || (!existing && chunk.id === 'data')) place();
      if (isAigcId(chunk.id)) continue;
      if (file.ds64 && chunk === file.chunks[0]) {
        // RF64/BW64: the ds64 chunk gets the new 64-bit RIFF size once the body is laid out.
        ds64Index = body.length;
        body.push(new Uint8Array(chunk.end - chunk.offset));
        continue;
      }
      const entries = infoLists.get(chunk);
      const tag = id3Chunks.get(chunk);
      if (entries) {
        const kept = entries.filter((e) => !isAigcId(e.id));
        if (kept.length > 0) body.push(riff.buildInfoList(kept));
        findings.push(
          finding(Rules.multipleLabels, 'info', 'removed the LIST/INFO AIGC entry; the label is in the AIGC chunk (one label per file)'),
        );
      } else if (tag) {
        body.push(riff.riffChunk(chunk.id, rewriteId3Label(tag, null, 0)));
        findings.push(
          finding(Rules.multipleLabels, 'info', `removed the TXXX:AIGC frame from the "${chunk.id}" chunk; the label is in the AIGC chunk`),
        );
      } else body.push(...copyChunk(chunk, file.streamed));
    }
    place();
    const bodyEnd = file.end - file.trailing;
    if (file.trailing > 0) body.push({ from: bodyEnd, length: file.trailing });
    let bodySize = 4;
    for (const s of body) bodySize += s.length;
    if (file.streamed)
      findings.push(finding('wav/sizes-fixed', 'info', 'wrote the real RIFF and data sizes in place of the streaming placeholders'));
    if (file.ds64) body[ds64Index] = await riff.rewriteDs64(source, file.ds64, bodySize, 'wav');
    const segments: Segment[] = [riff.riffFileHeader('WAVE', bodySize, 'wav', file.header.magic), ...body];
    if (file.afterBody > 0) segments.push({ from: file.end, length: file.afterBody });
    return { segments, findings };
  },
};
