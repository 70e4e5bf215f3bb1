import {
  ascii,
  type ByteSource,
  concat,
  fromAscii,
  isobmff,
  LimitExceededError,
  MalformedInputError,
  putU16be,
  putU32be,
  putU64be,
  readExact,
  u16be,
  u32be,
  u64be,
} from '@aigc-label/core';

/**
 * The HEIF item boxes inside `meta` (ISO/IEC 14496-12 §8.11, ISO/IEC 23008-12 §9):
 * `iloc` (where each item's bytes are), `iinf`/`infe` (what each item is), `pitm`
 * (the primary item) and `iref` (references between items). HEIF and AVIF share them.
 */
const fail = (message: string) => new MalformedInputError('heif', message);

/** Most items a file may declare before we give up on it. */
const maximumItems = 65535;

export interface Extent {
  readonly index: number;
  readonly offset: number;
  readonly length: number;
}

export interface IlocItem {
  readonly id: number;
  /** 0 = file offset, 1 = inside `idat`, 2 = inside another item. */
  readonly constructionMethod: number;
  readonly dataReferenceIndex: number;
  readonly baseOffset: number;
  readonly extents: readonly Extent[];
}

export interface Iloc {
  readonly version: number;
  readonly offsetSize: number;
  readonly lengthSize: number;
  readonly baseOffsetSize: number;
  readonly indexSize: number;
  readonly items: readonly IlocItem[];
}

/** A cursor over a box payload that refuses to read past its end. */
class Cursor {
  constructor(
    private readonly bytes: Uint8Array,
    public at: number,
    private readonly end: number,
    private readonly what: string,
  ) {}
  private need(n: number): number {
    if (this.at + n > this.end) throw fail(`${this.what} is truncated at offset ${this.at}`);
    const at = this.at;
    this.at += n;
    return at;
  }
  u8 = () => this.bytes[this.need(1)];
  u16 = () => u16be(this.bytes, this.need(2));
  u32 = () => u32be(this.bytes, this.need(4));
  /** An unsigned field of 0, 4 or 8 bytes (iloc sizes). */
  sized(size: number): number {
    if (size === 0) return 0;
    if (size === 4) return this.u32();
    if (size === 8) return u64be(this.bytes, this.need(8));
    throw fail(`${this.what} uses a field size of ${size} bytes`);
  }
  string(): string {
    const nul = this.bytes.indexOf(0, this.at);
    if (nul < 0 || nul >= this.end) throw fail(`${this.what} has an unterminated string at offset ${this.at}`);
    const text = new TextDecoder().decode(this.bytes.subarray(this.at, nul));
    this.at = nul + 1;
    return text;
  }
  get remaining(): number {
    return this.end - this.at;
  }
}

/** Version and flags of a FullBox, and where its payload starts. */
export function fullBox(bytes: Uint8Array, box: isobmff.Box): { version: number; flags: number; payload: number } {
  if (box.size < box.headerSize + 4) throw fail(`${box.type} box at offset ${box.offset} is too short for a FullBox header`);
  const at = box.offset + box.headerSize;
  return { version: bytes[at], flags: u32be(bytes, at) & 0xffffff, payload: at + 4 };
}

export function parseIloc(bytes: Uint8Array, box: isobmff.Box): Iloc {
  const { version, payload } = fullBox(bytes, box);
  if (version > 2) throw fail(`iloc version ${version} is not supported`);
  const c = new Cursor(bytes, payload, box.end, 'iloc');
  const sizes = c.u16();
  const offsetSize = sizes >> 12;
  const lengthSize = (sizes >> 8) & 0xf;
  const baseOffsetSize = (sizes >> 4) & 0xf;
  const indexSize = version > 0 ? sizes & 0xf : 0;
  // ISO/IEC 14496-12 §8.11.3.3: each size is 0, 4 or 8. Checked here even with no item to read, so
  // that a write never lays a new item out in a field size no reader takes.
  for (const [name, size] of [
    ['offset_size', offsetSize],
    ['length_size', lengthSize],
    ['base_offset_size', baseOffsetSize],
    ['index_size', indexSize],
  ] as const)
    if (size !== 0 && size !== 4 && size !== 8) throw fail(`iloc ${name} is ${size}; it must be 0, 4 or 8`);
  const count = version < 2 ? c.u16() : c.u32();
  if (count > maximumItems) throw new LimitExceededError(`heif: iloc declares ${count} items, over ${maximumItems}`);
  const items: IlocItem[] = [];
  for (let i = 0; i < count; i++) {
    const id = version < 2 ? c.u16() : c.u32();
    const constructionMethod = version > 0 ? c.u16() & 0xf : 0;
    const dataReferenceIndex = c.u16();
    const baseOffset = c.sized(baseOffsetSize);
    const extentCount = c.u16();
    if (extentCount * (offsetSize + lengthSize) > c.remaining)
      throw fail(`iloc item ${id} declares ${extentCount} extents, past the end of the box`);
    const extents: Extent[] = [];
    for (let e = 0; e < extentCount; e++) {
      const index = indexSize > 0 ? c.sized(indexSize) : 0;
      extents.push({ index, offset: c.sized(offsetSize), length: c.sized(lengthSize) });
    }
    items.push({ id, constructionMethod, dataReferenceIndex, baseOffset, extents });
  }
  return { version, offsetSize, lengthSize, baseOffsetSize, indexSize, items };
}

function putSized(out: Uint8Array, at: number, size: number, value: number): number {
  if (size === 4) {
    if (value > 0xffffffff) throw fail(`iloc value ${value} does not fit in 4 bytes`);
    putU32be(out, at, value);
  } else if (size === 8) putU64be(out, at, value);
  else if (value !== 0) throw fail(`iloc value ${value} needs a field but the field size is 0`);
  return at + size;
}

export function serializeIloc(iloc: Iloc, flags: number): Uint8Array {
  const { version, offsetSize, lengthSize, baseOffsetSize, indexSize } = iloc;
  const idSize = version < 2 ? 2 : 4;
  let size = 2 + idSize;
  for (const item of iloc.items)
    size += idSize + (version > 0 ? 2 : 0) + 2 + baseOffsetSize + 2 + item.extents.length * (indexSize + offsetSize + lengthSize);
  const out = new Uint8Array(size);
  putU16be(out, 0, (offsetSize << 12) | (lengthSize << 8) | (baseOffsetSize << 4) | indexSize);
  let at = 2;
  const putId = (v: number) => {
    if (idSize === 2) putU16be(out, at, v);
    else putU32be(out, at, v);
    at += idSize;
  };
  putId(iloc.items.length);
  for (const item of iloc.items) {
    putId(item.id);
    if (version > 0) {
      putU16be(out, at, item.constructionMethod);
      at += 2;
    }
    putU16be(out, at, item.dataReferenceIndex);
    at = putSized(out, at + 2, baseOffsetSize, item.baseOffset);
    putU16be(out, at, item.extents.length);
    at += 2;
    for (const e of item.extents) {
      if (indexSize > 0) at = putSized(out, at, indexSize, e.index);
      at = putSized(out, at, offsetSize, e.offset);
      at = putSized(out, at, lengthSize, e.length);
    }
  }
  return isobmff.makeFullBox('iloc', version, flags, out);
}

export interface ItemInfo {
  readonly id: number;
  readonly type: string;
  readonly contentType: string;
}

/** `iinf` with its `infe` entries (versions 2 and 3 carry the item type). */
export function parseIinf(bytes: Uint8Array, box: isobmff.Box): { version: number; count: number; items: ItemInfo[]; children: number } {
  const { version, payload } = fullBox(bytes, box);
  const count = version === 0 ? u16be(bytes, payload) : u32be(bytes, payload);
  const children = payload + (version === 0 ? 2 : 4);
  const items: ItemInfo[] = [];
  for (let offset = children; offset < box.end; ) {
    if (items.length >= maximumItems) throw new LimitExceededError(`heif: iinf holds more than ${maximumItems} entries`);
    const infe = isobmff.parseBoxHeader(bytes, offset, offset, box.end, 'heif');
    offset = infe.end;
    if (infe.type !== 'infe') continue;
    const header = fullBox(bytes, infe);
    if (header.version < 2) continue; // versions 0 and 1 predate item types
    const c = new Cursor(bytes, header.payload, infe.end, 'infe');
    const id = header.version === 2 ? c.u16() : c.u32();
    c.u16(); // item_protection_index
    const type = fromAscii(bytes, c.at, c.at + 4);
    c.at += 4;
    c.string(); // item_name
    items.push({ id, type, contentType: type === 'mime' && c.remaining > 0 ? c.string() : '' });
  }
  return { version, count, items, children };
}

/** An `infe` (version 2, or 3 for 32-bit ids) for a MIME item. */
export function mimeInfe(id: number, contentType: string): Uint8Array {
  const wide = id > 0xffff;
  const idBytes = new Uint8Array(wide ? 4 : 2);
  if (wide) putU32be(idBytes, 0, id);
  else putU16be(idBytes, 0, id);
  return isobmff.makeFullBox('infe', wide ? 3 : 2, 0, [
    idBytes,
    new Uint8Array(2),
    ascii('mime'),
    new Uint8Array(1),
    ascii(`${contentType}\0`),
  ]);
}

export function parsePitm(bytes: Uint8Array, box: isobmff.Box): number {
  const { version, payload } = fullBox(bytes, box);
  if (payload + (version === 0 ? 2 : 4) > box.end) throw fail('pitm box is truncated');
  return version === 0 ? u16be(bytes, payload) : u32be(bytes, payload);
}

/** A `cdsc` (content describes) reference for an `iref` of the given version. */
export function cdscReference(version: number, from: number, to: number): Uint8Array {
  const size = version === 0 ? 2 : 4;
  const out = new Uint8Array(size * 2 + 2);
  const put = size === 2 ? putU16be : putU32be;
  put(out, 0, from);
  putU16be(out, size, 1);
  put(out, size + 2, to);
  return isobmff.makeBox('cdsc', out);
}

/**
 * The bytes of an item, from the file (construction method 0, absolute offsets
 * read through the source) or from `idat` (1, inside `meta`, whose bytes are given
 * with offsets relative to the start of `meta`).
 */
export async function itemData(
  source: ByteSource,
  metaBytes: Uint8Array,
  item: IlocItem,
  idat: isobmff.Box | undefined,
  limit: number,
): Promise<Uint8Array> {
  if (item.dataReferenceIndex !== 0) throw fail(`item ${item.id} lives in another file`);
  if (item.constructionMethod !== 0 && !(item.constructionMethod === 1 && idat)) {
    throw fail(`item ${item.id} uses construction method ${item.constructionMethod}, which is not supported here`);
  }
  const inIdat = item.constructionMethod === 1 && idat !== undefined;
  const origin = inIdat ? idat.offset + idat.headerSize : 0;
  const end = inIdat ? idat.end : source.size;
  const parts: Uint8Array[] = [];
  let total = 0;
  for (const e of item.extents) {
    const start = origin + item.baseOffset + e.offset;
    const length = e.length === 0 ? end - start : e.length;
    if (start + length > end) throw fail(`item ${item.id} extent at ${start} (${length} bytes) runs past the end`);
    total += length;
    if (total > limit) throw new LimitExceededError(`heif: item ${item.id} is over ${limit} bytes`);
    parts.push(inIdat ? metaBytes.subarray(start, start + length) : await readExact(source, start, length, 'heif', `item ${item.id}`));
  }
  return concat(parts);
}
