import {
  type AigcLabel,
  type ByteSource,
  concat,
  decodeLabel,
  ebml,
  encodeLabel,
  type FormatHandler,
  finding,
  fromUtf8,
  type LabelCarrier,
  LimitExceededError,
  MalformedInputError,
  maximumListedCarriers,
  type ReadResult,
  Rules,
  splicePlan,
  startsWith,
  UnsupportedFormatError,
  type WriteOptions,
  type WriteResult,
} from '@aigc-label/core';
import { type VideoLabelTools, visibleVideoLabel } from '../explicit/capability.js';
import { videoWatermark } from '../watermark/capability.js';
import { type Edit, Id, readLayout, readTags, roomAt } from './layout.js';
import { planMatroskaAvcParameterSets } from './parameter-sets.js';
import { planSegmentEdits } from './positions.js';

const TAG_NAME = 'AIGC';

interface SimpleTagHit {
  readonly value: string;
  readonly offset: number;
}

/** Deepest SimpleTag nesting read (RFC 9559 §5.1.8.1.2 nests them; real files use a level or two). */
const maximumSimpleTagDepth = 16;

/**
 * AIGC SimpleTags (nested ones included) in one Tags element held in `bytes` (from its header,
 * at file offset `base`), its Tag elements in `[start, end)`. With `damage` (salvage), a Tag that
 * does not parse is noted and skipped, and the walk stops where the element breaks off.
 */
function findAigcTags(bytes: Uint8Array, start: number, end: number, base: number, format: string, damage?: string[]): SimpleTagHit[] {
  const hits: SimpleTagHit[] = [];
  const text = (e: ebml.EbmlElement): string => fromUtf8(bytes.subarray(e.dataOffset, e.end));
  const visit = (simple: ebml.EbmlElement, depth: number): void => {
    if (depth > maximumSimpleTagDepth) throw new LimitExceededError(`${format}: SimpleTags nested deeper than ${maximumSimpleTagDepth}`);
    const children = ebml.listElementsIn(bytes, simple.dataOffset, simple.end, format);
    const name = children.find((c) => c.id === Id.tagName);
    const value = children.find((c) => c.id === Id.tagString);
    // A SimpleTag named AIGC with no TagString is an empty carrier, reported as such (issue 25 item 4).
    if (name && text(name).toUpperCase() === TAG_NAME && hits.length < maximumListedCarriers) {
      hits.push({ value: value ? text(value) : '', offset: base + simple.offset });
    }
    for (const nested of children) if (nested.id === Id.simpleTag) visit(nested, depth + 1);
  };
  const salvage = (error: unknown, what: string): void => {
    if (!damage || !(error instanceof MalformedInputError)) throw error;
    damage.push(`${what}: ${error.detail}`);
  };
  for (let at = start, count = 0; at < end; count++) {
    if (count >= ebml.maximumElementCount) throw new LimitExceededError(`${format}: more than ${ebml.maximumElementCount} Tag elements`);
    let tag: ebml.EbmlElement;
    try {
      tag = ebml.parseElementHeader(bytes, at, at, end, format);
    } catch (error) {
      salvage(error, `the Tags element at byte ${base} breaks off at byte ${base + at}`);
      break;
    }
    at = tag.end;
    if (tag.id !== Id.tag) continue;
    try {
      for (const simple of ebml.listElementsIn(bytes, tag.dataOffset, tag.end, format)) if (simple.id === Id.simpleTag) visit(simple, 1);
    } catch (error) {
      salvage(error, `the Tag at byte ${base + tag.offset} cannot be read`);
    }
  }
  return hits;
}

/** The AIGC SimpleTags of a complete Tags element held in `bytes`. */
const aigcTagsIn = (bytes: Uint8Array, base: number, format: string): SimpleTagHit[] => {
  const tags = ebml.parseElementHeader(bytes, 0, 0, bytes.length, format);
  return findAigcTags(bytes, tags.dataOffset, tags.end, base, format);
};

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
  // A child of unknown size (which only Segment and Cluster may have, RFC 9559 §6.2) runs to the end of the
  // Tags: the new Tag goes before it, or it would swallow the Tag; it keeps its bytes and its extent.
  let unknownSizeAt = -1;
  if (tagsBytes) {
    const tags = ebml.parseElementHeader(tagsBytes, 0, 0, tagsBytes.length, format);
    for (const tag of ebml.listElementsIn(tagsBytes, tags.dataOffset, tags.end, format)) {
      if (tag.unknownSize && unknownSizeAt < 0) unknownSizeAt = parts.length;
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
      // TagLanguage is left at its default, "und" (RFC 9559 §5.1.8.1.2.3); ExifTool would name the tag "AIGC-und".
      ebml.stringElement(Id.tagName, TAG_NAME),
      ebml.stringElement(Id.tagString, json),
    ]);
    const labelTag = ebml.makeElement(Id.tag, [ebml.makeElement(Id.targets, new Uint8Array(0)), simple]);
    parts.splice(unknownSizeAt < 0 ? parts.length : unknownSizeAt, 0, labelTag);
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
  contentRegions: {
    unsupported:
      'element sizes, SeekHead and Cues positions change when Tags are written, so a binding needs the Clusters located through the element tree rather than byte ranges (not done yet)',
  },
  sniff: (head) => startsWith(head, [0x1a, 0x45, 0xdf, 0xa3]),

  /** Reads every AIGC SimpleTag; a damaged file is salvaged (issue 25 item 2): what parses is read, the rest is a finding. */
  async read(source: ByteSource): Promise<ReadResult> {
    const damage: string[] = [];
    const { format, children } = await readLayout(source, damage, (id) => id === Id.tags);
    const carriers: LabelCarrier[] = [];
    for (const tags of children.filter((c) => c.id === Id.tags)) {
      const bytes = await readTags(source, tags, format);
      for (const hit of findAigcTags(bytes, tags.dataOffset - tags.offset, bytes.length, tags.offset, format, damage)) {
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
    return { format: 'matroska', carriers, findings: damage.map((problem) => finding(Rules.damaged, 'error', problem)) };
  },

  /**
   * The label goes where every reader finds it (issue 13): into the first Tags element,
   * in place (taking the Voids after it, or growing where it is), else into a new Tags
   * element before the first Cluster (in a Void there when one is large enough). What
   * follows a grown or inserted element moves, and every position pointing past it is
   * fixed (SeekHead, Cues, Cluster Position, Segment size; `planSegmentEdits`); Cluster
   * data is copied byte for byte. A SeekHead gets a Tags entry.
   */
  async write(source: ByteSource, label: AigcLabel, options: WriteOptions = {}): Promise<WriteResult> {
    const layout = await readLayout(source);
    const { format, segment, children } = layout;
    const json = encodeLabel(label, options.form);
    const edits: Edit[] = [];
    const tagsIndexes = children.flatMap((c, i) => (c.id === Id.tags ? [i] : []));
    const used = new Set<number>();
    // Every Tags but the first loses its AIGC SimpleTags (one label per file, GB 45438 §6.1 c)).
    for (const i of tagsIndexes.slice(1)) {
      const bytes = await readTags(source, children[i], format);
      if (aigcTagsIn(bytes, children[i].offset, format).length === 0) continue;
      const filled = ebml.elementFilling(Id.tags, tagsData(bytes, null, format), children[i].end - children[i].offset);
      if (!filled) throw new UnsupportedFormatError(`${format}: cannot rewrite the Tags element at offset ${children[i].offset} in place`);
      edits.push({ start: children[i].offset, end: children[i].end, insert: filled });
      used.add(i);
    }
    const first = tagsIndexes[0];
    const data = tagsData(first === undefined ? null : await readTags(source, children[first], format), json, format);
    const firstCluster = children.findIndex((c) => c.id === Id.cluster);
    let tagsEdit: Edit;
    if (first !== undefined && (firstCluster < 0 || first < firstCluster)) {
      const tags = children[first];
      const room = roomAt(children, first, used);
      for (let i = first + 1; children[i] && children[i].offset < tags.offset + room; i++) used.add(i);
      tagsEdit = {
        start: tags.offset,
        end: tags.offset + room,
        insert: ebml.elementFilling(Id.tags, data, room) ?? ebml.makeElement(Id.tags, data),
      };
    } else {
      // Tags after the Clusters (as older writers, ours included, appended them) are unseen by
      // readers that stop at the first Cluster (ExifTool): they move before it, a Void in their place.
      if (first !== undefined) {
        edits.push({
          start: children[first].offset,
          end: children[first].end,
          insert: ebml.voidElement(children[first].end - children[first].offset),
        });
        used.add(first);
      }
      tagsEdit = newTagsEdit(children, segment, firstCluster, data, used);
    }
    edits.push(tagsEdit);
    const oldPosition = first === undefined ? null : children[first].offset - segment.dataOffset;
    const planned = await planSegmentEdits(source, layout, edits, { edit: tagsEdit, oldPosition }, used);
    return { segments: splicePlan(source.size, planned).segments, findings: [] };
  },
};

/**
 * A new Tags element before the first Cluster: in a Void there large enough (not one the
 * SeekHead may grow into), else inserted right before the Cluster; at the end of the
 * Segment when it has no Cluster.
 */
function newTagsEdit(
  children: readonly ebml.EbmlElement[],
  segment: ebml.EbmlElement,
  firstCluster: number,
  data: Uint8Array,
  used: Set<number>,
): Edit {
  const seekHeadIndex = children.findIndex((c) => c.id === Id.seekHead);
  const seekRoomEnd = seekHeadIndex < 0 ? -1 : children[seekHeadIndex].offset + roomAt(children, seekHeadIndex);
  const before = firstCluster < 0 ? children.length : firstCluster;
  // elementFilling succeeds for exactly the element's size, two bytes more and up (a Void after it), or one more (a wider size field).
  const size = ebml.makeElement(Id.tags, data).length;
  const fits = (room: number) =>
    room === size || room >= size + 2 || (room === size + 1 && ebml.elementFilling(Id.tags, data, room) !== null);
  const voidIndex = children.findIndex(
    (c, i) => i < before && c.id === ebml.VOID_ID && !used.has(i) && c.end > seekRoomEnd && fits(c.end - c.offset),
  );
  if (voidIndex >= 0) {
    const target = children[voidIndex];
    used.add(voidIndex);
    return { start: target.offset, end: target.end, insert: ebml.elementFilling(Id.tags, data, target.end - target.offset) as Uint8Array };
  }
  const at = firstCluster < 0 ? segment.end : children[firstCluster].offset;
  return { start: at, end: at, insert: ebml.makeElement(Id.tags, data) };
}

/** matroska with its visible label; the registry passes the image and audio tools it draws and reads with. */
export const matroskaWithLabels = (tools: VideoLabelTools): FormatHandler => ({
  ...matroska,
  explicit: visibleVideoLabel(tools, planMatroskaAvcParameterSets),
  watermark: videoWatermark(tools.watermark),
});
