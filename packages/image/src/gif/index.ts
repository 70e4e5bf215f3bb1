import {
  type AigcLabel,
  ascii,
  type ByteSource,
  concat,
  type Evidence,
  encodeBare,
  encodeWrapped,
  type Finding,
  type FormatHandler,
  finding,
  fromAscii,
  fromUtf8,
  type LabelCarrier,
  labelXmpPacket,
  MalformedInputError,
  type ReadResult,
  Rules,
  readAll,
  splicePlan,
  startsWith,
  utf8,
  type WriteOptions,
  type WriteResult,
  xmpEvidence,
} from '@aigc-label/core';
import { visibleImageLabel } from '../explicit/capability.js';
import { type ByteEdit, mergeEdits, xmpCarriers } from '../shared/carriers.js';

/** A block of the GIF89a data stream after the logical screen descriptor (GIF89a spec §§17-27). */
interface GifBlock {
  readonly kind: 'image' | 'extension';
  /** Extension label (0xFF application, 0xF9 graphic control, 0xFE comment, 0x01 plain text). */
  readonly label: number;
  /** Application identifier + authentication code, for application extensions. */
  readonly application?: string;
  readonly offset: number;
  readonly end: number;
}

/** XMP spec part 3 §1.1.2: application identifier "XMP Data" + authentication code "XMP". */
const XMP_APPLICATION = 'XMP DataXMP';
/** XMP spec part 3 §1.1.2: 0x01, 0xFF down to 0x00, then the block terminator 0x00. */
const MAGIC_TRAILER = Uint8Array.from({ length: 258 }, (_, i) => (i === 0 ? 1 : i === 257 ? 0 : 256 - i));
const APPLICATION_HEADER = 14; // 21 FF 0B + 11 bytes

const fail = (message: string) => new MalformedInputError('gif', message);

/** Skips a chain of data sub-blocks starting at `at`; returns the offset after the terminator. */
function skipSubBlocks(gif: Uint8Array, at: number): number {
  let offset = at;
  for (;;) {
    if (offset >= gif.length) throw fail(`file is truncated: data sub-blocks starting at ${at} run past the end`);
    const size = gif[offset];
    offset += 1 + size;
    if (size === 0) return offset;
  }
}

interface GifLayout {
  readonly blocks: readonly GifBlock[];
  /** Offset just after the global colour table. */
  readonly streamStart: number;
  /** Bytes after the 0x3B trailer. */
  readonly trailing: number;
}

function layout(gif: Uint8Array): GifLayout {
  if (gif.length === 0) throw fail('the file is empty (0 bytes)');
  const version = fromAscii(gif, 0, 6);
  if (version !== 'GIF87a' && version !== 'GIF89a') throw fail('no GIF87a/GIF89a signature');
  if (gif.length < 13) throw fail('file is truncated inside the logical screen descriptor');
  const packed = gif[10];
  const streamStart = 13 + (packed & 0x80 ? 3 << ((packed & 7) + 1) : 0);
  const blocks: GifBlock[] = [];
  let offset = streamStart;
  for (;;) {
    if (offset >= gif.length) throw fail(`file is truncated at offset ${offset}: no trailer (0x3B)`);
    const introducer = gif[offset];
    if (introducer === 0x3b) return { blocks, streamStart, trailing: gif.length - offset - 1 };
    if (introducer === 0x21) {
      if (offset + 2 > gif.length) throw fail(`extension at offset ${offset} is truncated`);
      const label = gif[offset + 1];
      const application =
        label === 0xff && gif[offset + 2] === 11 && offset + APPLICATION_HEADER <= gif.length
          ? fromAscii(gif, offset + 3, offset + 14)
          : undefined;
      const end = skipSubBlocks(gif, offset + 2);
      blocks.push(
        application === undefined ? { kind: 'extension', label, offset, end } : { kind: 'extension', label, application, offset, end },
      );
      offset = end;
    } else if (introducer === 0x2c) {
      if (offset + 11 > gif.length) throw fail(`image descriptor at offset ${offset} is truncated`);
      const local = gif[offset + 9];
      const dataStart = offset + 10 + (local & 0x80 ? 3 << ((local & 7) + 1) : 0) + 1; // + LZW minimum code size
      const end = skipSubBlocks(gif, dataStart);
      blocks.push({ kind: 'image', label: 0x2c, offset, end });
      offset = end;
    } else throw fail(`unknown block introducer 0x${introducer.toString(16)} at offset ${offset}`);
  }
}

const isXmp = (b: GifBlock) => b.application === XMP_APPLICATION;

/** The XMP packet of an XMP application extension: everything between the header and the magic trailer. */
function xmpOf(gif: Uint8Array, b: GifBlock, findings: Finding[]): string {
  const body = gif.subarray(b.offset + APPLICATION_HEADER, b.end);
  if (body.length >= MAGIC_TRAILER.length && startsWith(body, MAGIC_TRAILER, body.length - MAGIC_TRAILER.length)) {
    return fromUtf8(body.subarray(0, body.length - MAGIC_TRAILER.length));
  }
  findings.push(finding(Rules.damaged, 'warning', `XMP extension at byte ${b.offset} has no XMP magic trailer`));
  return fromUtf8(body.subarray(0, body.lastIndexOf(ascii('>')[0]) + 1));
}

export const gif: FormatHandler = {
  id: 'gif',
  kind: 'image',
  name: 'GIF',
  extensions: ['gif'],
  mimeTypes: ['image/gif'],
  carrier: 'Application Extension "XMP DataXMP", XMP TC260:AIGC',
  explicit: visibleImageLabel,
  watermark: { unsupported: 'a GIF palette of 256 colours cannot hold a mark of a grey level or two' },
  sniff: (head) => head.length >= 6 && (fromAscii(head, 0, 6) === 'GIF89a' || fromAscii(head, 0, 6) === 'GIF87a'),

  async read(source: ByteSource): Promise<ReadResult> {
    const bytes = await readAll(source, 'gif');
    const l = layout(bytes);
    const findings: Finding[] = [];
    if (l.trailing > 0) findings.push(finding(Rules.damaged, 'warning', `${l.trailing} bytes of garbage follow the GIF trailer`));
    const carriers: LabelCarrier[] = [];
    const evidence: Evidence[] = [];
    for (const b of l.blocks.filter(isXmp)) {
      const xml = xmpOf(bytes, b, findings);
      const where = `XMP application extension at byte ${b.offset}`;
      carriers.push(...xmpCarriers(xml, where, b.offset));
      evidence.push(...xmpEvidence(xml, where));
    }
    return { format: 'gif', carriers, findings, evidence };
  },

  /**
   * Updates the XMP application extension, or adds one after the global colour
   * table and any leading application extensions (NETSCAPE2.0 looping), before the
   * first image and its graphic control extension, so animations keep playing.
   */
  async write(source: ByteSource, label: AigcLabel, options: WriteOptions = {}): Promise<WriteResult> {
    const bytes = await readAll(source, 'gif');
    const l = layout(bytes);
    if (l.trailing > 0) throw fail(`${l.trailing} bytes of garbage follow the GIF trailer; refusing to write`);
    const findings: Finding[] = [];
    const xmpBlocks = l.blocks.filter(isXmp);
    if (xmpBlocks.length > 1) throw fail(`${xmpBlocks.length} XMP application extensions; a GIF may have one`);
    const existing = xmpBlocks[0];
    const json = options.form === 'wrapped' ? encodeWrapped(label) : encodeBare(label);
    const packet = utf8(labelXmpPacket(existing ? xmpOf(bytes, existing, findings) : null, json, options));
    const block = concat([Uint8Array.of(0x21, 0xff, 11), ascii(XMP_APPLICATION), packet, MAGIC_TRAILER]);
    const edits: ByteEdit[] = [];
    if (existing) edits.push({ start: existing.offset, end: existing.end, insert: block });
    else {
      let at = l.streamStart;
      for (const b of l.blocks) {
        if (b.kind === 'extension' && b.label === 0xff) at = b.end;
        else break;
      }
      edits.push({ start: at, end: at, insert: block });
    }
    // Extensions are a GIF89a feature (GIF89a spec §23).
    if (fromAscii(bytes, 3, 6) === '87a') edits.push({ start: 3, end: 6, insert: ascii('89a') });
    return { ...splicePlan(bytes.length, mergeEdits(edits)), findings };
  },
};
