/**
 * Where the text mark may go, decided one character at a time so that it works on a stream.
 * A cluster is only ever placed where a reader sees nothing and a parser finds nothing:
 * between clause punctuation and the whitespace after it (`end.|␠`), right after CJK
 * punctuation (`。|`), or, when punctuation is scarce, between a space and a letter (`␠|word`).
 * Never inside a URL or e-mail address, and per flavour never in Markdown front matter, code
 * spans and blocks, headings, link destinations, HTML tags, comments or list markers, nor in HTML tags,
 * attribute values, comments or script, style, pre, code, textarea and title elements.
 */

export type WatermarkFlavour = 'plain' | 'markdown' | 'html';

const ASCII_CLAUSE_PUNCTUATION = new Set(['.', ',', ';', ':', '!', '?']);
/** CJK clause punctuation and closing brackets (full-width and ideographic). */
const CJK_PUNCTUATION = new Set(['。', '，', '、', '；', '：', '！', '？', '」', '』', '）', '》', '〉', '】']);
const RAW_HTML_ELEMENTS = new Set(['script', 'style', 'pre', 'code', 'textarea', 'title', 'xmp', 'plaintext', 'math', 'svg']);

const isWhitespace = (ch: string): boolean => ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r';
const isAlphanumeric = (ch: string): boolean => /^[\p{L}\p{N}]$/u.test(ch);

/** What kind of place lies just before the character about to be written. */
export type InsertionPoint = 'punctuation' | 'space' | null;

export class InsertionContext {
  private previous = '';
  private beforePrevious = '';
  private previousEligible = false; // the previous character is clause punctuation in open text
  private line = ''; // the current line so far (bounded)
  private lineIndex = 0;
  private tokenLength = 0; // characters of the current whitespace-delimited token
  private linkish = false;
  // Markdown
  private frontMatter = false;
  private fence = '';
  private codeSpan = 0; // length of the backtick run that opened the code span, or 0
  private backticks = 0;
  private linkDestination = false;
  // Markdown and HTML
  private tag = false;
  private tagQuote = '';
  private tagName = '';
  private tagNameDone = false;
  private comment = false;
  private rawElement = ''; // HTML element whose content is left alone

  constructor(private readonly flavour: WatermarkFlavour) {}

  /** Whether a cluster may go right before `next`, and which kind of place that is. */
  pointBefore(next: string): InsertionPoint {
    if (this.previousEligible && isWhitespace(next)) return 'punctuation';
    if (this.previous === ' ' && isAlphanumeric(next) && this.open() && !this.lineIsIndent() && this.beforePrevious !== ' ') return 'space';
    return null;
  }

  /** Whether a cluster may go right after `current` (CJK punctuation needs no following space). */
  pointAfter(current: string): boolean {
    return CJK_PUNCTUATION.has(current) && this.open();
  }

  /** Advances past one character. */
  advance(ch: string): void {
    if (this.flavour === 'markdown') this.markdown(ch);
    if (this.flavour !== 'plain') this.markup(ch);
    if (isWhitespace(ch)) {
      this.tokenLength = 0;
      this.linkish = false;
    } else {
      this.tokenLength++;
      if (ch === '@' || (ch === '/' && this.previous === '/' && this.beforePrevious === ':')) this.linkish = true;
      if (ch === '.' && this.tokenLength === 4 && this.line.slice(-3).toLowerCase() === 'www') this.linkish = true;
    }
    this.previousEligible =
      ASCII_CLAUSE_PUNCTUATION.has(ch) && this.open() && !this.listMarker(ch) && !(ch === ':' && this.previous === '-');
    if (ch === '\n') {
      this.line = '';
      this.lineIndex++;
    } else if (this.line.length < 64) {
      this.line += ch;
    }
    this.beforePrevious = this.previous;
    this.previous = ch;
  }

  /** Outside every construct a mark must stay out of. */
  private open(): boolean {
    if (this.linkish) return false;
    if (this.flavour === 'plain') return true;
    if (this.tag || this.comment || this.rawElement) return false;
    if (this.flavour === 'html') return true;
    if (this.frontMatter || this.fence || this.codeSpan || this.backticks || this.linkDestination) return false;
    const start = this.line.trimStart();
    // indented code, link reference definitions, and headings (renderers derive anchor ids from their text)
    if (this.lineIsIndent() || start.startsWith('[') || start.startsWith('#')) return false;
    return true;
  }

  private lineIsIndent(): boolean {
    return this.line.startsWith('    ') || this.line.startsWith('\t');
  }

  /** `1.` or `1)` opening a Markdown (or plain) ordered list item. */
  private listMarker(ch: string): boolean {
    return (ch === '.' || ch === ')') && /^\s*\d{1,9}$/.test(this.line);
  }

  private markdown(ch: string): void {
    // Front matter: a first line of `---` opens it, a later `---` or `...` line closes it.
    if (ch === '\n') {
      const line = this.line.trimEnd();
      if (this.lineIndex === 0 && line === '---') this.frontMatter = true;
      else if (this.frontMatter && (line === '---' || line === '...')) this.frontMatter = false;
      const fence = /^ {0,3}(`{3,}|~{3,})/.exec(line)?.[1];
      if (!this.frontMatter && fence) {
        if (!this.fence) this.fence = fence;
        else if (fence[0] === this.fence[0] && fence.length >= this.fence.length && line.trim() === fence) this.fence = '';
        this.codeSpan = 0; // the fence's own backticks opened no code span
        this.backticks = 0;
      }
      if (line.trim() === '') this.codeSpan = 0; // a code span never crosses a blank line
      this.linkDestination = false;
    }
    if (this.frontMatter || this.fence) return;
    if (ch === '`') {
      this.backticks++;
      return;
    }
    if (this.backticks > 0) {
      if (this.codeSpan === 0) this.codeSpan = this.backticks;
      else if (this.codeSpan === this.backticks) this.codeSpan = 0;
      this.backticks = 0;
    }
    if (this.codeSpan) return;
    if (ch === '(' && this.previous === ']') this.linkDestination = true;
    else if (ch === ')' && this.linkDestination) this.linkDestination = false;
  }

  private markup(ch: string): void {
    if (this.flavour === 'markdown' && (this.frontMatter || this.fence || this.codeSpan)) return;
    if (this.comment) {
      if (ch === '>' && this.previous === '-' && this.beforePrevious === '-') this.comment = false;
      return;
    }
    if (this.tag) {
      if (this.tagQuote) {
        if (ch === this.tagQuote) this.tagQuote = '';
      } else if (ch === '"' || ch === "'") {
        this.tagQuote = ch;
      } else if (ch === '>') {
        this.tag = false;
        this.closeTag();
      } else if (!this.tagNameDone) {
        if (/[A-Za-z0-9/!-]/.test(ch)) {
          this.tagName += ch.toLowerCase();
          if (this.tagName === '!--') {
            this.tag = false;
            this.comment = true;
          }
        } else {
          this.tagNameDone = true;
        }
      }
      return;
    }
    if (this.previous === '<' && /[A-Za-z/!?]/.test(ch)) {
      this.tag = true;
      this.tagQuote = '';
      this.tagName = ch.toLowerCase();
      this.tagNameDone = false;
    }
  }

  /** A tag ended: enter or leave an element whose content is left alone (HTML only). */
  private closeTag(): void {
    if (this.flavour !== 'html') return;
    const name = this.tagName;
    if (this.rawElement) {
      if (name === `/${this.rawElement}`) this.rawElement = '';
    } else if (RAW_HTML_ELEMENTS.has(name)) {
      this.rawElement = name;
    }
  }
}
