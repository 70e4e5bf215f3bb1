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
