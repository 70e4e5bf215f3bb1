import {
  type AigcLabel,
  type ByteSource,
  decodeXmpPacket,
  type Evidence,
  encodeBare,
  encodeWrapped,
  encodeXmpPacket,
  type Finding,
  type FormatHandler,
  finding,
  type LabelCarrier,
  LimitExceededError,
  labelXmpPacket,
  MalformedInputError,
  maximumXmpPacketInBytes,
  type ReadResult,
  Rules,
  readExact,
  splicePlan,
  type WriteOptions,
  type WriteResult,
  xmpEvidence,
} from '@aigc-label/core';
import { visibleImageLabel } from '../explicit/capability.js';
import { xmpCarriers } from '../shared/carriers.js';
import { TiffEdit } from '../shared/ifd-edit.js';
import {
  type ExifDirectories,
  editedEntries,
  encodeEntry,
  entryBytes,
  exifDirectories,
  exifLabelCarriers,
  type Ifd,
  type IfdChain,
  type IfdEntry,
  maximumIfdChainLength,
  maximumIfdEntries,
  parseTiffHeader,
  readIfd,
  type TiffHeader,
  TiffTag,
  TiffType,
  walkIfdChain,
} from '../shared/tiff-ifd.js';
import { imageWatermark } from '../watermark/capability.js';

const fail = (message: string) => new MalformedInputError('tiff', message);

interface TiffLayout {
  readonly header: TiffHeader;
  readonly ifd0: Ifd;
  readonly xmp: IfdEntry | undefined;
  readonly chain: IfdChain;
}

async function layout(tiff: ByteSource): Promise<TiffLayout> {
  if (tiff.size === 0) throw fail('the file is empty (0 bytes)');
  const header = await parseTiffHeader(tiff, 'tiff');
  const ifd0 = await readIfd(tiff, header.ifd0Offset, header, 'tiff');
  const chain = await walkIfdChain(tiff, header, 'tiff');
  return { header, ifd0, xmp: ifd0.entries.find((e) => e.tag === TiffTag.xmp), chain };
}

/**
 * The XMP packet for a read: a packet cut by a truncation (a partial upload; we append it last)
 * is read as far as the file goes, with an error finding, since the label in it may be whole
 * (issue 25). A write reads it with `entryBytes` and refuses.
 */
async function xmpForReading(tiff: ByteSource, xmp: IfdEntry, where: string, findings: Finding[]): Promise<Uint8Array> {
  const cut = !xmp.inline && xmp.valueOffset < tiff.size && xmp.valueOffset + xmp.valueLength > tiff.size;
  if (!cut || xmp.valueLength > maximumXmpPacketInBytes) return entryBytes(tiff, xmp, 'tiff');
  const present = tiff.size - xmp.valueOffset;
  const message = `the file is truncated inside the XMP packet (${present} of its ${xmp.valueLength} bytes are present); the part present was read`;
  findings.push(finding(Rules.damaged, 'error', message, where));
  return readExact(tiff, xmp.valueOffset, present, 'tiff', 'TIFF tag 700 value');
}

/** The EXIF text tags that hold a label; a damaged Exif IFD is a finding and hides nothing else. */
async function exifLabels(tiff: ByteSource, findings: Finding[]): Promise<ExifDirectories | null> {
  try {
    return await exifDirectories(tiff, 'tiff');
  } catch (error) {
    if (!(error instanceof MalformedInputError || error instanceof LimitExceededError)) throw error;
    findings.push(finding(Rules.damaged, 'warning', error.message));
    return null;
  }
}

const isBigTiffMagic = (head: Uint8Array) =>
  (head[0] === 0x49 && head[1] === 0x49 && head[2] === 43 && head[3] === 0) ||
  (head[0] === 0x4d && head[1] === 0x4d && head[2] === 0 && head[3] === 43);

export const tiff: FormatHandler = {
  id: 'tiff',
  kind: 'image',
  name: 'TIFF',
  extensions: ['tif', 'tiff'],
  mimeTypes: ['image/tiff'],
  carrier: 'IFD0 tag 700 (XMP, type 7), XMP TC260:AIGC',
  contentRegions: {
    unsupported:
      'IFD offsets move when the XMP tag grows, so a binding needs the image data located through the IFDs rather than byte ranges (not done yet)',
  },
  explicit: visibleImageLabel,
  watermark: imageWatermark,
  sniff: (head) =>
    head.length >= 4 &&
    ((head[0] === 0x49 && head[1] === 0x49 && head[2] === 42 && head[3] === 0) ||
      (head[0] === 0x4d && head[1] === 0x4d && head[2] === 0 && head[3] === 42) ||
      isBigTiffMagic(head)),

  async read(source: ByteSource): Promise<ReadResult> {
    const l = await layout(source);
    const findings: Finding[] = [...l.chain.findings];
    const carriers: LabelCarrier[] = [];
    const evidence: Evidence[] = [];
    if (l.xmp) {
      const where = `IFD0 tag 700 (XMP) at byte ${l.xmp.valueOffset}`;
      const { xml } = decodeXmpPacket(await xmpForReading(source, l.xmp, where, findings));
      carriers.push(...xmpCarriers(xml, where, l.xmp.valueOffset));
      evidence.push(...xmpEvidence(xml, where));
      if (l.xmp.type !== TiffType.undefined && l.xmp.type !== TiffType.byte) {
        findings.push(finding(Rules.damaged, 'info', `the XMP tag has field type ${l.xmp.type}, not 7 (UNDEFINED) or 1 (BYTE)`));
      }
    }
    const exif = await exifLabels(source, findings);
    if (exif) carriers.push(...exifLabelCarriers(exif, 0, 'TIFF'));
    return { format: 'tiff', carriers, findings, evidence };
  },

  /**
   * Writes the XMP packet as IFD0 tag 700, type 7, appended at the end of the file
   * (or over the packet a previous label left at the end). IFD0 is rewritten in place
   * when its entries still fit (tag 700 already there, or a label tag removed);
   * otherwise a new IFD0 goes at the end, before the packet, and the header points to
   * it (so does a next pointer that looped back to IFD0: the page chain stays as it
   * was). Nothing else moves, so every other offset in the file stays valid. A label
   * in ImageDescription or UserComment is removed the same way (one label per file);
   * old values stay as unreferenced bytes, since other pages, SubIFDs or strips may
   * share them.
   */
  async write(source: ByteSource, label: AigcLabel, options: WriteOptions = {}): Promise<WriteResult> {
    const { header, ifd0, xmp, chain } = await layout(source);
    const findings: Finding[] = [...chain.findings];
    const json = options.form === 'wrapped' ? encodeWrapped(label) : encodeBare(label);
    // The label is written in the packet's own encoding (UTF-8, or UTF-16/32), so every other tag stays readable.
    const existing = xmp ? decodeXmpPacket(await entryBytes(source, xmp, 'tiff')) : null;
    const packet = encodeXmpPacket(labelXmpPacket(existing?.xml ?? null, json, options), existing?.encoding ?? 'utf-8');
    const exif = await exifLabels(source, findings);

    // An XMP value we appended earlier ends the file: overwrite it rather than leave a stale copy behind.
    const reuse = xmp !== undefined && !xmp.inline && source.size - (xmp.valueOffset + xmp.valueLength) <= 1;
    const edit = new TiffEdit(header, 'tiff', reuse && xmp ? xmp.valueOffset : source.size, null);
    const ifd0Changes = new Map<number, Uint8Array | null>();
    for (const { place, entry } of exif?.labels ?? []) {
      if (place === 'Exif IFD UserComment' && exif?.exifIfd) {
        edit.writeIfd(exif.exifIfd, editedEntries(exif.exifIfd, new Map([[TiffTag.userComment, null]])));
      } else ifd0Changes.set(entry.tag, null);
      findings.push(finding(Rules.multipleLabels, 'info', `removed the label in ${place}; it is now in XMP (one label per file)`));
    }

    // The new IFD0, when there is one, goes before the packet, so the packet ends the file and a later relabel can overwrite it.
    const placeholder = new Uint8Array(header.entrySize);
    const entryCount = editedEntries(ifd0, new Map([...ifd0Changes, [TiffTag.xmp, placeholder]])).length;
    // The file must read back: an IFD0 already at the entry bound has no room for tag 700.
    if (entryCount > maximumIfdEntries) {
      throw new LimitExceededError(`tiff: IFD0 would hold ${entryCount} entries with the XMP tag, over ${maximumIfdEntries}`);
    }
    const inPlace = edit.fitsInPlace(ifd0, entryCount);
    const ifdSize = header.countSize + entryCount * header.entrySize + header.offsetSize;
    const packetAt = edit.nextAppendAt(inPlace ? 0 : ifdSize);
    if (!header.bigTiff && packetAt + packet.length > 0xffffffff) throw fail('the file would grow past the 4 GiB TIFF offset limit');
    ifd0Changes.set(TiffTag.xmp, encodeEntry(header, TiffTag.xmp, TiffType.undefined, packet.length, packetAt));
    const ifd0At = edit.writeIfd(ifd0, editedEntries(ifd0, ifd0Changes));
    edit.append(packet);
    if (ifd0At !== ifd0.offset) {
      edit.patchOffset(header.ifd0PointerAt, ifd0At);
      if (!chain.complete) {
        throw new LimitExceededError(`tiff: over ${maximumIfdChainLength} pages; IFD0 cannot move without knowing every next pointer`);
      }
      // A chain that looped back to IFD0 loops back to the new IFD0 (IFD0's own next pointer is handled by writeIfd).
      if (chain.loop?.target === ifd0.offset && chain.loop.pointerAt !== ifd0.nextPointerOffset) {
        edit.patchOffset(chain.loop.pointerAt, ifd0At);
      }
    }
    const edits = [...edit.patches, { start: edit.tailStart, end: source.size, insert: edit.tail() }];
    return { ...splicePlan(source.size, edits), findings };
  },
};
