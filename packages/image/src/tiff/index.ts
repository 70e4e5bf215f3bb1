import {
  type AigcLabel,
  type ByteSource,
  concat,
  type Evidence,
  encodeBare,
  encodeWrapped,
  type Finding,
  type FormatHandler,
  finding,
  fromUtf8,
  type LabelCarrier,
  labelXmpPacket,
  MalformedInputError,
  putU16be,
  putU16le,
  putU32be,
  putU32le,
  type ReadResult,
  Rules,
  splicePlan,
  utf8,
  type WriteOptions,
  type WriteResult,
  xmpEvidence,
} from '@aigc-label/core';
import { visibleImageLabel } from '../explicit/capability.js';
import { type ByteEdit, xmpCarriers } from '../shared/carriers.js';
import {
  entryBytes,
  exifTextCarriers,
  type Ifd,
  type IfdEntry,
  parseTiffHeader,
  reader,
  readIfd,
  TiffTag,
  TiffType,
} from '../shared/tiff-ifd.js';

const fail = (message: string) => new MalformedInputError('tiff', message);

interface TiffLayout {
  readonly littleEndian: boolean;
  readonly ifd0: Ifd;
  readonly xmp: IfdEntry | undefined;
}

async function layout(tiff: ByteSource): Promise<TiffLayout> {
  if (tiff.size === 0) throw fail('the file is empty (0 bytes)');
  const { littleEndian, ifd0Offset } = await parseTiffHeader(tiff, 'tiff');
  const ifd0 = await readIfd(tiff, ifd0Offset, littleEndian, 'tiff');
  return { littleEndian, ifd0, xmp: ifd0.entries.find((e) => e.tag === TiffTag.xmp) };
}

/** A 12-byte IFD entry (TIFF 6.0 §2). */
function encodeEntry(littleEndian: boolean, tag: number, type: number, count: number, value: number): Uint8Array {
  const out = new Uint8Array(12);
  const u16 = littleEndian ? putU16le : putU16be;
  const u32 = littleEndian ? putU32le : putU32be;
  u16(out, 0, tag);
  u16(out, 2, type);
  u32(out, 4, count);
  u32(out, 8, value);
  return out;
}

function encodeIfd(littleEndian: boolean, entries: readonly Uint8Array[], tags: readonly number[], next: number): Uint8Array {
  const order = tags.map((tag, i) => ({ tag, i })).sort((a, b) => a.tag - b.tag);
  const out = new Uint8Array(2 + entries.length * 12 + 4);
  (littleEndian ? putU16le : putU16be)(out, 0, entries.length);
  order.forEach(({ i }, k) => {
    out.set(entries[i], 2 + k * 12);
  });
  (littleEndian ? putU32le : putU32be)(out, out.length - 4, next);
  return out;
}

async function exifCarriers(tiff: ByteSource, findings: Finding[]): Promise<LabelCarrier[]> {
  try {
    return await exifTextCarriers(tiff, 0, 'TIFF', 'tiff');
  } catch (error) {
    if (!(error instanceof MalformedInputError)) throw error;
    findings.push(finding(Rules.damaged, 'warning', error.message));
    return [];
  }
}

export const tiff: FormatHandler = {
  id: 'tiff',
  kind: 'image',
  name: 'TIFF',
  extensions: ['tif', 'tiff'],
  mimeTypes: ['image/tiff'],
  carrier: 'IFD0 tag 700 (XMP, type 7), XMP TC260:AIGC',
  explicit: visibleImageLabel,
  sniff: (head) =>
    head.length >= 4 &&
    ((head[0] === 0x49 && head[1] === 0x49 && head[2] === 42 && head[3] === 0) ||
      (head[0] === 0x4d && head[1] === 0x4d && head[2] === 0 && head[3] === 42)),

  async read(source: ByteSource): Promise<ReadResult> {
    const l = await layout(source);
    const findings: Finding[] = [];
    const carriers: LabelCarrier[] = [];
    const evidence: Evidence[] = [];
    if (l.xmp) {
      const xml = fromUtf8(await entryBytes(source, l.xmp, 'tiff'));
      const where = `IFD0 tag 700 (XMP) at byte ${l.xmp.valueOffset}`;
      carriers.push(...xmpCarriers(xml, where, l.xmp.valueOffset));
      evidence.push(...xmpEvidence(xml, where));
      if (l.xmp.type !== TiffType.undefined && l.xmp.type !== TiffType.byte) {
        findings.push(finding(Rules.damaged, 'info', `the XMP tag has field type ${l.xmp.type}, not 7 (UNDEFINED) or 1 (BYTE)`));
      }
    }
    carriers.push(...(await exifCarriers(source, findings)));
    return { format: 'tiff', carriers, findings, evidence };
  },

  /**
   * Appends the XMP packet at the end of the file as IFD0 tag 700, type 7 (or
   * overwrites the packet a previous label left at the end). An existing tag 700
   * entry is repointed in place; otherwise IFD0 must grow, so a new IFD0 is
   * appended and the header repointed. Nothing else moves, so every other offset
   * in the file stays valid. A label in ImageDescription or UserComment is
   * dropped the same way (one label per file).
   */
  async write(source: ByteSource, label: AigcLabel, options: WriteOptions = {}): Promise<WriteResult> {
    const l = await layout(source);
    const { littleEndian, ifd0 } = l;
    const findings: Finding[] = [];
    const json = options.form === 'wrapped' ? encodeWrapped(label) : encodeBare(label);
    const packet = utf8(labelXmpPacket(l.xmp ? fromUtf8(await entryBytes(source, l.xmp, 'tiff')) : null, json, options));
    const exifLabels = await exifCarriers(source, findings);
    const dropDescription = exifLabels.some((c) => c.carrier === 'exif-image-description');
    const dropComment = exifLabels.some((c) => c.carrier === 'exif-user-comment');

    // An XMP value we appended earlier ends the file: overwrite it rather than leave a stale copy behind.
    const reuse = l.xmp !== undefined && l.xmp.valueLength > 4 && source.size - (l.xmp.valueOffset + l.xmp.valueLength) <= 1;
    const tailStart = reuse && l.xmp ? l.xmp.valueOffset : source.size;
    // Values and IFDs start on a word boundary (TIFF 6.0 §2).
    const appended: Uint8Array[] = [];
    let end = tailStart;
    const append = (data: Uint8Array): number => {
      if (end % 2) {
        appended.push(new Uint8Array(1));
        end++;
      }
      const at = end;
      appended.push(data);
      end += data.length;
      return at;
    };
    if (end + packet.length + 64 + (ifd0.entries.length + 1) * 12 * 2 > 0xffffffff) {
      throw fail('the file would grow past the 4 GiB TIFF offset limit');
    }
    const edits: ByteEdit[] = [];

    const replaced = new Map<number, Uint8Array>();
    if (dropComment) {
      const pointer = ifd0.entries.find((e) => e.tag === TiffTag.exifIfd) as IfdEntry;
      const exif = await readIfd(source, reader(littleEndian).u32(pointer.raw, 8), littleEndian, 'tiff');
      const kept = exif.entries.filter((e) => e.tag !== TiffTag.userComment);
      const newExif = append(
        encodeIfd(
          littleEndian,
          kept.map((e) => e.raw),
          kept.map((e) => e.tag),
          exif.nextOffset,
        ),
      );
      replaced.set(TiffTag.exifIfd, encodeEntry(littleEndian, TiffTag.exifIfd, pointer.type, 1, newExif));
      findings.push(finding(Rules.multipleLabels, 'info', 'removed the label in Exif UserComment; it is now in XMP (one label per file)'));
    }
    if (dropDescription) {
      findings.push(finding(Rules.multipleLabels, 'info', 'removed the label in ImageDescription; it is now in XMP (one label per file)'));
    }

    if (l.xmp && replaced.size === 0 && !dropDescription) {
      const xmpAt = append(packet);
      edits.push({
        start: l.xmp.entryOffset,
        end: l.xmp.entryOffset + 12,
        insert: encodeEntry(littleEndian, TiffTag.xmp, TiffType.undefined, packet.length, xmpAt),
      });
    } else {
      // The new IFD0 goes before the packet, so the packet ends the file and a later relabel can overwrite it.
      const kept = ifd0.entries.filter((e) => e.tag !== TiffTag.xmp && !(dropDescription && e.tag === TiffTag.imageDescription));
      const slot = appended.length + (end % 2);
      const newIfd0 = append(new Uint8Array(2 + (kept.length + 1) * 12 + 4));
      const xmpAt = append(packet);
      const xmpEntry = encodeEntry(littleEndian, TiffTag.xmp, TiffType.undefined, packet.length, xmpAt);
      const entries = [...kept.map((e) => replaced.get(e.tag) ?? e.raw), xmpEntry];
      appended[slot] = encodeIfd(littleEndian, entries, [...kept.map((e) => e.tag), TiffTag.xmp], ifd0.nextOffset);
      const header = new Uint8Array(4);
      (littleEndian ? putU32le : putU32be)(header, 0, newIfd0);
      edits.push({ start: 4, end: 8, insert: header });
    }
    edits.push({ start: tailStart, end: source.size, insert: concat(appended) });
    return { ...splicePlan(source.size, edits), findings };
  },
};
