import {
  type AigcLabel,
  type ByteSource,
  concat,
  decodeLabel,
  encodeLabel,
  type Finding,
  type FormatHandler,
  finding,
  fromUtf8,
  headerReader,
  type LabelCarrier,
  LimitExceededError,
  MalformedInputError,
  maximumListedCarriers,
  putU16be,
  putU24be,
  putU32be,
  type ReadResult,
  Rules,
  readExact,
  splicePlan,
  startsWith,
  UnsupportedFormatError,
  u16be,
  u24be,
  u32be,
  utf8,
  type WriteOptions,
  type WriteResult,
} from '@aigc-label/core';
import { type VideoLabelTools, visibleVideoLabel } from '../explicit/capability.js';
import { videoWatermark } from '../watermark/capability.js';

/** FLV tag types (Adobe FLV spec v10.1 §E.4.1). */
const AUDIO_TAG = 8;
const VIDEO_TAG = 9;
const SCRIPT_TAG = 18;
const TAG_HEADER = 11;
const maximumAmfDepth = 64;
/** Most properties one AMF0 object may have (an onMetaData has a few dozen; keyframe tables are arrays). */
const maximumAmfProperties = 65_536;
const AIGC = 'AIGC';

/** AMF0 markers (AMF0 spec §2.1). */
const Amf = {
  number: 0,
  boolean: 1,
  string: 2,
  object: 3,
  null: 5,
  undefined: 6,
  reference: 7,
  ecmaArray: 8,
  objectEnd: 9,
  strictArray: 10,
  date: 11,
  longString: 12,
  unsupported: 13,
  xmlDocument: 15,
  typedObject: 16,
} as const;

const fail = (message: string): MalformedInputError => new MalformedInputError('flv', message);

function need(bytes: Uint8Array, at: number, length: number): void {
  if (at + length > bytes.length) throw fail(`AMF0 value at script-data byte ${at} runs past the end of its tag`);
}

/** Offset just past the AMF0 value at `at`. */
function skipValue(bytes: Uint8Array, at: number, depth = 0): number {
  if (depth > maximumAmfDepth) throw new LimitExceededError(`flv: AMF0 values nested deeper than ${maximumAmfDepth}`);
  need(bytes, at, 1);
  const marker = bytes[at];
  const p = at + 1;
  switch (marker) {
    case Amf.number:
      need(bytes, p, 8);
      return p + 8;
    case Amf.boolean:
      need(bytes, p, 1);
      return p + 1;
    case Amf.string:
      need(bytes, p, 2);
      need(bytes, p + 2, u16be(bytes, p));
      return p + 2 + u16be(bytes, p);
    case Amf.longString:
    case Amf.xmlDocument:
      need(bytes, p, 4);
      need(bytes, p + 4, u32be(bytes, p));
      return p + 4 + u32be(bytes, p);
    case Amf.null:
    case Amf.undefined:
    case Amf.unsupported:
      return p;
    case Amf.reference:
      need(bytes, p, 2);
      return p + 2;
    case Amf.date:
      need(bytes, p, 10);
      return p + 10;
    case Amf.object:
      return properties(bytes, p, depth).end;
    case Amf.ecmaArray:
      need(bytes, p, 4);
      return properties(bytes, p + 4, depth).end;
    case Amf.typedObject:
      need(bytes, p, 2);
      return properties(bytes, p + 2 + u16be(bytes, p), depth).end;
    case Amf.strictArray: {
      need(bytes, p, 4);
      const count = u32be(bytes, p);
      if (count > bytes.length) throw fail(`strict array of ${count} values is longer than its tag`);
      let q = p + 4;
      for (let i = 0; i < count; i++) q = skipValue(bytes, q, depth + 1);
      return q;
    }
    default:
      throw fail(`unsupported AMF0 marker ${marker} at script-data byte ${at}`);
  }
}

interface Property {
  readonly name: string;
  readonly start: number;
  readonly valueStart: number;
  readonly end: number;
}

/** Name/value pairs up to the object-end marker (00 00 09), which some writers leave out at the end of the tag. */
function properties(bytes: Uint8Array, at: number, depth: number): { list: Property[]; end: number; terminated: boolean } {
  const list: Property[] = [];
  let p = at;
  while (p < bytes.length) {
    if (p + 3 <= bytes.length && u16be(bytes, p) === 0 && bytes[p + 2] === Amf.objectEnd) return { list, end: p + 3, terminated: true };
    if (list.length >= maximumAmfProperties)
      throw new LimitExceededError(`flv: an AMF0 object with more than ${maximumAmfProperties} properties`);
    need(bytes, p, 2);
    const nameLength = u16be(bytes, p);
    need(bytes, p + 2, nameLength);
    const name = fromUtf8(bytes.subarray(p + 2, p + 2 + nameLength));
    const valueStart = p + 2 + nameLength;
    const end = skipValue(bytes, valueStart, depth + 1);
    list.push({ name, start: p, valueStart, end });
    p = end;
  }
  return { list, end: p, terminated: false };
}

const amfName = (name: string): Uint8Array => {
  const text = utf8(name);
  const out = new Uint8Array(2 + text.length);
  putU16be(out, 0, text.length);
  out.set(text, 2);
  return out;
};

function amfNumber(value: number): Uint8Array {
  const out = new Uint8Array(9);
  out[0] = Amf.number;
  new DataView(out.buffer).setFloat64(1, value);
  return out;
}

/** AMF0 string, or long string past 65 535 bytes (TC260-PG-20257A FLV clause). */
function amfString(text: string): Uint8Array {
  const value = utf8(text);
  const long = value.length > 0xffff;
  const out = new Uint8Array((long ? 5 : 3) + value.length);
  out[0] = long ? Amf.longString : Amf.string;
  if (long) putU32be(out, 1, value.length);
  else putU16be(out, 1, value.length);
  out.set(value, long ? 5 : 3);
  return out;
}

const readNumber = (bytes: Uint8Array, at: number): number | null =>
  bytes[at] === Amf.number ? new DataView(bytes.buffer, bytes.byteOffset + at + 1, 8).getFloat64(0) : null;

function readString(bytes: Uint8Array, at: number): string | null {
  if (bytes[at] === Amf.string) return fromUtf8(bytes.subarray(at + 3, at + 3 + u16be(bytes, at + 1)));
  if (bytes[at] === Amf.longString) return fromUtf8(bytes.subarray(at + 5, at + 5 + u32be(bytes, at + 1)));
  return null;
}

interface ScriptTag {
  readonly offset: number;
  readonly dataSize: number;
  /** Offset past the tag and its PreviousTagSize. */
  readonly end: number;
  readonly data: Uint8Array;
}

interface Layout {
  readonly firstTag: number;
  /** The first onMetaData script tag, wherever it is. */
  readonly metadata: ScriptTag | null;
  /** Later onMetaData tags (a file has one; a damaged or concatenated one may have more). */
  readonly moreMetadata: readonly ScriptTag[];
  /** Where the tag walk met damage, one sentence each (only when salvaging). */
  readonly damage: readonly string[];
  /** Tags of a type the spec does not define, skipped by their size: how many, and the first one's offset and type. */
  readonly unknownTags: UnknownTags | null;
}

interface UnknownTags {
  readonly count: number;
  readonly firstOffset: number;
  readonly firstType: number;
}

/** Most tags walked: a two-hour FLV at 30 frames per second with audio has about 550,000. */
const maximumTagCount = 4_000_000;

/**
 * Walks every tag, known type or not, and finds the onMetaData script tags wherever they are
 * (issue 25: an unknown tag before onMetaData, or onMetaData at the end, must not hide the
 * label). With `salvage`, a tag past the end of the file or a file that ends inside a tag
 * header ends the walk and is noted in `damage` instead of failing it.
 */
async function readLayout(source: ByteSource, salvage = false): Promise<Layout> {
  const header = await readExact(source, 0, Math.min(9, source.size), 'flv', 'FLV header');
  if (header.length < 9 || !startsWith(header, [0x46, 0x4c, 0x56])) throw fail('no FLV signature');
  const headerSize = u32be(header, 5);
  if (headerSize < 9 || headerSize + 4 > source.size) throw fail(`the header declares ${headerSize} bytes, which does not fit the file`);
  const firstTag = headerSize + 4;
  const damage: string[] = [];
  const found: ScriptTag[] = [];
  const problem = (message: string) => {
    if (!salvage) throw fail(message);
    damage.push(message);
  };
  const readHeader = headerReader(source, 'flv');
  let unknownCount = 0;
  let firstUnknown = { offset: 0, type: 0 };
  for (let at = firstTag, count = 0; at < source.size; count++) {
    if (count >= maximumTagCount) throw new LimitExceededError(`flv: more than ${maximumTagCount} tags`);
    if (at + TAG_HEADER > source.size) {
      problem(`the file ends inside the tag header at offset ${at}`);
      break;
    }
    const tag = await readHeader(at, TAG_HEADER, 'tag header');
    const dataSize = u24be(tag, 1);
    const end = at + TAG_HEADER + dataSize + 4;
    if (end > source.size) {
      problem(`tag at offset ${at} declares ${dataSize} bytes, past the end of the file`);
      break;
    }
    const type = tag[0] & 0x1f;
    if (type !== AUDIO_TAG && type !== VIDEO_TAG && type !== SCRIPT_TAG) {
      if (unknownCount++ === 0) firstUnknown = { offset: at, type };
    }
    if (type === SCRIPT_TAG) {
      if (tag[0] & 0x20) throw new UnsupportedFormatError('flv: the script tag is encrypted (filter bit set)');
      const data = await readExact(source, at + TAG_HEADER, dataSize, 'flv', 'script tag');
      if (readString(data, 0) === 'onMetaData' && found.length < maximumListedCarriers) found.push({ offset: at, dataSize, end, data });
    }
    at = end;
  }
  const unknownTags = unknownCount === 0 ? null : { count: unknownCount, firstOffset: firstUnknown.offset, firstType: firstUnknown.type };
  return { firstTag, metadata: found[0] ?? null, moreMetadata: found.slice(1), damage, unknownTags };
}

/** The onMetaData value (ECMA array or object) and its properties. */
function metadataProperties(data: Uint8Array): { valueStart: number; propertiesStart: number; list: Property[]; end: number } {
  const valueStart = skipValue(data, 0);
  need(data, valueStart, 1);
  const marker = data[valueStart];
  if (marker !== Amf.ecmaArray && marker !== Amf.object) throw fail(`onMetaData is AMF0 type ${marker}, not an ECMA array or object`);
  const propertiesStart = valueStart + (marker === Amf.ecmaArray ? 5 : 1);
  need(data, propertiesStart, 0);
  const { list, end } = properties(data, propertiesStart, 0);
  return { valueStart, propertiesStart, list, end };
}

/** Names whose numeric values are absolute file offsets (keyframe indexes written by ffmpeg, yamdi, flvtool2). */
const OFFSET_NAMES = new Set(['filepositions', 'lastkeyframelocation']);

/** A property's value with every absolute offset in it shifted (keyframes.filepositions, lastkeyframelocation). */
function shiftedValue(data: Uint8Array, property: Property, shift: (offset: number) => number, depth = 0): Uint8Array {
  const name = property.name.toLowerCase();
  const value = data.subarray(property.valueStart, property.end);
  if (OFFSET_NAMES.has(name) && value[0] === Amf.number) return amfNumber(shift(readNumber(value, 0) as number));
  if (OFFSET_NAMES.has(name) && value[0] === Amf.strictArray) {
    // Numbers are fixed-width: shifted in a copy, in place, one allocation for the whole array.
    const count = u32be(value, 1);
    const out = value.slice();
    const view = new DataView(out.buffer);
    let at = 5;
    for (let i = 0; i < count; i++) {
      const end = skipValue(value, at);
      const n = readNumber(value, at);
      if (n !== null) view.setFloat64(at + 1, shift(n));
      at = end;
    }
    return out;
  }
  if (value[0] === Amf.object && depth < maximumAmfDepth) {
    const inner = properties(value, 1, depth + 1);
    const parts = inner.list.map((p) => concat([value.subarray(p.start, p.valueStart), shiftedValue(value, p, shift, depth + 1)]));
    return concat([value.subarray(0, 1), ...parts, value.subarray(inner.list.at(-1)?.end ?? 1)]);
  }
  return value;
}

/** onMetaData script data with AIGC set and offsets shifted; `fileSize` updates a `filesize` property. */
function metadataData(data: Uint8Array, json: string, shift: (offset: number) => number, fileSize: number): Uint8Array {
  const meta = metadataProperties(data);
  const kept = meta.list.filter((p) => p.name.toUpperCase() !== AIGC);
  const parts = kept.map((p) => {
    const head = data.subarray(p.start, p.valueStart);
    if (p.name === 'filesize' && data[p.valueStart] === Amf.number) return concat([head, amfNumber(fileSize)]);
    return concat([head, shiftedValue(data, p, shift)]);
  });
  const count = new Uint8Array(4);
  putU32be(count, 0, kept.length + 1);
  const opening = data[meta.valueStart] === Amf.ecmaArray ? concat([Uint8Array.of(Amf.ecmaArray), count]) : Uint8Array.of(Amf.object);
  return concat([
    data.subarray(0, meta.valueStart),
    opening,
    ...parts,
    amfName(AIGC),
    amfString(json),
    Uint8Array.of(0, 0, Amf.objectEnd),
    data.subarray(meta.end),
  ]);
}

/** True when script data `data` reads back with one AIGC property holding `json`. */
function readsBack(data: Uint8Array, json: string): boolean {
  try {
    const labels = metadataProperties(data).list.filter((p) => p.name.toUpperCase() === AIGC);
    return labels.length === 1 && readString(data, labels[0].valueStart) === json;
  } catch (error) {
    if (error instanceof MalformedInputError) return false;
    throw error;
  }
}

function scriptTag(data: Uint8Array, timestampAndStream: Uint8Array): Uint8Array {
  if (data.length > 0xffffff) throw new LimitExceededError('flv: the script tag would be over 16 MiB');
  const out = new Uint8Array(TAG_HEADER + data.length + 4);
  out[0] = SCRIPT_TAG;
  putU24be(out, 1, data.length);
  out.set(timestampAndStream, 4);
  out.set(data, TAG_HEADER);
  putU32be(out, TAG_HEADER + data.length, TAG_HEADER + data.length);
  return out;
}

export const flv: FormatHandler = {
  id: 'flv',
  kind: 'video',
  name: 'Flash Video',
  extensions: ['flv', 'f4v'],
  mimeTypes: ['video/x-flv'],
  carrier: 'onMetaData ECMA array property AIGC (AMF0 string)',
  contentRegions: {
    unsupported: 'not declared yet: the onMetaData tag and the PreviousTagSize after it change on writing, so the selection must skip them',
  },
  sniff: (head) => startsWith(head, [0x46, 0x4c, 0x56, 0x01]),

  async read(source: ByteSource): Promise<ReadResult> {
    const { metadata, moreMetadata, damage, unknownTags } = await readLayout(source, true);
    const carriers: LabelCarrier[] = [];
    const findings: Finding[] = damage.map((problem) => finding(Rules.damaged, 'error', problem));
    if (unknownTags) {
      // FLV spec v10.1 §E.4.1 defines tag types 8, 9 and 18 only; players skip the rest by their size, and so do we.
      const which = unknownTags.count === 1 ? 'a tag' : `${unknownTags.count} tags, the first`;
      findings.push(
        finding(
          Rules.damaged,
          'warning',
          `${which} at byte ${unknownTags.firstOffset} of the unknown type ${unknownTags.firstType} (not audio, video or script data), skipped by its size`,
        ),
      );
    }
    for (const tag of metadata ? [metadata, ...moreMetadata] : []) {
      let list: Property[];
      try {
        list = metadataProperties(tag.data).list;
      } catch (error) {
        if (!(error instanceof MalformedInputError)) throw error;
        findings.push(finding(Rules.damaged, 'error', `the onMetaData tag at byte ${tag.offset} cannot be read: ${error.detail}`));
        continue;
      }
      for (const p of list) {
        if (p.name.toUpperCase() !== AIGC) continue;
        const raw = readString(tag.data, p.valueStart);
        if (raw === null) continue;
        const decoded = decodeLabel(raw);
        carriers.push({
          carrier: 'flv-onmetadata',
          location: `onMetaData script tag at byte ${tag.offset}, property ${p.name}`,
          offset: tag.offset,
          raw,
          label: decoded.label,
          form: decoded.form,
          canonical: true,
          findings: decoded.findings,
        });
      }
    }
    if (moreMetadata.length > 0)
      findings.push(finding(Rules.damaged, 'warning', `${moreMetadata.length + 1} onMetaData tags; a file has one`));
    return { format: 'flv', carriers, findings };
  },

  /**
   * Rewrites (or adds) the onMetaData tag; every later tag moves by the size
   * change, so keyframe file positions are shifted and `filesize` updated.
   * PreviousTagSize of the rewritten tag is recomputed; later ones are unchanged.
   */
  async write(source: ByteSource, label: AigcLabel, options: WriteOptions = {}): Promise<WriteResult> {
    const { firstTag, metadata, moreMetadata } = await readLayout(source);
    const json = encodeLabel(label, options.form);
    if (moreMetadata.length > 0) {
      // Which one readers take differs; writing into one would leave the others as they are (GB 45438 §6.1 c): one label).
      throw new UnsupportedFormatError(`flv: ${moreMetadata.length + 1} onMetaData tags; a file has one, so it is not labeled`);
    }
    if (!metadata) {
      const data = concat([
        amfString('onMetaData'),
        Uint8Array.of(Amf.ecmaArray, 0, 0, 0, 1),
        amfName(AIGC),
        amfString(json),
        Uint8Array.of(0, 0, Amf.objectEnd),
      ]);
      return {
        segments: splicePlan(source.size, [{ start: firstTag, end: firstTag, insert: scriptTag(data, new Uint8Array(7)) }]).segments,
        findings: [],
      };
    }
    const oldLength = metadata.end - metadata.offset;
    const header = await readExact(source, metadata.offset, TAG_HEADER, 'flv', 'tag header');
    // Offsets and filesize are fixed-width doubles, so the size does not depend on their values.
    const probe = scriptTag(
      metadataData(metadata.data, json, (o) => o, 0),
      header.subarray(4, TAG_HEADER),
    );
    const delta = probe.length - oldLength;
    const shift = (offset: number) => (offset >= metadata.end ? offset + delta : offset);
    const data = metadataData(metadata.data, json, shift, source.size + delta);
    if (!readsBack(data, json)) {
      // An object left open (no end marker) inside onMetaData runs to the end of the tag, so it would swallow the label.
      throw fail(`the onMetaData tag at byte ${metadata.offset} is damaged so that a label written into it would not read back`);
    }
    const tag = scriptTag(data, header.subarray(4, TAG_HEADER));
    return { segments: splicePlan(source.size, [{ start: metadata.offset, end: metadata.end, insert: tag }]).segments, findings: [] };
  },
};

/** flv with its visible label; the registry passes the image and audio tools it draws and reads with. */
export const flvWithLabels = (tools: VideoLabelTools): FormatHandler => ({
  ...flv,
  explicit: visibleVideoLabel(tools),
  watermark: videoWatermark(tools.watermark),
});
