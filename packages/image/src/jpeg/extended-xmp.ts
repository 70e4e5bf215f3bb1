import { createHash } from 'node:crypto';
import {
  ascii,
  concat,
  decodeXmpPacket,
  encodeXmpPacket,
  type Finding,
  finding,
  fromAscii,
  LimitExceededError,
  maximumXmpPacketInBytes,
  putU32be,
  Rules,
  removeAigcFromXmp,
  u32be,
  type XmpEncoding,
} from '@aigc-label/core';
import { APP1, EXTENDED_XMP_SIGNATURE, type JpegSegment, makeSegment, maximumSegmentPayload, payload } from './segments.js';

/**
 * Extended XMP (XMP spec part 3 §1.1.3.1): a packet too big for one APP1 is split
 * into APP1 segments, each with the signature, the 32-character MD5 GUID of the
 * whole packet, its full length and the offset of this piece. The standard packet
 * names it in `xmpNote:HasExtendedXMP`.
 */
export interface ExtendedXmp {
  readonly guid: string;
  readonly segments: readonly JpegSegment[];
  /** The assembled packet, or null when pieces are missing. */
  readonly xml: string | null;
  readonly encoding: XmpEncoding;
}

const headerLength = EXTENDED_XMP_SIGNATURE.length + 32 + 8;
const pieceLength = maximumSegmentPayload - headerLength;

export function assembleExtendedXmp(jpeg: Uint8Array, segments: readonly JpegSegment[]): { packets: ExtendedXmp[]; findings: Finding[] } {
  const byGuid = new Map<string, JpegSegment[]>();
  const findings: Finding[] = [];
  for (const s of segments) {
    const data = payload(jpeg, s);
    if (data.length < headerLength) {
      findings.push(finding(Rules.damaged, 'warning', `Extended XMP segment at byte ${s.offset} is shorter than its header`));
      continue;
    }
    const guid = fromAscii(data, EXTENDED_XMP_SIGNATURE.length, EXTENDED_XMP_SIGNATURE.length + 32);
    const pieces = byGuid.get(guid);
    if (pieces) pieces.push(s);
    else byGuid.set(guid, [s]);
  }
  const packets: ExtendedXmp[] = [];
  for (const [guid, pieces] of byGuid) {
    const first = payload(jpeg, pieces[0]);
    const fullLength = u32be(first, EXTENDED_XMP_SIGNATURE.length + 32);
    if (fullLength > maximumXmpPacketInBytes)
      throw new LimitExceededError(`jpeg: Extended XMP of ${fullLength} bytes is over ${maximumXmpPacketInBytes}`);
    // A length the pieces cannot fill is never allocated: memory stays bounded by the segments' own bytes.
    const available = pieces.reduce((sum, s) => sum + Math.max(0, s.end - s.dataOffset - headerLength), 0);
    if (available < fullLength) {
      findings.push(finding(Rules.damaged, 'warning', `Extended XMP ${guid} is incomplete (${available} of ${fullLength} bytes)`));
      packets.push({ guid, segments: pieces, xml: null, encoding: 'utf-8' });
      continue;
    }
    const whole = new Uint8Array(fullLength);
    let filled = 0;
    let consistent = true;
    for (const s of pieces) {
      const data = payload(jpeg, s);
      const at = u32be(data, EXTENDED_XMP_SIGNATURE.length + 36);
      const piece = data.subarray(headerLength);
      if (u32be(data, EXTENDED_XMP_SIGNATURE.length + 32) !== fullLength || at + piece.length > fullLength) consistent = false;
      else {
        whole.set(piece, at);
        filled += piece.length;
      }
    }
    const complete = consistent && filled === fullLength;
    if (!complete)
      findings.push(
        finding(Rules.damaged, 'warning', `Extended XMP ${guid} is incomplete or inconsistent (${filled} of ${fullLength} bytes)`),
      );
    const packet = complete ? decodeXmpPacket(whole) : null;
    packets.push({ guid, segments: pieces, xml: packet?.xml ?? null, encoding: packet?.encoding ?? 'utf-8' });
  }
  return { packets, findings };
}

/** The GUID the standard packet points to, in attribute or element form. */
export function extendedGuidIn(standardXml: string): string | null {
  const m = /HasExtendedXMP\s*(?:=\s*["']|>)\s*([0-9A-Fa-f]{32})/.exec(standardXml);
  return m ? m[1] : null;
}

/** Removes every AIGC property (the label then lives once, in the standard packet). */
export const withoutAigc = removeAigcFromXmp;

/** The APP1 segments for an extended packet, and its GUID (upper-case MD5 hex). */
export function extendedXmpSegments(xml: string, encoding: XmpEncoding = 'utf-8'): { guid: string; segments: Uint8Array[] } {
  const bytes = encodeXmpPacket(xml, encoding);
  // XMP spec part 3 §1.1.3.1: the extended packet is named by its MD5 digest.
  const guid = createHash('md5').update(bytes).digest('hex').toUpperCase();
  const segments: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += pieceLength) {
    const numbers = new Uint8Array(8);
    putU32be(numbers, 0, bytes.length);
    putU32be(numbers, 4, at);
    segments.push(makeSegment(APP1, concat([EXTENDED_XMP_SIGNATURE, ascii(guid), numbers, bytes.subarray(at, at + pieceLength)])));
  }
  return { guid, segments };
}
