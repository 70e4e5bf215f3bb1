/** One start or end tag of an HTML document, with offsets into the text. */
export interface HtmlTag {
  /** Lower-case tag name. */
  readonly name: string;
  readonly start: number;
  /** Just past the closing `>`. */
  readonly end: number;
  readonly closing: boolean;
  readonly selfClosing: boolean;
  /** The file ends inside the tag, before its `>` (a truncated file); `end` is then the end of the text. */
  readonly cut: boolean;
  readonly attributes: readonly HtmlAttribute[];
}

export interface HtmlAttribute {
  /** Lower-case attribute name. */
  readonly name: string;
  /** The value as written, entities not decoded; null for a bare attribute. */
  readonly value: string | null;
}

// Elements whose content is raw text (HTML Living Standard §13.1.2): no tags inside.
const RAW_TEXT = new Set(['script', 'style', 'textarea', 'title', 'xmp', 'iframe', 'noembed', 'noframes']);
const NAME_START = /[A-Za-z]/;
const ATTRIBUTE = /\s*([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?/y;

/**
 * Walks the tags of an HTML or XHTML document in order, skipping comments,
 * CDATA sections, doctype and processing instructions, and the raw content of
 * script, style and similar elements, so a `<meta>` inside a script is not a tag.
 */
export function* scanTags(html: string): Generator<HtmlTag> {
  let i = html.indexOf('<');
  while (i !== -1 && i < html.length) {
    const next = html[i + 1];
    if (html.startsWith('<!--', i)) {
      i = skipPast(html, '-->', i + 4);
    } else if (html.startsWith('<![CDATA[', i)) {
      i = skipPast(html, ']]>', i + 9);
    } else if (next === '!' || next === '?') {
      i = skipPast(html, '>', i + 2);
    } else if (next === '/' && NAME_START.test(html[i + 2] ?? '')) {
      const close = html.indexOf('>', i);
      const end = close === -1 ? html.length : close + 1;
      const name = /^[^\s/>]+/.exec(html.slice(i + 2, Math.min(end, i + 66)))?.[0].toLowerCase() ?? '';
      yield { name, start: i, end, closing: true, selfClosing: false, cut: close === -1, attributes: [] };
      i = end;
    } else if (NAME_START.test(next ?? '')) {
      const tag = readStartTag(html, i);
      yield tag;
      i = tag.end;
      if (RAW_TEXT.has(tag.name) && !tag.selfClosing) {
        const closing = new RegExp(`</${tag.name}[\\s/>]`, 'gi');
        closing.lastIndex = i;
        const found = closing.exec(html);
        i = found ? found.index : html.length;
        continue;
      }
    } else {
      i++;
    }
    i = html.indexOf('<', i);
  }
}

function skipPast(html: string, marker: string, from: number): number {
  const at = html.indexOf(marker, from);
  return at === -1 ? html.length : at + marker.length;
}

function readStartTag(html: string, start: number): HtmlTag {
  let i = start + 1;
  while (i < html.length && !/[\s/>]/.test(html[i])) i++;
  const name = html.slice(start + 1, i).toLowerCase();
  const attributes: HtmlAttribute[] = [];
  for (;;) {
    while (i < html.length && /\s/.test(html[i])) i++;
    if (i >= html.length) return { name, start, end: html.length, closing: false, selfClosing: false, cut: true, attributes };
    if (html[i] === '>') return { name, start, end: i + 1, closing: false, selfClosing: false, cut: false, attributes };
    if (html.startsWith('/>', i)) return { name, start, end: i + 2, closing: false, selfClosing: true, cut: false, attributes };
    ATTRIBUTE.lastIndex = i;
    const match = ATTRIBUTE.exec(html);
    if (!match || match[0].length === 0) {
      i++;
      continue;
    }
    const unquoted = match[4];
    if (unquoted !== undefined && (unquoted[0] === '"' || unquoted[0] === "'")) {
      // Only a quote with no closing quote anywhere after it gets here: the file ends inside the value.
      attributes.push({ name: match[1].toLowerCase(), value: html.slice(i + match[0].length - unquoted.length + 1) });
      return { name, start, end: html.length, closing: false, selfClosing: false, cut: true, attributes };
    }
    attributes.push({ name: match[1].toLowerCase(), value: match[2] ?? match[3] ?? unquoted ?? null });
    i = ATTRIBUTE.lastIndex;
  }
}

/** Escapes text for a double-quoted attribute value or element content (the predefined XML entities only). */
export const escapeHtml = (text: string): string =>
  text.replace(/[&<>"]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&quot;'));
