import {
  type AigcLabel,
  ascii,
  type ByteSource,
  bytesSource,
  c2paEvidence,
  concat,
  type Evidence,
  encodeBare,
  encodeWrapped,
  type Finding,
  type FormatHandler,
  finding,
  fromAscii,
  fromUtf8,
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
  utf8,
  type WriteOptions,
  type WriteResult,
  xmpEvidence,
} from '@aigc-label/core';
import { visibleImageLabel } from '../explicit/capability.js';
import { type ByteEdit, c2paInvalidatedFinding, xmpCarriers } from '../shared/carriers.js';
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
const HEIF_BRANDS = new Set(['heic', 'heix', 'heim', 'heis', 'hevc', 'hevx', 'mif1', 'mif2', 'msf1', 'MiHE', 'MiHB']);
const AVIF_BRANDS = new Set(['avif', 'avis']);

interface HeifLayout {
  readonly top: readonly isobmff.Box[];
  /** The top-level meta box, at its file offset. */
  readonly meta: isobmff.Box;
  /** The bytes of meta; `children` and the boxes below have offsets relative to its start. */
  readonly metaBytes: Uint8Array;
  readonly metaVersion: number;
  readonly metaFlags: number;
  readonly children: readonly isobmff.Box[];
  readonly iloc: Iloc;
  readonly ilocBox: isobmff.Box;
  readonly iinfBox: isobmff.Box;
  readonly infos: readonly ItemInfo[];
  readonly primary: number;
  readonly idat: isobmff.Box | undefined;
  readonly c2pa: boolean;
}

function brands(head: Uint8Array): string[] {
  if (head.length < 16 || fromAscii(head, 4, 8) !== 'ftyp') return [];
  const size = Math.min(u32be(head, 0), head.length);
  const list = [fromAscii(head, 8, 12)];
  for (let at = 16; at + 4 <= size; at += 4) list.push(fromAscii(head, at, at + 4));
  return list;
}

/** Largest meta box we load; real ones are a few KB, with thumbnails and idat a few MB. */
const maximumMetaInBytes = 64 * 1024 * 1024;

/** Reads the top-level box headers and the meta box only; image data stays in the source. */
async function layout(source: ByteSource, format: string): Promise<HeifLayout> {
  const fail = (message: string) => new MalformedInputError(format, message);
  if (source.size === 0) throw fail('the file is empty (0 bytes)');
  const top = await isobmff.listBoxes(source, 0, source.size, format);
  if (top[0]?.type !== 'ftyp') throw fail('the file does not start with an ftyp box');
  const metas = top.filter((b) => b.type === 'meta');
  if (metas.length !== 1) throw fail(`${metas.length} top-level meta boxes; HEIF needs exactly one`);
  const meta = metas[0];
  if (meta.size > maximumMetaInBytes)
    throw new LimitExceededError(`${format}: meta box of ${meta.size} bytes is over ${maximumMetaInBytes}`);
  const bytes = await readExact(source, meta.offset, meta.size, format, 'meta box');
  const header = fullBox(bytes, { ...meta, offset: 0, end: meta.size });
  const children = isobmff.listBoxesIn(bytes, header.payload, meta.size, format);
  const find = (type: string) => children.find((b) => b.type === type);
  const ilocBox = find('iloc');
  const iinfBox = find('iinf');
  const pitm = find('pitm');
  if (!ilocBox || !iinfBox || !pitm) throw fail('meta has no iloc, iinf or pitm box');
  return {
    top,
    meta,
    metaBytes: bytes,
    metaVersion: header.version,
    metaFlags: header.flags,
    children,
    iloc: parseIloc(bytes, ilocBox),
    ilocBox,
    iinfBox,
    infos: parseIinf(bytes, iinfBox).items,
    primary: parsePitm(bytes, pitm),
    idat: find('idat'),
    c2pa: top.some(isC2paBox),
  };
}

const isXmpItem = (info: ItemInfo) => info.type === 'mime' && info.contentType.split(';')[0].trim() === XMP_CONTENT_TYPE;

function itemsWhere(l: HeifLayout, format: string, test: (info: ItemInfo) => boolean): { info: ItemInfo; item: IlocItem }[] {
  return l.infos.filter(test).map((info) => {
    const item = l.iloc.items.find((i) => i.id === info.id);
    if (!item) throw new MalformedInputError(format, `item ${info.id} (${info.type}) has no iloc entry`);
    return { info, item };
  });
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
    return { data, carriers: await exifTextCarriers(bytesSource(data.subarray(4 + u32be(data, 0))), l.meta.offset, where, format) };
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

function makeHandler(id: 'heif' | 'avif'): FormatHandler {
  const format = id;
  return {
    id,
    kind: 'image',
    name: id === 'heif' ? 'HEIF/HEIC' : 'AVIF',
    extensions: id === 'heif' ? ['heic', 'heif', 'hif'] : ['avif'],
    mimeTypes:
      id === 'heif' ? ['image/heic', 'image/heif', 'image/heic-sequence', 'image/heif-sequence'] : ['image/avif', 'image/avif-sequence'],
    carrier: 'mime item application/rdf+xml (iref cdsc), XMP TC260:AIGC',
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
      const avif = AVIF_BRANDS.has(list[0]) || (!HEIF_BRANDS.has(list[0]) && list.some((b) => AVIF_BRANDS.has(b)));
      return id === 'avif' ? avif : !avif && list.some((b) => HEIF_BRANDS.has(b));
    },

    async read(source: ByteSource): Promise<ReadResult> {
      const l = await layout(source, format);
      const carriers: LabelCarrier[] = [];
      const evidence: Evidence[] = [];
      const findings: Finding[] = [];
      for (const { info, item } of itemsWhere(l, format, isXmpItem)) {
        const xml = fromUtf8(await itemData(source, l.metaBytes, item, l.idat, maximumXmpPacketInBytes));
        const where = `XMP item ${info.id} (mime ${XMP_CONTENT_TYPE})`;
        carriers.push(...xmpCarriers(xml, where, l.meta.offset));
        evidence.push(...xmpEvidence(xml, where));
      }
      for (const { info, item } of itemsWhere(l, format, (i) => i.type === 'Exif')) {
        carriers.push(...(await exifItemCarriers(source, l, info, item, format, findings)).carriers);
      }
      for (const b of l.top.filter(isC2paBox))
        evidence.push(
          c2paEvidence(
            await readExact(source, b.offset + b.headerSize, b.size - b.headerSize, format, 'uuid box'),
            `uuid box at byte ${b.offset}`,
          ),
        );
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
      const l = await layout(source, format);
      const bytes = l.metaBytes;
      const fail = (message: string) => new MalformedInputError(format, message);
      if (l.top.some((b) => b.type === 'moov')) {
        throw new UnsupportedFormatError(`${format}: image sequences (a moov box) are not supported; their sample offsets would move`);
      }
      const existing = itemsWhere(l, format, isXmpItem);
      if (existing.length > 1) throw fail(`${existing.length} XMP items; a file may have one`);
      const json = options.form === 'wrapped' ? encodeWrapped(label) : encodeBare(label);
      const old = existing[0];
      const packet = utf8(
        labelXmpPacket(old ? fromUtf8(await itemData(source, bytes, old.item, l.idat, maximumXmpPacketInBytes)) : null, json, options),
      );
      const xmpId = old ? old.info.id : Math.max(0, ...l.iloc.items.map((i) => i.id), ...l.infos.map((i) => i.id)) + 1;
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
      const reuse = last.type === 'mdat' && last.offset > l.meta.end && inside.length > 0 && inside.every((i) => appendedIds.has(i.id));
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
