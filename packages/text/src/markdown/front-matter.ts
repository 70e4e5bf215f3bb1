/** Where the YAML front matter sits in a Markdown text (offsets into the string). */
export interface FrontMatterSpan {
  /** Start of the opening `---` line. */
  readonly start: number;
  /** Start of the first YAML line. */
  readonly yamlStart: number;
  /** Start of the closing `---` (or `...`) line, which is where the YAML ends. */
  readonly yamlEnd: number;
  /** Just past the closing line and its line ending: where the body starts. */
  readonly end: number;
}

const OPENING = /^---[ \t]*\r?\n/;
const CLOSING = /^(?:---|\.\.\.)[ \t]*(?:\r?\n|$)/gm;

/**
 * Finds front matter: an opening `---` line at the very start (after a BOM) and
 * the next `---` or `...` line. Returns null when the text has none or the block
 * is never closed (then it is body text, as Jekyll and Hugo read it).
 */
export function findFrontMatter(text: string): FrontMatterSpan | null {
  const start = text.startsWith('\uFEFF') ? 1 : 0;
  const opening = OPENING.exec(text.slice(start, start + 8));
  if (!opening) return null;
  const yamlStart = start + opening[0].length;
  CLOSING.lastIndex = yamlStart;
  for (let m = CLOSING.exec(text); m !== null; m = CLOSING.exec(text)) {
    if (m.index === yamlStart || text[m.index - 1] === '\n') return { start, yamlStart, yamlEnd: m.index, end: m.index + m[0].length };
  }
  return null;
}

/**
 * Front matter that the end of the file cuts before its closing line (a partial upload, issue
 * 25), when it has a top-level AIGC key: its complete lines, for reading the label from what
 * arrived. Null otherwise (an unclosed block without a label is body text, as above).
 */
export function findCutFrontMatter(text: string): FrontMatterSpan | null {
  const start = text.startsWith('\uFEFF') ? 1 : 0;
  const opening = OPENING.exec(text.slice(start, start + 8));
  if (!opening || findFrontMatter(text) !== null) return null;
  const yamlStart = start + opening[0].length;
  const yamlEnd = text.lastIndexOf('\n') + 1;
  if (yamlEnd <= yamlStart || !/^AIGC[ \t]*:/im.test(text.slice(yamlStart, yamlEnd))) return null;
  return { start, yamlStart, yamlEnd, end: text.length };
}

/**
 * Larger than any real front matter (site metadata is kilobytes): the YAML parser's tree takes
 * about a hundred times the text, so this bounds its memory.
 */
export const maximumFrontMatterInCharacters = 512 * 1024;

/** Deeper than any real front matter (labels and site metadata nest two or three levels); deeper YAML is refused before it is parsed. */
export const maximumFrontMatterNesting = 64;

const OPENERS = new Set(['[', '{']);
const CLOSERS = new Set([']', '}']);
const BLOCK_SCALAR_HEADER = /(?:^|[\s:])[|>][-+1-9]{0,2}[ \t]*(?:#.*)?\r?$/;

/**
 * An upper estimate of how deeply the YAML nests (YAML 1.2 §6.1 block indentation, §7.4 flow
 * collections), in one pass without parsing: the open indentation levels, plus the `- ` and
 * `? ` entries that open a level on the same line, plus the open `[` and `{`. Quoted scalars,
 * comments and block scalars (`|`, `>`) are skipped so that brackets inside them do not count.
 * Stops as soon as the estimate passes `limit`.
 */
export function yamlNestingDepth(yaml: string, limit = maximumFrontMatterNesting): number {
  const indents: number[] = [];
  let flow = 0;
  let quote: '"' | "'" | null = null;
  let blockScalarIndent = -1;
  let deepest = 0;
  let lineStart = 0;
  while (lineStart < yaml.length) {
    const newline = yaml.indexOf('\n', lineStart);
    const lineEnd = newline === -1 ? yaml.length : newline;
    let i = lineStart;
    while (i < lineEnd && (yaml[i] === ' ' || yaml[i] === '\t')) i++;
    const indent = i - lineStart;
    const blank = i >= lineEnd || yaml[i] === '\r' || (yaml[i] === '#' && quote === null);
    if (blockScalarIndent >= 0 && (blank || indent > blockScalarIndent)) {
      lineStart = lineEnd + 1;
      continue;
    }
    blockScalarIndent = -1;
    if (blank) {
      lineStart = lineEnd + 1;
      continue;
    }
    // A block scalar (`key: |`, `- >-`): the more indented lines after it are text.
    const header = quote === null && flow === 0 && BLOCK_SCALAR_HEADER.test(yaml.slice(i, lineEnd));
    let depth = 0;
    if (quote === null && flow === 0) {
      while (indents.length > 0 && (indents[indents.length - 1] as number) > indent) indents.pop();
      if (indents.length === 0 || (indents[indents.length - 1] as number) < indent) indents.push(indent);
      // Compact nested entries on one line: `- - - x`, `? - x`.
      while ((yaml[i] === '-' || yaml[i] === '?') && (yaml[i + 1] === ' ' || yaml[i + 1] === '\t')) {
        depth++;
        i += 2;
        while (yaml[i] === ' ' || yaml[i] === '\t') i++;
      }
    }
    for (let previous = ' '; i < lineEnd; i++) {
      const c = yaml[i] as string;
      if (quote === '"') {
        if (c === '\\') i++;
        else if (c === '"') quote = null;
      } else if (quote === "'") {
        if (c === "'" && yaml[i + 1] === "'") i++;
        else if (c === "'") quote = null;
      } else if ((c === '"' || c === "'") && ' \t[{,:-?'.includes(previous)) quote = c;
      else if (c === '#' && (previous === ' ' || previous === '\t')) break;
      else if (OPENERS.has(c)) flow++;
      else if (CLOSERS.has(c)) flow = Math.max(0, flow - 1);
      deepest = Math.max(deepest, indents.length + depth + flow);
      if (deepest > limit) return deepest;
      previous = c;
    }
    deepest = Math.max(deepest, indents.length + depth + flow);
    if (deepest > limit) return deepest;
    if (header) blockScalarIndent = indent;
    lineStart = lineEnd + 1;
  }
  return deepest;
}
