import { ascii, concat, fromAscii, fromUtf8, putU32be, u32be, u64be, utf8 } from '../binary/bytes.js';
import { type ByteSource, splicePlan, type WritePlan } from '../binary/source.js';
import { decodeLabel } from '../decode.js';
import { MalformedInputError, UnsupportedFormatError } from '../errors.js';
import { type Finding, finding, Rules } from '../findings.js';
import type { LabelCarrier } from '../format.js';
import {
  type Box,
  listBoxes,
  listBoxesIn,
  makeBox,
  makeFullBox,
  type OffsetShift,
  parseBoxHeader,
  readBox,
  shiftChunkOffsets,
  shiftFragmentOffsets,
} from './isobmff.js';
import { findAigcInXmp, maximumXmpPacketInBytes, setAigcInXmp } from './xmp.js';
import { xmpCarriers } from './xmp-label.js';

/**
 * The TC260 video and audio guides' MP4 carrier (TC260-PG-20257A §6.1.1,
 * TC260-PG-202510A): `moov/udta/meta` with handler `mdta`, the key `AIGC` in
 * `keys` and the bare JSON in a UTF-8 `data` atom of `ilst`. Shared by MP4, MOV,
 * M4V and M4A. Only `moov`, `moof`/`mfra` and XMP `uuid` boxes are read; `mdat`
 * is copied as a range.
 */
export const AIGC_KEY = 'AIGC';
/** XMP in ISO-BMFF (XMP spec part 3 §1.1.4): a top-level or udta `uuid` box. */
export const XMP_UUID = 'be7acfcb97a942e89c71999491e3afac';

/** Largest `moov` read into memory; a multi-hour file's moov is a few MB. */
export const maximumMoovInBytes = 256 * 1024 * 1024;
const maximumFragmentBoxInBytes = 64 * 1024 * 1024;

const MDTA_NAMESPACE = 'mdta';
/** Well-known data type 1: UTF-8 without a count or NUL (QuickTime File Format, "Well-known types"). */
const DATA_TYPE_UTF8 = 1;
const DATA_TYPE_UTF16 = 2;
/** Padding boxes the writer may shrink or grow so that nothing after them moves. */
const PADDING_BOXES = new Set(['free', 'skip', 'wide']);

interface KeyEntry {
  readonly namespace: string;
  readonly name: string;
  readonly bytes: Uint8Array;
}

interface ParsedMeta {
  /** FullBox (ISO) form has 4 version/flags bytes before the children; the QuickTime form has none. */
  readonly prefix: Uint8Array;
  readonly handler: string;
  readonly children: { box: Box; bytes: Uint8Array }[];
  readonly keys: KeyEntry[];
}

function parseMeta(metaBytes: Uint8Array, format: string): ParsedMeta {
  const header = parseBoxHeader(metaBytes, 0, 0, metaBytes.length, format);
  const body = metaBytes.subarray(header.headerSize);
  // ISO meta is a FullBox (version 0, flags 0); the QuickTime form starts with a child's size.
  const isoForm = body.length >= 4 && u32be(body, 0) === 0;
  const prefix = body.subarray(0, isoForm ? 4 : 0);
  const children = listBoxesIn(body, prefix.length, body.length, format).map((box) => ({ box, bytes: body.subarray(box.offset, box.end) }));
  const hdlr = children.find((c) => c.box.type === 'hdlr');
  const handler =
    hdlr && hdlr.bytes.length >= hdlr.box.headerSize + 12 ? fromAscii(hdlr.bytes, hdlr.box.headerSize + 8, hdlr.box.headerSize + 12) : '';
  const keysBox = children.find((c) => c.box.type === 'keys');
  return { prefix, handler, children, keys: keysBox ? parseKeys(keysBox.bytes, keysBox.box, format) : [] };
}

function parseKeys(bytes: Uint8Array, box: Box, format: string): KeyEntry[] {
  if (bytes.length < box.headerSize + 8) throw new MalformedInputError(format, 'keys box is truncated');
  const count = u32be(bytes, box.headerSize + 4);
  const keys: KeyEntry[] = [];
  let at = box.headerSize + 8;
  for (let i = 0; i < count; i++) {
    if (at + 8 > bytes.length) throw new MalformedInputError(format, `keys box declares ${count} keys but holds ${i}`);
    const size = u32be(bytes, at);
    if (size < 8 || at + size > bytes.length)
      throw new MalformedInputError(format, `key ${i + 1} in the keys box has size ${size}, past its end`);
    keys.push({
      namespace: fromAscii(bytes, at + 4, at + 8),
      name: fromUtf8(bytes.subarray(at + 8, at + size)),
      bytes: bytes.subarray(at, at + size),
    });
    at += size;
  }
  return keys;
}

interface IlstItem {
  readonly type: number;
  readonly bytes: Uint8Array;
  /** Text of the first `data` atom when it is UTF-8 or UTF-16, else null. */
  readonly text: string | null;
  /** For freeform `----` items, the `name` atom. */
  readonly freeformName: string | null;
}

function parseIlst(bytes: Uint8Array, format: string): IlstItem[] {
  const header = parseBoxHeader(bytes, 0, 0, bytes.length, format);
  return listBoxesIn(bytes, header.headerSize, bytes.length, format).map((item) => {
    const itemBytes = bytes.subarray(item.offset, item.end);
    let text: string | null = null;
    let freeformName: string | null = null;
    for (const atom of listBoxesIn(itemBytes, item.headerSize, itemBytes.length, format)) {
      const payload = itemBytes.subarray(atom.offset + atom.headerSize, atom.end);
      if (atom.type === 'name' && payload.length >= 4) freeformName = fromUtf8(payload.subarray(4));
      if (atom.type !== 'data' || text !== null || payload.length < 8) continue;
      const dataType = u32be(payload, 0) & 0xffffff;
      if (dataType === DATA_TYPE_UTF8) text = fromUtf8(payload.subarray(8));
      else if (dataType === DATA_TYPE_UTF16) text = new TextDecoder('utf-16be').decode(payload.subarray(8));
    }
    return { type: u32be(itemBytes, 4), bytes: itemBytes, text, freeformName };
  });
}

const isAigcKey = (key: KeyEntry): boolean => key.name.toUpperCase() === AIGC_KEY;
const fourCC = (type: number): string => fromAscii(Uint8Array.of(type >>> 24, (type >>> 16) & 0xff, (type >>> 8) & 0xff, type & 0xff));

/** A keyless (mdir) item that holds a label: a `----` item named AIGC, or text such as `©cmt` that decodes as one. */
const itemHoldsLabel = (item: IlstItem): boolean =>
  item.text !== null &&
  (item.freeformName?.toUpperCase() === AIGC_KEY || (/AIGC|ContentProducer/.test(item.text) && decodeLabel(item.text).label !== null));

function carrier(carrierId: string, location: string, raw: string, canonical: boolean, offset: number | undefined): LabelCarrier {
  const decoded = decodeLabel(raw);
  return {
    carrier: carrierId,
    location,
    ...(offset === undefined ? {} : { offset }),
    raw,
    label: decoded.label,
    form: decoded.form,
    canonical,
    findings: decoded.findings,
  };
}

function metaCarriers(metaBytes: Uint8Array, where: string, canonicalPlace: boolean, offset: number, format: string): LabelCarrier[] {
  const meta = parseMeta(metaBytes, format);
  const ilst = meta.children.find((c) => c.box.type === 'ilst');
  if (!ilst) return [];
  const carriers: LabelCarrier[] = [];
  for (const item of parseIlst(ilst.bytes, format)) {
    const key = meta.handler === MDTA_NAMESPACE && item.type >= 1 && item.type <= meta.keys.length ? meta.keys[item.type - 1] : null;
    if (key && isAigcKey(key) && item.text !== null) {
      carriers.push(carrier('mp4-mdta', `${where} keys "${key.name}" (ilst item ${item.type})`, item.text, canonicalPlace, offset));
    } else if (!key && itemHoldsLabel(item)) {
      carriers.push(
        carrier(
          'mp4-ilst',
          `${where} ilst item "${fourCC(item.type)}"${item.freeformName ? ` (${item.freeformName})` : ''}`,
          item.text as string,
          false,
          offset,
        ),
      );
    }
  }
  return carriers;
}

/** The XMP `uuid` box is not the carrier the video and audio guides name for MP4, so every label in it is non-canonical. */
const uuidXmpCarriers = (uuidBytes: Uint8Array, box: Box, where: string): LabelCarrier[] =>
  xmpCarriers(fromUtf8(uuidBytes.subarray(box.headerSize)), where, box.offset, false);

/** End of a udta's boxes: QuickTime allows a trailing 32-bit zero terminator (QTFF "User Data Atoms"). */
function udtaEnd(udta: Uint8Array): number {
  let at = 8;
  while (udta.length - at >= 8 && u32be(udta, at) >= 8) at += u32be(udta, at);
  return udta.length - at === 4 && u32be(udta, at) === 0 ? at : udta.length;
}

const isXmpUuid = (box: Box): boolean => box.type === 'uuid' && box.uuid === XMP_UUID;

export interface Mp4Layout {
  readonly boxes: readonly Box[];
  readonly moov: Box;
}

/** Lists the top-level boxes (headers only) and finds `moov`. */
export async function readMp4Layout(source: ByteSource, format: string): Promise<Mp4Layout> {
  const boxes = await listBoxes(source, 0, source.size, format);
  const moovs = boxes.filter((b) => b.type === 'moov');
  if (moovs.length === 0) throw new MalformedInputError(format, 'no moov box: the file is incomplete or not a movie');
  if (moovs.length > 1) throw new MalformedInputError(format, `${moovs.length} moov boxes; a file has one`);
  return { boxes, moov: moovs[0]! };
}

export interface Mp4ReadResult {
  readonly carriers: LabelCarrier[];
  readonly findings: Finding[];
}

/** Every label carrier: mdta keys in moov/udta/meta (and moov/meta), keyless ilst items, XMP uuid boxes. */
export async function readMp4Carriers(source: ByteSource, format: string): Promise<Mp4ReadResult> {
  const { boxes, moov } = await readMp4Layout(source, format);
  const moovBytes = await readBox(source, moov, format, maximumMoovInBytes);
  const carriers: LabelCarrier[] = [];
  const findings: Finding[] = [];
  for (const child of listBoxesIn(moovBytes, moov.headerSize, moovBytes.length, format)) {
    const childBytes = moovBytes.subarray(child.offset, child.end);
    const at = moov.offset + child.offset;
    if (child.type === 'meta') carriers.push(...metaCarriers(childBytes, 'moov/meta', false, at, format));
    if (child.type !== 'udta') continue;
    for (const grandchild of listBoxesIn(childBytes, child.headerSize, udtaEnd(childBytes), format)) {
      const bytes = childBytes.subarray(grandchild.offset, grandchild.end);
      if (grandchild.type === 'meta') carriers.push(...metaCarriers(bytes, 'moov/udta/meta', true, at + grandchild.offset, format));
      if (isXmpUuid(grandchild))
        carriers.push(...uuidXmpCarriers(bytes, grandchild, `moov/udta XMP uuid box at byte ${at + grandchild.offset}`));
    }
  }
  for (const box of boxes.filter(isXmpUuid)) {
    const bytes = await readBox(source, box, format, maximumXmpPacketInBytes);
    carriers.push(...uuidXmpCarriers(bytes, box, `XMP uuid box at byte ${box.offset}`));
  }
  if (boxes.some((b) => b.type === 'moof')) findings.push(finding('mp4/fragmented', 'info', 'fragmented file (moof boxes)'));
  return { carriers, findings };
}

function buildKeys(keys: readonly KeyEntry[]): Uint8Array {
  const count = new Uint8Array(4);
  putU32be(count, 0, keys.length);
  return makeFullBox('keys', 0, 0, [count, ...keys.map((k) => k.bytes)]);
}

function keyEntry(name: string): KeyEntry {
  const value = utf8(name);
  const bytes = new Uint8Array(8 + value.length);
  putU32be(bytes, 0, bytes.length);
  bytes.set(ascii(MDTA_NAMESPACE), 4);
  bytes.set(value, 8);
  return { namespace: MDTA_NAMESPACE, name, bytes };
}

function textItem(index: number, text: string): Uint8Array {
  const typeAndLocale = new Uint8Array(8);
  putU32be(typeAndLocale, 0, DATA_TYPE_UTF8);
  const item = makeBox('data', [typeAndLocale, utf8(text)]);
  const out = makeBox('xxxx', item);
  putU32be(out, 4, index);
  return out;
}

const mdtaHandler = (): Uint8Array => {
  // pre_defined, handler_type, three reserved words, empty name (ISO/IEC 14496-12 §8.4.3).
  const body = new Uint8Array(21);
  body.set(ascii(MDTA_NAMESPACE), 4);
  return makeFullBox('hdlr', 0, 0, body);
};

/**
 * Rewrites one `meta` box. With `json`, an mdta meta gets the AIGC key (existing
 * AIGC keys dropped, the other keys renumbered, FourCC items kept); with null,
 * every AIGC carrier in it is removed. Returns the input when nothing changes.
 */
function rewriteMeta(metaBytes: Uint8Array, json: string | null, format: string): Uint8Array {
  const meta = parseMeta(metaBytes, format);
  const mdta = meta.handler === MDTA_NAMESPACE;
  const keep = meta.keys.filter((k) => !(mdta && isAigcKey(k)));
  const newIndex = new Map<number, number>();
  meta.keys.forEach((k, i) => {
    if (keep.includes(k)) newIndex.set(i + 1, keep.indexOf(k) + 1);
  });
  const keys = json === null ? keep : [...keep, keyEntry(AIGC_KEY)];
  const ilstChild = meta.children.find((c) => c.box.type === 'ilst');
  const items = ilstChild ? parseIlst(ilstChild.bytes, format) : [];
  const newItems: Uint8Array[] = [];
  let changed = keys.length !== meta.keys.length;
  for (const item of items) {
    const keyed = mdta && item.type >= 1 && item.type <= meta.keys.length;
    if (keyed ? !newIndex.has(item.type) : itemHoldsLabel(item)) {
      changed = true;
      continue;
    }
    const index = keyed ? (newIndex.get(item.type) as number) : item.type;
    if (index === item.type) {
      newItems.push(item.bytes);
    } else {
      const moved = item.bytes.slice();
      putU32be(moved, 4, index);
      newItems.push(moved);
      changed = true;
    }
  }
  if (json !== null) newItems.push(textItem(keys.length, json));
  if (!changed && json === null) return metaBytes;
  const ilst = makeBox('ilst', newItems);
  const children = meta.children.filter((c) => !(mdta && c.box.type === 'keys') && c.box.type !== 'ilst').map((c) => c.bytes);
  // QuickTime File Format: hdlr, keys, ilst in that order.
  const hdlrAt = meta.children.findIndex((c) => c.box.type === 'hdlr');
  children.splice(hdlrAt < 0 ? 0 : hdlrAt + 1, 0, ...(mdta ? [buildKeys(keys)] : []), ilst);
  return makeBox('meta', [meta.prefix, ...children]);
}

const newMdtaMeta = (json: string): Uint8Array =>
  makeFullBox('meta', 0, 0, [mdtaHandler(), buildKeys([keyEntry(AIGC_KEY)]), makeBox('ilst', textItem(1, json))]);

function rewriteXmpUuid(uuidBytes: Uint8Array, box: Box, json: string): Uint8Array {
  const xml = fromUtf8(uuidBytes.subarray(box.headerSize));
  if (findAigcInXmp(xml).length === 0) return uuidBytes;
  const userType = uuidBytes.subarray(box.headerSize - 16, box.headerSize);
  const out = concat([new Uint8Array(4), ascii('uuid'), userType, utf8(setAigcInXmp(xml, json))]);
  putU32be(out, 0, out.length);
  return out;
}

/** moov with the label in moov/udta/meta and no AIGC carrier anywhere else in it; chunk offsets untouched. */
function labeledMoov(moovBytes: Uint8Array, moov: Box, json: string, format: string): Uint8Array {
  const parts: Uint8Array[] = [];
  let wroteLabel = false;
  for (const child of listBoxesIn(moovBytes, moov.headerSize, moovBytes.length, format)) {
    const childBytes = moovBytes.subarray(child.offset, child.end);
    if (child.type === 'meta') {
      parts.push(rewriteMeta(childBytes, null, format));
    } else if (child.type === 'udta' && !wroteLabel) {
      const udta: Uint8Array[] = [];
      for (const grandchild of listBoxesIn(childBytes, child.headerSize, udtaEnd(childBytes), format)) {
        const bytes = childBytes.subarray(grandchild.offset, grandchild.end);
        if (grandchild.type === 'meta') {
          const isMdta = parseMeta(bytes, format).handler === MDTA_NAMESPACE;
          udta.push(rewriteMeta(bytes, isMdta && !wroteLabel ? json : null, format));
          wroteLabel ||= isMdta;
        } else {
          udta.push(isXmpUuid(grandchild) ? rewriteXmpUuid(bytes, grandchild, json) : bytes);
        }
      }
      if (!wroteLabel) udta.push(newMdtaMeta(json));
      wroteLabel = true;
      parts.push(makeBox('udta', [...udta, childBytes.subarray(udtaEnd(childBytes))]));
    } else {
      parts.push(childBytes);
    }
  }
  if (!wroteLabel) parts.push(makeBox('udta', newMdtaMeta(json)));
  return makeBox('moov', parts);
}

export interface Edit {
  readonly start: number;
  readonly end: number;
  readonly insert: Uint8Array;
}

/** Where each input byte lands once `edits` are applied. Offsets inside an edited box do not occur (they point into mdat). */
const shiftFor =
  (edits: readonly Edit[]): OffsetShift =>
  (offset) => {
    let moved = offset;
    for (const e of edits) if (e.end <= offset) moved += e.insert.length - (e.end - e.start);
    return moved;
  };

const freeBox = (size: number): Uint8Array => makeBox('free', new Uint8Array(size - 8));

/**
 * The edit that puts `newMoov` in place of the old one. When a padding box
 * follows (or the moov shrinks by 8 bytes or more), the padding absorbs the
 * difference so that no byte after it moves.
 */
function moovEdit(moov: Box, next: Box | undefined, newMoov: Uint8Array): Edit {
  const growth = newMoov.length - moov.size;
  if (growth <= -8) return { start: moov.offset, end: moov.end, insert: concat([newMoov, freeBox(-growth)]) };
  if (next && PADDING_BOXES.has(next.type) && growth > 0) {
    const room = next.size - growth;
    if (room === 0) return { start: moov.offset, end: next.end, insert: newMoov };
    if (room >= 8) return { start: moov.offset, end: next.end, insert: concat([newMoov, freeBox(room)]) };
  }
  return { start: moov.offset, end: moov.end, insert: newMoov };
}

/** The byte range a `sidx` indexes (ISO/IEC 14496-12 §8.16.3): from first_offset after the box, for the sum of referenced sizes. */
function indexedRange(bytes: Uint8Array, box: Box, format: string): [number, number] {
  const at = box.headerSize;
  const version = bytes[at];
  const fields = at + 12 + (version === 0 ? 8 : 16);
  if (bytes.length < fields + 4) throw new MalformedInputError(format, `sidx box at offset ${box.offset} is truncated`);
  const firstOffset = version === 0 ? u32be(bytes, fields - 4) : u64be(bytes, fields - 8);
  const count = u32be(bytes, fields) & 0xffff;
  if (fields + 4 + count * 12 > bytes.length)
    throw new MalformedInputError(format, `sidx box at offset ${box.offset} declares ${count} references, more than it holds`);
  let size = 0;
  for (let i = 0; i < count; i++) size += u32be(bytes, fields + 4 + i * 12) & 0x7fffffff;
  const from = box.end + firstOffset;
  return [from, from + size];
}

/**
 * The plan for a labeled MP4/MOV/M4A: the label in moov/udta/meta (see
 * `planMoovRewrite`), and any XMP uuid box that held a label made to hold the same one.
 */
export async function planMp4Label(source: ByteSource, json: string, format: string): Promise<{ plan: WritePlan; findings: Finding[] }> {
  const { boxes } = await readMp4Layout(source, format);
  const findings: Finding[] = [];
  const fixed: Edit[] = [];
  for (const box of boxes.filter(isXmpUuid)) {
    const bytes = await readBox(source, box, format, maximumXmpPacketInBytes);
    const rewritten = rewriteXmpUuid(bytes, box, json);
    if (rewritten !== bytes) {
      fixed.push({ start: box.offset, end: box.end, insert: rewritten });
      findings.push(
        finding(Rules.multipleLabels, 'info', `the XMP uuid box at byte ${box.offset} also held a label; it now holds the same one`),
      );
    }
  }
  const plan = await planMoovRewrite(source, format, (moovBytes, moov) => labeledMoov(moovBytes, moov, json, format), fixed);
  return { plan, findings };
}

/**
 * The plan for a file whose `moov` is replaced by `rewrite(moov)` (plus `fixed`
 * edits elsewhere). The moov is rebuilt in place; when it grows in front of media
 * data, every stco/co64 offset and every absolute fragment offset (tfhd
 * base_data_offset, tfra moof_offset) after it is shifted by the growth (stco
 * promoted to co64 past 4 GiB). A moov at the end moves nothing.
 */
export async function planMoovRewrite(
  source: ByteSource,
  format: string,
  rewrite: (moovBytes: Uint8Array, moov: Box) => Uint8Array,
  fixed: readonly Edit[] = [],
): Promise<WritePlan> {
  const { boxes, moov } = await readMp4Layout(source, format);
  const unshifted = rewrite(await readBox(source, moov, format, maximumMoovInBytes), moov);
  const next = boxes[boxes.indexOf(moov) + 1];
  let candidate = unshifted;
  let edit = moovEdit(moov, next, candidate);
  // Promoting stco to co64 grows the moov, which can move the offsets again: iterate to a fixed point.
  for (let round = 0; ; round++) {
    if (round > 8) throw new UnsupportedFormatError(`${format}: chunk offsets did not settle after moving the moov`);
    const shifted = shiftChunkOffsets(unshifted, shiftFor([...fixed, edit]), format);
    const settled = shifted.length === candidate.length;
    candidate = shifted;
    edit = moovEdit(moov, next, candidate);
    if (settled) break;
  }
  const edits = [...fixed, edit];
  const shift = shiftFor(edits);
  const moved = edits.some((e) => e.insert.length !== e.end - e.start);
  if (moved) {
    for (const box of boxes) {
      if (box.type === 'sidx') {
        const [from, to] = indexedRange(await readBox(source, box, format, maximumFragmentBoxInBytes), box, format);
        const inside = edits.find((e) => e.start >= from && e.start < to && e.insert.length !== e.end - e.start);
        if (inside) {
          // sidx offsets are relative to the sidx; resizing a box inside the range it indexes would break them.
          throw new UnsupportedFormatError(
            `${format}: the sidx box at byte ${box.offset} indexes the box at byte ${inside.start}, which would change size`,
          );
        }
      }
      if (box.type !== 'moof' && box.type !== 'mfra') continue;
      const bytes = await readBox(source, box, format, maximumFragmentBoxInBytes);
      const patched = shiftFragmentOffsets(bytes, shift, format);
      if (patched !== bytes) edits.push({ start: box.offset, end: box.end, insert: patched });
    }
  }
  return splicePlan(source.size, edits);
}
