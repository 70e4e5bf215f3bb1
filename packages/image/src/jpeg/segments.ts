import {
  ascii,
  type ByteSource,
  concat,
  type Finding,
  finding,
  LimitExceededError,
  MalformedInputError,
  maximumInMemoryFileInBytes,
  putU16be,
  Rules,
  startsWith,
  u16be,
} from '@aigc-label/core';

/** A marker segment before the first scan (ITU-T T.81 §B.1.1.4). */
export interface JpegSegment {
  readonly marker: number;
  /** Offset of the 0xFF that starts the marker. */
  readonly offset: number;
  /** Offset of the payload, after the two length bytes. */
  readonly dataOffset: number;
  readonly end: number;
}

export const SOI = 0xd8;
export const SOS = 0xda;
export const EOI = 0xd9;
export const APP0 = 0xe0;
export const APP1 = 0xe1;
export const APP11 = 0xeb;
/** XMP spec part 3 §1.1.3: signatures of the standard and the extended XMP APP1 segments. */
export const XMP_SIGNATURE = ascii('http://ns.adobe.com/xap/1.0/\0');
export const EXTENDED_XMP_SIGNATURE = ascii('http://ns.adobe.com/xmp/extension/\0');
export const EXIF_SIGNATURE = ascii('Exif\0\0');
/** Largest segment payload: the u16 length counts itself. */
export const maximumSegmentPayload = 0xffff - 2;
/** XMP spec part 3 §1.1.3.1: the standard packet is at most 65502 bytes. */
export const maximumStandardXmpBytes = 65502;

const fail = (message: string) => new MalformedInputError('jpeg', message);

const standalone = (marker: number) => marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7);

/**
 * Lists the segments from SOI up to and including SOS in `head`, the first bytes
 * of a file of `fileSize` bytes; the entropy-coded data after SOS is never parsed
 * (it is copied as it is). Returns null when `head` ends before SOS and the file
 * has more bytes; a length past the end of the file throws.
 */
export function listSegments(head: Uint8Array, fileSize = head.length): JpegSegment[] | null {
  if (fileSize === 0) throw fail('the file is empty (0 bytes)');
  if (head[0] !== 0xff || head[1] !== SOI) throw fail('no SOI marker at the start');
  const segments: JpegSegment[] = [];
  const past = (end: number) => end > head.length;
  const more = head.length < fileSize;
  let offset = 2;
  for (;;) {
    if (past(offset + 4)) {
      if (more) return null;
      throw fail(`file is truncated at offset ${offset}: no SOS marker before the end`);
    }
    if (head[offset] !== 0xff) throw fail(`expected a marker at offset ${offset}, found 0x${head[offset].toString(16).padStart(2, '0')}`);
    let at = offset;
    while (head[at + 1] === 0xff && at + 2 < head.length) at++; // fill bytes (T.81 §B.1.1.2)
    const marker = head[at + 1];
    if (standalone(marker)) {
      offset = at + 2;
      continue;
    }
    if (marker === EOI) throw fail(`EOI at offset ${at} before any SOS: no image data`);
    if (past(at + 4)) {
      if (more) return null;
      throw fail(`segment header at offset ${at} is truncated`);
    }
    const length = u16be(head, at + 2);
    if (length < 2) throw fail(`segment 0x${marker.toString(16)} at offset ${at} has length ${length}, less than 2`);
    const end = at + 2 + length;
    if (end > fileSize)
      throw fail(`segment 0x${marker.toString(16)} at offset ${at} declares ${length} bytes, past the end (${fileSize} bytes)`);
    if (past(end)) return null;
    segments.push({ marker, offset, dataOffset: at + 4, end });
    offset = end;
    if (marker === SOS) return segments;
  }
}

/** First read of a JPEG head; doubled until the segments before SOS fit. */
const initialHeadInBytes = 256 * 1024;

/**
 * Reads only what a label needs: the segments up to SOS and the last bytes (for
 * the EOI check), never the entropy-coded image data.
 */
export async function readJpegHead(source: ByteSource): Promise<{ head: Uint8Array; segments: JpegSegment[]; findings: Finding[] }> {
  if (source.size === 0) throw fail('the file is empty (0 bytes)');
  if (source.size > maximumInMemoryFileInBytes)
    throw new LimitExceededError(`jpeg: ${source.size} bytes is over the ${maximumInMemoryFileInBytes}-byte limit`);
  let length = Math.min(source.size, initialHeadInBytes);
  for (;;) {
    const head = await source.read(0, length);
    const segments = listSegments(head, source.size);
    if (segments) {
      const tail = await source.read(Math.max(0, source.size - 64), Math.min(64, source.size));
      const endsWell = (tail[tail.length - 2] === 0xff && tail[tail.length - 1] === EOI) || endsWithEoiThenPadding(tail);
      const findings = endsWell
        ? []
        : [finding(Rules.damaged, 'warning', 'the file does not end with an EOI marker (truncated, or data follows the image)')];
      return { head, segments, findings };
    }
    length = Math.min(source.size, length * 2);
  }
}

/** Some writers pad after EOI with zeros; that is not damage. */
function endsWithEoiThenPadding(tail: Uint8Array): boolean {
  let end = tail.length;
  while (end > 2 && tail[end - 1] === 0) end--;
  return end < tail.length && tail[end - 2] === 0xff && tail[end - 1] === EOI;
}

export const payload = (jpeg: Uint8Array, s: JpegSegment): Uint8Array => jpeg.subarray(s.dataOffset, s.end);

export const isApp = (s: JpegSegment) => s.marker >= APP0 && s.marker <= 0xef;
export const isStandardXmp = (jpeg: Uint8Array, s: JpegSegment) => s.marker === APP1 && startsWith(payload(jpeg, s), XMP_SIGNATURE);
export const isExtendedXmp = (jpeg: Uint8Array, s: JpegSegment) =>
  s.marker === APP1 && startsWith(payload(jpeg, s), EXTENDED_XMP_SIGNATURE);
export const isExif = (jpeg: Uint8Array, s: JpegSegment) => s.marker === APP1 && startsWith(payload(jpeg, s), EXIF_SIGNATURE);

/** JUMBF in APP11 (ISO/IEC 19566-5 Annex A via C2PA 2.1 §A.3.1): "JP" CI, then a jumb box labeled "c2pa". */
export function isC2pa(jpeg: Uint8Array, s: JpegSegment): boolean {
  if (s.marker !== APP11) return false;
  const data = payload(jpeg, s);
  if (!(data[0] === 0x4a && data[1] === 0x50)) return false;
  const head = String.fromCharCode(...data.subarray(0, 96));
  return head.includes('jumb') && head.includes('c2pa');
}

export function makeSegment(marker: number, data: Uint8Array): Uint8Array {
  if (data.length > maximumSegmentPayload)
    throw new MalformedInputError('jpeg', `segment payload of ${data.length} bytes is over the 65533-byte limit`);
  const header = Uint8Array.of(0xff, marker, 0, 0);
  putU16be(header, 2, data.length + 2);
  return concat([header, data]);
}
