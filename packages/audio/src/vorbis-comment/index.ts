import {
  concat,
  decodeLabel,
  finding,
  fromUtf8,
  type LabelCarrier,
  LimitExceededError,
  MalformedInputError,
  putU32le,
  Rules,
  u32le,
  utf8,
} from '@aigc-label/core';

/**
 * Vorbis comments (Vorbis I spec §5.2.1), shared by FLAC's VORBIS_COMMENT block
 * and the Ogg Vorbis/Opus comment headers: u32le vendor length, vendor string,
 * u32le count, then count × (u32le length, "KEY=value" in UTF-8). Comments are
 * kept as stored bytes so a rewrite changes only the label comment.
 */
export interface VorbisComments {
  readonly vendor: Uint8Array;
  readonly comments: readonly Uint8Array[];
  /** Bytes after the last comment (Vorbis framing bit, Opus padding or private data). */
  readonly rest: Uint8Array;
}

/** Most comments one list may have (taggers write a few dozen; each parsed comment costs an object). */
const maximumComments = 100_000;

/** The comment field the audio guide names for FLAC and Ogg (TC260-PG-202510A). */
export const AIGC_FIELD = 'AIGC';

export function parseVorbisComments(bytes: Uint8Array, format: string, where: string): VorbisComments {
  const fail = (message: string) => new MalformedInputError(format, `${where}: ${message}`);
  if (bytes.length < 8) throw fail('too short for a vendor string and a comment count');
  const vendorLength = u32le(bytes, 0);
  if (4 + vendorLength + 4 > bytes.length) throw fail(`vendor string of ${vendorLength} bytes runs past the end`);
  const vendor = bytes.subarray(4, 4 + vendorLength);
  let offset = 4 + vendorLength;
  const count = u32le(bytes, offset);
  offset += 4;
  // Each comment takes at least its 4-byte length, which bounds the count by the bytes left.
  if (count > (bytes.length - offset) / 4) throw fail(`declares ${count} comments, more than its ${bytes.length - offset} bytes can hold`);
  if (count > maximumComments)
    throw new LimitExceededError(`${format}: ${where} has ${count} comments, over the ${maximumComments}-comment limit`);
  const comments: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    if (offset + 4 > bytes.length) throw fail(`comment ${i + 1} of ${count} is truncated`);
    const length = u32le(bytes, offset);
    if (offset + 4 + length > bytes.length) throw fail(`comment ${i + 1} of ${count} declares ${length} bytes, past the end`);
    comments.push(bytes.subarray(offset + 4, offset + 4 + length));
    offset += 4 + length;
  }
  return { vendor, comments, rest: bytes.subarray(offset) };
}

export function serializeVorbisComments(comments: VorbisComments): Uint8Array {
  // Never write a list this module would refuse to read back.
  if (comments.comments.length > maximumComments)
    throw new LimitExceededError(
      `a Vorbis comment list of ${comments.comments.length} comments is over the ${maximumComments}-comment limit`,
    );
  const parts: Uint8Array[] = [u32(comments.vendor.length), comments.vendor, u32(comments.comments.length)];
  for (const c of comments.comments) parts.push(u32(c.length), c);
  parts.push(comments.rest);
  return concat(parts);
}

function u32(value: number): Uint8Array {
  if (value > 0xffffffff) throw new LimitExceededError(`a Vorbis comment field of ${value} bytes is too long`);
  const out = new Uint8Array(4);
  putU32le(out, 0, value);
  return out;
}

/** The field name of a comment (before the first '='), or null when there is no '='. */
function fieldName(comment: Uint8Array): string | null {
  const equals = comment.indexOf(0x3d);
  return equals < 0 ? null : fromUtf8(comment.subarray(0, equals));
}

/** Field names compare case-insensitively (Vorbis I §5.2.2.1). */
const isLabelComment = (comment: Uint8Array): boolean => fieldName(comment)?.toUpperCase() === AIGC_FIELD;

/** Label carriers among the comments; `location` describes where the comment list is. */
export function vorbisLabelCarriers(comments: VorbisComments, carrier: string, location: string, offset: number): LabelCarrier[] {
  return comments.comments.filter(isLabelComment).map((comment) => {
    const text = fromUtf8(comment);
    const name = text.slice(0, text.indexOf('='));
    const raw = text.slice(name.length + 1);
    const decoded = decodeLabel(raw);
    const findings = [...decoded.findings];
    if (name !== AIGC_FIELD) findings.push(finding(Rules.nonCanonicalCarrier, 'info', `comment field is "${name}", not "${AIGC_FIELD}"`));
    return {
      carrier,
      location: `${location}, ${name}= comment`,
      offset,
      raw,
      label: decoded.label,
      form: decoded.form,
      canonical: true,
      findings,
    };
  });
}

/** The comments with every AIGC= comment removed and one `AIGC=<json>` in place of the first (or at the end). */
export function withLabelComment(comments: VorbisComments, json: string): VorbisComments {
  const labelComment = utf8(`${AIGC_FIELD}=${json}`);
  const kept: Uint8Array[] = [];
  let placed = false;
  for (const c of comments.comments) {
    if (!isLabelComment(c)) kept.push(c);
    else if (!placed) {
      kept.push(labelComment);
      placed = true;
    }
  }
  if (!placed) kept.push(labelComment);
  return { ...comments, comments: kept };
}

/** The comments without any AIGC= comment. */
export const withoutLabelComments = (comments: VorbisComments): VorbisComments => ({
  ...comments,
  comments: comments.comments.filter((c) => !isLabelComment(c)),
});
