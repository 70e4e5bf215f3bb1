import { ascii, concat, fromAscii, fromUtf8, putU32be, trimTrailingNuls, u32be, u64be, utf8 } from '../binary/bytes.js';
import { type ByteSource, headerReader, splicePlan, type WritePlan } from '../binary/source.js';
import { decodeLabel } from '../decode.js';
import { LimitExceededError, MalformedInputError, UnsupportedFormatError } from '../errors.js';
import { type Finding, finding, Rules } from '../findings.js';
import { type LabelCarrier, maximumListedCarriers } from '../format.js';
import {
  type Box,
  boxesIn,
  boxesOf,
  chunkOffsets,
  listBoxesIn,
  makeBox,
  makeFullBox,
  maximumBoxCount,
  type OffsetShift,
  parseBoxHeader,
  readBox,
  refuseSizeZero,
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
/** Most keys and ilst items one meta may have (a phone writes about ten; ffmpeg one per tag). */
const maximumMetadataItems = 100_000;

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
  /** The keys table, or null when the meta has no `keys` box. */
  readonly keysBox: { box: Box; bytes: Uint8Array } | null;
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
  const keysBox = children.find((c) => c.box.type === 'keys') ?? null;
  return { prefix, handler, children, keysBox, keys: keysBox ? parseKeys(keysBox.bytes, keysBox.box, format) : [] };
}

function parseKeys(bytes: Uint8Array, box: Box, format: string): KeyEntry[] {
  if (bytes.length < box.headerSize + 8) throw new MalformedInputError(format, 'keys box is truncated');
  const count = u32be(bytes, box.headerSize + 4);
  if (count > maximumMetadataItems)
    throw new LimitExceededError(`${format}: a keys box of ${count} keys is over the ${maximumMetadataItems}-key limit`);
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
  const items = listBoxesIn(bytes, header.headerSize, bytes.length, format);
  if (items.length > maximumMetadataItems)
    throw new LimitExceededError(`${format}: an ilst of ${items.length} items is over the ${maximumMetadataItems}-item limit`);
  return items.map((item) => {
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

/** Some writers store the key with its C string NUL (`AIGC\0`): names are compared without trailing NULs (issue 25). */
const isAigcKey = (key: KeyEntry): boolean => trimTrailingNuls(key.name).toUpperCase() === AIGC_KEY;
/** The key exactly as the guide names it (letter case aside, as FourCC-like names are read elsewhere). */
const isCanonicalKey = (key: KeyEntry): boolean => key.name.toUpperCase() === AIGC_KEY;
const fourCC = (type: number): string => fromAscii(Uint8Array.of(type >>> 24, (type >>> 16) & 0xff, (type >>> 8) & 0xff, type & 0xff));

/** A keyless (mdir) item that holds a label: a `----` item named AIGC, or text such as `©cmt` that decodes as one. */
const itemHoldsLabel = (item: IlstItem): boolean =>
  item.text !== null && (item.freeformName?.toUpperCase() === AIGC_KEY || textIsLabel(item.text));
/** A value that decodes as a label, whatever key or item holds it. */
const textIsLabel = (text: string): boolean => /AIGC|ContentProducer/.test(text) && decodeLabel(text).label !== null;
/** A keyed item under another key name whose value is a label (issue 25 item 3): read, never written. */
const keyedItemHoldsLabel = (key: KeyEntry, item: IlstItem): boolean => !isAigcKey(key) && item.text !== null && textIsLabel(item.text);

function carrier(
  carrierId: string,
  location: string,
  raw: string,
  canonical: boolean,
  offset: number | undefined,
  notes: readonly Finding[] = [],
): LabelCarrier {
  const decoded = decodeLabel(raw);
  return {
    carrier: carrierId,
    location,
    ...(offset === undefined ? {} : { offset }),
    raw,
    label: decoded.label,
    form: decoded.form,
    canonical,
    findings: [...notes, ...decoded.findings],
  };
}

/**
 * Why a keyed item that holds a label is not quite the guide's carrier, or null when it is. A key
 * stored with its C string NUL is the AIGC key (issue 25 item 3): noted for information only.
 */
function keyNote(key: KeyEntry): Finding | null {
  if (isCanonicalKey(key)) return null;
  if (isAigcKey(key))
    return finding(Rules.nonCanonicalCarrier, 'info', `the mdta key is stored as ${JSON.stringify(key.name)}, with trailing NULs`);
  return finding(
    Rules.nonCanonicalCarrier,
    'warning',
    `the label is under the mdta key ${JSON.stringify(key.name)}; the guide names "AIGC"`,
  );
}

function metaCarriers(metaBytes: Uint8Array, where: string, canonicalPlace: boolean, offset: number, format: string): LabelCarrier[] {
  const meta = parseMeta(metaBytes, format);
  const ilst = meta.children.find((c) => c.box.type === 'ilst');
  if (!ilst) return [];
  const carriers: LabelCarrier[] = [];
  for (const item of parseIlst(ilst.bytes, format)) {
    if (carriers.length >= maximumListedCarriers) break;
    const key = meta.handler === MDTA_NAMESPACE && item.type >= 1 && item.type <= meta.keys.length ? meta.keys[item.type - 1] : null;
    if (key && item.text !== null && (isAigcKey(key) || keyedItemHoldsLabel(key, item))) {
      const note = keyNote(key);
      carriers.push(
        carrier(
          'mp4-mdta',
          `${where} keys ${JSON.stringify(key.name)} (ilst item ${item.type})`,
          item.text,
          canonicalPlace && isAigcKey(key),
          offset,
          note ? [note] : [],
        ),
      );
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
  /** The top-level boxes a writer needs, in order: moov and the box after it, fragments (moof, mfra, sidx) and XMP uuid boxes. */
  readonly boxes: readonly Box[];
  readonly moov: Box;
}

/** Top-level boxes a writer looks at; the rest (mdat, free, a million of anything) are only walked past. */
const WRITER_BOXES = new Set(['moov', 'moof', 'mfra', 'sidx']);

/** Walks the top-level boxes (headers only), keeping the ones a writer needs, and finds `moov`. */
export async function readMp4Layout(source: ByteSource, format: string): Promise<Mp4Layout> {
  const boxes: Box[] = [];
  let afterMoov = false;
  for await (const box of boxesOf(source, 0, source.size, format)) {
    if (afterMoov || WRITER_BOXES.has(box.type) || isXmpUuid(box)) boxes.push(box);
    afterMoov = box.type === 'moov';
  }
  const moovs = boxes.filter((b) => b.type === 'moov');
  if (moovs.length === 0) throw new MalformedInputError(format, 'no moov box: the file is incomplete or not a movie');
  if (moovs.length > 1) throw new MalformedInputError(format, `${moovs.length} moov boxes; a file has one`);
  return { boxes, moov: moovs[0]! };
}

export interface Mp4ReadResult {
  readonly carriers: LabelCarrier[];
  readonly findings: Finding[];
}

/**
 * Every label carrier: mdta keys in moov/udta/meta (and moov/meta), keyless ilst items, XMP
 * uuid boxes. Reading salvages damaged files (issue 25 item 2): the boxes that parse are
 * searched (a moov cut short, a second moov, a broken last box or bytes after the last box),
 * each piece of damage a `format/damaged` finding; `planMp4Label` still refuses such a file.
 */
export async function readMp4Carriers(source: ByteSource, format: string): Promise<Mp4ReadResult> {
  const damage: string[] = [];
  const { boxes, fragmented } = await scanTopLevel(source, format, damage);
  const moovs = boxes.filter((b) => b.type === 'moov');
  if (moovs.length === 0) damage.push('no moov box: the file is incomplete or not a movie; only the top-level boxes were searched');
  if (moovs.length > 1) damage.push(`${moovs.length} moov boxes; a file has one (each was searched)`);
  const carriers: LabelCarrier[] = [];
  // A later moov that repeats a label an earlier one holds (a copy of the file appended) adds no second label; a different one counts.
  const seen = new Set<string>();
  for (const moov of moovs) {
    const moovBytes = await readBox(source, moov, format, maximumMoovInBytes);
    const found = moovCarriers(moovBytes, moov, format, damage);
    carriers.push(...found.filter((c) => !seen.has(`${c.carrier}\0${c.raw}`)));
    for (const c of found) seen.add(`${c.carrier}\0${c.raw}`);
  }
  for (const box of boxes.filter(isXmpUuid)) {
    const bytes = await readBox(source, box, format, maximumXmpPacketInBytes);
    carriers.push(...uuidXmpCarriers(bytes, box, `XMP uuid box at byte ${box.offset}`));
  }
  const findings = damage.map((problem) => finding(Rules.damaged, 'error', problem));
  if (fragmented) findings.push(finding('mp4/fragmented', 'info', 'fragmented file (moof boxes)'));
  return { carriers, findings };
}

/**
 * The top-level boxes that parse, in order. Where one does not (a size past the end, a header
 * cut short), the walk stops and says so in `damage`; a moov cut short is kept, clipped to
 * the end of the file, so that the boxes inside it that arrived can still be read.
 */
async function scanTopLevel(source: ByteSource, format: string, damage: string[]): Promise<{ boxes: Box[]; fragmented: boolean }> {
  // Only the boxes a reader searches are kept (every moov, at most `maximumListedCarriers` XMP uuid boxes).
  const boxes: Box[] = [];
  let fragmented = false;
  let xmpBoxes = 0;
  const read = headerReader(source, format);
  for (let offset = 0, count = 0; offset < source.size; count++) {
    if (count >= maximumBoxCount) throw new LimitExceededError(`${format}: more than ${maximumBoxCount} boxes at one level`);
    const head = await read(offset, Math.min(32, source.size - offset), 'box header');
    try {
      const box = parseBoxHeader(head, 0, offset, source.size, format);
      if (box.type === 'moov' || (isXmpUuid(box) && xmpBoxes++ < maximumListedCarriers)) boxes.push(box);
      fragmented ||= box.type === 'moof';
      offset = box.end;
    } catch (error) {
      if (!(error instanceof MalformedInputError)) throw error;
      const large = head.length >= 16 && u32be(head, 0) === 1;
      if (head.length >= 8 && fromAscii(head, 4, 8) === 'moov' && u32be(head, 0) !== 0) {
        const headerSize = large ? 16 : 8;
        boxes.push({ type: 'moov', offset, headerSize, size: source.size - offset, end: source.size });
        damage.push(`the moov box at byte ${offset} is cut short (${error.detail}); the boxes inside it that arrived were read`);
      } else {
        damage.push(`${source.size - offset} bytes from byte ${offset} are not boxes (${error.detail})`);
      }
      break;
    }
  }
  return { boxes, fragmented };
}

/**
 * The boxes of `[start, end)` that parse and that `wanted` keeps, stopping (and saying so in
 * `damage`) at the first that does not parse.
 */
function salvageBoxes(
  bytes: Uint8Array,
  start: number,
  end: number,
  base: number,
  where: string,
  format: string,
  damage: string[],
  wanted: (box: Box) => boolean,
): Box[] {
  const boxes: Box[] = [];
  for (let offset = start, count = 0; offset < end; count++) {
    if (count >= maximumBoxCount) throw new LimitExceededError(`${format}: more than ${maximumBoxCount} boxes at one level`);
    try {
      const box = parseBoxHeader(bytes, offset, offset, end, format);
      if (wanted(box)) boxes.push(box);
      offset = box.end;
    } catch (error) {
      if (!(error instanceof MalformedInputError)) throw error;
      damage.push(`${where} breaks off at byte ${base + offset}: ${error.detail}`);
      break;
    }
  }
  return boxes;
}

/** The label carriers inside one moov held in memory; a carrier whose own structure is broken is damage, not an error. */
function moovCarriers(moovBytes: Uint8Array, moov: Box, format: string, damage: string[]): LabelCarrier[] {
  const carriers: LabelCarrier[] = [];
  const salvaged = (where: string, at: number, read: () => LabelCarrier[]) => {
    try {
      carriers.push(...read());
    } catch (error) {
      if (!(error instanceof MalformedInputError)) throw error;
      damage.push(`the ${where} box at byte ${at} cannot be read: ${error.detail}`);
    }
  };
  const inMoov = (box: Box) => box.type === 'meta' || box.type === 'udta';
  const inUdta = (box: Box) => box.type === 'meta' || isXmpUuid(box) || isAigcBox(box);
  for (const child of salvageBoxes(moovBytes, moov.headerSize, moovBytes.length, moov.offset, 'the moov box', format, damage, inMoov)) {
    const childBytes = moovBytes.subarray(child.offset, child.end);
    const at = moov.offset + child.offset;
    // QTFF: movie-level metadata may sit in moov/meta (Apple devices put their keys table there) or in moov/udta/meta.
    if (child.type === 'meta') salvaged('moov/meta', at, () => metaCarriers(childBytes, 'moov/meta', true, at, format));
    if (child.type !== 'udta') continue;
    for (const grandchild of salvageBoxes(
      childBytes,
      child.headerSize,
      udtaEnd(childBytes),
      at,
      'the moov/udta box',
      format,
      damage,
      inUdta,
    )) {
      const bytes = childBytes.subarray(grandchild.offset, grandchild.end);
      const where = at + grandchild.offset;
      if (grandchild.type === 'meta') salvaged('moov/udta/meta', where, () => metaCarriers(bytes, 'moov/udta/meta', true, where, format));
      if (isXmpUuid(grandchild)) carriers.push(...uuidXmpCarriers(bytes, grandchild, `moov/udta XMP uuid box at byte ${where}`));
      if (isAigcBox(grandchild)) carriers.push(aigcBoxCarrier(bytes, grandchild, where));
    }
  }
  return carriers;
}

/** A literal `udta/aigc` box holding the JSON, as some tools write it (issue 25 item 6): read, never written. */
const isAigcBox = (box: Box): boolean => box.type.toUpperCase() === AIGC_KEY;

function aigcBoxCarrier(bytes: Uint8Array, box: Box, offset: number): LabelCarrier {
  // Some writers give it a FullBox version/flags word or a C string NUL: neither belongs to the value.
  const raw = fromUtf8(bytes.subarray(box.headerSize)).replace(/^\0+|\0+$/g, '');
  const note = finding(
    Rules.nonCanonicalCarrier,
    'warning',
    `a udta/${box.type} box holds the label; the guide names the mdta key "AIGC" in moov/udta/meta`,
  );
  return carrier('mp4-udta-aigc', `moov/udta/${box.type} box at byte ${offset}`, raw, false, offset, [note]);
}

/** A keys box with the version and flags of `original` (when there is one) and `keys` in order. */
function buildKeys(original: { box: Box; bytes: Uint8Array } | null, keys: readonly KeyEntry[]): Uint8Array {
  const count = new Uint8Array(4);
  putU32be(count, 0, keys.length);
  const versionAndFlags = original ? original.bytes.subarray(original.box.headerSize, original.box.headerSize + 4) : new Uint8Array(4);
  return makeBox('keys', [versionAndFlags, count, ...keys.map((k) => k.bytes)]);
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

interface RewrittenMeta {
  readonly bytes: Uint8Array;
  /** An mdta meta that held nothing but an AIGC key and its item: dropped rather than left as an empty keys table. */
  readonly emptied: boolean;
  /** Where non-canonical label copies were taken out (the label now lives under the AIGC key). */
  readonly moved: readonly string[];
}

/**
 * Rewrites one `meta` box. With `json`, an mdta meta gets the AIGC key at the
 * end of its keys table (existing AIGC keys dropped, the keys after them
 * renumbered, every other key and item kept byte for byte, children in their
 * order); with null, every AIGC carrier in it is removed. Returns the input
 * bytes when nothing changes.
 */
function rewriteMeta(metaBytes: Uint8Array, json: string | null, where: string, format: string): RewrittenMeta {
  const meta = parseMeta(metaBytes, format);
  for (const child of meta.children) refuseSizeZero(child.bytes, child.box.type, 'meta', format);
  const mdta = meta.handler === MDTA_NAMESPACE;
  const dropped = (k: KeyEntry) => mdta && isAigcKey(k);
  const keep = meta.keys.filter((k) => !dropped(k));
  const newIndex = new Map<number, number>();
  meta.keys.forEach((k, i) => {
    if (!dropped(k)) newIndex.set(i + 1, newIndex.size + 1);
  });
  const keys = json === null ? keep : [...keep, keyEntry(AIGC_KEY)];
  const ilstChild = meta.children.find((c) => c.box.type === 'ilst');
  const items = ilstChild ? parseIlst(ilstChild.bytes, format) : [];
  for (const item of items) refuseSizeZero(item.bytes, fourCC(item.type), 'ilst', format);
  const newItems: Uint8Array[] = [];
  const moved: string[] = [];
  let changed = keep.length !== meta.keys.length;
  for (const item of items) {
    const key = mdta && item.type >= 1 && item.type <= meta.keys.length ? (meta.keys[item.type - 1] as KeyEntry) : null;
    if (key ? !newIndex.has(item.type) || keyedItemHoldsLabel(key, item) : itemHoldsLabel(item)) {
      changed = true;
      if (key && !dropped(key)) moved.push(`${where} keys ${JSON.stringify(key.name)}`);
      else if (!key) moved.push(`${where} ilst item "${fourCC(item.type)}"`);
      continue;
    }
    const index = key ? (newIndex.get(item.type) as number) : item.type;
    if (index === item.type) {
      newItems.push(item.bytes);
    } else {
      const renumbered = item.bytes.slice();
      putU32be(renumbered, 4, index);
      newItems.push(renumbered);
      changed = true;
    }
  }
  if (json !== null) newItems.push(textItem(keys.length, json));
  if (!changed && json === null) return { bytes: metaBytes, emptied: false, moved };
  const newKeys = mdta && (meta.keysBox || json !== null) ? buildKeys(meta.keysBox, keys) : null;
  const newIlst = makeBox('ilst', newItems);
  const parts = meta.children.map((c) => (c === meta.keysBox && newKeys ? newKeys : c === ilstChild ? newIlst : c.bytes));
  // QuickTime File Format: hdlr, keys, ilst in that order, when they have to be added.
  let at = meta.children.findIndex((c) => c.box.type === 'hdlr') + 1;
  if (newKeys && !meta.keysBox) parts.splice(at++, 0, newKeys);
  else if (newKeys) at = parts.indexOf(newKeys) + 1;
  if (!ilstChild) parts.splice(at, 0, newIlst);
  return {
    bytes: makeBox('meta', [meta.prefix, ...parts]),
    emptied: json === null && mdta && keys.length === 0 && newItems.length === 0,
    moved,
  };
}

const newMdtaMeta = (json: string): Uint8Array =>
  makeFullBox('meta', 0, 0, [mdtaHandler(), buildKeys(null, [keyEntry(AIGC_KEY)]), makeBox('ilst', textItem(1, json))]);

function rewriteXmpUuid(uuidBytes: Uint8Array, box: Box, json: string): Uint8Array {
  const xml = fromUtf8(uuidBytes.subarray(box.headerSize));
  if (findAigcInXmp(xml).length === 0) return uuidBytes;
  const userType = uuidBytes.subarray(box.headerSize - 16, box.headerSize);
  const out = concat([new Uint8Array(4), ascii('uuid'), userType, utf8(setAigcInXmp(xml, json))]);
  putU32be(out, 0, out.length);
  return out;
}

/** A meta box's place in the moov: directly under it, or inside one of its udta boxes. */
interface MetaPlace {
  readonly meta: Box;
  readonly udta: Box | null;
  /** Its keys table has keys other than AIGC (an Apple or ffmpeg table, not only an earlier label). */
  readonly ownKeys: boolean;
}

/**
 * The mdta meta that takes the label. ffmpeg reads the first keys table of a file
 * and applies it to every ilst, so a second table beside an existing one (Apple
 * devices write one in moov/meta) hides our key and garbles theirs (issue 13):
 * the label joins an existing table with keys of its own, in file order, else the
 * first mdta meta in moov/udta, else none (a new udta/meta is made).
 */
function labelTarget(moovBytes: Uint8Array, moov: Box, format: string): MetaPlace | null {
  let withOwnKeys: MetaPlace | null = null;
  let inUdta: MetaPlace | null = null;
  const consider = (meta: Box, bytes: Uint8Array, udta: Box | null) => {
    const parsed = parseMeta(bytes.subarray(meta.offset, meta.end), format);
    if (parsed.handler !== MDTA_NAMESPACE || (!udta && !parsed.keysBox)) return;
    const place = { meta, udta, ownKeys: parsed.keys.some((k) => !isAigcKey(k)) };
    if (place.ownKeys) withOwnKeys ??= place;
    if (udta) inUdta ??= place;
  };
  for (const child of boxesIn(moovBytes, moov.headerSize, moovBytes.length, format)) {
    if (withOwnKeys) break;
    if (child.type === 'meta') consider(child, moovBytes, null);
    if (child.type !== 'udta') continue;
    const udtaBytes = moovBytes.subarray(child.offset, child.end);
    for (const grandchild of boxesIn(udtaBytes, child.headerSize, udtaEnd(udtaBytes), format)) {
      if (grandchild.type === 'meta') consider(grandchild, udtaBytes, child);
    }
  }
  return withOwnKeys ?? inUdta;
}

/**
 * A box rebuilt from `bytes` (the box, header at 0) with some children replaced: `replace`
 * returns the new bytes for a child (an empty array drops it) or undefined to keep it. Kept
 * children are copied as runs, so a box with a million children costs a few parts.
 */
function rebuiltBox(
  bytes: Uint8Array,
  start: number,
  end: number,
  format: string,
  replace: (child: Box, childBytes: Uint8Array) => Uint8Array[] | undefined,
  appended: readonly Uint8Array[] = [],
): Uint8Array {
  const type = fromAscii(bytes, 4, 8);
  const parts: Uint8Array[] = [];
  let runStart = start;
  for (const child of boxesIn(bytes, start, end, format)) {
    refuseSizeZero(bytes.subarray(child.offset), child.type, type, format);
    const replacement = replace(child, bytes.subarray(child.offset, child.end));
    if (replacement === undefined) continue;
    parts.push(bytes.subarray(runStart, child.offset), ...replacement);
    runStart = child.end;
  }
  parts.push(bytes.subarray(runStart, end), ...appended, bytes.subarray(end));
  return makeBox(type, parts);
}

/**
 * moov with the label under the mdta key AIGC of the meta `labelTarget` picks (a new
 * moov/udta/meta when there is none) and no AIGC carrier anywhere else in it;
 * chunk offsets untouched. `moved` names the non-canonical copies taken out.
 */
function labeledMoov(moovBytes: Uint8Array, moov: Box, json: string, format: string): { moov: Uint8Array; moved: string[] } {
  const target = labelTarget(moovBytes, moov, format);
  const moved: string[] = [];
  const rewritten = (bytes: Uint8Array, isTarget: boolean, where: string): Uint8Array[] => {
    const result = rewriteMeta(bytes, isTarget ? json : null, where, format);
    moved.push(...result.moved);
    return result.emptied ? [] : [result.bytes];
  };
  let firstUdta = true;
  const labeled = rebuiltBox(moovBytes, moov.headerSize, moovBytes.length, format, (child, childBytes) => {
    // Boxes are compared by offset: labelTarget walked the same bytes.
    if (child.type === 'meta') return rewritten(childBytes, target?.udta === null && target.meta.offset === child.offset, 'moov/meta');
    if (child.type !== 'udta') return undefined;
    const udta = rebuiltBox(
      childBytes,
      child.headerSize,
      udtaEnd(childBytes),
      format,
      (grandchild, bytes) => {
        if (grandchild.type === 'meta')
          return rewritten(bytes, target?.udta?.offset === child.offset && target.meta.offset === grandchild.offset, 'moov/udta/meta');
        if (isXmpUuid(grandchild)) return [rewriteXmpUuid(bytes, grandchild, json)];
        if (!isAigcBox(grandchild)) return undefined;
        moved.push(`the moov/udta/${grandchild.type} box`);
        return [];
      },
      !target && firstUdta ? [newMdtaMeta(json)] : [],
    );
    firstUdta = false;
    return [udta];
  });
  if (!(!target && firstUdta)) return { moov: labeled, moved };
  // No udta at all: one is added at the end of the moov.
  const header = parseBoxHeader(labeled, 0, 0, labeled.length, format);
  return { moov: makeBox('moov', [labeled.subarray(header.headerSize), makeBox('udta', newMdtaMeta(json))]), moved };
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
 * The plan for a labeled MP4/MOV/M4A: the label under the mdta key AIGC (see
 * `labeledMoov` and `planMoovRewrite`), and any XMP uuid box that held a label made to hold the same one.
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
  const moved: string[] = [];
  const plan = await planMoovRewrite(
    source,
    format,
    (moovBytes, moov) => {
      const labeled = labeledMoov(moovBytes, moov, json, format);
      moved.push(...labeled.moved);
      return labeled.moov;
    },
    fixed,
  );
  for (const where of moved) {
    findings.push(
      finding(Rules.multipleLabels, 'info', `took the label out of ${where}; it is under the mdta key AIGC (one label per file)`),
    );
  }
  return { plan, findings };
}

/**
 * A truncated file whose track data is gone, with chunk offsets into the moov, or past the end
 * of a file the moov ends (music-metadata's issue-744.mp4 and issue-133.m4a), is refused: the
 * rewritten moov, or the bytes it grows by, would be read as that track data, so the label
 * would become sample data. (A moov in front of a cut mdat is written: nothing lands there.)
 */
function refuseMissingMediaData(moovBytes: Uint8Array, moov: Box, fileSize: number, format: string): void {
  for (const offset of chunkOffsets(moovBytes, format)) {
    const inMoov = offset >= moov.offset && offset < moov.end;
    if (!inMoov && !(offset >= fileSize && moov.end === fileSize)) continue;
    throw new MalformedInputError(
      format,
      `a chunk of track data at byte ${offset} is ${inMoov ? 'inside the moov box' : 'past the end of the file, after the moov'}: the file is truncated and its media data missing; a label written now would be read as sample data`,
    );
  }
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
  const moovBytes = await readBox(source, moov, format, maximumMoovInBytes);
  refuseMissingMediaData(moovBytes, moov, source.size, format);
  const unshifted = rewrite(moovBytes, moov);
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
