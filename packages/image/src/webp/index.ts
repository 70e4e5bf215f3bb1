import {
  type AigcLabel,
  ascii,
  type ByteSource,
  bytesSource,
  c2paEvidence,
  concat,
  decodeXmpPacket,
  type Evidence,
  encodeBare,
  encodeWrapped,
  encodeXmpPacket,
  type Finding,
  type FormatHandler,
  finding,
  fromAscii,
  type LabelCarrier,
  LimitExceededError,
  labelXmpPacket,
  MalformedInputError,
  maximumXmpPacketInBytes,
  printableAscii,
  putU24le,
  putU32le,
  type ReadResult,
  Rules,
  readExact,
  regionsExcept,
  riff,
  splicePlan,
  startsWith,
  u16le,
  u32le,
  type WriteOptions,
  type WriteResult,
  xmpEvidence,
} from '@aigc-label/core';
import { visibleImageLabel } from '../explicit/capability.js';
import { type ByteEdit, c2paInvalidatedFinding, listedOnly, mergeEdits, xmpCarriers } from '../shared/carriers.js';
import { editExifPayload } from '../shared/exif-edit.js';
import { exifTextCarriers } from '../shared/tiff-ifd.js';
import { imageWatermark } from '../watermark/capability.js';

/** WebP container spec: VP8X flag bits. */
const Flag = { animation: 0x02, xmp: 0x04, exif: 0x08, alpha: 0x10, icc: 0x20 } as const;
/** Chunks that precede XMP in an extended file (WebP container spec, "Extended File Format"). */
const BEFORE_XMP = new Set(['VP8X', 'ICCP', 'ANIM', 'ALPH', 'VP8 ', 'VP8L', 'ANMF', 'EXIF']);
const C2PA_CHUNK = 'C2PA';
/** Chunks a label write adds, rewrites or removes: VP8X (added to a simple file, or its XMP flag set), XMP, EXIF (a label in UserComment moves to XMP). */
const WRITTEN_CHUNKS = new Set(['VP8X', 'XMP ', 'EXIF']);
const EXIF_PREFIX = ascii('Exif\0\0');

const fail = (message: string) => new MalformedInputError('webp', message);

interface WebpLayout {
  readonly chunks: readonly riff.RiffChunk[];
  /** Bytes after the end the RIFF header declares. */
  readonly trailing: number;
  readonly declaredSize: number;
  /** Damage a salvage walk went past or stopped at (issue 25); empty when strict. */
  readonly damage: readonly string[];
}

/** The top-level chunks; with `salvage`, a truncated or damaged file is read as far as it goes. */
async function layout(source: ByteSource, salvage: boolean): Promise<WebpLayout> {
  if (source.size === 0) throw fail('the file is empty (0 bytes)');
  const header = riff.parseRiffHeader(await source.read(0, Math.min(12, source.size)), 'webp');
  if (header.magic !== 'RIFF' || header.form !== 'WEBP') throw fail('not a RIFF WEBP file');
  const damage: string[] = [];
  const broken = (message: string) => {
    if (!salvage) throw fail(message);
    damage.push(message);
  };
  const declaredEnd = 8 + header.declaredSize;
  if (declaredEnd > source.size) broken(`file is truncated: the RIFF header declares ${declaredEnd} bytes, the file has ${source.size}`);
  const end = Math.min(declaredEnd, source.size);
  const { chunks, trailing } = await riff.listRiffChunks(source, 12, end, 'webp', undefined, salvage ? damage : undefined);
  if (trailing > 0) broken(`${trailing} stray bytes at the end of the RIFF body`);
  const first = chunks[0]?.id;
  if (first !== 'VP8 ' && first !== 'VP8L' && first !== 'VP8X')
    broken(`the first chunk is "${printableAscii(first ?? 'none')}", not VP8, VP8L or VP8X`);
  return { chunks, trailing: Math.max(0, source.size - declaredEnd), declaredSize: header.declaredSize, damage };
}

/** Chunks we read whole (XMP, EXIF, C2PA, the image header) are bounded; image data is never read. */
async function chunkData(source: ByteSource, c: riff.RiffChunk): Promise<Uint8Array> {
  if (c.size > maximumXmpPacketInBytes)
    throw new LimitExceededError(`webp: chunk "${c.id}" at ${c.offset} is ${c.size} bytes, over ${maximumXmpPacketInBytes}`);
  return readExact(source, c.dataOffset, c.size, 'webp', `chunk "${c.id}"`);
}

/** Canvas size and alpha of a simple-format image, from its bitstream header. */
async function simpleCanvas(source: ByteSource, c: riff.RiffChunk): Promise<{ width: number; height: number; alpha: boolean }> {
  const data = await readExact(source, c.dataOffset, Math.min(c.size, 10), 'webp', `chunk "${c.id}"`);
  if (c.id === 'VP8 ') {
    // RFC 6386 §9.1: 3-byte frame tag, start code 9D 01 2A, then 14-bit width and height.
    if (data.length < 10 || !startsWith(data, [0x9d, 0x01, 0x2a], 3)) throw fail('VP8 chunk has no key-frame start code');
    return { width: u16le(data, 6) & 0x3fff, height: u16le(data, 8) & 0x3fff, alpha: false };
  }
  // WebP lossless bitstream spec §3.2: signature 0x2F, 14-bit width-1, 14-bit height-1, alpha hint.
  if (data.length < 5 || data[0] !== 0x2f) throw fail('VP8L chunk has no lossless signature');
  const bits = u32le(data, 1);
  return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1, alpha: ((bits >>> 28) & 1) === 1 };
}

function vp8xChunk(flags: number, width: number, height: number): Uint8Array {
  const data = new Uint8Array(10);
  data[0] = flags;
  putU24le(data, 4, width - 1);
  putU24le(data, 7, height - 1);
  return riff.riffChunk('VP8X', data);
}

async function exifCarriers(source: ByteSource, c: riff.RiffChunk, findings: Finding[]): Promise<LabelCarrier[]> {
  let data = await chunkData(source, c);
  let base = c.dataOffset;
  // Some writers keep the JPEG "Exif\0\0" prefix inside the chunk.
  if (startsWith(data, EXIF_PREFIX)) {
    data = data.subarray(6);
    base += 6;
  }
  try {
    return await exifTextCarriers(bytesSource(data), base, `EXIF chunk at byte ${c.offset}`, 'webp');
  } catch (error) {
    if (!(error instanceof MalformedInputError)) throw error;
    findings.push(finding(Rules.damaged, 'warning', error.message, `EXIF chunk at byte ${c.offset}`));
    return [];
  }
}

/**
 * Content regions, scheme `webp/chunks-but-label@1`: every chunk as stored (FourCC, size, data,
 * pad byte) in file order, and any bytes after the RIFF container, except the RIFF header (its
 * size changes) and WRITTEN_CHUNKS. Covers the image data (VP8, VP8L, ALPH, ANIM, ANMF), the ICC
 * profile, C2PA and unknown chunks; not VP8X's canvas size and flags (each bitstream carries its
 * own dimensions), EXIF or XMP.
 */
export const webp: FormatHandler = {
  id: 'webp',
  kind: 'image',
  name: 'WebP',
  extensions: ['webp'],
  mimeTypes: ['image/webp'],
  carrier: 'RIFF chunk "XMP ", XMP TC260:AIGC',
  contentRegions: {
    scheme: 'webp/chunks-but-label@1',
    async regions(source) {
      const { chunks } = await layout(source, false);
      const written = chunks.filter((c) => WRITTEN_CHUNKS.has(c.id)).map((c) => ({ start: c.offset, end: c.end }));
      return regionsExcept(source.size, [{ start: 0, end: 12 }, ...written]);
    },
  },
  explicit: visibleImageLabel,
  watermark: imageWatermark,
  sniff: (head) => head.length >= 12 && fromAscii(head, 0, 4) === 'RIFF' && fromAscii(head, 8, 12) === 'WEBP',

  async read(source: ByteSource): Promise<ReadResult> {
    const l = await layout(source, true);
    const findings: Finding[] = l.damage.map((d) => finding(Rules.damaged, 'error', d));
    if (l.trailing > 0) findings.push(finding(Rules.damaged, 'warning', `${l.trailing} bytes follow the end of the RIFF container`));
    const carriers: LabelCarrier[] = [];
    const evidence: Evidence[] = [];
    const metadata = l.chunks.filter((c) => c.id === 'XMP ' || c.id === 'EXIF' || c.id === C2PA_CHUNK);
    for (const c of listedOnly(metadata, 'XMP, EXIF and C2PA chunks', findings)) {
      if (c.id === 'XMP ') {
        const { xml } = decodeXmpPacket(await chunkData(source, c));
        const where = `XMP chunk at byte ${c.offset}`;
        carriers.push(...xmpCarriers(xml, where, c.offset));
        evidence.push(...xmpEvidence(xml, where));
      } else if (c.id === 'EXIF') carriers.push(...(await exifCarriers(source, c, findings)));
      else if (c.id === C2PA_CHUNK) evidence.push(c2paEvidence(await chunkData(source, c), `C2PA chunk at byte ${c.offset}`));
    }
    const vp8x = l.chunks[0]?.id === 'VP8X' ? await chunkData(source, l.chunks[0]) : null;
    if (vp8x && l.chunks.some((c) => c.id === 'XMP ') && !(vp8x[0] & Flag.xmp)) {
      findings.push(finding(Rules.damaged, 'info', 'an XMP chunk is present but the VP8X XMP flag is not set'));
    }
    return { format: 'webp', carriers, findings, evidence };
  },

  /**
   * Updates the `XMP ` chunk or adds one after the image and EXIF chunks; a
   * simple (VP8/VP8L) file gets a VP8X header with its canvas size first. The
   * VP8X XMP flag and the RIFF size are fixed; every other chunk is copied.
   */
  async write(source: ByteSource, label: AigcLabel, options: WriteOptions = {}): Promise<WriteResult> {
    const l = await layout(source, false);
    if (l.trailing > 0) throw fail(`${l.trailing} bytes of garbage follow the RIFF container; refusing to write`);
    const json = options.form === 'wrapped' ? encodeWrapped(label) : encodeBare(label);
    const xmpChunks = l.chunks.filter((c) => c.id === 'XMP ');
    if (xmpChunks.length > 1) throw fail(`${xmpChunks.length} XMP chunks; a WebP file may have one`);
    const findings: Finding[] = [];
    const exifLabels: LabelCarrier[] = [];
    for (const c of l.chunks.filter((c) => c.id === 'EXIF')) exifLabels.push(...(await exifCarriers(source, c, findings)));
    const existing = xmpChunks[0];
    // The label is written in the packet's own encoding (UTF-8, or UTF-16/32), so every other tag stays readable.
    const packet = existing ? decodeXmpPacket(await chunkData(source, existing)) : null;
    const xmpChunk = riff.riffChunk(
      'XMP ',
      encodeXmpPacket(labelXmpPacket(packet?.xml ?? null, json, options), packet?.encoding ?? 'utf-8'),
    );
    const edits: ByteEdit[] = [];
    const first = l.chunks[0];
    if (first.id === 'VP8X') {
      if (first.size < 10) throw fail('VP8X chunk is shorter than 10 bytes');
      edits.push({
        start: first.dataOffset,
        end: first.dataOffset + 1,
        insert: Uint8Array.of((await chunkData(source, first))[0] | Flag.xmp),
      });
    } else {
      const canvas = await simpleCanvas(source, first);
      edits.push({
        start: first.offset,
        end: first.offset,
        insert: vp8xChunk(Flag.xmp | (canvas.alpha ? Flag.alpha : 0), canvas.width, canvas.height),
      });
    }
    if (existing) edits.push({ start: existing.offset, end: existing.end, insert: xmpChunk });
    else {
      const after = l.chunks.filter((c) => BEFORE_XMP.has(c.id)).at(-1) ?? first;
      edits.push({ start: after.end, end: after.end, insert: xmpChunk });
    }
    for (const c of l.chunks.filter((c) => c.id === 'EXIF')) {
      if (!exifLabels.some((label) => label.location.startsWith(`EXIF chunk at byte ${c.offset}`))) continue;
      // One label per file (GB 45438 §6.1 c)): the EXIF copy goes, the XMP one stays.
      const data = await chunkData(source, c);
      const prefixed = startsWith(data, EXIF_PREFIX);
      const rewritten = await editExifPayload(prefixed ? data : concat([EXIF_PREFIX, data]), null, 'webp');
      edits.push({
        start: c.offset,
        end: c.end,
        insert: riff.riffChunk('EXIF', prefixed ? rewritten : rewritten.subarray(EXIF_PREFIX.length)),
      });
      findings.push(
        finding(
          Rules.multipleLabels,
          'info',
          `removed the label in the EXIF chunk at byte ${c.offset}; it is now in XMP (one label per file)`,
        ),
      );
    }
    const growth = edits.reduce((sum, e) => sum + e.insert.length - (e.end - e.start), 0);
    const size = new Uint8Array(4);
    putU32le(size, 0, l.declaredSize + growth);
    edits.push({ start: 4, end: 8, insert: size });
    if (l.chunks.some((c) => c.id === C2PA_CHUNK)) findings.push(c2paInvalidatedFinding());
    return { ...splicePlan(source.size, mergeEdits(edits)), findings };
  },
};
