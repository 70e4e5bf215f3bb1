/**
 * A labelled JPEG keeps the source's metadata: sharp encodes only the pixels, and the source's
 * APPn and COM segments (EXIF, ICC, XMP, IPTC, JFIF density, MPF, maker data) are put back in
 * front of the new tables and scans, byte for byte. libvips would otherwise rebuild the EXIF block
 * and add an orientation, a resolution and a colour space the source never had.
 */
import { bytesEqual, concat, type Finding, finding, MalformedInputError, putU32be, putU32le, u16be, u32be, u32le } from '@aigc-label/core';
import { EOI, isApp, type JpegSegment, listSegments, payload, SOS } from '../../jpeg/segments.js';

const APP2 = 0xe2;
const APP14 = 0xee;
const COM = 0xfe;
const ADOBE = [0x41, 0x64, 0x6f, 0x62, 0x65]; // "Adobe"
const MPF = [0x4d, 0x50, 0x46, 0x00]; // "MPF\0", CIPA DC-007 §5.2.1
/** CIPA DC-007 §5.2.2.3: MPEntry, 16 bytes per image. */
const MP_ENTRY_TAG = 0xb002;
/** Frame headers (T.81 Table B.1): SOF0-SOF15 except DHT (C4), JPG (C8) and DAC (CC). */
const isFrameHeader = (marker: number) => marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;

const fail = (message: string) => new MalformedInputError('jpeg', message);

/** Offset just past the EOI that ends the image whose first scan header is `sos`, or null when the file ends first. */
export function jpegImageEnd(jpeg: Uint8Array, sos: JpegSegment): number | null {
  let at = sos.end;
  for (;;) {
    // Entropy-coded data: 0xFF is followed by a stuffed 0x00, a restart marker, or fill bytes before a real marker (T.81 §B.1.1.5).
    at = jpeg.indexOf(0xff, at);
    if (at < 0 || at + 1 >= jpeg.length) return null;
    const marker = jpeg[at + 1]!;
    if (marker === 0x00 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0xff) {
      at += marker === 0xff ? 1 : 2;
      continue;
    }
    if (marker === EOI) return at + 2;
    // A segment between scans (DHT, DQT, DRI, SOS, COM, APPn…): skip it whole.
    if (at + 4 > jpeg.length) return null;
    at += 2 + u16be(jpeg, at + 2);
  }
}

interface JpegParts {
  readonly segments: JpegSegment[];
  readonly firstScan: JpegSegment;
  readonly imageEnd: number;
}

function parts(jpeg: Uint8Array, which: string): JpegParts {
  const segments = listSegments(jpeg);
  const firstScan = segments?.[segments.length - 1];
  if (!segments || firstScan?.marker !== SOS) throw fail(`the ${which} image has no scan`);
  const imageEnd = jpegImageEnd(jpeg, firstScan);
  if (imageEnd === null) throw fail(`the ${which} image has no EOI marker`);
  return { segments, firstScan, imageEnd };
}

const isAdobe = (jpeg: Uint8Array, s: JpegSegment) =>
  s.marker === APP14 && bytesEqual(payload(jpeg, s).subarray(0, 5), Uint8Array.from(ADOBE));
/** Adobe APP14 colour transform (Adobe TN 5116): 0 none (RGB/CMYK), 1 YCbCr, 2 YCCK. */
const adobeTransform = (jpeg: Uint8Array, s: JpegSegment) => payload(jpeg, s)[11];
const componentCount = (jpeg: Uint8Array, segments: readonly JpegSegment[]) => {
  const frame = segments.find((s) => isFrameHeader(s.marker));
  return frame ? (payload(jpeg, frame)[5] ?? 0) : 0;
};

/**
 * The Adobe segment tells decoders how the components are coded, so it must describe the new
 * coding: the encoder's own when it wrote one (CMYK), the source's when it agrees (YCbCr), else none.
 */
function keepAdobe(source: Uint8Array, segment: JpegSegment, encodedComponents: number): boolean {
  const transform = adobeTransform(source, segment);
  return (encodedComponents === 3 && transform === 1) || (encodedComponents === 1 && transform === 0);
}

/**
 * Moves the entries of a Multi-Picture Format index (CIPA DC-007) that point past the primary
 * image by `shift` bytes, and sets the primary's size: the secondary images are copied after the
 * new primary image, whose size differs from the old one.
 */
function patchMpf(segmentPayload: Uint8Array, primarySize: number, shift: number): Uint8Array {
  const out = segmentPayload.slice();
  const tiff = out.subarray(4);
  const little = tiff[0] === 0x49;
  const u16 = (at: number) => (little ? tiff[at]! | (tiff[at + 1]! << 8) : u16be(tiff, at));
  const u32 = (at: number) => (little ? u32le(tiff, at) : u32be(tiff, at));
  const put32 = (at: number, value: number) => (little ? putU32le(tiff, at, value) : putU32be(tiff, at, value));
  if (tiff.length < 8) return out;
  const ifd = u32(4);
  if (ifd + 2 > tiff.length) return out;
  const count = u16(ifd);
  for (let i = 0; i < count && ifd + 2 + 12 * (i + 1) <= tiff.length; i++) {
    const entry = ifd + 2 + 12 * i;
    if (u16(entry) !== MP_ENTRY_TAG) continue;
    const bytes = u32(entry + 4);
    const at = u32(entry + 8);
    for (let image = 0; image < Math.floor(bytes / 16) && at + 16 * (image + 1) <= tiff.length; image++) {
      const record = at + 16 * image;
      if (image === 0) put32(record + 4, primarySize);
      else if (u32(record + 8) !== 0) put32(record + 8, u32(record + 8) + shift);
    }
  }
  return out;
}

/**
 * The source's metadata segments around the encoder's tables and scans, then whatever the source
 * carried after its image (MPF secondary images, trailers), with the MPF offsets moved to match.
 */
export function jpegWithSourceMetadata(source: Uint8Array, encoded: Uint8Array): { bytes: Uint8Array; findings: Finding[] } {
  const findings: Finding[] = [];
  const from = parts(source, 'source');
  const made = parts(encoded, 'encoded');
  const encodedComponents = componentCount(encoded, made.segments);
  const encodedAdobe = made.segments.find((s) => isAdobe(encoded, s));
  const kept: Uint8Array[] = [];
  let mpf: { index: number; segment: JpegSegment } | undefined;
  for (const segment of from.segments) {
    if (!isApp(segment) && segment.marker !== COM) continue;
    if (isAdobe(source, segment)) {
      if (encodedAdobe) kept.push(encoded.subarray(encodedAdobe.offset, encodedAdobe.end));
      else if (keepAdobe(source, segment, encodedComponents)) kept.push(source.subarray(segment.offset, segment.end));
      else
        findings.push(
          finding('explicit/reencode-changed', 'info', 'the Adobe colour-transform segment was dropped: the new scans are YCbCr'),
        );
      continue;
    }
    if (segment.marker === APP2 && bytesEqual(payload(source, segment).subarray(0, 4), Uint8Array.from(MPF)))
      mpf = { index: kept.length, segment };
    kept.push(source.subarray(segment.offset, segment.end));
  }
  if (encodedAdobe && !from.segments.some((s) => isAdobe(source, s))) kept.push(encoded.subarray(encodedAdobe.offset, encodedAdobe.end));
  // Tables, frame header and scans as the encoder wrote them; its own APPn (ICC) give way to the source's.
  const coding = made.segments
    .filter((s) => !isApp(s) && s.marker !== COM && s.marker !== SOS)
    .map((s) => encoded.subarray(s.offset, s.end));
  const scans = encoded.subarray(made.firstScan.offset, made.imageEnd);
  const trailer = source.subarray(from.imageEnd);
  if (mpf && trailer.length > 0) {
    const head = 2 + kept.slice(0, mpf.index).reduce((sum, s) => sum + s.length, 0);
    const primarySize = 2 + kept.reduce((sum, s) => sum + s.length, 0) + coding.reduce((sum, s) => sum + s.length, 0) + scans.length;
    // MP offsets count from the MP header, 8 bytes into the segment (marker, length, "MPF\0").
    const oldDistance = from.imageEnd - (mpf.segment.offset + 8);
    const newDistance = primarySize - (head + 8);
    kept[mpf.index] = concat([
      source.subarray(mpf.segment.offset, mpf.segment.dataOffset),
      patchMpf(payload(source, mpf.segment), primarySize, newDistance - oldDistance),
    ]);
  }
  return { bytes: concat([Uint8Array.of(0xff, 0xd8), ...kept, ...coding, scans, trailer]), findings };
}
