import { decodeLabel, finding, type LabelCarrier, Rules } from '@aigc-label/core';
import { buildId3Tag, buildUserTextFrame, findUserText, type Id3Tag } from './tag.js';

/** The TXXX description the audio guide names for MP3 (TC260-PG-202510A). */
export const AIGC_DESCRIPTION = 'AIGC';

/** Label carriers in a tag's TXXX:AIGC frames. `tagOffset` is where the tag starts in the file. */
export function id3LabelCarriers(tag: Id3Tag, tagOffset: number, canonical: boolean, context: string): LabelCarrier[] {
  const carriers: LabelCarrier[] = [];
  for (const { frame, text } of findUserText(tag, AIGC_DESCRIPTION)) {
    const decoded = decodeLabel(text.value);
    const findings = [...decoded.findings];
    if (text.description !== AIGC_DESCRIPTION) {
      findings.push(finding(Rules.nonCanonicalCarrier, 'warning', `TXXX description is "${text.description}", not "${AIGC_DESCRIPTION}"`));
    }
    carriers.push({
      carrier: 'id3-txxx',
      location: `${context}ID3v2.${tag.version} ${frame.id}:${text.description} frame at byte ${tagOffset + frame.offset}`,
      offset: tagOffset + frame.offset,
      raw: text.value,
      label: decoded.label,
      form: decoded.form,
      canonical,
      findings,
    });
  }
  const hidden = tag.frames.filter((f) => (f.id === 'TXXX' || f.id === 'TXX') && f.data === null).length;
  if (hidden > 0 && carriers[0]) {
    carriers[0] = {
      ...carriers[0],
      findings: [...carriers[0].findings, finding(Rules.damaged, 'warning', `${hidden} compressed or encrypted TXXX frames were not read`)],
    };
  }
  return carriers;
}

/**
 * The tag with every TXXX:AIGC frame removed and, when `json` is given, one new
 * TXXX:AIGC frame in place of the first (or after the last frame). Every other
 * frame is copied as stored. The tag keeps its size when the frames fit in it,
 * so the audio after it does not move.
 */
export function rewriteId3Label(tag: Id3Tag, json: string | null, extraPadding: number): Uint8Array {
  const labelFrames = new Set(findUserText(tag, AIGC_DESCRIPTION).map((f) => f.frame));
  const frames: Uint8Array[] = [];
  const newFrame = json === null ? null : buildUserTextFrame(tag.version, tag.flags, AIGC_DESCRIPTION, json);
  let placed = false;
  for (const frame of tag.frames) {
    if (!labelFrames.has(frame)) frames.push(frame.raw);
    else if (newFrame && !placed) {
      frames.push(newFrame);
      placed = true;
    }
  }
  if (newFrame && !placed) frames.push(newFrame);
  const footer = tag.hasFooter ? 10 : 0;
  return buildId3Tag(withoutStaleExtendedHeader(tag), frames, { targetBodySize: tag.totalSize - 10 - footer, extraPadding });
}

/**
 * A v2.3 extended header holds only the padding size and an optional CRC of the
 * frames (ID3v2.3 §3.2), and a v2.4 one may hold a CRC (ID3v2.4 §3.2 flag c):
 * both go stale when frames change, so such a header is dropped rather than
 * left wrong. A v2.4 header without a CRC (update flag, restrictions) is kept.
 */
function withoutStaleExtendedHeader(tag: Id3Tag): Id3Tag {
  if (tag.extendedHeader.length === 0) return tag;
  const stale = tag.version === 3 || (tag.extendedHeader[5] & 0x20) !== 0;
  return stale ? { ...tag, flags: tag.flags & ~0x40, extendedHeader: new Uint8Array(0) } : tag;
}
