import {
  type AigcLabel,
  type ByteSource,
  c2paEvidence,
  decodeXmpPacket,
  encodeBare,
  encodeWrapped,
  type Finding,
  type FormatHandler,
  finding,
  fromLatin1,
  fromUtf8,
  fromUtf8Strict,
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
import { c2paInvalidatedFinding, listedOnly, mergeEdits, textCarrier, xmpCarriers } from '../shared/carriers.js';
import { imageWatermark } from '../watermark/capability.js';
import { listChunks, makeItxt, makeText, PNG_SIGNATURE, type PngChunk } from './chunks.js';
import { pngContentRegions } from './regions.js';

/** The keyword XMP uses in PNG (XMP spec part 3 §1.1.5). */
const XMP_KEYWORD = 'XML:com.adobe.xmp';
const TEXT_CHUNKS = new Set(['tEXt', 'zTXt', 'iTXt']);
/** PNG spec §11.3.4.2: a keyword is 1 to 79 bytes, then a NUL. */
const maximumKeywordInBytes = 79;
/** Image guide Annex B: tEXt keyword AIGC with the wrapped JSON; other tools write similar keywords. */
const isLabelKeyword = (keyword: string) => keyword === XMP_KEYWORD || /aigc/i.test(keyword);

interface TextChunk {
  readonly chunk: PngChunk;
  readonly keyword: string;
  readonly text: string;
  /** A tEXt or zTXt value read as UTF-8 because it is not plausible Latin-1 (issue 25 item 6). */
  readonly utf8InLatin1: boolean;
}

/** The keyword of a text chunk, or null when it has none (then it cannot be a label carrier). */
async function keywordOf(source: ByteSource, chunk: PngChunk): Promise<string | null> {
  const head = await readExact(source, chunk.dataOffset, Math.min(chunk.length, maximumKeywordInBytes + 1), 'png', `${chunk.type} chunk`);
  const nul = head.indexOf(0);
  return nul < 1 ? null : fromLatin1(head.subarray(0, nul));
}

/**
 * A tEXt/zTXt value: Latin-1 by the PNG spec (§11.3.4.3), but some tools write UTF-8 there.
 * Bytes that are valid UTF-8 with at least one multi-byte sequence are read as UTF-8: Latin-1
 * text almost never is, since every accented letter would have to be followed by exactly the
 * right number of bytes from 0x80-0xBF.
 */
function latin1Text(bytes: Uint8Array, keyword: string): { text: string; utf8InLatin1: boolean } {
  // An XMP packet is UTF-8 whatever chunk holds it (XMP spec part 3 §1.1; libvips writes it in zTXt).
  if (keyword === XMP_KEYWORD) return { text: decodeXmpPacket(bytes).xml, utf8InLatin1: false };
  if (bytes.some((b) => b >= 0x80)) {
    const text = fromUtf8Strict(bytes);
    if (text !== null) return { text, utf8InLatin1: true };
  }
  return { text: fromLatin1(bytes), utf8InLatin1: false };
}

/**
 * What the label text chunks of one file may cost, read and inflated together: one XMP packet at
 * its limit, twice over. A file of 64 bombs then costs no more than one (issue 15).
 */
const maximumLabelTextBytesPerFile = 2 * maximumXmpPacketInBytes;
/** A label outside XMP (tEXt AIGC) is seven short fields; more than this is not a label. */
const maximumTextLabelInBytes = 64 * 1024;

/** Bytes a read or a write may still spend on label text chunks. */
class TextBudget {
  private left = maximumLabelTextBytesPerFile;
  /** The most one chunk may take now: its own limit, or what is left. */
  allowance(keyword: string): number {
    return Math.min(this.left, keyword === XMP_KEYWORD ? maximumXmpPacketInBytes : maximumTextLabelInBytes);
  }
  spend(bytes: number): void {
    this.left -= bytes;
  }
}

/** Decodes a tEXt, zTXt or iTXt chunk (PNG spec §11.3.4) whose keyword is `keyword`, within `budget`. */
async function readTextChunk(source: ByteSource, chunk: PngChunk, keyword: string, budget: TextBudget): Promise<TextChunk> {
  const allowed = budget.allowance(keyword);
  const limit = () =>
    new LimitExceededError(
      `png: ${chunk.type} chunk "${keyword}" at offset ${chunk.offset} holds more than ${allowed} bytes of text (per chunk ${maximumTextLabelInBytes} outside XMP, ${maximumXmpPacketInBytes} for XMP; ${maximumLabelTextBytesPerFile} per file)`,
    );
  if (chunk.length > allowed) throw limit();
  const data = await readExact(source, chunk.dataOffset, chunk.length, 'png', `${chunk.type} chunk`);
  budget.spend(data.length);
  const nul = keyword.length;
  // Inflated text counts against the same budget: it becomes a JS string too.
  const inflate = (body: Uint8Array) => {
    const room = budget.allowance(keyword);
    let out: Uint8Array;
    try {
      out = inflateCapped(body, 'png', { maxOutputBytes: room });
    } catch (error) {
      if (error instanceof LimitExceededError) throw limit();
      throw error;
    }
    budget.spend(out.length);
    return out;
  };
  if (chunk.type === 'tEXt') return { chunk, keyword, ...latin1Text(data.subarray(nul + 1), keyword) };
  if (chunk.type === 'zTXt') return { chunk, keyword, ...latin1Text(inflate(data.subarray(nul + 2)), keyword) };
  const compressed = data[nul + 1] === 1;
  const languageEnd = data.indexOf(0, nul + 3);
  const translatedEnd = languageEnd < 0 ? -1 : data.indexOf(0, languageEnd + 1);
  if (translatedEnd < 0) throw new MalformedInputError('png', `iTXt chunk at offset ${chunk.offset} is truncated`);
  const body = data.subarray(translatedEnd + 1);
  const decoded = compressed ? inflate(body) : body;
  // iTXt is UTF-8 (PNG spec §11.3.4.5); a UTF-16 packet there is read all the same, and written back as UTF-8.
  return { chunk, keyword, text: keyword === XMP_KEYWORD ? decodeXmpPacket(decoded).xml : fromUtf8(decoded), utf8InLatin1: false };
}

interface LabelTexts {
  /** Every text chunk whose keyword names a label carrier. */
  readonly labelChunks: readonly { chunk: PngChunk; keyword: string }[];
  readonly texts: TextChunk[];
  /** Label chunks that exist but cannot be decoded (read only; a write throws instead). */
  readonly unreadable: { chunk: PngChunk; keyword: string; reason: string }[];
}

/** The text chunks that may hold a label (the XMP packet, AIGC keywords), decoded; others are never inflated. */
async function labelTexts(source: ByteSource, chunks: readonly PngChunk[], salvage: boolean, findings: Finding[]): Promise<LabelTexts> {
  const texts: TextChunk[] = [];
  const unreadable: LabelTexts['unreadable'] = [];
  const labelChunks: { chunk: PngChunk; keyword: string }[] = [];
  for (const chunk of chunks) {
    if (!TEXT_CHUNKS.has(chunk.type)) continue;
    const keyword = await keywordOf(source, chunk);
    if (keyword !== null && isLabelKeyword(keyword)) labelChunks.push({ chunk, keyword });
  }
  // A read lists a bounded number of carriers. A write decodes only the XMP packet it updates:
  // every other label chunk goes, whatever it holds.
  const decoded = salvage
    ? listedOnly(labelChunks, 'text chunks that may hold a label', findings)
    : labelChunks.filter((c) => c.keyword === XMP_KEYWORD);
  const budget = new TextBudget();
  for (const { chunk, keyword } of decoded) {
    try {
      texts.push(await readTextChunk(source, chunk, keyword, budget));
    } catch (error) {
      if (!salvage || !(error instanceof MalformedInputError || error instanceof LimitExceededError)) throw error;
      unreadable.push({ chunk, keyword, reason: error.message });
    }
  }
  return { labelChunks, texts, unreadable };
}

function carriersIn({ texts, unreadable }: LabelTexts): LabelCarrier[] {
  const carriers: LabelCarrier[] = [];
  for (const t of texts) {
    const where = `${t.chunk.type} chunk "${t.keyword}" at byte ${t.chunk.offset}`;
    const found =
      t.keyword === XMP_KEYWORD ? xmpCarriers(t.text, where, t.chunk.offset) : [textCarrier('png-text', where, t.chunk.offset, t.text)];
    if (!t.utf8InLatin1) carriers.push(...found);
    else {
      const note = finding(
        Rules.nonCanonicalCarrier,
        'warning',
        `${t.chunk.type} "${t.keyword}" holds UTF-8, read as such; PNG ${t.chunk.type} is Latin-1 (PNG spec §11.3.4.3), UTF-8 belongs in iTXt`,
        where,
      );
      carriers.push(...found.map((c) => ({ ...c, canonical: false, findings: [...c.findings, note] })));
    }
  }
  // Fail closed (issue 24 item 6): a label chunk that cannot be decoded is still a carrier.
  for (const u of unreadable) {
    const where = `${u.chunk.type} chunk "${u.keyword}" at byte ${u.chunk.offset}`;
    carriers.push({
      carrier: u.keyword === XMP_KEYWORD ? 'xmp' : 'png-text',
      location: where,
      offset: u.chunk.offset,
      raw: '',
      label: null,
      form: null,
      canonical: false,
      findings: [finding(Rules.unreadableCarrier, 'error', `the ${u.chunk.type} chunk cannot be read: ${u.reason}`, where)],
    });
  }
  return carriers;
}

/** What a read or a write needs of the chunk list. */
const wanted = (type: string) => TEXT_CHUNKS.has(type) || type === 'caBX' || type === 'IDAT' || type === 'IEND';

export const png: FormatHandler = {
  id: 'png',
  kind: 'image',
  name: 'PNG',
  extensions: ['png', 'apng'],
  mimeTypes: ['image/png', 'image/apng'],
  carrier: 'iTXt XML:com.adobe.xmp, XMP TC260:AIGC',
  explicit: visibleImageLabel,
  contentRegions: pngContentRegions,
  watermark: imageWatermark,
  sniff: (head) => startsWith(head, PNG_SIGNATURE),

  async read(source: ByteSource): Promise<ReadResult> {
    const walk = await listChunks(source, { checkImageData: false, salvage: true, keep: wanted });
    const findings: Finding[] = walk.damage.map((d) => finding(Rules.damaged, 'error', `${d}; the chunks before it were read`));
    for (const c of walk.badCrcs) findings.push(finding(Rules.damaged, 'warning', `chunk ${c.type} at byte ${c.offset} has a bad CRC`));
    if (walk.badCrcCount > walk.badCrcs.length) {
      findings.push(finding(Rules.damaged, 'warning', `${walk.badCrcCount - walk.badCrcs.length} more chunks have a bad CRC`));
    }
    if (walk.trailing > 0) findings.push(finding(Rules.damaged, 'info', `${walk.trailing} bytes follow IEND`));
    const texts = await labelTexts(source, walk.chunks, true, findings);
    const evidence = texts.texts
      .filter((t) => t.keyword === XMP_KEYWORD)
      .flatMap((t) => xmpEvidence(t.text, `${t.chunk.type} chunk at byte ${t.chunk.offset}`));
    for (const c of walk.chunks.filter((c) => c.type === 'caBX')) {
      if (c.length > maximumXmpPacketInBytes) continue; // a manifest store is a few KB; a bigger one is not read
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
    const { chunks } = await listChunks(source, { keep: wanted });
    const json = options.form === 'wrapped' ? encodeWrapped(label) : encodeBare(label);
    const findings: Finding[] = [];
    const { labelChunks, texts } = await labelTexts(source, chunks, false, findings);
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
    for (const t of labelChunks) {
      if (t.keyword !== XMP_KEYWORD) {
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
