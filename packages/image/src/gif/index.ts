import {
  type AigcLabel,
  ascii,
  type ByteSource,
  concat,
  decodeXmpPacket,
  type Evidence,
  encodeBare,
  encodeWrapped,
  type Finding,
  type FormatHandler,
  findAigcInXmp,
  finding,
  fromAscii,
  indexOfBytes,
  type LabelCarrier,
  LimitExceededError,
  labelXmpPacket,
  MalformedInputError,
  printableAscii,
  type ReadResult,
  Rules,
  readAll,
  regionsExcept,
  splicePlan,
  startsWith,
  utf8,
  type WriteOptions,
  type WriteResult,
  xmpEvidence,
} from '@aigc-label/core';
import { visibleImageLabel } from '../explicit/capability.js';
import { type ByteEdit, listedOnly, mergeEdits, xmpCarriers } from '../shared/carriers.js';

/** An application extension of the GIF89a data stream (GIF89a spec §26). */
interface ApplicationBlock {
  /** Application identifier + authentication code. */
  readonly application: string;
  readonly offset: number;
  readonly end: number;
}

/** XMP spec part 3 §1.1.2: application identifier "XMP Data" + authentication code "XMP". */
const XMP_APPLICATION = 'XMP DataXMP';
/** XMP spec part 3 §1.1.2: 0x01, 0xFF down to 0x00, then the block terminator 0x00. */
const MAGIC_TRAILER = Uint8Array.from({ length: 258 }, (_, i) => (i === 0 ? 1 : i === 257 ? 0 : 256 - i));
const APPLICATION_HEADER = 14; // 21 FF 0B + 11 bytes
const XMP_META = ascii('<x:xmpmeta');
/**
 * Most blocks (images and extensions) a walk visits: every frame of an animation takes two or
 * three, so this is far past any real GIF (issue 15).
 */
const maximumBlockCount = 1_000_000;

const fail = (message: string) => new MalformedInputError('gif', message);

class Truncated extends Error {}

/** Skips a chain of data sub-blocks starting at `at`; returns the offset after the terminator. */
function skipSubBlocks(gif: Uint8Array, at: number): number {
  let offset = at;
  for (;;) {
    if (offset >= gif.length) throw new Truncated(`data sub-blocks starting at ${at} run past the end`);
    const size = gif[offset];
    offset += 1 + size;
    if (size === 0) return offset;
  }
}

/** A block of the data stream after the logical screen descriptor (GIF89a spec §§17-27). */
export interface GifBlock {
  readonly kind: 'image' | 'extension';
  /** Extension label (0xFF application, 0xF9 graphic control, 0xFE comment, 0x01 plain text); 0x2C for images. */
  readonly label: number;
  readonly offset: number;
  readonly end: number;
}

interface GifWalk {
  /** Offset just after the global colour table. */
  readonly streamStart: number;
  /** Bytes after the 0x3B trailer. */
  readonly trailing: number;
  /** Damage a salvage walk stopped at (issue 25); empty when strict. */
  readonly damage: readonly string[];
}

/**
 * Walks the blocks of the data stream once, handing each to `visit` without keeping them, so a
 * flood of comment extensions or frames costs no memory (issue 15). With `salvage`, a truncation
 * or an unknown block ends the walk with the blocks before it (issue 25).
 */
function walkBlocks(gif: Uint8Array, salvage: boolean, visit: (block: GifBlock) => void): GifWalk {
  if (gif.length === 0) throw fail('the file is empty (0 bytes)');
  const version = fromAscii(gif, 0, Math.min(6, gif.length));
  if (version !== 'GIF87a' && version !== 'GIF89a') throw fail('no GIF87a/GIF89a signature');
  if (gif.length < 13) throw fail('file is truncated inside the logical screen descriptor');
  const packed = gif[10];
  const streamStart = 13 + (packed & 0x80 ? 3 << ((packed & 7) + 1) : 0);
  const damage: string[] = [];
  let count = 0;
  let offset = streamStart;
  const ended = (problem: string | null, trailing = 0): GifWalk => {
    if (problem !== null) {
      if (!salvage) throw fail(problem);
      damage.push(problem);
    }
    return { streamStart, trailing, damage };
  };
  try {
    for (;;) {
      if (offset >= gif.length) return ended(`file is truncated at offset ${offset}: no trailer (0x3B)`);
      if (++count > maximumBlockCount) throw new LimitExceededError(`gif: more than ${maximumBlockCount} blocks`);
      const introducer = gif[offset];
      if (introducer === 0x3b) return ended(null, gif.length - offset - 1);
      if (introducer === 0x21) {
        if (offset + 2 > gif.length) throw new Truncated(`extension at offset ${offset} is truncated`);
        const end = skipSubBlocks(gif, offset + 2);
        visit({ kind: 'extension', label: gif[offset + 1], offset, end });
        offset = end;
      } else if (introducer === 0x2c) {
        if (offset + 11 > gif.length) throw new Truncated(`image descriptor at offset ${offset} is truncated`);
        const local = gif[offset + 9];
        const dataStart = offset + 10 + (local & 0x80 ? 3 << ((local & 7) + 1) : 0) + 1; // + LZW minimum code size
        const end = skipSubBlocks(gif, dataStart);
        visit({ kind: 'image', label: 0x2c, offset, end });
        offset = end;
      } else return ended(`unknown block introducer 0x${introducer.toString(16)} at offset ${offset}`);
    }
  } catch (error) {
    if (!(error instanceof Truncated)) throw error;
    return ended(`file is truncated: ${error.message}`);
  }
}

/** Every block of a well-formed GIF, for rewriting its frames (explicit labels). */
export function listBlocks(gif: Uint8Array): GifWalk & { readonly blocks: readonly GifBlock[] } {
  const blocks: GifBlock[] = [];
  return { ...walkBlocks(gif, false, (block) => blocks.push(block)), blocks };
}

interface GifLayout extends GifWalk {
  /** Application extensions in the canonical XMP form, or holding an XMP packet under another identifier. */
  readonly xmp: readonly ApplicationBlock[];
  readonly foreignXmp: readonly ApplicationBlock[];
  /** Where a new XMP extension goes: after the colour table and the application extensions that lead the stream. */
  readonly insertAt: number;
}

/** The application extensions that can hold XMP, and where a new one goes. */
function layout(gif: Uint8Array, salvage: boolean): GifLayout {
  const xmp: ApplicationBlock[] = [];
  const foreignXmp: ApplicationBlock[] = [];
  let insertAt: number | null = null;
  let leading = true;
  const walk = walkBlocks(gif, salvage, ({ kind, label, offset, end }) => {
    if (kind === 'extension' && label === 0xff && gif[offset + 2] === 11 && offset + APPLICATION_HEADER <= end) {
      const block = { application: fromAscii(gif, offset + 3, offset + 14), offset, end };
      if (block.application === XMP_APPLICATION) xmp.push(block);
      else if (indexOfBytes(gif.subarray(offset + APPLICATION_HEADER, end), XMP_META) >= 0) foreignXmp.push(block);
    }
    leading &&= kind === 'extension' && label === 0xff;
    if (leading) insertAt = end;
  });
  return { ...walk, xmp, foreignXmp, insertAt: Math.min(insertAt ?? walk.streamStart, gif.length) };
}

/**
 * The XMP packet of an XMP application extension: everything between the header and the magic
 * trailer. Without the trailer the extension is damaged: a read takes the text up to the last
 * `>` (with a finding), a write (`strict`) refuses, since what it would copy is not a packet.
 */
function xmpOf(gif: Uint8Array, b: ApplicationBlock, findings: Finding[], strict = false): string {
  const body = gif.subarray(b.offset + APPLICATION_HEADER, b.end);
  if (body.length >= MAGIC_TRAILER.length && startsWith(body, MAGIC_TRAILER, body.length - MAGIC_TRAILER.length)) {
    return decodeXmpPacket(body.subarray(0, body.length - MAGIC_TRAILER.length)).xml;
  }
  const message = `XMP extension at byte ${b.offset} has no XMP magic trailer`;
  if (strict) throw fail(`${message} (damaged); refusing to write into it`);
  findings.push(finding(Rules.damaged, 'warning', message));
  return decodeXmpPacket(body.subarray(0, body.lastIndexOf(ascii('>')[0]) + 1)).xml;
}

/**
 * The XMP packet of an application extension under another identifier (issue 25 item 6): stored
 * the XMP way (raw, with the magic trailer) or as ordinary data sub-blocks.
 */
function foreignXmpOf(gif: Uint8Array, b: ApplicationBlock): string {
  const body = gif.subarray(b.offset + APPLICATION_HEADER, b.end);
  if (body.length >= MAGIC_TRAILER.length && startsWith(body, MAGIC_TRAILER, body.length - MAGIC_TRAILER.length)) {
    return decodeXmpPacket(body.subarray(0, body.length - MAGIC_TRAILER.length)).xml;
  }
  const pieces: Uint8Array[] = [];
  for (let at = 0; at < body.length && body[at] > 0; at += 1 + body[at]) pieces.push(body.subarray(at + 1, at + 1 + body[at]));
  const blocked = decodeXmpPacket(concat(pieces)).xml;
  return blocked.includes('</x:xmpmeta>') ? blocked : decodeXmpPacket(body.subarray(0, body.lastIndexOf(ascii('>')[0]) + 1)).xml;
}

const foreignWhere = (b: ApplicationBlock) => `application extension "${printableAscii(b.application)}" at byte ${b.offset}`;

/** Carriers of XMP packets under another identifier, each reported as non-canonical. */
function foreignCarriers(gif: Uint8Array, blocks: readonly ApplicationBlock[]): { carriers: LabelCarrier[]; evidence: Evidence[] } {
  const carriers: LabelCarrier[] = [];
  const evidence: Evidence[] = [];
  for (const b of blocks) {
    const xml = foreignXmpOf(gif, b);
    const where = foreignWhere(b);
    const note = finding(
      Rules.nonCanonicalCarrier,
      'warning',
      `an XMP packet in ${where}; XMP in GIF is the application extension "XMP Data" with code "XMP" (XMP spec part 3 §1.1.2)`,
      where,
    );
    for (const c of xmpCarriers(xml, where, b.offset)) carriers.push({ ...c, canonical: false, findings: [...c.findings, note] });
    evidence.push(...xmpEvidence(xml, where));
  }
  return { carriers, evidence };
}

/** XMP packets under another identifier that hold a label: a write moves the label into the XMP extension and drops them. */
function labelledForeignXmp(gif: Uint8Array, l: GifLayout): ApplicationBlock[] {
  return l.foreignXmp.filter((b) => findAigcInXmp(foreignXmpOf(gif, b)).length > 0);
}

/**
 * Content regions, scheme `gif/blocks-but-label@1`: every byte of the file except the version
 * (87a becomes 89a when the label's extension is added), the XMP application extension, and XMP
 * packets under another identifier that hold a label (a write moves that label into the XMP
 * extension). Covers the screen descriptor, colour tables, every image, the graphic control,
 * comment and other application extensions (NETSCAPE looping, ICC) and the trailer.
 */
export const gif: FormatHandler = {
  id: 'gif',
  kind: 'image',
  name: 'GIF',
  extensions: ['gif'],
  mimeTypes: ['image/gif'],
  carrier: 'Application Extension "XMP DataXMP", XMP TC260:AIGC',
  contentRegions: {
    scheme: 'gif/blocks-but-label@1',
    async regions(source) {
      const bytes = await readAll(source, 'gif');
      const l = layout(bytes, false);
      const written = [...l.xmp, ...labelledForeignXmp(bytes, l)].map((b) => ({ start: b.offset, end: b.end }));
      return regionsExcept(bytes.length, [{ start: 3, end: 6 }, ...written]);
    },
  },
  explicit: visibleImageLabel,
  watermark: { unsupported: 'a GIF palette of 256 colours cannot hold a mark of a grey level or two' },
  sniff: (head) => head.length >= 6 && (fromAscii(head, 0, 6) === 'GIF89a' || fromAscii(head, 0, 6) === 'GIF87a'),

  async read(source: ByteSource): Promise<ReadResult> {
    const bytes = await readAll(source, 'gif');
    const l = layout(bytes, true);
    const findings: Finding[] = l.damage.map((d) => finding(Rules.damaged, 'error', `${d}; the blocks before it were read`));
    if (l.trailing > 0) findings.push(finding(Rules.damaged, 'warning', `${l.trailing} bytes of garbage follow the GIF trailer`));
    const carriers: LabelCarrier[] = [];
    const evidence: Evidence[] = [];
    for (const b of listedOnly(l.xmp, 'XMP application extensions', findings)) {
      const xml = xmpOf(bytes, b, findings);
      const where = `XMP application extension at byte ${b.offset}`;
      carriers.push(...xmpCarriers(xml, where, b.offset));
      evidence.push(...xmpEvidence(xml, where));
    }
    const foreign = foreignCarriers(bytes, listedOnly(l.foreignXmp, 'application extensions holding XMP', findings));
    carriers.push(...foreign.carriers);
    evidence.push(...foreign.evidence);
    return { format: 'gif', carriers, findings, evidence };
  },

  /**
   * Updates the XMP application extension, or adds one after the global colour
   * table and any leading application extensions (NETSCAPE2.0 looping), before the
   * first image and its graphic control extension, so animations keep playing.
   */
  async write(source: ByteSource, label: AigcLabel, options: WriteOptions = {}): Promise<WriteResult> {
    const bytes = await readAll(source, 'gif');
    const l = layout(bytes, false);
    if (l.trailing > 0) throw fail(`${l.trailing} bytes of garbage follow the GIF trailer; refusing to write`);
    const findings: Finding[] = [];
    if (l.xmp.length > 1) throw fail(`${l.xmp.length} XMP application extensions; a GIF may have one`);
    // One label per file (GB 45438 §6.1 c)): a label in an XMP packet under another identifier moves to the canonical one.
    const foreignLabels = labelledForeignXmp(bytes, l);
    const existing = l.xmp[0];
    const base = existing ? xmpOf(bytes, existing, findings, true) : foreignLabels[0] ? foreignXmpOf(bytes, foreignLabels[0]) : null;
    const json = options.form === 'wrapped' ? encodeWrapped(label) : encodeBare(label);
    const packet = utf8(labelXmpPacket(base, json, options));
    // XMP spec part 3 §1.1.2: readers walk the packet as data sub-blocks, which a zero byte would end.
    if (packet.includes(0)) throw fail('the XMP packet holds a NUL character, which a GIF XMP extension cannot carry; refusing to write');
    const block = concat([Uint8Array.of(0x21, 0xff, 11), ascii(XMP_APPLICATION), packet, MAGIC_TRAILER]);
    const edits: ByteEdit[] = [];
    const replaced = existing ?? foreignLabels[0];
    if (replaced) edits.push({ start: replaced.offset, end: replaced.end, insert: block });
    else edits.push({ start: l.insertAt, end: l.insertAt, insert: block });
    for (const b of foreignLabels) {
      if (b !== replaced) edits.push({ start: b.offset, end: b.end, insert: new Uint8Array(0) });
      findings.push(finding(Rules.multipleLabels, 'info', `moved the label in the ${foreignWhere(b)} into the XMP application extension`));
    }
    // Extensions are a GIF89a feature (GIF89a spec §23).
    if (fromAscii(bytes, 3, 6) === '87a') edits.push({ start: 3, end: 6, insert: ascii('89a') });
    return { ...splicePlan(bytes.length, mergeEdits(edits)), findings };
  },
};
