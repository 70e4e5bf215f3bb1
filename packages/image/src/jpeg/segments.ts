import {
  ascii,
  type ByteSource,
  concat,
  type Finding,
  finding,
  LimitExceededError,
  MalformedInputError,
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
 * Markers a resynchronising scan accepts (T.81 Table B.1: SOFn, DHT, DAC, SOS, DQT, DNL, DRI,
 * DHP, EXP, APPn, JPGn, COM; plus EOI): 0xFF followed by a reserved code is taken for garbage.
 */
const resyncMarker = (marker: number) => marker >= 0xc0 && marker <= 0xfe && marker !== SOI && !standalone(marker);

/**
 * Most segments before the first scan: real files have a few dozen, or some hundreds of Extended
 * XMP and ICC profile pieces (issue 15).
 */
export const maximumSegmentCount = 100_000;
/** Most bytes before the first scan that a label read loads; real ones are at most a few MB. */
export const maximumHeadInBytes = 32 * 1024 * 1024;

export interface SegmentWalk {
  readonly segments: JpegSegment[];
  /** Damage a salvage walk went past or stopped at (issue 25); empty when strict. */
  readonly damage: string[];
}

/**
 * Lists the segments from SOI up to and including SOS in `head`, the first bytes
 * of a file of `fileSize` bytes; the entropy-coded data after SOS is never parsed
 * (it is copied as it is). Returns null when `head` ends before SOS and the file
 * has more bytes; a length past the end of the file throws.
 */
export function listSegments(head: Uint8Array, fileSize = head.length): JpegSegment[] | null {
  return walkSegments(head, fileSize, false)?.segments ?? null;
}

/**
 * `listSegments`, or with `salvage` a walk that reads a damaged file as libjpeg does (issue 25):
 * extraneous bytes where a marker should be are skipped up to the next marker, and a truncation,
 * a bad length or an EOI before the first scan ends the walk with the segments before it.
 */
export function walkSegments(head: Uint8Array, fileSize: number, salvage: boolean): SegmentWalk | null {
  if (fileSize === 0) throw fail('the file is empty (0 bytes)');
  if (head[0] !== 0xff || head[1] !== SOI) throw fail('no SOI marker at the start');
  const segments: JpegSegment[] = [];
  const damage: string[] = [];
  const past = (end: number) => end > head.length;
  const more = head.length < fileSize;
  /** Damage that ends the walk: thrown when strict, reported when salvaging. */
  const broken = (message: string): SegmentWalk => {
    if (!salvage) throw fail(message);
    damage.push(message);
    return { segments, damage };
  };
  let offset = 2;
  for (;;) {
    if (past(offset + 2)) {
      if (more) return null;
      return broken(`file is truncated at offset ${offset}: no SOS marker before the end`);
    }
    if (head[offset] !== 0xff) {
      const found = `expected a marker at offset ${offset}, found 0x${head[offset].toString(16).padStart(2, '0')}`;
      if (!salvage) throw fail(found);
      const next = nextMarker(head, offset);
      if (next < 0) {
        if (more) return null;
        return broken(`${found}, and no marker follows`);
      }
      // libjpeg's warning JWRN_EXTRANEOUS_DATA: "Corrupt JPEG data: N extraneous bytes before marker 0xXX".
      damage.push(`${next - offset} extraneous bytes before marker 0x${head[next + 1].toString(16)} at offset ${next}; skipped`);
      offset = next;
    }
    if (segments.length >= maximumSegmentCount) {
      throw new LimitExceededError(`jpeg: more than ${maximumSegmentCount} segments before the image data`);
    }
    let at = offset;
    while (head[at + 1] === 0xff && at + 2 < head.length) at++; // fill bytes (T.81 §B.1.1.2)
    const marker = head[at + 1];
    if (standalone(marker)) {
      offset = at + 2;
      continue;
    }
    if (marker === EOI) return broken(`EOI at offset ${at} before any SOS: no image data`);
    if (past(at + 4)) {
      if (more) return null;
      return broken(`segment header at offset ${at} is truncated`);
    }
    const length = u16be(head, at + 2);
    if (length < 2) return broken(`segment 0x${marker.toString(16)} at offset ${at} has length ${length}, less than 2`);
    const end = at + 2 + length;
    if (end > fileSize)
      return broken(`segment 0x${marker.toString(16)} at offset ${at} declares ${length} bytes, past the end (${fileSize} bytes)`);
    if (past(end)) return null;
    segments.push({ marker, offset, dataOffset: at + 4, end });
    offset = end;
    if (marker === SOS) return { segments, damage };
  }
}

/** The offset of the next 0xFF that starts a marker `resyncMarker` accepts (fill bytes skipped), or -1. */
function nextMarker(head: Uint8Array, from: number): number {
  for (let at = head.indexOf(0xff, from); at >= 0 && at + 1 < head.length; at = head.indexOf(0xff, at + 1)) {
    let code = at + 1;
    while (head[code] === 0xff && code + 1 < head.length) code++;
    if (resyncMarker(head[code])) return code - 1;
    at = code - 1;
  }
  return -1;
}

/** First read of a JPEG head; doubled until the segments before SOS fit. */
const initialHeadInBytes = 256 * 1024;

/**
 * Reads only what a label needs: the segments up to SOS and the last bytes (for
 * the EOI check), never the entropy-coded image data. With `salvage`, damage before
 * the first scan is reported instead of thrown (see `walkSegments`).
 */
export async function readJpegHead(
  source: ByteSource,
  salvage = false,
): Promise<{ head: Uint8Array; segments: JpegSegment[]; findings: Finding[] }> {
  if (source.size === 0) throw fail('the file is empty (0 bytes)');
  let length = Math.min(source.size, initialHeadInBytes);
  for (;;) {
    const head = await source.read(0, length);
    const walk = walkSegments(head, source.size, salvage);
    if (walk) {
      const findings = walk.damage.map((d) => finding(Rules.damaged, 'error', `${d}; the segments before the first scan were read`));
      const tail = await source.read(Math.max(0, source.size - 64), Math.min(64, source.size));
      const endsWell = (tail[tail.length - 2] === 0xff && tail[tail.length - 1] === EOI) || endsWithEoiThenPadding(tail);
      if (!endsWell)
        findings.push(finding(Rules.damaged, 'warning', 'the file does not end with an EOI marker (truncated, or data follows the image)'));
      return { head, segments: walk.segments, findings };
    }
    if (length >= maximumHeadInBytes) {
      throw new LimitExceededError(`jpeg: over ${maximumHeadInBytes} bytes before the image data (SOS); a real file has a few MB`);
    }
    length = Math.min(source.size, length * 2, maximumHeadInBytes);
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
