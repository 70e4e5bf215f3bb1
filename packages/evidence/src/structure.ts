/**
 * One bounded walk over a file's metadata structures, shared by the C2PA and vendor-marker
 * readers: where an embedded C2PA manifest store sits, the XMP packets, and the named text
 * fields (PNG text chunks, EXIF ASCII tags, MP4 and Matroska tags). The container family comes
 * from the magic bytes, not from a format id, so one walk serves every format of a family
 * (ISO-BMFF: MP4, MOV, M4A, HEIF, AVIF; RIFF: WAV, WebP, AVI). It reads headers and small
 * metadata only, never media data, and stops at the first damage with what it had.
 */
import {
  ascii,
  type ByteSource,
  ebml,
  fromAscii,
  fromLatin1,
  fromUtf8,
  indexOfBytes,
  inflateCapped,
  isobmff,
  maximumXmpPacketInBytes,
  readExact,
  riff,
  startsWith,
  trimTrailingNuls,
  u16be,
  u16le,
  u32be,
  u32le,
} from '@aigc-label/core';
import { firstVideoSamples, MAXIMUM_SAMPLE_BYTES, matroskaFrames, matroskaVideoTrack, type VideoSamples } from './markers/samples.js';
import { findInSource, findNearEnds } from './scan.js';

export type FieldContainer = 'png-text' | 'exif' | 'xmp' | 'mp4-tag' | 'matroska-tag';

/** A named text field of the file's metadata. */
export interface TextField {
  readonly container: FieldContainer;
  /** The field's name as stored: a PNG keyword, an EXIF tag name, an MP4 item or key, a Matroska TagName. */
  readonly name: string;
  readonly value: string;
  readonly where: string;
}

export interface XmpPacket {
  readonly xml: string;
  readonly where: string;
}

export interface FileStructure {
  /** The container family the magic bytes name, or null for one the walk does not know. */
  readonly family: Family | null;
  /** Where an embedded C2PA manifest store sits, or null when there is none. */
  readonly c2pa: string | null;
  readonly xmp: readonly XmpPacket[];
  readonly fields: readonly TextField[];
  /** The first samples of the first H.264/H.265 track (ISO-BMFF, Matroska), for SEI markers. */
  readonly video: VideoSamples | null;
  /** Damage that stopped the walk early (what was found before it is kept). */
  readonly damage: string | null;
}

export type Family = 'jpeg' | 'png' | 'bmff' | 'riff' | 'tiff' | 'gif' | 'id3' | 'pdf' | 'ebml';

/** The JUMBF description box of a C2PA manifest store: box type `jumd`, then the UUID whose first four bytes spell `c2pa`. */
export const C2PA_JUMBF = ascii('jumdc2pa');
/** C2PA in ISO-BMFF: a top-level `uuid` box with this user type (C2PA §A.4). */
const C2PA_BMFF_UUID = 'd8fec3d61b0e483c92975828877ec481';
const XMP_BMFF_UUID = 'be7acfcb97a942e89c71999491e3afac';
/** C2PA in TIFF and DNG: IFD0 tag 0xCD41 points at the manifest store (C2PA §A.3.4). */
const TIFF_C2PA_TAG = 0xcd41;
const TIFF_XMP_TAG = 700;
const EXIF_IFD_TAG = 0x8769;
/** EXIF ASCII tags that name software, makers and authors, and UserComment (where A1111 writes its parameters in JPEG). */
const EXIF_TEXT_TAGS: Readonly<Record<number, string>> = {
  270: 'ImageDescription',
  271: 'Make',
  272: 'Model',
  305: 'Software',
  315: 'Artist',
  33432: 'Copyright',
  37510: 'UserComment',
};
/** A PDF's embedded C2PA manifest (ISO 32000-2 associated file), when its stream is compressed and `jumdc2pa` does not show. */
const PDF_C2PA_MARKS = [C2PA_JUMBF, ascii('/C2PA_Manifest'), ascii('application#2Fc2pa')];
const GIF_C2PA_APPLICATION = ascii('C2PA_GIF');

/**
 * GIF and PDF are scanned near their ends, not walked: the C2PA GIF extension follows the header,
 * and a PDF manifest comes as an incremental update at the end (c2pa-rs, Adobe). A manifest in
 * the middle of a larger file is missed; the format module's own reading still sees what it sees.
 */
const SCANNED_END_IN_BYTES = 1024 * 1024;
const SCANNED_PDF_TAIL_IN_BYTES = 32 * 1024 * 1024;
/** At most this many XMP packets and text fields are kept; real files have a handful. */
const MAXIMUM_PACKETS = 16;
const MAXIMUM_FIELDS = 256;
/** A text field longer than this is cut: markers are decided on its start (a ComfyUI workflow can be megabytes). */
const MAXIMUM_FIELD_IN_CHARACTERS = 64 * 1024;
/** Largest metadata block (EXIF, a PNG text chunk, an ID3 tag, moov/udta, Matroska Tags) read into memory. */
const MAXIMUM_BLOCK_IN_BYTES = 16 * 1024 * 1024;
/** JPEG segments and PNG chunks walked at most (a PNG may have thousands of IDAT chunks). */
const MAXIMUM_STRUCTURES = 100_000;

export function familyOf(head: Uint8Array): Family | null {
  if (startsWith(head, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  if (head.length >= 8 && ['ftyp', 'moov', 'mdat', 'free', 'wide', 'skip'].includes(fromAscii(head, 4, 8))) return 'bmff';
  if (startsWith(head, ascii('RIFF')) || startsWith(head, ascii('RF64'))) return 'riff';
  if (startsWith(head, [0x49, 0x49, 0x2a, 0x00]) || startsWith(head, [0x4d, 0x4d, 0x00, 0x2a])) return 'tiff';
  if (startsWith(head, ascii('GIF8'))) return 'gif';
  if (startsWith(head, ascii('ID3'))) return 'id3';
  if (startsWith(head, ascii('%PDF'))) return 'pdf';
  if (startsWith(head, [0x1a, 0x45, 0xdf, 0xa3])) return 'ebml';
  return null;
}

class Collector {
  c2pa: string | null = null;
  readonly xmp: XmpPacket[] = [];
  readonly fields: TextField[] = [];
  video: VideoSamples | null = null;

  addXmp(packet: Uint8Array | string, where: string): void {
    if (this.xmp.length >= MAXIMUM_PACKETS || packet.length > maximumXmpPacketInBytes) return;
    this.xmp.push({ xml: typeof packet === 'string' ? packet : fromUtf8(packet), where });
  }

  addField(container: FieldContainer, name: string, value: string, where: string): void {
    const text = trimTrailingNuls(value);
    if (this.fields.length < MAXIMUM_FIELDS && text.trim() !== '') {
      this.fields.push({ container, name, value: text.slice(0, MAXIMUM_FIELD_IN_CHARACTERS), where });
    }
  }
}

/** Walks the metadata structures of the family the head names. Never throws for damaged input. */
export async function readStructure(file: ByteSource): Promise<FileStructure> {
  const family = familyOf(await file.read(0, Math.min(64, file.size)));
  const found = new Collector();
  let damage: string | null = null;
  if (family === null) return { family, c2pa: null, xmp: [], fields: [], video: null, damage };
  const source = await withCachedHead(file);
  try {
    await WALKS[family](source, found);
  } catch (error) {
    damage = error instanceof Error ? error.message : String(error);
    // A damaged container may still hold a manifest store: look for its JUMBF signature anywhere.
    if (found.c2pa === null && (await findInSource(source, [C2PA_JUMBF])) >= 0) found.c2pa = 'JUMBF found by scanning a damaged file';
  }
  return { family, c2pa: found.c2pa, xmp: found.xmp, fields: found.fields, video: found.video, damage };
}

/** Bytes read in one go at the start: the metadata of most images and of many videos sits there, and each read of a file is a system call. */
const HEAD_IN_BYTES = 256 * 1024;

/** The source with its first bytes read once and served from memory; reads past them go to the file. */
async function withCachedHead(source: ByteSource): Promise<ByteSource> {
  const head = await source.read(0, Math.min(HEAD_IN_BYTES, source.size));
  return {
    size: source.size,
    read: (offset, length) =>
      offset + length <= head.length ? Promise.resolve(head.subarray(offset, offset + length)) : source.read(offset, length),
  };
}

const WALKS: Readonly<Record<Family, (source: ByteSource, found: Collector) => Promise<void>>> = {
  jpeg: walkJpeg,
  png: walkPng,
  bmff: walkBmff,
  riff: walkRiff,
  tiff: (source, found) => readTiff(inFile(source), 'TIFF', found),
  gif: async (source, found) => {
    const at = await findNearEnds(source, [GIF_C2PA_APPLICATION], SCANNED_END_IN_BYTES, SCANNED_END_IN_BYTES);
    if (at >= 0) found.c2pa = `GIF application extension C2PA_GIF at byte ${at}`;
  },
  id3: walkId3,
  pdf: async (source, found) => {
    const at = await findNearEnds(source, PDF_C2PA_MARKS, SCANNED_END_IN_BYTES, SCANNED_PDF_TAIL_IN_BYTES);
    if (at >= 0) found.c2pa = `PDF embedded manifest store near byte ${at}`;
  },
  ebml: walkMatroska,
};

async function walkJpeg(source: ByteSource, found: Collector): Promise<void> {
  let offset = 2;
  for (let count = 0; offset + 4 <= source.size && count < MAXIMUM_STRUCTURES; count++) {
    const header = await readExact(source, offset, 4, 'jpeg', 'segment header');
    if (header[0] !== 0xff) throw new Error(`no JPEG marker at byte ${offset}`);
    const marker = header[1]!;
    if (marker === 0xff) {
      offset++; // fill byte
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) return; // EOI, SOS: metadata ends where the scan starts
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      offset += 2;
      continue;
    }
    const length = u16be(header, 2);
    if (length < 2) throw new Error(`JPEG segment at byte ${offset} has length ${length}`);
    const where = `APP${marker - 0xe0} segment at byte ${offset}`;
    if (marker === 0xeb && found.c2pa === null) {
      // APP11 JPEG XT box: "JP", instance, sequence, then the JUMBF superbox.
      const payload = await readExact(source, offset + 4, Math.min(length - 2, 64), 'jpeg', 'APP11 segment');
      if (startsWith(payload, ascii('JP')) && indexOfBytes(payload, C2PA_JUMBF) >= 0) found.c2pa = `JPEG ${where} (JUMBF)`;
    } else if (marker === 0xe1) {
      const payload = await readExact(source, offset + 4, length - 2, 'jpeg', 'APP1 segment');
      const xmpHeader = ascii('http://ns.adobe.com/xap/1.0/\0');
      if (startsWith(payload, xmpHeader)) found.addXmp(payload.subarray(xmpHeader.length), `JPEG XMP ${where}`);
      else if (startsWith(payload, ascii('Exif\0'))) await readTiff(inMemory(payload.subarray(6)), `JPEG EXIF ${where}`, found);
    }
    offset += 2 + length;
  }
}

async function walkPng(source: ByteSource, found: Collector): Promise<void> {
  let offset = 8;
  for (let count = 0; offset + 8 <= source.size && count < MAXIMUM_STRUCTURES; count++) {
    const header = await readExact(source, offset, 8, 'png', 'chunk header');
    const length = u32be(header, 0);
    const type = fromAscii(header, 4, 8);
    const where = `PNG ${type} chunk at byte ${offset}`;
    if (type === 'caBX') found.c2pa ??= where;
    if ((type === 'tEXt' || type === 'iTXt' || type === 'zTXt') && length <= MAXIMUM_BLOCK_IN_BYTES) {
      pngText(type, await readExact(source, offset + 8, length, 'png', `${type} chunk`), where, found);
    }
    if (type === 'IEND') return;
    offset += 12 + length;
  }
}

/** A PNG text chunk (PNG §11.3.4): keyword, NUL, then Latin-1 text, compressed text, or international text. */
function pngText(type: string, data: Uint8Array, where: string, found: Collector): void {
  const nul = data.indexOf(0);
  if (nul < 1) return;
  const keyword = fromLatin1(data.subarray(0, nul));
  let text: string;
  if (type === 'tEXt') {
    text = fromLatin1(data.subarray(nul + 1));
  } else if (type === 'zTXt') {
    text = fromLatin1(inflateCapped(data.subarray(nul + 2), 'png', { maxOutputBytes: MAXIMUM_BLOCK_IN_BYTES }));
  } else {
    const compressed = data[nul + 1] === 1;
    const language = data.indexOf(0, nul + 3);
    const translated = language < 0 ? -1 : data.indexOf(0, language + 1);
    if (translated < 0) return;
    const body = data.subarray(translated + 1);
    text = fromUtf8(compressed ? inflateCapped(body, 'png', { maxOutputBytes: MAXIMUM_BLOCK_IN_BYTES }) : body);
  }
  if (keyword === 'XML:com.adobe.xmp') found.addXmp(text, where);
  else found.addField('png-text', keyword, text, where);
}

/** Bytes of a TIFF structure at an offset: from an EXIF block in memory, or from a TIFF file. Null past its end. */
type TiffBytes = (offset: number, length: number) => Promise<Uint8Array | null>;

const inMemory =
  (block: Uint8Array): TiffBytes =>
  async (offset, length) =>
    offset + length <= block.length ? block.subarray(offset, offset + length) : null;

const inFile =
  (source: ByteSource): TiffBytes =>
  async (offset, length) =>
    offset + length <= source.size && length <= MAXIMUM_BLOCK_IN_BYTES ? source.read(offset, length) : null;

interface IfdEntry {
  readonly tag: number;
  readonly type: number;
  readonly count: number;
  readonly value: number;
  /** The entry's four value bytes, for values that fit there. */
  readonly inline: Uint8Array;
}

/** EXIF/TIFF (TIFF 6.0 §2): IFD0's text tags and C2PA tag, the EXIF IFD's UserComment, and XMP (tag 700). */
async function readTiff(bytesAt: TiffBytes, where: string, found: Collector): Promise<void> {
  const header = await bytesAt(0, 8);
  if (!header) return;
  const little = header[0] === 0x49;
  const u16 = little ? u16le : u16be;
  const u32 = little ? u32le : u32be;
  const ifd = async (at: number): Promise<IfdEntry[]> => {
    const countBytes = await bytesAt(at, 2);
    if (!countBytes) return [];
    const count = u16(countBytes, 0);
    const entries = (await bytesAt(at + 2, 12 * count)) ?? new Uint8Array(0);
    return Array.from({ length: Math.floor(entries.length / 12) }, (_, i) => {
      const e = 12 * i;
      return {
        tag: u16(entries, e),
        type: u16(entries, e + 2),
        count: u32(entries, e + 4),
        value: u32(entries, e + 8),
        inline: entries.subarray(e + 8, e + 12),
      };
    });
  };
  /** The bytes of an entry: inline when four or fewer, else at its offset. */
  const bytesOf = (e: IfdEntry): Promise<Uint8Array | null> =>
    e.count <= 4 ? Promise.resolve(e.inline.subarray(0, e.count)) : bytesAt(e.value, e.count);
  const ifd0 = await ifd(u32(header, 4));
  for (const e of ifd0) {
    if (e.tag === TIFF_C2PA_TAG) found.c2pa ??= `${where} IFD0 tag 0xCD41 (manifest store at byte ${e.value})`;
    if (e.tag === TIFF_XMP_TAG) {
      const bytes = await bytesOf(e);
      if (bytes) found.addXmp(bytes, `${where} XMP tag 700`);
    }
    const name = EXIF_TEXT_TAGS[e.tag];
    if (name !== undefined && e.type === 2) {
      const bytes = await bytesOf(e);
      if (bytes) found.addField('exif', name, fromUtf8(bytes), `${where} IFD0 ${name}`);
    }
  }
  const exifIfd = ifd0.find((e) => e.tag === EXIF_IFD_TAG);
  const userComment = exifIfd ? (await ifd(exifIfd.value)).find((e) => e.tag === 0x9286) : undefined;
  const comment = userComment ? await bytesOf(userComment) : null;
  if (comment && comment.length > 8) found.addField('exif', 'UserComment', exifUserComment(comment), `${where} EXIF UserComment`);
}

/** EXIF UserComment (EXIF 2.32 §4.6.5): an 8-byte character code, then the text; UNICODE is UTF-16 (either byte order is seen). */
function exifUserComment(bytes: Uint8Array): string {
  const code = trimTrailingNuls(fromAscii(bytes, 0, 8));
  const body = bytes.subarray(8);
  if (code !== 'UNICODE') return fromUtf8(body);
  const bigEndian = body.length >= 2 && body[0] === 0 && body[1] !== 0;
  return new TextDecoder(bigEndian ? 'utf-16be' : 'utf-16le').decode(body);
}

async function walkBmff(source: ByteSource, found: Collector): Promise<void> {
  for (const box of await isobmff.listBoxes(source, 0, source.size, 'mp4')) {
    if (box.type === 'uuid' && box.uuid === C2PA_BMFF_UUID) found.c2pa ??= `ISO-BMFF C2PA uuid box at byte ${box.offset}`;
    if (box.type === 'uuid' && box.uuid === XMP_BMFF_UUID && box.size <= maximumXmpPacketInBytes) {
      found.addXmp(
        await readExact(source, box.offset + box.headerSize, box.size - box.headerSize, 'mp4', 'XMP box'),
        `XMP uuid box at byte ${box.offset}`,
      );
    }
    if (box.type === 'moov') await readMoovTags(source, box, found);
  }
}

/** Container boxes on the way to metadata items (ISO/IEC 14496-12 udta, QuickTime meta/ilst). */
const TAG_PATH = new Set(['moov', 'udta', 'meta', 'ilst', 'trak']);

/** The text items of moov/udta/meta/ilst (iTunes-style ©cmt, desc and mdta keys) and classic QuickTime udta ©xxx atoms. */
async function readMoovTags(source: ByteSource, moov: isobmff.Box, found: Collector): Promise<void> {
  const bytes = await isobmff.readBox(source, moov, 'mp4', MAXIMUM_BLOCK_IN_BYTES * 16);
  const keys: string[] = [];
  const visit = (start: number, end: number, parent: string, depth: number): void => {
    if (depth > 8) return;
    for (const box of isobmff.listBoxesIn(bytes, start, end, 'mp4')) {
      const inner = box.offset + box.headerSize;
      if (box.type === 'meta') {
        // ISO meta is a FullBox (4 bytes of version and flags); QuickTime's is not: its first child follows directly.
        const fullBox = fromAscii(bytes, inner + 4, inner + 8) !== 'hdlr';
        visit(inner + (fullBox ? 4 : 0), box.end, 'meta', depth + 1);
      } else if (box.type === 'keys' && parent === 'meta') {
        keys.length = 0;
        let at = inner + 8;
        while (at + 8 <= box.end && keys.length < MAXIMUM_FIELDS) {
          const size = u32be(bytes, at);
          if (size < 8 || at + size > box.end) break;
          keys.push(fromUtf8(bytes.subarray(at + 8, at + size)));
          at += size;
        }
      } else if (parent === 'ilst') {
        const data = isobmff.listBoxesIn(bytes, inner, box.end, 'mp4').find((b) => b.type === 'data');
        const index = u32be(bytes, box.offset + 4);
        const name = keys[index - 1] ?? box.type;
        if (data) found.addField('mp4-tag', name, fromUtf8(bytes.subarray(data.offset + 16, data.end)), `moov ${name} item`);
      } else if (parent === 'udta' && box.type.charCodeAt(0) === 0xa9 && box.size > 12) {
        // Classic QuickTime user data text: u16 length, u16 language, text.
        const length = u16be(bytes, inner);
        found.addField(
          'mp4-tag',
          box.type,
          fromUtf8(bytes.subarray(inner + 4, Math.min(box.end, inner + 4 + length))),
          `moov/udta ${box.type}`,
        );
      } else if (TAG_PATH.has(box.type)) {
        visit(inner, box.end, box.type, depth + 1);
      }
    }
  };
  visit(moov.headerSize, bytes.length, 'moov', 0);
  found.video = firstVideoSamples(bytes);
}

async function walkRiff(source: ByteSource, found: Collector): Promise<void> {
  const head = await readExact(source, 0, 12, 'riff', 'header');
  const declared = u32le(head, 4);
  const end = Math.min(source.size, declared >= 4 && declared !== 0xffffffff ? 8 + declared : source.size);
  const { chunks } = await riff.listRiffChunks(source, 12, end, 'riff');
  for (const chunk of chunks) {
    if (chunk.id === 'C2PA') found.c2pa ??= `RIFF C2PA chunk at byte ${chunk.offset}`;
    if ((chunk.id === 'XMP ' || chunk.id === '_PMX') && chunk.size <= maximumXmpPacketInBytes) {
      found.addXmp(
        await readExact(source, chunk.dataOffset, chunk.size, 'riff', 'XMP chunk'),
        `RIFF ${chunk.id} chunk at byte ${chunk.offset}`,
      );
    }
  }
}

/** An ID3v2 tag at the start (MP3, and FLAC written by some tools): C2PA sits in a GEOB frame of type application/c2pa. */
async function walkId3(source: ByteSource, found: Collector): Promise<void> {
  const header = await readExact(source, 0, 10, 'id3', 'tag header');
  const size = ((header[6]! & 0x7f) << 21) | ((header[7]! & 0x7f) << 14) | ((header[8]! & 0x7f) << 7) | (header[9]! & 0x7f);
  const at = await findInSource(source, [C2PA_JUMBF], 10, Math.min(source.size, 10 + size));
  if (at >= 0) found.c2pa = `ID3 tag GEOB frame near byte ${at}`;
}

const MATROSKA_SEGMENT = 0x18538067;
const MATROSKA_TAGS = 0x1254c367;
const MATROSKA_TAG = 0x7373;
const MATROSKA_SIMPLE_TAG = 0x67c8;
const MATROSKA_TAG_NAME = 0x45a3;
const MATROSKA_TAG_STRING = 0x4487;
const MATROSKA_TRACKS = 0x1654ae6b;
const MATROSKA_CLUSTER = 0x1f43b675;

/** Matroska/WebM Tags (Matroska §5.1.8): every SimpleTag's name and string, nested SimpleTags included. */
async function walkMatroska(source: ByteSource, found: Collector): Promise<void> {
  let offset = 0;
  let segment: ebml.EbmlElement | undefined;
  while (offset < source.size && segment === undefined) {
    const element = await ebml.readElementHeader(source, offset, source.size);
    if (element.id === MATROSKA_SEGMENT) segment = element;
    offset = element.end;
  }
  if (!segment) return;
  const end = Math.min(source.size, segment.dataOffset + segment.size);
  offset = segment.dataOffset;
  let video: ReturnType<typeof matroskaVideoTrack> = null;
  for (let count = 0; offset < end && count < MAXIMUM_STRUCTURES; count++) {
    const element = await ebml.readElementHeader(source, offset, end);
    if (element.id === MATROSKA_TRACKS && element.size <= MAXIMUM_BLOCK_IN_BYTES) {
      video = matroskaVideoTrack(await readExact(source, element.dataOffset, element.size, 'matroska', 'Tracks'));
    }
    if (element.id === MATROSKA_CLUSTER && video && found.video === null) {
      // The first Cluster's first frames, for SEI markers.
      const bytes = await source.read(element.dataOffset, Math.min(element.size, MAXIMUM_SAMPLE_BYTES));
      found.video = { codec: video.codec, lengthSize: video.lengthSize, samples: matroskaFrames(bytes, element.dataOffset, video.number) };
    }
    if (element.id === MATROSKA_TAGS && element.size <= MAXIMUM_BLOCK_IN_BYTES) {
      const tags = await readExact(source, element.dataOffset, element.size, 'matroska', 'Tags');
      const simpleTags = (start: number, stop: number, depth: number): void => {
        for (const child of ebml.listElementsIn(tags, start, stop)) {
          if (child.id === MATROSKA_TAG || (child.id === MATROSKA_SIMPLE_TAG && depth < 8)) {
            if (child.id === MATROSKA_SIMPLE_TAG) simpleTag(tags, child, element.offset, found);
            simpleTags(child.dataOffset, child.dataOffset + child.size, depth + 1);
          }
        }
      };
      simpleTags(0, tags.length, 0);
    }
    offset = element.end;
  }
}

function simpleTag(tags: Uint8Array, element: ebml.EbmlElement, tagsOffset: number, found: Collector): void {
  const children = ebml.listElementsIn(tags, element.dataOffset, element.dataOffset + element.size);
  const text = (id: number) => {
    const child = children.find((c) => c.id === id);
    return child ? fromUtf8(tags.subarray(child.dataOffset, child.dataOffset + child.size)) : undefined;
  };
  const name = text(MATROSKA_TAG_NAME);
  const value = text(MATROSKA_TAG_STRING);
  if (name !== undefined && value !== undefined)
    found.addField('matroska-tag', name, value, `Matroska Tags at byte ${tagsOffset}, ${name}`);
}
