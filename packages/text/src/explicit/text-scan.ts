/**
 * Where clauses, sentences and lines of a text begin and end, for the explicit-label detector.
 * Each scan is bounded by the limits below, or, when it looks for the end of a clause or a
 * sentence that is already too long, the detector skips what it scanned; so the detector stays
 * linear in its input.
 */

/** A statement clause is short (English ones, with their spaces, the longest); a longer run without punctuation is prose. */
export const maximumClauseLength = 200;
export const maximumSentenceLength = 240;
/** Lead-in and advice sentences next to a label (声明：⏎本文由AI生成。请仔细甄别。), looked at up to this far. */
export const maximumExtension = 120;

// Character classes by UTF-16 code unit.
export const CLAUSE = 1;
export const SENTENCE = 2;
export const COLON = 4;
const CLASSES = new Uint8Array(0x10000);
for (const c of '\n\r。！？!?.；;，,、：:【】「」『』〖〗[]()（）《》<>"“”‘’|｜·•—–～~…') CLASSES[c.charCodeAt(0)] |= CLAUSE;
for (const c of '\n\r。！？!?.') CLASSES[c.charCodeAt(0)] |= SENTENCE;
for (const c of '：:') CLASSES[c.charCodeAt(0)] |= COLON;
const DOT = 0x2e;
export const NEWLINE = 0x0a;

export const isBreak = (kind: number, text: string, at: number): boolean => {
  const code = text.charCodeAt(at);
  if ((CLASSES[code] & kind) === 0) return false;
  // A dot ends a sentence before a space or the end, not inside "Qwen2.5", "A.I." or a domain name.
  return code !== DOT || !isAsciiWordCode(text.charCodeAt(at + 1));
};
const isAsciiWordCode = (code: number) => (code >= 0x30 && code <= 0x39) || ((code | 0x20) >= 0x61 && (code | 0x20) <= 0x7a);
/** Letter or digit; ASCII and CJK ideographs without a regular expression, the rest by Unicode property. */
function isWordCode(code: number): boolean {
  if (code < 0x80) return isAsciiWordCode(code);
  if (code >= 0x4e00 && code <= 0x9fff) return true;
  return !Number.isNaN(code) && /[\p{L}\p{N}]/u.test(String.fromCharCode(code));
}
export const isWordChar = (text: string, at: number) => isWordCode(text.charCodeAt(at));
/** Spaces and zero-width characters a label may be split with (A I 生 成, 生\u200B成). */
export const isSplitter = (code: number) =>
  code === 0x20 ||
  code === 0x09 ||
  code === 0xa0 ||
  code === 0x3000 ||
  (code >= 0x200b && code <= 0x200d) ||
  code === 0x2060 ||
  code === 0xfeff ||
  code === 0xad;

export const firstWordIn = (text: string, from: number, to: number): number => {
  for (let i = from; i < to; i++) if (isWordChar(text, i)) return i;
  return to;
};
export const lastWordIn = (text: string, from: number, to: number): number => {
  for (let i = to - 1; i >= from; i--) if (isWordChar(text, i)) return i;
  return from - 1;
};
export const hasWordBetween = (text: string, from: number, to: number) => lastWordIn(text, from, to) >= from;

/** The last letter or digit before `at` within reach and across one blank line at most (-1 if none), and the line breaks between. */
export function previousWord(text: string, at: number): { previous: number; newlines: number } {
  let newlines = 0;
  for (let i = at - 1; i >= 0 && at - i <= maximumExtension; i--) {
    if (isWordChar(text, i)) return { previous: i, newlines };
    if (text.charCodeAt(i) === NEWLINE && ++newlines > 2) break;
  }
  return { previous: -1, newlines };
}

/** The start of the line holding `at`, if it lies within `limit` characters before it; -1 otherwise. */
export function lineStartWithin(text: string, at: number, limit: number): number {
  for (let i = at; i > 0 && at - i < limit; i--) if (text.charCodeAt(i - 1) === NEWLINE) return i;
  return at < limit ? 0 : -1;
}
export function nextWordAfterGap(text: string, at: number): number {
  let newlines = 0;
  for (let i = at; i < text.length && i - at <= maximumExtension; i++) {
    if (isWordChar(text, i)) return i;
    if (text.charCodeAt(i) === NEWLINE && ++newlines > 1) return -1;
  }
  return -1;
}

/**
 * The line holding [start, end), and whether nothing but decoration and the parts of `unit` around
 * it share the line; null when the line is too long to tell.
 */
export function lineAround(
  text: string,
  start: number,
  end: number,
  unit: { readonly start: number; readonly end: number },
): { start: number; alone: boolean } | null {
  let lineStart = start;
  while (lineStart > 0 && text.charCodeAt(lineStart - 1) !== NEWLINE) {
    if (start - lineStart > maximumSentenceLength) return null;
    lineStart--;
  }
  let lineEnd = end;
  while (lineEnd < text.length && text.charCodeAt(lineEnd) !== NEWLINE) {
    if (lineEnd - end > maximumSentenceLength) return null;
    lineEnd++;
  }
  const before = Math.min(start, Math.max(lineStart, unit.start));
  const after = Math.max(end, Math.min(lineEnd, unit.end));
  return { start: lineStart, alone: !hasWordBetween(text, lineStart, before) && !hasWordBetween(text, after, lineEnd) };
}

/**
 * The clause holding `at`, between the breaks around it. `tooLong` when it is longer than a
 * statement can be; `end` is its end all the same, so a scan can skip the rest of it.
 */
export function clauseAround(text: string, at: number): { start: number; end: number; tooLong: boolean } {
  let start = at;
  while (start > 0 && !isBreak(CLAUSE, text, start - 1) && at - start <= maximumClauseLength) start--;
  let end = at;
  while (end < text.length && !isBreak(CLAUSE, text, end)) end++;
  const tooLong = end - start > maximumClauseLength || (start > 0 && !isBreak(CLAUSE, text, start - 1));
  return { start, end, tooLong };
}

/** The sentence holding [from, to); null when it is longer than a label's sentence can be. */
export function sentenceAround(text: string, from: number, to: number): { start: number; end: number } | null {
  let start = from;
  while (start > 0 && !isBreak(SENTENCE, text, start - 1)) {
    if (to - start > maximumSentenceLength) return null;
    start--;
  }
  let end = to;
  while (end < text.length && !isBreak(SENTENCE, text, end)) {
    if (end - start > maximumSentenceLength) return null;
    end++;
  }
  return { start, end };
}

export function sentenceEndFrom(text: string, from: number): number {
  let end = from;
  while (end < text.length && !isBreak(SENTENCE, text, end)) end++;
  return end;
}
