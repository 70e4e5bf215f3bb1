import { MalformedInputError, unescapeXml } from '@aigc-label/core';
import { escapeHtml } from '../html/scan.js';

/**
 * The body of a WordprocessingML document (ECMA-376 Part 1 §17.2): where a paragraph can be
 * added, and the text a reader sees, paragraph by paragraph. Textual, like every OOXML edit
 * here: only the added paragraph changes the part.
 */

/** Escapes a prefix such as `w:` or `a.b:` for a regular expression. */
const literal = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const WORDPROCESSING_NAMESPACES = [
  'http://schemas.openxmlformats.org/wordprocessingml/2006/main',
  'http://purl.oclc.org/ooxml/wordprocessingml/main',
];

/** The prefix (`w:`, or '' for a default namespace) of the `<document>` root when `xml` is a WordprocessingML main part, else null. */
export function wordprocessingPrefix(xml: string): string | null {
  const root = /<(?:([\w.-]+):)?document\b([^>]*)>/.exec(xml.slice(0, 64 * 1024));
  if (!root) return null;
  const declaration = root[1] === undefined ? 'xmlns' : `xmlns:${literal(root[1])}`;
  const namespace = new RegExp(`\\s${declaration}\\s*=\\s*["']([^"']*)["']`).exec(root[2] ?? '')?.[1];
  return namespace !== undefined && WORDPROCESSING_NAMESPACES.includes(namespace) ? (root[1] === undefined ? '' : `${root[1]}:`) : null;
}

/** A paragraph of one run holding `text` (§17.3.1.22, §17.3.2.25, §17.3.3.31), spaces kept. */
export const paragraphXml = (prefix: string, text: string): string =>
  `<${prefix}p><${prefix}r><${prefix}t xml:space="preserve">${escapeHtml(text)}</${prefix}t></${prefix}r></${prefix}p>`;

/**
 * Where a paragraph goes at the start of the body (after `<w:body>`) and at its end (before
 * the body's own `<w:sectPr>`, which is its last child, §17.6.17). `selfClosing` for `<w:body/>`.
 */
export function bodyInsertionPoints(xml: string, prefix: string): { start: number; end: number; selfClosing: boolean } {
  const open = new RegExp(`<${literal(prefix)}body\\b[^>]*?(/?)>`).exec(xml);
  if (!open) throw new MalformedInputError('ooxml', `the document has no <${prefix}body> element`);
  if (open[1] === '/') return { start: open.index, end: open.index, selfClosing: true };
  const afterOpen = open.index + open[0].length;
  const close = xml.lastIndexOf(`</${prefix}body`);
  if (close < afterOpen) throw new MalformedInputError('ooxml', `the document has no </${prefix}body> end tag`);
  // Section properties do not nest, so the body's own sectPr starts at the last <w:sectPr and runs to </w:body>;
  // one inside a paragraph's pPr is followed by the paragraph's end tags instead.
  const section = xml.lastIndexOf(`<${prefix}sectPr`, close);
  const bodyLevel =
    section > afterOpen &&
    new RegExp(`^<${literal(prefix)}sectPr\\b(?:[^>]*?/>|[\\s\\S]*?</${literal(prefix)}sectPr\\s*>)\\s*$`).test(xml.slice(section, close));
  return { start: afterOpen, end: bodyLevel ? section : close, selfClosing: false };
}

const TEXT_TOKEN =
  /<([\w.-]+:)?t\b[^>]*?(?:\/>|>([^<]*)<\/\1t\s*>)|<\/([\w.-]+:)?p\s*>|<([\w.-]+:)?(?:br|cr)\b[^>]*?\/>|<([\w.-]+:)?tab\b[^>]*?\/>/g;

/**
 * What a reader sees of the body: the text runs (`<w:t>`, §17.3.3.31) with tabs and breaks,
 * one line per paragraph. Deleted text and field codes are not shown and not read. Linear.
 */
export function documentText(xml: string): string {
  const parts: string[] = [];
  for (const m of xml.matchAll(TEXT_TOKEN)) {
    const token = m[0];
    if (token.startsWith('</')) parts.push('\n');
    else if (/^<([\w.-]+:)?t\b/.test(token)) parts.push(unescapeXml(m[2] ?? ''));
    else if (/^<([\w.-]+:)?tab\b/.test(token)) parts.push('\t');
    else parts.push('\n');
  }
  return parts.join('');
}
