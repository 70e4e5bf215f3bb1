import {
  bytesEqual,
  decodeLabel,
  type Finding,
  finding,
  type LabelCarrier,
  LimitExceededError,
  MalformedInputError,
  Rules,
  UnsupportedFormatError,
} from '@aigc-label/core';
import {
  buildId3Tag,
  buildUserTextFrame,
  type CutFrame,
  decodeUserText,
  findUserText,
  type Id3Tag,
  maximumFrameCount,
  parseId3Tag,
  userTextFrames,
} from './tag.js';

/** The TXXX description the audio guide names for MP3 (TC260-PG-202510A). */
export const AIGC_DESCRIPTION = 'AIGC';

/**
 * A carrier that may hold a label we cannot read (an encrypted frame, damaged
 * compression). `label` refuses to write beside it without `--force` (fail closed).
 */

/**
 * Label carriers in a tag's TXXX:AIGC frames, plus every TXXX frame that cannot be
 * decoded (it could be one), as a carrier with no label. `tagOffset` is where the tag
 * starts in the file.
 */
export function id3LabelCarriers(tag: Id3Tag, tagOffset: number, canonical: boolean, context: string): LabelCarrier[] {
  const carriers: LabelCarrier[] = [];
  const where = (frameOffset: number) =>
    `${context}ID3v2.${tag.version} tag at byte ${tagOffset}, frame at byte ${tagOffset + frameOffset}`;
  if (tag.compressed) {
    carriers.push(
      unreadable(
        `${context}ID3v2.2 tag at byte ${tagOffset}`,
        tagOffset,
        canonical,
        'the whole tag is flagged compressed, a scheme ID3v2.2 never defined',
      ),
    );
  }
  const cutLabel = tag.cut ? cutLabelFrame(tag.cut) : null;
  if (tag.cut && cutLabel !== null) {
    carriers.push(
      unreadable(`${where(tag.cut.offset)} (${tag.cut.id}${cutLabel})`, tagOffset + tag.cut.offset, canonical, cutWhy(tag.cut)),
    );
  }
  for (const found of userTextFrames(tag)) {
    const { frame } = found;
    if ('unreadable' in found) {
      carriers.push(
        unreadable(
          `${where(frame.offset)} (${frame.id})`,
          tagOffset + frame.offset,
          canonical,
          `the ${frame.id} frame cannot be read: ${found.unreadable}`,
        ),
      );
      continue;
    }
    const { text } = found;
    if (text.description.toLowerCase() !== AIGC_DESCRIPTION.toLowerCase()) continue;
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
  return carriers;
}

/**
 * For a cut user text frame that is or may be the label (its description is AIGC, or is cut
 * too): the description part of its location (":AIGC", or ""); null for any other frame.
 */
function cutLabelFrame(cut: CutFrame): string | null {
  if (cut.id !== 'TXXX' && cut.id !== 'TXX') return null;
  const text = decodeUserText(cut.present);
  const terminated = text !== null && (text.value !== '' || cut.present.subarray(1).includes(0));
  if (!terminated) return '';
  return text.description.toLowerCase() === AIGC_DESCRIPTION.toLowerCase() ? `:${text.description}` : null;
}

const cutWhy = (cut: CutFrame): string =>
  cut.declared === null
    ? `the frame's size is not a valid sync-safe integer, and ${cut.present.length} bytes of it are present`
    : `the frame is cut off: it declares ${cut.declared} bytes and ${cut.present.length} are present`;

function unreadable(location: string, offset: number, canonical: boolean, why: string): LabelCarrier {
  return {
    carrier: 'id3-txxx',
    location,
    offset,
    raw: '',
    label: null,
    form: null,
    canonical,
    findings: [finding(Rules.unreadableCarrier, 'error', `${location}: ${why}; it may hold a label that cannot be read`)],
  };
}

/** What was odd in a tag (skipped frames, leftovers, and in salvage reading what was cut), as findings. */
export function id3TagFindings(tag: Id3Tag, tagOffset: number, fileSize = Number.POSITIVE_INFINITY): Finding[] {
  const findings = tag.oddities.map((message) => finding(Rules.damaged, 'warning', `ID3 tag at byte ${tagOffset}: ${message}`));
  const { cut } = tag;
  if (tagOffset + tag.totalSize > fileSize) {
    const where = cut
      ? `the file ends inside its ${cut.id} frame at byte ${tagOffset + cut.offset}`
      : 'its frames before the cut were read';
    findings.push(
      finding(
        Rules.damaged,
        'error',
        `the ID3 tag at byte ${tagOffset} declares ${tag.totalSize} bytes, past the end of the file (${fileSize} bytes); ${where}`,
      ),
    );
  } else if (cut) {
    const size = cut.declared === null ? 'a size that is not sync-safe' : `${cut.declared} bytes`;
    findings.push(
      finding(
        Rules.damaged,
        'error',
        `the ID3 frame ${cut.id} at byte ${tagOffset + cut.offset} declares ${size}, past the end of its tag; the frames before it were read`,
      ),
    );
  }
  if (tag.paddingHasData)
    findings.push(finding(Rules.damaged, 'info', `the ID3 tag at byte ${tagOffset} has non-zero bytes after its last frame`));
  return findings;
}

/**
 * The tag with every TXXX:AIGC frame removed and, when `json` is given, one new
 * TXXX:AIGC frame in place of the first (or after the last frame). Every other
 * frame, including frames we do not understand, is copied as stored. The tag keeps its size when the frames fit in it,
 * so the audio after it does not move.
 */
export function rewriteId3Label(tag: Id3Tag, json: string | null, extraPadding: number): Uint8Array {
  if (tag.compressed)
    throw new UnsupportedFormatError('an ID3v2.2 tag flagged compressed cannot be rewritten (ID3v2.2 defines no compression scheme)');
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
  // Never write a tag the reader would refuse to read back.
  if (frames.length > maximumFrameCount) throw new LimitExceededError(`the ID3 tag would have more than ${maximumFrameCount} frames`);
  const footer = tag.hasFooter ? 10 : 0;
  const header = withoutStaleExtendedHeader(tag);
  const sameSize = { targetBodySize: tag.totalSize - 10 - footer, extraPadding };
  // Damaged tags are read by heuristics (a v2.4 size stored plain, a miscased frame id skipped, leftovers), so a
  // rewrite must read back as built. Where the first layout would not, the new frame first, or leftovers ending
  // the body as they did (padding after a cut-off frame header makes it a header), may; else it is refused.
  const layouts: [Uint8Array[], { targetBodySize: number; extraPadding: number }][] = [[frames, sameSize]];
  if (newFrame) layouts.push([[newFrame, ...frames.filter((f) => f !== newFrame)], sameSize]);
  if (tag.trailing.length > 0) layouts.push([frames, { targetBodySize: 0, extraPadding: 0 }]);
  for (const [order, padding] of layouts) {
    // Bytes after the frames that are neither frames nor padding stay as stored, after our frame so readers see it.
    const built = buildId3Tag(header, tag.trailing.length > 0 ? [...order, tag.trailing] : order, padding);
    if (readsAsBuilt(built, order, tag.trailing)) return built;
  }
  throw new MalformedInputError('id3', 'the ID3 tag is damaged so that no rewrite of it reads back as written; not labeled');
}

/** True when `tag` parses back to exactly `frames` followed by the leftover bytes `trailing`. */
function readsAsBuilt(tag: Uint8Array, frames: readonly Uint8Array[], trailing: Uint8Array): boolean {
  let parsed: Id3Tag;
  try {
    parsed = parseId3Tag(tag, 'id3');
  } catch (error) {
    if (error instanceof MalformedInputError || error instanceof LimitExceededError) return false;
    throw error;
  }
  return (
    parsed.frames.length === frames.length &&
    parsed.frames.every((f, i) => bytesEqual(f.raw, frames[i])) &&
    bytesEqual(parsed.trailing, trailing)
  );
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
