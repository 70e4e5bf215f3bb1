import {
  type AigcLabel,
  type ByteSource,
  encodeBare,
  encodeWrapped,
  type FormatHandler,
  finding,
  type LabelCarrier,
  MalformedInputError,
  printableAscii,
  type ReadResult,
  Rules,
  readAll,
  splicePlan,
  unescapeXml,
  utf8,
  type WriteOptions,
  type WriteResult,
} from '@aigc-label/core';
import { scanExplicitLabels } from '../explicit/detect.js';
import { explicitLabelEvidence } from '../explicit/evidence.js';
import { assertCarrierCount, decodeCarrierValue, decodeDamagedCarrierValue } from '../plain/carrier.js';
import { bomOf, byteOffsets, decodeText, decodeTextTolerant, lineEndingOf, looksLikeText, requireUtf8 } from '../plain/encoding.js';
import { utf8TextPrompt } from '../plain/prompt.js';
import { textWatermark } from '../watermark/capability.js';
import { escapeHtml, type HtmlTag, scanTags } from './scan.js';

const FORMAT = 'html';

/**
 * No TC260 guide clause names an HTML carrier (reference §3.5). This toolkit's
 * convention is `<meta name="AIGC" content="{bare Annex E JSON}">` in the head,
 * the form apps use; it is canonical for HTML here, and reported as non-normative.
 */
const nonNormative = () =>
  finding(
    Rules.nonNormativeCarrier,
    'info',
    'no guide clause names an HTML carrier; <meta name="AIGC"> is the aigc-label convention',
    'html-meta',
  );

// The start of an HTML document: optional BOM, XML declaration and comments, then a doctype or <html>.
const HTML_START = /^\uFEFF?\s*(?:<\?xml[^>]*>\s*)?(?:<!--[\s\S]*?-->\s*)*<(?:!doctype\s+html|html)[\s>]/i;

function sniffHtml(head: Uint8Array): boolean {
  if (!looksLikeText(head)) return false;
  const bom = bomOf(head);
  const encoding = bom === 'utf-16le' || bom === 'utf-16be' ? bom : 'utf-8';
  return HTML_START.test(new TextDecoder(encoding).decode(head.subarray(0, 2048)));
}

const attribute = (tag: HtmlTag, name: string) => tag.attributes.find((a) => a.name === name)?.value ?? null;
const isAigcMeta = (tag: HtmlTag) => tag.name === 'meta' && !tag.closing && attribute(tag, 'name')?.trim().toUpperCase() === 'AIGC';

interface Structure {
  readonly metas: readonly { tag: HtmlTag; inHead: boolean }[];
  readonly headOpen: HtmlTag | null;
  readonly headClose: HtmlTag | null;
  readonly htmlOpen: HtmlTag | null;
  /** Where body content starts: after <body>, or after </head> when there is no <body> tag. */
  readonly contentStart: number;
  readonly xhtml: boolean;
  /** The tag the end of the file cuts before its `>` (a truncated file), or null. */
  readonly cut: HtmlTag | null;
}

// HTML 2.0-4.01 are SGML applications (the XHTML doctypes say "DTD XHTML" and do not match).
const SGML_DOCTYPE = /^\uFEFF?\s*<!doctype\s+html\s+public\s*["'][^"']*\/\/DTD HTML /i;

/**
 * `<title/x/`: under SGML's SHORTTAG (ISO 8879 §7.4.1.1, used by the smallest valid HTML 2.0 and
 * 3.2 documents) a `/` right after the name ends the start tag, so a file ending there is whole.
 */
const isNullEndStartTag = (html: string, tag: HtmlTag) => html[tag.start + 1 + tag.name.length] === '/';

function structureOf(html: string): Structure {
  const metas: { tag: HtmlTag; inHead: boolean }[] = [];
  let headOpen: HtmlTag | null = null;
  let headClose: HtmlTag | null = null;
  let htmlOpen: HtmlTag | null = null;
  let contentStart = -1;
  let inBody = false;
  let cut: HtmlTag | null = null;
  const sgml = SGML_DOCTYPE.test(html);
  for (const tag of scanTags(html)) {
    if (tag.cut && !(sgml && isNullEndStartTag(html, tag))) cut = tag;
    if (tag.name === 'html' && !tag.closing) htmlOpen ??= tag;
    else if (tag.name === 'head' && !tag.closing) headOpen ??= tag;
    else if (tag.name === 'head' && tag.closing) {
      headClose ??= tag;
      if (contentStart === -1) contentStart = tag.end;
    } else if (tag.name === 'body' && !tag.closing && !inBody) {
      inBody = true;
      contentStart = tag.end;
    } else if (isAigcMeta(tag)) {
      metas.push({ tag, inHead: !inBody && headClose === null });
      assertCarrierCount(metas.length, FORMAT);
    }
  }
  const xhtml = /^\uFEFF?\s*<\?xml/.test(html) || (htmlOpen !== null && attribute(htmlOpen, 'xmlns') !== null);
  return { metas, headOpen, headClose, htmlOpen, contentStart: contentStart === -1 ? 0 : contentStart, xhtml, cut };
}

/**
 * The text with all markup, comments and the head turned into line breaks (same length, so
 * offsets hold): what a reader sees. Blanked ranges are merged as they come (tags arrive in
 * order), and the result is joined in bounded chunks, so a million tags cost no more than a
 * few copies of the text itself.
 */
function visibleText(html: string, contentStart: number): string {
  const tags = new BlankRanges();
  tags.add(0, contentStart);
  let rawStart = -1;
  for (const tag of scanTags(html)) {
    if (tag.end <= contentStart) continue;
    if (rawStart !== -1 && tag.closing) {
      tags.add(rawStart, tag.end);
      rawStart = -1;
    } else {
      tags.add(tag.start, tag.end);
      if ((tag.name === 'script' || tag.name === 'style') && !tag.selfClosing && !tag.closing) rawStart = tag.end;
    }
  }
  if (rawStart !== -1) tags.add(rawStart, html.length);
  // Comments are skipped by the scanner; an unclosed one runs to the end.
  const comments = new BlankRanges();
  for (let open = html.indexOf('<!--'); open !== -1; ) {
    const close = html.indexOf('-->', open + 4);
    const end = close === -1 ? html.length : close + 3;
    comments.add(open, end);
    open = html.indexOf('<!--', end);
  }
  const text = new ChunkedText();
  let cursor = 0;
  // Both lists are sorted by start: walk them together.
  for (const [start, end] of mergeSorted(tags.ranges, comments.ranges)) {
    if (end <= cursor) continue;
    const from = Math.max(start, cursor);
    text.push(html.slice(cursor, from));
    text.push('\n'.repeat(end - from));
    cursor = end;
  }
  text.push(html.slice(cursor));
  return text.join();
}

/** Half-open ranges added in order of start, adjacent or overlapping ones merged, kept flat. */
class BlankRanges {
  readonly ranges: number[] = [];
  add(start: number, end: number): void {
    const last = this.ranges.length - 1;
    if (last > 0 && start <= (this.ranges[last] as number)) this.ranges[last] = Math.max(end, this.ranges[last] as number);
    else this.ranges.push(start, end);
  }
}

function* mergeSorted(a: readonly number[], b: readonly number[]): Generator<[number, number]> {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (j >= b.length || (i < a.length && (a[i] as number) <= (b[j] as number))) {
      yield [a[i] as number, a[i + 1] as number];
      i += 2;
    } else {
      yield [b[j] as number, b[j + 1] as number];
      j += 2;
    }
  }
}

/** A string built from many pieces, joined every few thousand so the piece list stays small. */
class ChunkedText {
  private readonly chunks: string[] = [];
  private pieces: string[] = [];
  push(piece: string): void {
    if (piece.length === 0) return;
    this.pieces.push(piece);
    if (this.pieces.length === 4096) {
      this.chunks.push(this.pieces.join(''));
      this.pieces = [];
    }
  }
  join(): string {
    this.chunks.push(this.pieces.join(''));
    this.pieces = [];
    return this.chunks.join('');
  }
}

export const html: FormatHandler = {
  id: FORMAT,
  kind: 'text',
  name: 'HTML',
  extensions: ['html', 'htm', 'xhtml'],
  mimeTypes: ['text/html', 'application/xhtml+xml'],
  carrier: '<meta name="AIGC"> in <head> (toolkit convention; no guide clause)',
  contentRegions: {
    unsupported: 'the label is a <meta> element inside the text, so a binding needs the text without it, canonically (not done yet)',
  },
  explicit: utf8TextPrompt('html', FORMAT),
  watermark: textWatermark('html', FORMAT),
  sniff: sniffHtml,

  async read(source: ByteSource): Promise<ReadResult> {
    const decoded = decodeTextTolerant(await readAll(source, FORMAT), FORMAT);
    const { text } = decoded;
    const structure = structureOf(text);
    const offsets = byteOffsets(
      decoded,
      structure.metas.map(({ tag }) => tag.start),
    );
    const carriers: LabelCarrier[] = structure.metas.map(({ tag, inHead }, i) => {
      const raw = unescapeXml(attribute(tag, 'content') ?? '');
      const value = tag.cut ? decodeDamagedCarrierValue(raw, 'the label is cut off by the end of the file') : decodeCarrierValue(raw);
      const findings = [...value.findings, nonNormative()];
      if (!inHead) findings.push(finding(Rules.nonCanonicalCarrier, 'warning', '<meta name="AIGC"> is outside <head>', 'html-meta'));
      const offset = offsets[i] as number;
      return {
        carrier: 'html-meta',
        location: `<meta name="AIGC"> at byte ${offset}`,
        offset,
        raw,
        label: value.label,
        form: value.form,
        canonical: inHead,
        findings,
      };
    });
    const { evidence, findings } = explicitLabelEvidence(scanExplicitLabels(visibleText(text, structure.contentStart)));
    const damage = structure.cut ? [finding(Rules.damaged, 'error', cutMessage(structure.cut))] : [];
    return { format: FORMAT, carriers, findings: [...decoded.findings, ...damage, ...findings], evidence };
  },

  /**
   * Replaces the AIGC meta element, or adds one just before `</head>` (creating
   * the head when there is none). The rest of the document is copied byte for byte;
   * the value is escaped with the predefined entities only.
   */
  async write(source: ByteSource, label: AigcLabel, options: WriteOptions = {}): Promise<WriteResult> {
    const bytes = await readAll(source, FORMAT);
    const decoded = decodeText(bytes, FORMAT);
    requireUtf8(decoded, FORMAT);
    const { text } = decoded;
    const structure = structureOf(text);
    if (structure.cut) throw new MalformedInputError(FORMAT, `${cutMessage(structure.cut)}; a truncated file is not labeled`);
    const json = options.form === 'wrapped' ? encodeWrapped(label) : encodeBare(label);
    const meta = `<meta name="AIGC" content="${escapeHtml(json)}"${structure.xhtml ? ' /' : ''}>`;
    const eol = lineEndingOf(text);
    const edits: { start: number; end: number; insert: string }[] = [];
    const [first, ...rest] = structure.metas;
    if (first) {
      edits.push({ start: first.tag.start, end: first.tag.end, insert: meta });
      for (const { tag } of rest) edits.push(withItsLine(text, tag));
    } else if (structure.headClose) {
      edits.push(beforeHeadClose(text, structure.headClose, structure.headOpen, meta, eol));
    } else if (structure.headOpen) {
      edits.push({ start: structure.headOpen.end, end: structure.headOpen.end, insert: meta });
    } else {
      const at = structure.htmlOpen?.end ?? /^\uFEFF?\s*(?:<\?xml[^>]*>\s*)?<!doctype[^>]*>/i.exec(text)?.[0].length ?? 0;
      edits.push({ start: at, end: at, insert: `${at > 0 ? eol : ''}<head>${meta}</head>${at > 0 ? '' : eol}` });
    }
    const findings = [nonNormative()];
    if (rest.length > 0)
      findings.push(finding(Rules.multipleLabels, 'info', `removed ${rest.length} further AIGC meta element(s) (one label per file)`));
    const sorted = [...edits].sort((a, b) => a.start - b.start);
    const offsets = byteOffsets(
      decoded,
      sorted.flatMap((e) => [e.start, e.end]),
    );
    const byteEdits = sorted.map((e, i) => ({
      start: offsets[2 * i] as number,
      end: offsets[2 * i + 1] as number,
      insert: utf8(e.insert),
    }));
    return { ...splicePlan(bytes.length, byteEdits), findings };
  },
};

const cutMessage = (tag: HtmlTag) =>
  `the file ends inside a <${tag.closing ? '/' : ''}${printableAscii(tag.name.slice(0, 32))}> tag (truncated)`;

/**
 * A tag alone on its line is removed with its line; otherwise just the tag. Looks only at the
 * whitespace around the tag, so removing many tags from one long line stays linear.
 */
function withItsLine(text: string, tag: HtmlTag): { start: number; end: number; insert: string } {
  let before = tag.start;
  while (before > 0 && (text[before - 1] === ' ' || text[before - 1] === '\t')) before--;
  let after = tag.end;
  while (after < text.length && (text[after] === ' ' || text[after] === '\t' || text[after] === '\r')) after++;
  const alone = (before === 0 || text[before - 1] === '\n') && (after === text.length || text[after] === '\n');
  return alone ? { start: before, end: Math.min(text.length, after + 1), insert: '' } : { start: tag.start, end: tag.end, insert: '' };
}

/** On its own line before `</head>`, indented like the head's last element; inline when `</head>` shares a line. */
function beforeHeadClose(text: string, headClose: HtmlTag, headOpen: HtmlTag | null, meta: string, eol: string) {
  const lineStart = text.lastIndexOf('\n', headClose.start - 1) + 1;
  const closeIndent = text.slice(lineStart, headClose.start);
  if (closeIndent.trim() !== '' || lineStart === 0 || (headOpen && headOpen.end > lineStart)) {
    return { start: headClose.start, end: headClose.start, insert: meta };
  }
  const previousLineStart = text.lastIndexOf('\n', lineStart - 2) + 1;
  const previousIndent = /^[ \t]*/.exec(text.slice(previousLineStart, lineStart))?.[0] ?? '';
  const insideHead = headOpen !== null && previousLineStart >= headOpen.end;
  const indent = insideHead ? previousIndent : `${closeIndent}  `;
  return { start: lineStart, end: lineStart, insert: `${indent}${meta}${eol}` };
}
