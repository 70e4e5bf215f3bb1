/**
 * A labelled AVIF keeps the source's file: sharp encodes the labelled pixels with the source's
 * chroma subsampling and bit depth, and only the primary item's coded data and its `av1C` (and
 * those of its alpha plane) are swapped into the source. The `colr` boxes (nclx, ICC), Exif and XMP
 * items, `pixi`, `ispe`, thumbnails and every other box stay as they were (ISO/IEC 23008-12 §9,
 * AVIF §2-4). libheif applies `irot`/`imir` when decoding, so the caller undoes them before encoding.
 */
import { bytesEqual, concat, fromAscii, isobmff, MalformedInputError, putU16be, putU32be, u16be, u32be } from '@aigc-label/core';
import { fullBox, type Iloc, type IlocItem, type ItemInfo, parseIinf, parseIloc, parsePitm, serializeIloc } from '../../heif/items.js';
import { type Av1ColourConfig, parseColourConfig, sequenceHeaderObu } from './av1.js';

const FORMAT = 'avif';
const fail = (message: string) => new MalformedInputError(FORMAT, message);
const ALPHA_URNS = ['urn:mpeg:mpegB:cicp:systems:auxiliary:alpha', 'urn:mpeg:hevc:2015:auxid:1'];

interface Association {
  readonly essential: boolean;
  /** 1-based index into ipco. */
  readonly index: number;
}
interface Ipma {
  readonly version: number;
  readonly flags: number;
  readonly entries: ReadonlyMap<number, readonly Association[]>;
}
interface Reference {
  readonly type: string;
  readonly from: number;
  readonly to: readonly number[];
}

interface HeifFile {
  readonly bytes: Uint8Array;
  readonly top: readonly isobmff.Box[];
  readonly meta: isobmff.Box;
  readonly children: readonly isobmff.Box[];
  readonly iloc: Iloc;
  readonly ilocFlags: number;
  readonly infos: readonly ItemInfo[];
  readonly primary: number;
  readonly references: readonly Reference[];
  readonly iprp: isobmff.Box;
  readonly properties: readonly isobmff.Box[];
  readonly ipma: Ipma;
}

function parseIpma(bytes: Uint8Array, box: isobmff.Box): Ipma {
  const { version, flags, payload } = fullBox(bytes, box);
  const entries = new Map<number, Association[]>();
  let at = payload;
  const need = (n: number) => {
    if (at + n > box.end) throw fail('ipma is truncated');
  };
  need(4);
  const count = u32be(bytes, at);
  at += 4;
  for (let i = 0; i < count; i++) {
    need(version < 1 ? 3 : 5);
    const id = version < 1 ? u16be(bytes, at) : u32be(bytes, at);
    at += version < 1 ? 2 : 4;
    const associations: Association[] = [];
    const n = bytes[at++]!;
    need(n * (flags & 1 ? 2 : 1));
    for (let j = 0; j < n; j++) {
      if (flags & 1) {
        const value = u16be(bytes, at);
        associations.push({ essential: value >= 0x8000, index: value & 0x7fff });
        at += 2;
      } else {
        const value = bytes[at++]!;
        associations.push({ essential: value >= 0x80, index: value & 0x7f });
      }
    }
    entries.set(id, associations);
  }
  return { version, flags, entries };
}

function serializeIpma(ipma: Ipma): Uint8Array {
  const wide = (ipma.flags & 1) === 1;
  const parts: Uint8Array[] = [];
  const count = new Uint8Array(4);
  putU32be(count, 0, ipma.entries.size);
  parts.push(count);
  for (const [id, associations] of ipma.entries) {
    const entry = new Uint8Array((ipma.version < 1 ? 2 : 4) + 1 + associations.length * (wide ? 2 : 1));
    let at = 0;
    if (ipma.version < 1) putU16be(entry, at, id);
    else putU32be(entry, at, id);
    at += ipma.version < 1 ? 2 : 4;
    entry[at++] = associations.length;
    for (const a of associations) {
      if (wide) {
        putU16be(entry, at, (a.essential ? 0x8000 : 0) | a.index);
        at += 2;
      } else entry[at++] = (a.essential ? 0x80 : 0) | a.index;
    }
    parts.push(entry);
  }
  return isobmff.makeFullBox('ipma', ipma.version, ipma.flags, parts);
}

function parseIref(bytes: Uint8Array, box: isobmff.Box): Reference[] {
  const { version, payload } = fullBox(bytes, box);
  const idSize = version === 0 ? 2 : 4;
  const read = (at: number) => (idSize === 2 ? u16be(bytes, at) : u32be(bytes, at));
  return isobmff.listBoxesIn(bytes, payload, box.end, FORMAT).map((reference) => {
    let at = reference.offset + reference.headerSize;
    if (at + idSize + 2 > reference.end) throw fail(`iref ${reference.type} is truncated`);
    const from = read(at);
    const count = u16be(bytes, at + idSize);
    at += idSize + 2;
    if (at + count * idSize > reference.end) throw fail(`iref ${reference.type} is truncated`);
    const to = Array.from({ length: count }, (_, i) => read(at + i * idSize));
    return { type: reference.type, from, to };
  });
}

function parseHeif(bytes: Uint8Array): HeifFile {
  const top = isobmff.listBoxesIn(bytes, 0, bytes.length, FORMAT);
  const metas = top.filter((b) => b.type === 'meta');
  if (metas.length !== 1) throw fail(`${metas.length} top-level meta boxes; HEIF needs exactly one`);
  const meta = metas[0]!;
  const children = isobmff.listBoxesIn(bytes, fullBox(bytes, meta).payload, meta.end, FORMAT);
  const find = (type: string) => children.find((b) => b.type === type);
  const [ilocBox, iinf, pitm, iprp] = [find('iloc'), find('iinf'), find('pitm'), find('iprp')];
  if (!ilocBox || !iinf || !pitm || !iprp) throw fail('meta has no iloc, iinf, pitm or iprp box');
  const inIprp = isobmff.listBoxesIn(bytes, iprp.offset + iprp.headerSize, iprp.end, FORMAT);
  const ipco = inIprp.find((b) => b.type === 'ipco');
  const ipmaBoxes = inIprp.filter((b) => b.type === 'ipma');
  if (!ipco || ipmaBoxes.length !== 1) throw fail('iprp needs one ipco and one ipma box here');
  const iref = find('iref');
  return {
    bytes,
    top,
    meta,
    children,
    iloc: parseIloc(bytes, ilocBox),
    ilocFlags: fullBox(bytes, ilocBox).flags,
    infos: parseIinf(bytes, iinf).items,
    primary: parsePitm(bytes, pitm),
    references: iref ? parseIref(bytes, iref) : [],
    iprp,
    properties: isobmff.listBoxesIn(bytes, ipco.offset + ipco.headerSize, ipco.end, FORMAT),
    ipma: parseIpma(bytes, ipmaBoxes[0]!),
  };
}

const boxBytes = (file: HeifFile, box: isobmff.Box) => file.bytes.subarray(box.offset, box.end);
const boxPayload = (file: HeifFile, box: isobmff.Box) => file.bytes.subarray(box.offset + box.headerSize, box.end);

/** The item's properties, in association order (transformations apply in that order, HEIF §6.5.1). */
function propertiesOf(file: HeifFile, id: number): { association: Association; box: isobmff.Box }[] {
  return (file.ipma.entries.get(id) ?? []).flatMap((association) => {
    const box = file.properties[association.index - 1];
    return box ? [{ association, box }] : [];
  });
}

function alphaItemOf(file: HeifFile, id: number): number | undefined {
  for (const reference of file.references) {
    if (reference.type !== 'auxl' || !reference.to.includes(id)) continue;
    const auxC = propertiesOf(file, reference.from).find((p) => p.box.type === 'auxC');
    if (!auxC) continue;
    const urn = fromAscii(file.bytes, fullBox(file.bytes, auxC.box).payload, auxC.box.end).split('\0')[0];
    if (ALPHA_URNS.includes(urn ?? '')) return reference.from;
  }
  return undefined;
}

function itemData(file: HeifFile, id: number): Uint8Array {
  const item = file.iloc.items.find((i) => i.id === id);
  if (!item) throw fail(`item ${id} has no iloc entry`);
  const idat = file.children.find((b) => b.type === 'idat');
  const origin = item.constructionMethod === 1 && idat ? idat.offset + idat.headerSize : 0;
  if (item.dataReferenceIndex !== 0 || (item.constructionMethod !== 0 && origin === 0)) throw fail(`item ${id} is not stored in this file`);
  return concat(
    item.extents.map((e) => {
      const start = origin + item.baseOffset + e.offset;
      const end = e.length === 0 ? (idat && origin ? idat.end : file.bytes.length) : start + e.length;
      if (end > file.bytes.length) throw fail(`item ${id} runs past the end of the file`);
      return file.bytes.subarray(start, end);
    }),
  );
}

/** A transformation libheif applied on decode, which must be undone before encoding into the source's item. */
export type Transform = { readonly rotate: number } | { readonly mirror: 'left-right' | 'top-bottom' };

/** What the caller needs to encode pixels that fit back into the source. */
export interface AvifSource {
  readonly file: HeifFile;
  readonly coding: Av1ColourConfig;
  /** Matrix and range the pixels must be coded with to match the source's colour description (colr nclx wins over the sequence header). */
  readonly matrix: number;
  readonly fullRange: boolean;
  /** In association order; undo them in reverse. */
  readonly transforms: readonly Transform[];
}

/** The source's coding, or why its coded data cannot be swapped (and the caller writes sharp's own file). */
export function inspectAvif(bytes: Uint8Array): AvifSource | { readonly unsupported: string } {
  const file = parseHeif(bytes);
  const info = file.infos.find((i) => i.id === file.primary);
  if (info?.type !== 'av01')
    return { unsupported: `the primary item is ${info?.type ?? 'missing'}, not a single AV1 image (a grid of tiles?)` };
  const properties = propertiesOf(file, file.primary);
  const av1C = properties.find((p) => p.box.type === 'av1C');
  if (!av1C) return { unsupported: 'the primary item has no av1C property' };
  if (properties.some((p) => p.box.type === 'clap')) return { unsupported: 'the primary item is cropped (clap)' };
  const header = sequenceHeaderObu(boxPayload(file, av1C.box).subarray(4)) ?? sequenceHeaderObu(itemData(file, file.primary));
  if (!header) return { unsupported: 'the primary item has no AV1 sequence header' };
  const coding = parseColourConfig(header);
  let { matrix, fullRange } = coding;
  for (const { box } of properties) {
    if (box.type !== 'colr') continue;
    const payload = boxPayload(file, box);
    if (fromAscii(payload, 0, 4) === 'nclx' && payload.length >= 11) [matrix, fullRange] = [u16be(payload, 8), (payload[10]! & 0x80) !== 0];
  }
  const transforms: Transform[] = [];
  for (const { box } of properties) {
    const value = boxPayload(file, box)[0] ?? 0;
    if (box.type === 'irot') transforms.push({ rotate: (value & 3) * 90 }); // anticlockwise
    // imir axis 0 mirrors about the vertical axis (left and right swap), 1 about the horizontal one.
    if (box.type === 'imir') transforms.push({ mirror: value & 1 ? 'top-bottom' : 'left-right' });
  }
  return { file, coding, matrix, fullRange, transforms };
}

/** A piece of the output: a range copied from the source or new bytes. */
type Piece = { readonly start: number; readonly end: number } | Uint8Array;

/**
 * The source with the primary item's (and its alpha plane's) coded data and av1C taken from
 * `encodedBytes`. The old data leaves mdat, the new data takes its place, and every iloc offset
 * after it moves by the difference.
 */
export function avifWithSourceMetadata(source: AvifSource, encodedBytes: Uint8Array): Uint8Array {
  const { file } = source;
  const encoded = parseHeif(encodedBytes);
  const swaps = new Map<number, number>([[file.primary, encoded.primary]]);
  const sourceAlpha = alphaItemOf(file, file.primary);
  const encodedAlpha = alphaItemOf(encoded, encoded.primary);
  if ((sourceAlpha === undefined) !== (encodedAlpha === undefined)) throw fail('the encoder and the source disagree on alpha');
  if (sourceAlpha !== undefined && encodedAlpha !== undefined) swaps.set(sourceAlpha, encodedAlpha);

  // Properties: the new av1C replaces the old one in place when no other item shares it, else joins ipco.
  const properties = file.properties.map((box) => boxBytes(file, box));
  const entries = new Map(file.ipma.entries);
  for (const [id, from] of swaps) {
    const newAv1C = propertiesOf(encoded, from).find((p) => p.box.type === 'av1C');
    if (!newAv1C) throw fail('the encoded image has no av1C');
    const replacement = boxBytes(encoded, newAv1C.box);
    const associations = entries.get(id) ?? [];
    const old = associations.find((a) => file.properties[a.index - 1]?.type === 'av1C');
    if (!old) throw fail(`item ${id} has no av1C`);
    if (bytesEqual(properties[old.index - 1]!, replacement)) continue;
    const shared = [...entries].some(([other, list]) => other !== id && list.some((a) => a.index === old.index));
    if (!shared) properties[old.index - 1] = replacement;
    else {
      properties.push(replacement);
      if (properties.length > ((file.ipma.flags & 1) === 1 ? 0x7fff : 0x7f)) throw fail('ipco has no room for another property');
      entries.set(
        id,
        associations.map((a) => (a === old ? { essential: a.essential, index: properties.length } : a)),
      );
    }
  }

  // The old coded data leaves the file; each new item's data goes where its old data began.
  const items = new Map(file.iloc.items.map((item) => [item.id, item]));
  const removed: { start: number; end: number; id: number }[] = [];
  for (const id of swaps.keys()) {
    const item = items.get(id)!;
    if (item.constructionMethod !== 0 || item.dataReferenceIndex !== 0) throw fail(`item ${id} is not stored in mdat`);
    for (const e of item.extents) {
      const start = item.baseOffset + e.offset;
      removed.push({ start, end: e.length === 0 ? file.bytes.length : start + e.length, id });
    }
  }
  removed.sort((a, b) => a.start - b.start);
  const newData = new Map([...swaps].map(([id, from]) => [id, itemData(encoded, from)]));
  const firstCut = new Map<number, number>();
  for (const cut of removed) if (!firstCut.has(cut.id)) firstCut.set(cut.id, cut.start);

  const build = (metaBytes: Uint8Array) => {
    const pieces: Piece[] = [];
    const placed = new Map<number, number>(); // item id → new offset of its data
    const copies: { start: number; end: number; at: number }[] = [];
    let size = 0;
    const push = (piece: Piece) => {
      if (piece instanceof Uint8Array) size += piece.length;
      else {
        copies.push({ ...piece, at: size });
        size += piece.end - piece.start;
      }
      pieces.push(piece);
    };
    for (const box of file.top) {
      if (box === file.meta) {
        push(metaBytes);
        continue;
      }
      const cuts = removed.filter((r) => r.start >= box.offset + box.headerSize && r.end <= box.end);
      if (cuts.length === 0) {
        push({ start: box.offset, end: box.end });
        continue;
      }
      const header = file.bytes.slice(box.offset, box.offset + box.headerSize);
      push(header);
      const bodyStart = size;
      let at = box.offset + box.headerSize;
      for (const cut of cuts) {
        if (cut.start > at) push({ start: at, end: cut.start });
        if (firstCut.get(cut.id) === cut.start) {
          placed.set(cut.id, size);
          push(newData.get(cut.id)!);
        }
        at = Math.max(at, cut.end);
      }
      if (box.end > at) push({ start: at, end: box.end });
      const boxSize = box.headerSize + size - bodyStart;
      if (box.headerSize === 16) {
        putU32be(header, 8, Math.floor(boxSize / 0x1_0000_0000));
        putU32be(header, 12, boxSize >>> 0);
      } else if (u32be(header, 0) !== 0) {
        if (boxSize > 0xffffffff) throw fail('mdat grows past 4 GiB');
        putU32be(header, 0, boxSize);
      }
    }
    return { pieces, placed, copies, size };
  };

  const moved = (copies: { start: number; end: number; at: number }[], offset: number): number => {
    const copy = copies.find((c) => offset >= c.start && offset < c.end) ?? copies.find((c) => offset === c.end);
    if (!copy) throw fail(`an item points at byte ${offset}, which the new file does not keep`);
    return copy.at + offset - copy.start;
  };
  const ilocFor = (placed: ReadonlyMap<number, number>, copies: { start: number; end: number; at: number }[]): Iloc => ({
    ...file.iloc,
    offsetSize: Math.max(4, file.iloc.offsetSize),
    lengthSize: Math.max(4, file.iloc.lengthSize),
    items: file.iloc.items.map((item): IlocItem => {
      if (swaps.has(item.id)) {
        return { ...item, baseOffset: 0, extents: [{ index: 0, offset: placed.get(item.id) ?? 0, length: newData.get(item.id)!.length }] };
      }
      if (item.constructionMethod !== 0 || item.dataReferenceIndex !== 0) return item;
      const base = item.baseOffset > 0 ? moved(copies, item.baseOffset) : 0;
      return {
        ...item,
        baseOffset: base,
        extents: item.extents.map((e) => ({ ...e, offset: moved(copies, item.baseOffset + e.offset) - base })),
      };
    }),
  });
  const metaWith = (iloc: Iloc) => {
    const header = fullBox(file.bytes, file.meta);
    const children = file.children.map((child) => {
      if (child.type === 'iloc') return serializeIloc(iloc, file.ilocFlags);
      if (child.type !== 'iprp') return boxBytes(file, child);
      const inIprp = isobmff.listBoxesIn(file.bytes, child.offset + child.headerSize, child.end, FORMAT);
      return isobmff.makeBox(
        'iprp',
        inIprp.map((box) =>
          box.type === 'ipco'
            ? isobmff.makeBox('ipco', properties)
            : box.type === 'ipma'
              ? serializeIpma({ ...file.ipma, entries })
              : boxBytes(file, box),
        ),
      );
    });
    return isobmff.makeFullBox('meta', header.version, header.flags, children);
  };
  // The meta box's size does not depend on the offsets it holds, so one trial build places everything.
  const trial = build(metaWith(ilocFor(new Map(), [{ start: 0, end: file.bytes.length, at: 0 }])));
  const meta = metaWith(ilocFor(trial.placed, trial.copies));
  const final = build(meta);
  if (final.size !== trial.size) throw fail('the meta box changed size between passes');
  return concat(final.pieces.map((piece) => (piece instanceof Uint8Array ? piece : file.bytes.subarray(piece.start, piece.end))));
}
