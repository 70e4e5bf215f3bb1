import {
  type AigcLabel,
  type ByteSource,
  c2paEvidence,
  encodeBare,
  encodeWrapped,
  type Finding,
  type FormatHandler,
  finding,
  fromLatin1,
  fromUtf8,
  inflateCapped,
  type LabelCarrier,
  LimitExceededError,
  labelXmpPacket,
  MalformedInputError,
  maximumXmpPacketInBytes,
  type ReadResult,
  Rules,
  readExact,
  splicePlan,
  startsWith,
  utf8,
  type WriteOptions,
  type WriteResult,
  xmpEvidence,
} from '@aigc-label/core';
import { visibleImageLabel } from '../explicit/capability.js';
import { c2paInvalidatedFinding, mergeEdits, textCarrier, xmpCarriers } from '../shared/carriers.js';
import { imageWatermark } from '../watermark/capability.js';
import { listChunks, makeItxt, makeText, PNG_SIGNATURE, type PngChunk } from './chunks.js';

/** The keyword XMP uses in PNG (XMP spec part 3 §1.1.5). */
const XMP_KEYWORD = 'XML:com.adobe.xmp';
const TEXT_CHUNKS = new Set(['tEXt', 'zTXt', 'iTXt']);

interface TextChunk {
  readonly chunk: PngChunk;
  readonly keyword: string;
  readonly text: string;
}

/** Decodes a tEXt, zTXt or iTXt chunk (PNG spec §11.3.4). */
async function readTextChunk(source: ByteSource, chunk: PngChunk): Promise<TextChunk> {
  if (chunk.length > maximumXmpPacketInBytes) {
    throw new LimitExceededError(
      `png: ${chunk.type} chunk at offset ${chunk.offset} is ${chunk.length} bytes, over ${maximumXmpPacketInBytes}`,
    );
  }
  const data = await readExact(source, chunk.dataOffset, chunk.length, 'png', `${chunk.type} chunk`);
  const nul = data.indexOf(0);
  if (nul < 1 || nul > 79) throw new MalformedInputError('png', `${chunk.type} chunk at offset ${chunk.offset} has no valid keyword`);
  const keyword = fromLatin1(data.subarray(0, nul));
  if (chunk.type === 'tEXt') return { chunk, keyword, text: fromLatin1(data.subarray(nul + 1)) };
  if (chunk.type === 'zTXt') {
    return { chunk, keyword, text: fromLatin1(inflateCapped(data.subarray(nul + 2), 'png')) };
  }
  const compressed = data[nul + 1] === 1;
  const languageEnd = data.indexOf(0, nul + 3);
  const translatedEnd = languageEnd < 0 ? -1 : data.indexOf(0, languageEnd + 1);
  if (translatedEnd < 0) throw new MalformedInputError('png', `iTXt chunk at offset ${chunk.offset} is truncated`);
  const body = data.subarray(translatedEnd + 1);
  return { chunk, keyword, text: fromUtf8(compressed ? inflateCapped(body, 'png') : body) };
}

async function textChunks(source: ByteSource, chunks: readonly PngChunk[]): Promise<TextChunk[]> {
  const texts: TextChunk[] = [];
  for (const c of chunks) if (TEXT_CHUNKS.has(c.type)) texts.push(await readTextChunk(source, c));
  return texts;
}

function carriersIn(texts: readonly TextChunk[]): LabelCarrier[] {
  const carriers: LabelCarrier[] = [];
  for (const t of texts) {
    const where = `${t.chunk.type} chunk "${t.keyword}" at byte ${t.chunk.offset}`;
    if (t.keyword === XMP_KEYWORD) carriers.push(...xmpCarriers(t.text, where, t.chunk.offset));
    // Image guide Annex B: tEXt keyword AIGC with the wrapped JSON.
    else if (/aigc/i.test(t.keyword)) carriers.push(textCarrier('png-text', where, t.chunk.offset, t.text));
  }
  return carriers;
}

export const png: FormatHandler = {
  id: 'png',
  kind: 'image',
  name: 'PNG',
  extensions: ['png', 'apng'],
  mimeTypes: ['image/png', 'image/apng'],
  carrier: 'iTXt XML:com.adobe.xmp, XMP TC260:AIGC',
  explicit: visibleImageLabel,
  watermark: imageWatermark,
  sniff: (head) => startsWith(head, PNG_SIGNATURE),

  async read(source: ByteSource): Promise<ReadResult> {
    const { chunks, trailing } = await listChunks(source, false);
    const findings: Finding[] = [];
    for (const c of chunks) {
      if (c.crcOk === false) findings.push(finding(Rules.damaged, 'warning', `chunk ${c.type} at byte ${c.offset} has a bad CRC`));
    }
    if (trailing > 0) findings.push(finding(Rules.damaged, 'info', `${trailing} bytes follow IEND`));
    const texts = await textChunks(source, chunks);
    const evidence = texts
      .filter((t) => t.keyword === XMP_KEYWORD)
      .flatMap((t) => xmpEvidence(t.text, `${t.chunk.type} chunk at byte ${t.chunk.offset}`));
    for (const c of chunks.filter((c) => c.type === 'caBX')) {
      evidence.push(c2paEvidence(await readExact(source, c.dataOffset, c.length, 'png', 'caBX chunk'), `caBX chunk at byte ${c.offset}`));
    }
    return { format: 'png', carriers: carriersIn(texts), findings, evidence };
  },

  /**
   * Updates the XMP packet in place (or adds an uncompressed iTXt one before the
   * first IDAT); any other AIGC text chunk is dropped so the file keeps one label.
   * Every other chunk is copied byte for byte.
   */
  async write(source: ByteSource, label: AigcLabel, options: WriteOptions = {}): Promise<WriteResult> {
    const { chunks } = await listChunks(source);
    const damaged = chunks.find((c) => !c.crcOk);
    if (damaged)
      throw new MalformedInputError(
        'png',
        `chunk ${damaged.type} at byte ${damaged.offset} has a bad CRC; refusing to write into a damaged file`,
      );
    const json = options.form === 'wrapped' ? encodeWrapped(label) : encodeBare(label);
    const texts = await textChunks(source, chunks);
    const xmpChunks = texts.filter((t) => t.keyword === XMP_KEYWORD);
    if (xmpChunks.length > 1) throw new MalformedInputError('png', `${xmpChunks.length} XMP chunks; a PNG may have one`);
    const edits: { start: number; end: number; insert: Uint8Array }[] = [];
    const existing = xmpChunks[0];
    const xmpChunk = makeItxt(XMP_KEYWORD, utf8(labelXmpPacket(existing?.text ?? null, json, options)));
    if (existing) {
      edits.push({ start: existing.chunk.offset, end: existing.chunk.end, insert: xmpChunk });
    } else {
      const firstData = chunks.find((c) => c.type === 'IDAT') ?? chunks[chunks.length - 1];
      edits.push({ start: firstData.offset, end: firstData.offset, insert: xmpChunk });
    }
    const findings: Finding[] = [];
    for (const t of texts) {
      if (t.keyword !== XMP_KEYWORD && /aigc/i.test(t.keyword)) {
        edits.push({ start: t.chunk.offset, end: t.chunk.end, insert: new Uint8Array(0) });
        findings.push(
          finding(Rules.multipleLabels, 'info', `replaced the label in ${t.chunk.type} "${t.keyword}" by the XMP one (one label per file)`),
        );
      }
    }
    if (options.alternativeCarrier === true) {
      // Image guide Annex B alternative, on request only: tEXt AIGC with the wrapped form.
      edits.push({ start: edits[0].start, end: edits[0].start, insert: makeText('AIGC', encodeWrapped(label)) });
    }
    if (chunks.some((c) => c.type === 'caBX')) findings.push(c2paInvalidatedFinding());
    return { ...splicePlan(source.size, mergeEdits(edits)), findings };
  },
};
