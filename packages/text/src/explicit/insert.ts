import { escapeHtml, scanTags } from '../html/scan.js';
import { findFrontMatter } from '../markdown/front-matter.js';
import { lineEndingOf } from '../plain/encoding.js';
import { explicitLabelText, type LabelTextOptions } from './wording.js';

/** GB 45438 §5.1 c): one or more of the start, the end and a suitable middle position. */
export type LabelPlacement = 'start' | 'middle' | 'end';
/** How the text is written, which decides where a label may go. */
export type TextFlavour = 'plain' | 'markdown' | 'html';

export interface AddLabelOptions extends LabelTextOptions {
  /** Default `end`; several positions give several labels. */
  readonly positions?: LabelPlacement | readonly LabelPlacement[];
  /** Default `plain`. */
  readonly flavour?: TextFlavour;
}

export interface PlacedLabel {
  readonly position: LabelPlacement;
  /** UTF-16 offset of the label text in the output. */
  readonly offset: number;
  /** Why the label is not where it was asked for, when it is not. */
  readonly note?: string;
}

export interface LabeledText {
  readonly text: string;
  readonly label: string;
  readonly placements: readonly PlacedLabel[];
}

interface Insertion {
  readonly at: number;
  readonly before: string;
  readonly after: string;
  readonly position: LabelPlacement;
  readonly note?: string;
}

/**
 * Adds an explicit label (GB 45438 §5.1) to a text. A middle label goes after a
 * paragraph boundary, never inside a word, a code block, a URL, a list, a table
 * or an HTML element; in HTML the label is a `<p>` inside `<body>`. The text is
 * otherwise unchanged, and its line endings are kept.
 */
export function addExplicitLabel(text: string, options: AddLabelOptions = {}): LabeledText {
  let out = '';
  let cursor = 0;
  const placements: PlacedLabel[] = [];
  for (const insertion of explicitLabelInsertions(text, options)) {
    out += text.slice(cursor, insertion.at);
    const offset = out.length + insertion.labelOffset;
    out += insertion.insert;
    cursor = insertion.at;
    placements.push(
      insertion.note ? { position: insertion.position, offset, note: insertion.note } : { position: insertion.position, offset },
    );
  }
  return { text: out + text.slice(cursor), label: explicitLabelText(options), placements };
}

/** One label to insert: `insert` (the label with its line breaks or markup) goes at offset `at` of the original text. */
export interface LabelInsertion {
  readonly at: number;
  readonly insert: string;
  /** Where the label text starts within `insert`. */
  readonly labelOffset: number;
  readonly position: LabelPlacement;
  readonly note?: string;
}

/** The edits `addExplicitLabel` makes, in text order, for callers that splice bytes (the Markdown handler). */
export function explicitLabelInsertions(text: string, options: AddLabelOptions = {}): LabelInsertion[] {
  const label = explicitLabelText(options);
  const positions = new Set<LabelPlacement>(typeof options.positions === 'string' ? [options.positions] : (options.positions ?? ['end']));
  const flavour = options.flavour ?? 'plain';
  const insertions =
    flavour === 'html' ? htmlInsertions(text, positions) : textInsertions(text, positions, flavour, options.symbol === true);
  const shown = flavour === 'html' ? escapeHtml(label) : label;
  return insertions
    .sort((a, b) => a.at - b.at)
    .map((i) => ({
      at: i.at,
      insert: i.before + shown + i.after,
      labelOffset: i.before.length,
      position: i.position,
      ...(i.note ? { note: i.note } : {}),
    }));
}

function textInsertions(text: string, positions: ReadonlySet<LabelPlacement>, flavour: TextFlavour, symbol: boolean): Insertion[] {
  const eol = lineEndingOf(text);
  const paragraph = eol + eol;
  const frontMatter = flavour === 'markdown' ? findFrontMatter(text) : null;
  const bodyStart = frontMatter?.end ?? (text.startsWith('\uFEFF') ? 1 : 0);
  const blocks = scanBlocks(text, bodyStart);
  const contentEnd = blocks.openFenceStart ?? trimmedEnd(text, bodyStart);
  const empty = contentEnd === bodyStart;
  const insertions: Insertion[] = [];
  if (positions.has('start')) {
    const inline = symbol && !empty && isParagraphLine(text, bodyStart);
    insertions.push({ at: bodyStart, before: '', after: empty ? '' : inline ? '' : paragraph, position: 'start' });
  }
  if (positions.has('middle')) {
    const middle = nearest(blocks.boundaries, (bodyStart + contentEnd) / 2);
    if (middle !== undefined) {
      const inline = symbol && isParagraphLine(text, middle.at);
      insertions.push({ at: middle.at, before: '', after: inline ? '' : middle.blankBefore ? paragraph : eol, position: 'middle' });
    } else if (!positions.has('end')) {
      const note = 'no paragraph boundary outside code, lists and tables; the middle label went to the end';
      insertions.push(endInsertion(text, bodyStart, contentEnd, blocks.openFenceStart, symbol, paragraph, note));
    }
  }
  if (positions.has('end') && !(empty && positions.has('start'))) {
    insertions.push(endInsertion(text, bodyStart, contentEnd, blocks.openFenceStart, symbol, paragraph));
  }
  return insertions;
}

function endInsertion(
  text: string,
  bodyStart: number,
  contentEnd: number,
  openFenceStart: number | null,
  symbol: boolean,
  paragraph: string,
  note?: string,
): Insertion {
  const base = { position: 'end' as const, ...(note ? { note } : {}) };
  // An unclosed code fence runs to the end of the text; the label goes before it so it is not code.
  if (openFenceStart !== null) return { at: openFenceStart, before: '', after: paragraph, ...base };
  if (contentEnd === bodyStart) return { at: bodyStart, before: '', after: '', ...base };
  const inline = symbol && isParagraphLine(text, lineStartOf(text, contentEnd - 1));
  return { at: contentEnd, before: inline ? '' : paragraph, after: '', ...base };
}

interface Boundary {
  /** Start of the line the label goes before. */
  readonly at: number;
  /** A blank line precedes it (a paragraph break); otherwise a single line break does. */
  readonly blankBefore: boolean;
}

interface Blocks {
  readonly boundaries: readonly Boundary[];
  /** Start of a fenced code block that is never closed, if any. */
  readonly openFenceStart: number | null;
}

const FENCE = /^ {0,3}(`{3,}|~{3,})/;
const LIST_ITEM = /^ {0,3}(?:[-*+]|\d{1,9}[.)])(?:[ \t]|$)/;
const RAW_HTML_BLOCK = /^ {0,3}<(script|pre|style|textarea)(?:[\s>]|$)/i;
const MATH_FENCE = /^ {0,3}\$\$\s*$/;

/**
 * Line-level CommonMark block walk (fences, indented code, lists, tables, HTML
 * blocks, math): the starts of lines where a new paragraph may begin without
 * changing what the surrounding Markdown means. Plain text gets the same walk,
 * since generated plain text often holds fenced code.
 */
function scanBlocks(text: string, from: number): Blocks {
  const paragraphBreaks: Boundary[] = [];
  const lineBreaks: Boundary[] = [];
  let fence: string | null = null;
  let fenceStart = 0;
  let rawUntil: RegExp | null = null;
  let previous: 'none' | 'paragraph' | 'other' = 'none';
  let blankBefore = false;
  for (let start = from; start < text.length; ) {
    const newline = text.indexOf('\n', start);
    const end = newline === -1 ? text.length : newline + 1;
    const line = text.slice(start, end).replace(/\r?\n$/, '');
    const lineStart = start;
    start = end;
    if (fence !== null) {
      if (line.trim().startsWith(fence) && /^ {0,3}[`~]+\s*$/.test(line)) {
        fence = null;
        previous = 'other';
      }
      continue;
    }
    if (rawUntil !== null) {
      if (rawUntil.test(line)) {
        rawUntil = null;
        previous = 'other';
      }
      continue;
    }
    if (line.trim() === '') {
      blankBefore = true;
      continue;
    }
    const indented = /^(?: {4}|\t)/.test(line);
    const opensParagraph = !indented && /^[^\s#>|<`~$\-*+=_]/.test(line) && !LIST_ITEM.test(line) && !line.includes('|');
    // After a blank line, a heading, a fence or a quote at the margin starts a new block too; a list item
    // or a table row may continue the list or table before it, so the label never goes there.
    const opensBlock = opensParagraph || (!indented && /^(?:#{1,6}[ \t]|`{3,}|~{3,}|>)/.test(line));
    if (previous !== 'none') {
      if (opensBlock && blankBefore) paragraphBreaks.push({ at: lineStart, blankBefore: true });
      else if (opensParagraph && previous === 'paragraph' && !blankBefore) lineBreaks.push({ at: lineStart, blankBefore: false });
    }
    const fenceMatch = FENCE.exec(line);
    if (fenceMatch) {
      fence = fenceMatch[1];
      fenceStart = lineStart;
    } else if (MATH_FENCE.test(line)) {
      rawUntil = MATH_FENCE;
    } else {
      const raw = RAW_HTML_BLOCK.exec(line);
      if (raw && !new RegExp(`</${raw[1]}>`, 'i').test(line)) rawUntil = new RegExp(`</${raw[1]}>`, 'i');
      else if (/^ {0,3}<!--/.test(line) && !line.includes('-->')) rawUntil = /-->/;
    }
    previous = opensParagraph && !fenceMatch ? 'paragraph' : 'other';
    blankBefore = false;
  }
  return { boundaries: paragraphBreaks.length > 0 ? paragraphBreaks : lineBreaks, openFenceStart: fence !== null ? fenceStart : null };
}

function htmlInsertions(html: string, positions: ReadonlySet<LabelPlacement>): Insertion[] {
  const eol = lineEndingOf(html);
  let bodyOpenEnd = -1;
  let bodyCloseStart = -1;
  let htmlCloseStart = -1;
  let guardDepth = 0;
  const paragraphEnds: number[] = [];
  for (const tag of scanTags(html)) {
    if (tag.name === 'body') {
      if (!tag.closing && bodyOpenEnd === -1) bodyOpenEnd = tag.end;
      else if (tag.closing) bodyCloseStart = tag.start;
    } else if (tag.name === 'html' && tag.closing) {
      htmlCloseStart = tag.start;
    } else if (GUARDED_ELEMENTS.has(tag.name) && !tag.selfClosing) {
      guardDepth = Math.max(0, guardDepth + (tag.closing ? -1 : 1));
    } else if (tag.closing && tag.name === 'p' && guardDepth === 0 && bodyOpenEnd !== -1) {
      paragraphEnds.push(tag.end);
    }
  }
  const start = bodyOpenEnd === -1 ? htmlContentStart(html) : bodyOpenEnd;
  const end = bodyCloseStart !== -1 ? bodyCloseStart : htmlCloseStart !== -1 ? htmlCloseStart : trimmedEnd(html, start);
  const insertions: Insertion[] = [];
  const wrap = (position: LabelPlacement, at: number, note?: string): Insertion => ({
    at,
    before: `${at === end ? '' : eol}<p>`,
    after: `</p>${at === end ? eol : ''}`,
    position,
    ...(note ? { note } : {}),
  });
  if (positions.has('start')) insertions.push(wrap('start', start));
  if (positions.has('middle')) {
    const inside = paragraphEnds.filter((at) => at < end).map((at) => ({ at, blankBefore: true }));
    const middle = nearest(inside, (start + end) / 2);
    if (middle) insertions.push(wrap('middle', middle.at));
    else if (!positions.has('end'))
      insertions.push(wrap('end', end, 'no </p> outside lists, tables and code; the middle label went to the end'));
  }
  if (positions.has('end')) insertions.push(wrap('end', end));
  return insertions;
}

// A label inside these would change a list, table, code or preformatted block.
const GUARDED_ELEMENTS = new Set(['pre', 'code', 'table', 'ul', 'ol', 'dl', 'li', 'blockquote', 'figure', 'template', 'svg', 'math']);

/** Without `<body>`, after the head (or the doctype and `<html>`), where content starts. */
function htmlContentStart(html: string): number {
  let after = 0;
  for (const tag of scanTags(html)) {
    if ((tag.name === 'head' && tag.closing) || (tag.name === 'html' && !tag.closing)) after = tag.end;
    else if (!['head', 'meta', 'title', 'link', 'base', 'style', 'script'].includes(tag.name)) break;
  }
  if (after === 0) {
    const doctype = /^\uFEFF?\s*<!doctype[^>]*>/i.exec(html);
    if (doctype) after = doctype[0].length;
  }
  return after;
}

function nearest(boundaries: readonly Boundary[], target: number): Boundary | undefined {
  let best: Boundary | undefined;
  for (const b of boundaries) if (!best || Math.abs(b.at - target) < Math.abs(best.at - target)) best = b;
  return best;
}

function trimmedEnd(text: string, from: number): number {
  let end = text.length;
  while (end > from && /\s/.test(text[end - 1])) end--;
  return end;
}

function lineStartOf(text: string, at: number): number {
  const newline = text.lastIndexOf('\n', at);
  return newline === -1 ? 0 : newline + 1;
}

/** A line that is running paragraph text (not a heading, list, quote, table, code or HTML), so a symbol may go inline. */
function isParagraphLine(text: string, lineStart: number): boolean {
  const newline = text.indexOf('\n', lineStart);
  const line = text.slice(lineStart, newline === -1 ? text.length : newline);
  return /^[\p{L}\p{N}]/u.test(line) && !LIST_ITEM.test(line) && !line.includes('|');
}
