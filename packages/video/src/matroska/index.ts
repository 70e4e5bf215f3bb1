import {
  type AigcLabel,
  type ByteSource,
  concat,
  decodeLabel,
  ebml,
  encodeLabel,
  type Finding,
  type FormatHandler,
  finding,
  fromUtf8,
  type LabelCarrier,
  LimitExceededError,
  type ReadResult,
  readExact,
  splicePlan,
  startsWith,
  UnsupportedFormatError,
  type WriteOptions,
  type WriteResult,
} from '@aigc-label/core';
import { type VideoLabelTools, visibleVideoLabel } from '../explicit/capability.js';
import { videoWatermark } from '../watermark/capability.js';
import { type Edit, Id, maximumSeekHeadInBytes, readLayout, readTags, roomAt, seekHeadData } from './layout.js';
import { planMatroskaAvcParameterSets } from './parameter-sets.js';

/** Findings only this format emits, with their meaning (the README's rule table is generated from these). */
export const matroskaRules = {
  'matroska/seekhead-unchanged': 'the SeekHead had no room for a Tags entry; the Tags precede the first Cluster (info)',
  'matroska/no-seekhead': 'no SeekHead: players that stop at the first Cluster will not see Tags at the end',
} as const;

const TAG_NAME = 'AIGC';

interface SimpleTagHit {
  readonly value: string;
  readonly offset: number;
}

/** AIGC SimpleTags (nested ones included) in one Tags element; `bytes` start at its header, which is at file offset `base`. */
function findAigcTags(bytes: Uint8Array, base: number, format: string): SimpleTagHit[] {
  const hits: SimpleTagHit[] = [];
  const text = (e: ebml.EbmlElement): string => fromUtf8(bytes.subarray(e.dataOffset, e.end));
  const visit = (simple: ebml.EbmlElement): void => {
    const children = ebml.listElementsIn(bytes, simple.dataOffset, simple.end, format);
    const name = children.find((c) => c.id === Id.tagName);
    const value = children.find((c) => c.id === Id.tagString);
    if (name && value && text(name).toUpperCase() === TAG_NAME) hits.push({ value: text(value), offset: base + simple.offset });
    for (const nested of children.filter((c) => c.id === Id.simpleTag)) visit(nested);
  };
  const tags = ebml.parseElementHeader(bytes, 0, 0, bytes.length, format);
  for (const tag of ebml.listElementsIn(bytes, tags.dataOffset, tags.end, format)) {
    if (tag.id !== Id.tag) continue;
    for (const simple of ebml.listElementsIn(bytes, tag.dataOffset, tag.end, format)) if (simple.id === Id.simpleTag) visit(simple);
  }
  return hits;
}

const isAigcSimpleTag = (bytes: Uint8Array, simple: ebml.EbmlElement, format: string): boolean => {
  const name = ebml.listElementsIn(bytes, simple.dataOffset, simple.end, format).find((c) => c.id === Id.tagName);
  return name !== undefined && fromUtf8(bytes.subarray(name.dataOffset, name.end)).toUpperCase() === TAG_NAME;
};

/**
 * The data of a Tags element (bytes start at the Tags header) without any AIGC
 * SimpleTag; a Tag left with no SimpleTag is dropped. CRC-32 is recomputed when
 * the original had one. With `json`, a whole-segment Tag (empty Targets) holding
 * the label is appended.
 */
function tagsData(tagsBytes: Uint8Array | null, json: string | null, format: string): Uint8Array {
  const parts: Uint8Array[] = [];
  let hadCrc = false;
  if (tagsBytes) {
    const tags = ebml.parseElementHeader(tagsBytes, 0, 0, tagsBytes.length, format);
    for (const tag of ebml.listElementsIn(tagsBytes, tags.dataOffset, tags.end, format)) {
      if (tag.id === ebml.CRC32_ID) {
        hadCrc = true;
        continue;
      }
      if (tag.id !== Id.tag) {
        parts.push(tagsBytes.subarray(tag.offset, tag.end));
        continue;
      }
      const children = ebml.listElementsIn(tagsBytes, tag.dataOffset, tag.end, format);
      const kept = children.filter((c) => !(c.id === Id.simpleTag && isAigcSimpleTag(tagsBytes, c, format)));
      if (kept.length === children.length) parts.push(tagsBytes.subarray(tag.offset, tag.end));
      else if (kept.some((c) => c.id === Id.simpleTag)) {
        parts.push(
          ebml.makeElement(
            Id.tag,
            kept.filter((c) => c.id !== ebml.CRC32_ID).map((c) => tagsBytes.subarray(c.offset, c.end)),
          ),
        );
      }
    }
  }
  if (json !== null) {
    // RFC 9559 §5.1.8.1.1: a Tag with empty Targets applies to the whole Segment.
    const simple = ebml.makeElement(Id.simpleTag, [
      ebml.stringElement(Id.tagName, TAG_NAME),
      ebml.stringElement(Id.tagLanguage, 'und'),
      ebml.stringElement(Id.tagString, json),
    ]);
    parts.push(ebml.makeElement(Id.tag, [ebml.makeElement(Id.targets, new Uint8Array(0)), simple]));
  }
  const body = concat(parts);
  return hadCrc ? ebml.withCrc32(body) : body;
}

export const matroska: FormatHandler = {
  id: 'matroska',
  kind: 'video',
  name: 'Matroska / WebM',
  extensions: ['mkv', 'webm', 'mka', 'mk3d'],
  mimeTypes: ['video/x-matroska', 'video/webm', 'audio/x-matroska', 'audio/webm'],
  carrier: 'Segment/Tags/Tag/SimpleTag TagName AIGC, TagString JSON',
  rules: matroskaRules,
  sniff: (head) => startsWith(head, [0x1a, 0x45, 0xdf, 0xa3]),

  async read(source: ByteSource): Promise<ReadResult> {
    const { format, children } = await readLayout(source);
    const carriers: LabelCarrier[] = [];
    for (const tags of children.filter((c) => c.id === Id.tags)) {
      const bytes = await readTags(source, tags, format);
      for (const hit of findAigcTags(bytes, tags.offset, format)) {
        const decoded = decodeLabel(hit.value);
        carriers.push({
          carrier: 'matroska-simple-tag',
          location: `Tags at byte ${tags.offset}, SimpleTag "${TAG_NAME}" at byte ${hit.offset}`,
          offset: hit.offset,
          raw: hit.value,
          label: decoded.label,
          form: decoded.form,
          canonical: true,
          findings: decoded.findings,
        });
      }
    }
    return { format: 'matroska', carriers, findings: [] };
  },

  /**
   * Nothing before or between Clusters moves, so Cues and Cluster positions stay
   * valid: the Tags element is rewritten in place when it fits (with the Voids
   * after it), else moved into a large enough Void, else appended at the end of
   * the Segment; the SeekHead's Tags entry follows it.
   */
  async write(source: ByteSource, label: AigcLabel, options: WriteOptions = {}): Promise<WriteResult> {
    const { format, segment, children } = await readLayout(source);
    const json = encodeLabel(label, options.form);
    const findings: Finding[] = [];
    const edits: Edit[] = [];
    const tagsIndexes = children.flatMap((c, i) => (c.id === Id.tags ? [i] : []));
    const used = new Set<number>();
    // Every Tags but the first loses its AIGC SimpleTags (one label per file, GB 45438 §6.1 c)).
    for (const i of tagsIndexes.slice(1)) {
      const bytes = await readTags(source, children[i], format);
      if (findAigcTags(bytes, children[i].offset, format).length === 0) continue;
      const filled = ebml.elementFilling(Id.tags, tagsData(bytes, null, format), children[i].end - children[i].offset);
      if (!filled) throw new UnsupportedFormatError(`${format}: cannot rewrite the Tags element at offset ${children[i].offset} in place`);
      edits.push({ start: children[i].offset, end: children[i].end, insert: filled });
      used.add(i);
    }
    const first = tagsIndexes[0];
    const oldTags = first === undefined ? null : await readTags(source, children[first], format);
    const data = tagsData(oldTags, json, format);
    const relative = (offset: number) => offset - segment.dataOffset;

    if (first !== undefined) {
      const room = roomAt(children, first);
      const inPlace = ebml.elementFilling(Id.tags, data, room);
      if (inPlace) {
        edits.push({ start: children[first].offset, end: children[first].offset + room, insert: inPlace });
        return { segments: splicePlan(source.size, edits).segments, findings };
      }
    }
    const firstCluster = children.findIndex((c) => c.id === Id.cluster);
    const seekHeadIndex = children.findIndex((c) => c.id === Id.seekHead);
    const seekRoom = seekHeadIndex < 0 ? 0 : roomAt(children, seekHeadIndex);
    const voidIndex = children.findIndex(
      (c, i) =>
        c.id === ebml.VOID_ID &&
        !used.has(i) &&
        !(seekHeadIndex >= 0 && i > seekHeadIndex && c.end <= children[seekHeadIndex].offset + seekRoom) &&
        ebml.elementFilling(Id.tags, data, c.end - c.offset) !== null,
    );
    let position: number;
    if (voidIndex >= 0) {
      const target = children[voidIndex];
      position = target.offset;
      edits.push({
        start: target.offset,
        end: target.end,
        insert: ebml.elementFilling(Id.tags, data, target.end - target.offset) as Uint8Array,
      });
    } else {
      position = segment.end;
      edits.push({ start: segment.end, end: segment.end, insert: ebml.makeElement(Id.tags, data) });
      if (!segment.unknownSize) {
        const newSize = segment.size + edits[edits.length - 1].insert.length;
        const sizeLength = segment.headerSize - 4;
        if (newSize >= 2 ** (7 * sizeLength) - 1)
          throw new UnsupportedFormatError(`${format}: the Segment size field has no room for ${newSize} bytes`);
        edits.push({ start: segment.offset + 4, end: segment.dataOffset, insert: ebml.encodeVint(newSize, sizeLength) });
      }
    }
    if (first !== undefined) {
      const old = children[first];
      edits.push({ start: old.offset, end: old.end, insert: ebml.voidElement(old.end - old.offset) });
    }
    const beforeClusters = firstCluster < 0 || position < children[firstCluster].offset;
    if (seekHeadIndex >= 0) {
      const seekHead = children[seekHeadIndex];
      if (seekHead.end - seekHead.offset > maximumSeekHeadInBytes)
        throw new LimitExceededError(`${format}: SeekHead is over ${maximumSeekHeadInBytes} bytes`);
      const seekBytes = await readExact(source, seekHead.offset, seekHead.end - seekHead.offset, format, 'SeekHead');
      const oldPosition = first === undefined ? null : relative(children[first].offset);
      const rewritten = ebml.elementFilling(Id.seekHead, seekHeadData(seekBytes, relative(position), oldPosition, format), seekRoom);
      if (rewritten) {
        edits.push({ start: seekHead.offset, end: seekHead.offset + seekRoom, insert: rewritten });
      } else if (!rewritten && !beforeClusters) {
        throw new UnsupportedFormatError(
          `${format}: the SeekHead has no room for the Tags entry; remux the file with space reserved after the SeekHead`,
        );
      } else if (!rewritten) {
        findings.push(
          finding('matroska/seekhead-unchanged', 'info', 'the SeekHead had no room for a Tags entry; the Tags precede the first Cluster'),
        );
      }
    } else if (!beforeClusters) {
      findings.push(
        finding('matroska/no-seekhead', 'warning', 'no SeekHead: players that stop at the first Cluster will not see the Tags at the end'),
      );
    }
    return { segments: splicePlan(source.size, edits).segments, findings };
  },
};

/** matroska with its visible label; the registry passes the image and audio tools it draws and reads with. */
export const matroskaWithLabels = (tools: VideoLabelTools): FormatHandler => ({
  ...matroska,
  explicit: visibleVideoLabel(tools, planMatroskaAvcParameterSets),
  watermark: videoWatermark(tools.watermark),
});
