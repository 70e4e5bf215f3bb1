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
  headerReader,
  indexOfBytes,
  isobmff,
  type LabelCarrier,
  LimitExceededError,
  labelXmpPacket,
  MalformedInputError,
  maximumXmpPacketInBytes,
  putU32be,
  type ReadResult,
  Rules,
  readExact,
  splicePlan,
  UnsupportedFormatError,
  u32be,
  type WriteOptions,
  type WriteResult,
  xmpEvidence,
} from '@aigc-label/core';
import { visibleImageLabel } from '../explicit/capability.js';
import { type ByteEdit, c2paInvalidatedFinding, listedOnly, xmpCarriers } from '../shared/carriers.js';
import { editExifPayload } from '../shared/exif-edit.js';
import { exifTextCarriers } from '../shared/tiff-ifd.js';
import { imageWatermark } from '../watermark/capability.js';
import {
  cdscReference,
  fullBox,
  type Iloc,
  type IlocItem,
  type ItemInfo,
  itemData,
  mimeInfe,
  parseIinf,
  parseIloc,
  parsePitm,
  serializeIloc,
} from './items.js';

/** The MIME type of an XMP item (ISO/IEC 23008-12 Annex A.2). */
const XMP_CONTENT_TYPE = 'application/rdf+xml';
/** C2PA 2.1 §A.5: the manifest store in ISO-BMFF is a top-level uuid box with this id. */
const C2PA_UUID = 'd8fec3d61b0e483c92975828877ec481';
const isC2paBox = (b: isobmff.Box) => b.type === 'uuid' && b.uuid === C2PA_UUID;
const HEIF_BRANDS = new Set(['heic', 'heix', 'heim', 'heis', 'hevc', 'hevx', 'mif1', 'mif2', 'mif3', 'msf1', 'MiHE', 'MiHB']);
/** The major brand of a low-overhead HEIF/AVIF file, whose image and metadata live in a bit-packed `mini` box instead of `meta`. */
const LOW_OVERHEAD_BRAND = 'mif3';
/** Brands that name HEVC coding, which no AVIF file carries. */
const HEVC_BRANDS = new Set(['heic', 'heix', 'heim', 'heis', 'hevc', 'hevx']);
/** AVIF still images (avif) and image sequences (avis), AV1 Image File Format §9. */
const AVIF_BRANDS = new Set(['avif', 'avis']);

interface HeifLayout {
  readonly top: readonly isobmff.Box[];
  /** The top-level meta box, at its file offset; null in a sequence without a primary image (read only). */
  readonly meta: isobmff.Box | null;
  /** The bytes of meta; `children` and the boxes below have offsets relative to its start. */
  readonly metaBytes: Uint8Array;
  readonly metaVersion: number;
  readonly metaFlags: number;
  readonly children: readonly isobmff.Box[];
  readonly iloc: Iloc | null;
  /** The iloc entries by item id. */
  readonly locations: ReadonlyMap<number, IlocItem>;
  readonly ilocBox: isobmff.Box | undefined;
  readonly iinfBox: isobmff.Box | undefined;
  readonly infos: readonly ItemInfo[];
  readonly pitm: isobmff.Box | undefined;
  readonly idat: isobmff.Box | undefined;
  readonly c2pa: boolean;
  /** Damage a salvage read went past (issue 25); empty when strict. */
  readonly damage: readonly string[];
}

function brands(head: Uint8Array): string[] {
  if (head.length < 16 || fromAscii(head, 4, 8) !== 'ftyp') return [];
  const size = Math.min(u32be(head, 0), head.length);
  const list = [fromAscii(head, 8, 12)];
  // Low-overhead files (ISO/IEC 23008-12:2024 Amd 2) keep their ftyp at 16 bytes: major brand mif3, the brand (heic, avif) in minor_version.
  if (list[0] === LOW_OVERHEAD_BRAND) list.push(fromAscii(head, 12, 16));
  for (let at = 16; at + 4 <= size; at += 4) list.push(fromAscii(head, at, at + 4));
  return list;
}

/** Largest meta box we load; real ones are a few KB, with thumbnails and idat a few MB. */
const maximumMetaInBytes = 64 * 1024 * 1024;
/** Most child boxes of meta: a real one has a dozen (hdlr, pitm, iloc, iinf, iref, iprp, idat, …). */
const maximumMetaChildren = 10_000;
/** Largest moov of an image sequence we rewrite; its sample tables hold a few bytes per frame. */
const maximumMoovInBytes = 64 * 1024 * 1024;
/** How far past a broken top-level box a salvage read looks for the meta box (issue 25). */
const maximumResyncInBytes = 16 * 1024 * 1024;
const resyncWindowInBytes = 1024 * 1024;
const META = ascii('meta');

/**
 * The offset of a plausible top-level meta box at or after `from`: the FourCC with a size before
 * it that fits the file. Scans at most `maximumResyncInBytes`, one window at a time.
 */
async function findMetaAfter(source: ByteSource, from: number): Promise<number | null> {
  const stop = Math.min(source.size, from + maximumResyncInBytes);
  for (let start = Math.max(from, 4); start < stop; start += resyncWindowInBytes) {
    const windowStart = start - 4; // the size field before a FourCC at `start`
    const window = await source.read(windowStart, Math.min(resyncWindowInBytes + 8, source.size - windowStart));
    for (let at = indexOfBytes(window, META, 4); at >= 0 && windowStart + at < stop; at = indexOfBytes(window, META, at + 1)) {
      const offset = windowStart + at - 4;
      const size = u32be(window, at - 4);
      if (size >= 12 && offset + size <= source.size) return offset;
    }
  }
  return null;
}

/** Top-level box types the reader and writer look at; the rest (free, skip, mdat…) are counted, not kept. */
const KEPT_TOP_LEVEL = new Set(['ftyp', 'meta', 'moov', 'moof', 'uuid', 'mini']);

/**
 * The top-level boxes a label needs: ftyp, meta, moov/moof, uuid (C2PA), and the last box (a
 * previous label's mdat), so a file of a million `free` boxes holds a handful (issue 15). With
 * `salvage`, a broken box ends the walk once meta is found (trailing garbage, a cut last box);
 * before meta, the walk skips to the next plausible meta box.
 */
async function topLevelBoxes(source: ByteSource, format: string, damage: string[] | null): Promise<isobmff.Box[]> {
  const top: isobmff.Box[] = [];
  // The box before `box` stays when it is the first, or of a kept type; else `box` takes its place as the last.
  const keep = (box: isobmff.Box) => {
    const previous = top[top.length - 1];
    if (top.length > 1 && previous && !KEPT_TOP_LEVEL.has(previous.type)) top.pop();
    top.push(box);
  };
  const read = headerReader(source, format);
  let count = 0;
  let offset = 0;
  while (offset < source.size) {
    if (++count > isobmff.maximumBoxCount) throw new LimitExceededError(`${format}: more than ${isobmff.maximumBoxCount} top-level boxes`);
    try {
      const head = await read(offset, Math.min(32, source.size - offset), 'box header');
      const box = isobmff.parseBoxHeader(head, 0, offset, source.size, format);
      keep(box);
      offset = box.end;
    } catch (error) {
      if (damage === null || !(error instanceof MalformedInputError)) throw error;
      const problem = error.message.slice(format.length + 2);
      const meta = top.some((b) => b.type === 'meta') ? null : await findMetaAfter(source, offset + 1);
      if (meta === null) {
        damage.push(`${problem}; the boxes before it were read`);
        break;
      }
      damage.push(`${problem}; skipped to a meta box at byte ${meta}`);
      offset = meta;
    }
  }
  return top;
}

/** Child boxes of meta; with `salvage`, those before a broken one. */
function metaChildren(bytes: Uint8Array, start: number, format: string, damage: string[] | null): isobmff.Box[] {
  const children: isobmff.Box[] = [];
  for (let offset = start; offset < bytes.length; ) {
    if (children.length >= maximumMetaChildren) throw new LimitExceededError(`${format}: more than ${maximumMetaChildren} boxes in meta`);
    try {
      const box = isobmff.parseBoxHeader(bytes, offset, offset, bytes.length, format);
      children.push(box);
      offset = box.end;
    } catch (error) {
      if (damage === null || !(error instanceof MalformedInputError)) throw error;
      damage.push(`in meta: ${error.message.slice(format.length + 2)}; the boxes before it were read`);
      break;
    }
  }
  return children;
}

/**
 * Reads the top-level box headers and the meta box only; image data stays in the source. With
 * `salvage` (reading, issue 25), damage is collected instead of thrown and what is intact is kept.
 */
async function layout(source: ByteSource, format: string, salvage: boolean): Promise<HeifLayout> {
  const fail = (message: string) => new MalformedInputError(format, message);
  if (source.size === 0) throw fail('the file is empty (0 bytes)');
  const damage: string[] = [];
  const broken = (message: string) => {
    if (!salvage) throw fail(message);
    damage.push(message);
  };
  const top = await topLevelBoxes(source, format, salvage ? damage : null);
  if (top[0]?.type !== 'ftyp') broken('the file does not start with an ftyp box');
  // Reading it as if it had no metadata would say "no label" for a label its mini box may hold: refused, reading and writing alike.
  if (top.some((b) => b.type === 'mini'))
    throw new UnsupportedFormatError(
      `${format}: low-overhead ${format === 'avif' ? 'AVIF' : 'HEIF'} (a mini box, brand mif3) is not supported yet`,
    );
  const c2pa = top.some(isC2paBox);
  const metas = top.filter((b) => b.type === 'meta');
  const sequence = top.some((b) => b.type === 'moov');
  const none = {
    top,
    meta: null,
    metaBytes: new Uint8Array(0),
    metaVersion: 0,
    metaFlags: 0,
    children: [],
    iloc: null,
    locations: new Map(),
  };
  const empty = { ...none, ilocBox: undefined, iinfBox: undefined, infos: [], pitm: undefined, idat: undefined, c2pa, damage };
  // An image sequence may have no primary image; its track metadata is not a HEIF item (ISO/IEC 23008-12 §7).
  if (metas.length === 0 && sequence) {
    if (salvage) return empty;
    throw new UnsupportedFormatError(`${format}: an image sequence without a primary image (no meta box) is not supported yet`);
  }
  if (metas.length !== 1) {
    broken(`${metas.length} top-level meta boxes; HEIF needs exactly one`);
    if (metas.length === 0) return empty;
  }
  const meta = metas[0];
  if (meta.size > maximumMetaInBytes)
    throw new LimitExceededError(`${format}: meta box of ${meta.size} bytes is over ${maximumMetaInBytes}`);
  const bytes = await readExact(source, meta.offset, meta.size, format, 'meta box');
  const header = fullBox(bytes, { ...meta, offset: 0, end: meta.size });
  const children = metaChildren(bytes, header.payload, format, salvage ? damage : null);
  const find = (type: string) => children.find((b) => b.type === type);
  const ilocBox = find('iloc');
  const iinfBox = find('iinf');
  const pitm = find('pitm');
  if (!ilocBox || !iinfBox || !pitm) broken('meta has no iloc, iinf or pitm box');
  /** A box parsed whole: its damage is thrown, or noted with what is lost. */
  const parsed = <T>(what: string, parse: () => T, lost: T): T => {
    try {
      return parse();
    } catch (error) {
      if (!salvage || !(error instanceof MalformedInputError)) throw error;
      damage.push(`${error.message.slice(format.length + 2)}; ${what}`);
      return lost;
    }
  };
  const iloc = ilocBox ? parsed('item locations are unknown', () => parseIloc(bytes, ilocBox), null) : null;
  return {
    top,
    meta,
    metaBytes: bytes,
    metaVersion: header.version,
    metaFlags: header.flags,
    children,
    iloc,
    locations: new Map(iloc?.items.map((i) => [i.id, i])),
    ilocBox,
    iinfBox,
    infos: iinfBox ? parsed('the items it describes are not read', () => parseIinf(bytes, iinfBox).items, []) : [],
    pitm,
    idat: find('idat'),
    c2pa,
    damage,
  };
}

/** A C2PA manifest store is a few KB to a few MB (thumbnails); a bigger uuid box is not read. */
const maximumC2paInBytes = 16 * 1024 * 1024;

/** The layout a write needs: strict, so every box it rebuilds is there. */
type WritableLayout = HeifLayout & {
  readonly meta: isobmff.Box;
  readonly iloc: Iloc;
  readonly ilocBox: isobmff.Box;
  readonly iinfBox: isobmff.Box;
  readonly primary: number;
};

function strict(l: HeifLayout, format: string): WritableLayout {
  const { meta, iloc, ilocBox, iinfBox, pitm } = l;
  if (!meta || !iloc || !ilocBox || !iinfBox || !pitm) throw new MalformedInputError(format, 'meta has no iloc, iinf or pitm box');
  return { ...l, meta, iloc, ilocBox, iinfBox, primary: parsePitm(l.metaBytes, pitm) };
}

const isXmpItem = (info: ItemInfo) => info.type === 'mime' && info.contentType.split(';')[0].trim() === XMP_CONTENT_TYPE;

/** Where an item's bytes are; an item without an iloc entry (or when iloc is lost) throws. */
function locationOf(l: HeifLayout, info: ItemInfo, format: string): IlocItem {
  const item = l.locations.get(info.id);
  if (!item) throw new MalformedInputError(format, `item ${info.id} (${info.type}) has no iloc entry`);
  return item;
}

/** Items of a type with their locations. */
function itemsWhere(l: HeifLayout, format: string, test: (info: ItemInfo) => boolean): { info: ItemInfo; item: IlocItem }[] {
  return l.infos.filter(test).map((info) => ({ info, item: locationOf(l, info, format) }));
}

/** Fail closed (issue 24 item 6): an item that should hold a label but cannot be read is still a carrier. */
function unreadableItem(carrier: string, where: string, offset: number, reason: string): LabelCarrier {
  return {
    carrier,
    location: where,
    offset,
    raw: '',
    label: null,
    form: null,
    canonical: false,
    findings: [finding(Rules.unreadableCarrier, 'error', `the item cannot be read: ${reason}`, where)],
  };
}

/** Largest Exif item we read; EXIF blocks are at most a few hundred KB. */
const maximumExifItemInBytes = 4 * 1024 * 1024;
const EXIF_PREFIX = ascii('Exif\0\0');

/** ISO/IEC 23008-12 Annex A.2.1: an Exif item is a u32 offset to the TIFF header, then the EXIF bytes. */
async function exifItemCarriers(source: ByteSource, l: HeifLayout, info: ItemInfo, item: IlocItem, format: string, findings: Finding[]) {
  const data = await itemData(source, l.metaBytes, item, l.idat, maximumExifItemInBytes);
  const where = `Exif item ${info.id}`;
  try {
    if (data.length < 4 || 4 + u32be(data, 0) > data.length)
      throw new MalformedInputError(format, `${where} has a TIFF header offset past its end`);
    const offset = l.meta?.offset ?? 0;
    return { data, carriers: await exifTextCarriers(bytesSource(data.subarray(4 + u32be(data, 0))), offset, where, format) };
  } catch (error) {
    if (!(error instanceof MalformedInputError)) throw error;
    findings.push(finding(Rules.damaged, 'warning', error.message, where));
    return { data, carriers: [] };
  }
}

/** Moves a file offset that lies after the old meta box by the growth of meta. */
function shiftItem(item: IlocItem, metaEnd: number, delta: number): IlocItem {
  if (item.constructionMethod !== 0 || item.dataReferenceIndex !== 0) return item;
  if (item.baseOffset >= metaEnd) return { ...item, baseOffset: item.baseOffset + delta };
  return {
    ...item,
    extents: item.extents.map((e) => (item.baseOffset + e.offset >= metaEnd ? { ...e, offset: e.offset + delta } : e)),
  };
}

/**
 * The moov of an image sequence (ISO/IEC 23008-12 §7, brands msf1 and avis), read so that its
 * chunk offsets can follow the bytes they point at when meta grows; null for a still image.
 */
async function sequenceTracks(
  source: ByteSource,
  l: WritableLayout,
  format: string,
): Promise<{ box: isobmff.Box; bytes: Uint8Array } | null> {
  const moovs = l.top.filter((b) => b.type === 'moov');
  if (moovs.length === 0) return null;
  if (moovs.length > 1) throw new MalformedInputError(format, `${moovs.length} moov boxes; a file has one`);
  if (l.top.some((b) => b.type === 'moof')) {
    throw new UnsupportedFormatError(`${format}: fragmented image sequences (moof boxes) are not supported yet`);
  }
  return { box: moovs[0], bytes: await isobmff.readBox(source, moovs[0], format, maximumMoovInBytes) };
}

function makeHandler(id: 'heif' | 'avif'): FormatHandler {
  const format = id;
  return {
    id,
    kind: 'image',
    name: id === 'heif' ? 'HEIF/HEIC' : 'AVIF',
    // Image sequences often carry their own extensions (.avifs, .heics, .heifs).
    extensions: id === 'heif' ? ['heic', 'heif', 'hif', 'heics', 'heifs'] : ['avif', 'avifs'],
    mimeTypes:
      id === 'heif' ? ['image/heic', 'image/heif', 'image/heic-sequence', 'image/heif-sequence'] : ['image/avif', 'image/avif-sequence'],
    carrier: 'mime item application/rdf+xml (iref cdsc), XMP TC260:AIGC',
    contentRegions: {
      unsupported:
        'item extents and iloc offsets move when the XMP item is added, so a binding needs the coded items located through iloc rather than byte ranges (not done yet)',
    },
    explicit:
      id === 'avif'
        ? visibleImageLabel
        : { unsupported: 'HEIC keeps its HEVC pixels here: sharp from npm has no HEVC encoder, so no visible label can be drawn' },
    watermark:
      id === 'avif'
        ? imageWatermark
        : { unsupported: 'HEIC keeps its HEVC pixels here: sharp from npm has no HEVC encoder to re-encode a mark' },
    sniff: (head) => {
      const list = brands(head);
      if (list.length === 0) return false;
      // A generic major brand (mif1, msf1, miaf) leaves the choice to the compatible brands.
      const avif = AVIF_BRANDS.has(list[0]) || (!HEVC_BRANDS.has(list[0]) && list.some((b) => AVIF_BRANDS.has(b)));
      return id === 'avif' ? avif : !avif && list.some((b) => HEIF_BRANDS.has(b));
    },

    async read(source: ByteSource): Promise<ReadResult> {
      const l = await layout(source, format, true);
      const carriers: LabelCarrier[] = [];
      const evidence: Evidence[] = [];
      const findings: Finding[] = l.damage.map((d) => finding(Rules.damaged, 'error', d));
      if (!l.meta && l.top.some((b) => b.type === 'moov')) {
        findings.push(
          finding(
            Rules.damaged,
            'info',
            'an image sequence without a primary image (no meta box): only the items of meta carry labels here',
          ),
        );
      }
      const where = (info: ItemInfo) => `XMP item ${info.id} (mime ${XMP_CONTENT_TYPE})`;
      const metaOffset = l.meta?.offset ?? 0;
      for (const info of listedOnly(l.infos.filter(isXmpItem), 'XMP items', findings)) {
        let xml: string;
        try {
          xml = decodeXmpPacket(await itemData(source, l.metaBytes, locationOf(l, info, format), l.idat, maximumXmpPacketInBytes)).xml;
        } catch (error) {
          if (!(error instanceof MalformedInputError || error instanceof LimitExceededError)) throw error;
          carriers.push(unreadableItem('xmp', where(info), metaOffset, error.message));
          continue;
        }
        carriers.push(...xmpCarriers(xml, where(info), metaOffset));
        evidence.push(...xmpEvidence(xml, where(info)));
      }
      for (const info of listedOnly(
        l.infos.filter((i) => i.type === 'Exif'),
        'Exif items',
        findings,
      )) {
        try {
          carriers.push(...(await exifItemCarriers(source, l, info, locationOf(l, info, format), format, findings)).carriers);
        } catch (error) {
          if (!(error instanceof MalformedInputError || error instanceof LimitExceededError)) throw error;
          findings.push(finding(Rules.damaged, 'warning', error.message, `Exif item ${info.id}`));
        }
      }
      for (const b of listedOnly(l.top.filter(isC2paBox), 'C2PA uuid boxes', findings)) {
        if (b.size - b.headerSize > maximumC2paInBytes) {
          findings.push(
            finding(Rules.damaged, 'warning', `C2PA uuid box at byte ${b.offset} is over ${maximumC2paInBytes} bytes; not read`),
          );
          continue;
        }
        const store = await readExact(source, b.offset + b.headerSize, b.size - b.headerSize, format, 'uuid box');
        evidence.push(c2paEvidence(store, `uuid box at byte ${b.offset}`));
      }
      return { format, carriers, findings, evidence };
    },

    /**
     * Writes the XMP packet into a new `mdat` at the end of the file and points a
     * `mime` item at it: a new item linked to the primary item by `iref cdsc`, or
     * the existing XMP item repointed (an Exif item that held a label is rewritten
     * into the same `mdat` the same way). `meta` is rebuilt around the new iloc/iinf/
     * iref; every file offset in iloc that lies after `meta` moves by its growth.
     * The rewritten items' old data, now unreferenced, is blanked with spaces.
     */
    async write(source: ByteSource, label: AigcLabel, options: WriteOptions = {}): Promise<WriteResult> {
      const l = strict(await layout(source, format, false), format);
      const bytes = l.metaBytes;
      const fail = (message: string) => new MalformedInputError(format, message);
      const sequence = await sequenceTracks(source, l, format);
      const existing = itemsWhere(l, format, isXmpItem);
      if (existing.length > 1) throw fail(`${existing.length} XMP items; a file may have one`);
      const json = options.form === 'wrapped' ? encodeWrapped(label) : encodeBare(label);
      const old = existing[0];
      // The label is written in the packet's own encoding (UTF-8, or UTF-16/32), so every other tag stays readable.
      const oldPacket = old ? decodeXmpPacket(await itemData(source, bytes, old.item, l.idat, maximumXmpPacketInBytes)) : null;
      const packet = encodeXmpPacket(labelXmpPacket(oldPacket?.xml ?? null, json, options), oldPacket?.encoding ?? 'utf-8');
      const xmpId = old ? old.info.id : [...l.iloc.items, ...l.infos].reduce((most, i) => Math.max(most, i.id), 0) + 1;
      if (l.iloc.version < 2 && xmpId > 0xffff) throw fail('no 16-bit item id is free for the XMP item');

      // One label per file (GB 45438 §6.1 c)): an Exif item holding a label is rewritten without it.
      const findings: Finding[] = [];
      const appended: { id: number; data: Uint8Array }[] = [{ id: xmpId, data: packet }];
      for (const { info, item } of itemsWhere(l, format, (i) => i.type === 'Exif')) {
        const { data, carriers } = await exifItemCarriers(source, l, info, item, format, findings);
        if (carriers.length === 0) continue;
        const tiff = data.subarray(4 + u32be(data, 0));
        const rewritten = await editExifPayload(concat([EXIF_PREFIX, tiff]), null, format);
        appended.push({ id: info.id, data: concat([Uint8Array.of(0, 0, 0, EXIF_PREFIX.length), rewritten]) });
        findings.push(
          finding(Rules.multipleLabels, 'info', `removed the label in Exif item ${info.id}; it is now in XMP (one label per file)`),
        );
      }
      const appendedIds = new Set(appended.map((a) => a.id));

      // An mdat that a previous label appended holds only items rewritten now: overwrite it rather than leave a stale copy.
      const last = l.top[l.top.length - 1];
      const inside = l.iloc.items.filter(
        (i) =>
          i.constructionMethod === 0 &&
          i.dataReferenceIndex === 0 &&
          i.extents.some((e) => i.baseOffset + e.offset >= last.offset && i.baseOffset + e.offset < last.end),
      );
      // (In a sequence the tracks may point into it too, so a new mdat is appended there.)
      const reuse =
        !sequence && last.type === 'mdat' && last.offset > l.meta.end && inside.length > 0 && inside.every((i) => appendedIds.has(i.id));
      const tailStart = reuse ? last.offset : source.size;

      // The last top-level box may run "to the end of the file" (size 0); give it its real size first.
      const edits: ByteEdit[] = [];
      if (!reuse && last !== l.meta && u32be(await readExact(source, last.offset, 4, format, 'box header'), 0) === 0) {
        if (last.size > 0xffffffff) throw fail('the last box runs to the end of the file and is over 4 GiB');
        const size = new Uint8Array(4);
        putU32be(size, 0, last.size);
        edits.push({ start: last.offset, end: last.offset + 4, insert: size });
      }

      const iref = l.children.find((b) => b.type === 'iref');
      const irefVersion = iref ? fullBox(bytes, iref).version : xmpId > 0xffff || l.primary > 0xffff ? 1 : 0;
      const buildMeta = (delta: number): Uint8Array => {
        const items = l.iloc.items.filter((i) => !appendedIds.has(i.id)).map((i) => shiftItem(i, l.meta.end, delta));
        let offset = tailStart + delta + 8;
        for (const a of appended) {
          items.push({
            id: a.id,
            constructionMethod: 0,
            dataReferenceIndex: 0,
            baseOffset: 0,
            extents: [{ index: 0, offset, length: a.data.length }],
          });
          offset += a.data.length;
        }
        const iloc: Iloc = { ...l.iloc, offsetSize: Math.max(l.iloc.offsetSize, 4), lengthSize: Math.max(l.iloc.lengthSize, 4), items };
        const parts: Uint8Array[] = [];
        for (const child of l.children) {
          const raw = bytes.subarray(child.offset, child.end);
          // A new infe, reference or iref goes after what is there: a size-0 box before it would swallow it.
          if (!old) {
            isobmff.refuseSizeZero(raw, child.type, 'meta', format);
            if (child === l.iinfBox || child === iref) refuseSizeZeroChildren(bytes, child, format);
          }
          if (child === l.ilocBox) parts.push(serializeIloc(iloc, fullBox(bytes, child).flags));
          else if (child === l.iinfBox && !old) parts.push(addInfe(bytes, child, xmpId));
          else if (child === iref && !old)
            parts.push(
              concat([resized(raw, cdscReference(irefVersion, xmpId, l.primary).length), cdscReference(irefVersion, xmpId, l.primary)]),
            );
          else parts.push(raw);
        }
        if (!iref && !old) parts.push(isobmff.makeFullBox('iref', irefVersion, 0, cdscReference(irefVersion, xmpId, l.primary)));
        return isobmff.makeFullBox('meta', l.metaVersion, l.metaFlags, parts);
      };
      // The sizes of iloc fields do not depend on the offsets, so one trial build gives the growth.
      const delta = buildMeta(0).length - l.meta.size;
      edits.push({ start: l.meta.offset, end: l.meta.end, insert: buildMeta(delta) });
      if (sequence) {
        // The tracks' chunk offsets follow the bytes they point at (ISO/IEC 14496-12 §8.7.5).
        const moved = isobmff.shiftChunkOffsets(sequence.bytes, (offset) => (offset >= l.meta.end ? offset + delta : offset), format);
        if (moved.length !== sequence.bytes.length) {
          throw new UnsupportedFormatError(`${format}: an image sequence whose chunk offsets would pass 4 GiB is not supported yet`);
        }
        if (moved !== sequence.bytes) edits.push({ start: sequence.box.offset, end: sequence.box.end, insert: moved });
      }
      // The rewritten items' old data stays where it was, unreferenced: blank it, so that no stale
      // copy of an old label remains in the file (GB 45438 §6.1 c)). Bytes another item uses are kept.
      const fileExtents = (items: readonly IlocItem[]) =>
        items
          .filter((i) => i.constructionMethod === 0 && i.dataReferenceIndex === 0)
          .flatMap((i) =>
            i.extents.map((e) => ({ start: i.baseOffset + e.offset, end: i.baseOffset + e.offset + e.length, length: e.length })),
          );
      const stillUsed = fileExtents(l.iloc.items.filter((i) => !appendedIds.has(i.id)));
      for (const old of fileExtents(l.iloc.items.filter((i) => appendedIds.has(i.id)))) {
        const overlaps = (start: number, end: number) => old.start < end && start < old.end;
        const shared = stillUsed.some((u) => u.length === 0 || overlaps(u.start, u.end));
        const edited = edits.some((e) => overlaps(e.start, e.end)) || overlaps(l.meta.offset, l.meta.end);
        // Length 0 means "to the end of the file"; a stale extent in the reused tail is overwritten anyway.
        if (old.length === 0 || old.end > tailStart || shared || edited) continue;
        edits.push({ start: old.start, end: old.end, insert: new Uint8Array(old.length).fill(0x20) });
      }
      edits.push({
        start: tailStart,
        end: source.size,
        insert: isobmff.makeBox(
          'mdat',
          appended.map((a) => a.data),
        ),
      });
      if (l.c2pa) findings.push(c2paInvalidatedFinding());
      return {
        ...splicePlan(
          source.size,
          edits.sort((a, b) => a.start - b.start),
        ),
        findings,
      };
    },
  };
}

/** A box's bytes with its 32-bit size grown by `extra` (for appending a child). */
function resized(box: Uint8Array, extra: number): Uint8Array {
  const copy = box.slice();
  if (u32be(copy, 0) === 1) throw new UnsupportedFormatError('heif: 64-bit iinf/iref boxes are not supported');
  putU32be(copy, 0, u32be(copy, 0) + extra);
  return copy;
}

/** Refuses a child of `box` (iinf: after its entry count; iref: after its version) of size 0. */
function refuseSizeZeroChildren(bytes: Uint8Array, box: isobmff.Box, format: string): void {
  const { version, payload } = fullBox(bytes, box);
  const start = box.type === 'iinf' ? payload + (version === 0 ? 2 : 4) : payload;
  for (const child of isobmff.boxesIn(bytes, start, box.end, format))
    isobmff.refuseSizeZero(bytes.subarray(child.offset), child.type, box.type, format);
}

/** `iinf` with one more `infe` and its entry count raised. */
function addInfe(bytes: Uint8Array, box: isobmff.Box, id: number): Uint8Array {
  const { version, payload } = fullBox(bytes, box);
  const infe = mimeInfe(id, XMP_CONTENT_TYPE);
  const copy = resized(bytes.subarray(box.offset, box.end), infe.length);
  const countAt = payload - box.offset;
  if (version === 0) {
    const count = (copy[countAt] << 8) | copy[countAt + 1];
    if (count === 0xffff) throw new UnsupportedFormatError('heif: iinf already lists 65535 items');
    copy[countAt] = ((count + 1) >> 8) & 0xff;
    copy[countAt + 1] = (count + 1) & 0xff;
  } else putU32be(copy, countAt, u32be(copy, countAt) + 1);
  return concat([copy, infe]);
}

export const heif = makeHandler('heif');
export const avif = makeHandler('avif');
