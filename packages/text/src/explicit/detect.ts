import { checkWording, type WordingCheck } from '@aigc-label/core';
import {
  isAdvice,
  isLeadIn,
  isNameOnly,
  isNotice,
  type LabelLevel,
  mayFollowAct,
  mayPrecedeAct,
  mayStartAfterAct,
  parseStatement,
  type Statement,
} from './grammar.js';
import { characterTable, normaliseForDetection } from './normalise.js';

/** Where in the text a label sits (GB 45438 §5.1 c): start, end or a middle position). */
export type ExplicitLabelPosition = 'start' | 'middle' | 'end';

export interface ExplicitLabelMatch {
  /** UTF-16 code-unit offsets into the searched text, end exclusive; brackets around the statement included. */
  readonly start: number;
  readonly end: number;
  /** The label statement as it appears in the text (without its lead-in or advice clauses). */
  readonly text: string;
  /** The statement after normalisation (half-width, no spaces or zero-width characters, simplified). */
  readonly normalised: string;
  /** Where the label, with its lead-in and advice, sits in the whole text. */
  readonly position: ExplicitLabelPosition;
  readonly language: 'zh' | 'en';
  /** True when the wording has both the AI element and the generation element (GB 45438 §5.1 b)). */
  readonly compliant: boolean;
  /**
   * The Measures Art. 6 level the wording expresses: `confirmed` for a producer's prompt
   * (本内容由AI生成), `possible` for a 可能 prompt (Art. 6(2)), `suspected` for 疑似 (Art. 6(3)).
   */
  readonly level: LabelLevel;
}

// Character classes by UTF-16 code unit: clause breaks, sentence breaks, colons, brackets.
const CLAUSE = 1;
const SENTENCE = 2;
const COLON = 4;
const CLASSES = new Uint8Array(0x10000);
for (const c of '\n\r。！？!?.；;，,、：:【】「」『』〖〗[]()（）《》<>"“”‘’|｜·•—–～~…') CLASSES[c.charCodeAt(0)] |= CLAUSE;
for (const c of '\n\r。！？!?.') CLASSES[c.charCodeAt(0)] |= SENTENCE;
for (const c of '：:') CLASSES[c.charCodeAt(0)] |= COLON;
const DOT = 0x2e;
const NEWLINE = 0x0a;
/** Bracket pairs that make a label self-contained wherever it stands (the symbol form 【AI生成】). */
const LABEL_BRACKETS: Readonly<Record<string, string>> = { '【': '】', '〖': '〗' };
/** Bracket pairs around a label at the start or end of a sentence (图片来自网络（AI生成）). */
const EDGE_BRACKETS: Readonly<Record<string, string>> = { '[': ']', '(': ')', '（': '）', '「': '」', '『': '』' };
const isLabelBracket = (open: string, close: string) => LABEL_BRACKETS[open] === close;
const isEdgeBracket = (open: string, close: string) => EDGE_BRACKETS[open] === close || isLabelBracket(open, close);

/** A statement clause is short (English ones, with their spaces, the longest); a longer run without punctuation is prose. */
const maximumClauseLength = 200;
const maximumSentenceLength = 240;
/** Lead-in and advice sentences next to a label (声明：⏎本文由AI生成。请仔细甄别。), looked at up to this far. */
const maximumExtension = 120;
/**
 * The detector looks at most this many characters before a statement: its sentence, then the
 * lead-ins and notices before it or the start of its line. A window of text cut at its start
 * gives the same result for every label that starts at least this far into it (the stream
 * relies on this).
 */
export const LOOK_BEHIND_LIMIT = maximumSentenceLength + Math.max(maximumExtension, maximumSentenceLength);

const isBreak = (kind: number, text: string, at: number): boolean => {
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
const isWordChar = (text: string, at: number) => isWordCode(text.charCodeAt(at));
/** Symbols vendors draw beside a mark (★ 即梦AI, 🤖): not ASCII list or heading markers. */
const isMarkSymbol = (code: number) => (code >= 0x2190 && code <= 0x2bff) || (code >= 0xd800 && code <= 0xdbff);
const MARKDOWN_BLOCK_MARKER = /^[ \t]{0,3}(?:#{1,6}[ \t]|[-*+][ \t]|\d{1,3}[.)][ \t])/;
const ADMONITION_HEADER = /^[>\s]*(?:\[![^\]]*\]|:::|!!!)/;
const MARKDOWN_HEADING = /^[ \t]{0,3}#{1,6}[ \t]/;
/** Quotation marks: a statement inside them is quoted, unless the quote is all its sentence holds. */
const QUOTE_OPENERS = new Set(['“', '「', '『', '‘']);
const QUOTE_CLOSERS = new Set(['”', '」', '』', '’']);

type ClauseKind = 'empty' | 'statement' | 'lead' | 'advice' | 'name' | 'prose';

interface Clause {
  /** Raw span between the breaks. */
  readonly start: number;
  readonly end: number;
  /** Span without decoration (first to last letter or digit). */
  readonly wordStart: number;
  readonly wordEnd: number;
  readonly normalised: string;
  readonly kind: ClauseKind;
  readonly statement: Statement | null;
}

interface Span {
  readonly start: number;
  readonly end: number;
}

/** How far a label reaches past its sentence, and whether what it took in was lead-ins and advice. */
interface Extension {
  readonly edge: number;
  readonly advised: boolean;
}

interface Unit {
  /** The whole label: lead-ins, statements, advice. */
  readonly start: number;
  readonly end: number;
  /** The statements (and names) only. */
  readonly textStart: number;
  readonly textEnd: number;
  readonly statements: readonly Clause[];
}

/**
 * Finds explicit text labels (GB 45438 §5.1) anywhere in `text`, by their structure: a
 * statement (subject, verb, agent, act: 本文由AI生成; bare: AI生成; bracketed: 【AI生成】)
 * in a sentence that holds nothing else but short lead-ins ending in a colon (声明：) and
 * advice clauses (仅供参考). News, how-tos, questions, negations and quotes that mention AI
 * generation are prose around or inside the statement, so they are not labels.
 */
export function findExplicitLabels(text: string): ExplicitLabelMatch[] {
  return new LabelScan(text).run();
}

class LabelScan {
  readonly #text: string;
  readonly #matches: ExplicitLabelMatch[] = [];
  /** Anchors before this offset sit in a sentence too long to be a label's. */
  #longSentenceEnd = -1;
  #firstWord = -2;
  #lastWord = -2;

  constructor(text: string) {
    this.#text = text;
  }

  run(): ExplicitLabelMatch[] {
    const text = this.#text;
    const anchors = new AnchorScanner(text);
    let resume = 0;
    for (let anchor = anchors.next(0); anchor !== -1; anchor = anchors.next(resume)) {
      resume = anchor + 1;
      const bounds = clauseAround(text, anchor);
      if (bounds === null) continue;
      resume = Math.max(resume, bounds.end);
      const clause = this.#clause(bounds.start, bounds.end, false);
      if (clause.kind !== 'statement') continue;
      if (anchor < this.#longSentenceEnd) {
        this.#bracketed(clause, LABEL_BRACKETS);
        continue;
      }
      const sentence = sentenceAround(text, bounds.start, bounds.end);
      if (sentence === null) {
        this.#longSentenceEnd = sentenceEndFrom(text, bounds.end);
        this.#bracketed(clause, LABEL_BRACKETS);
        continue;
      }
      this.#sentence(sentence.start, sentence.end);
      resume = Math.max(resume, sentence.end);
    }
    return this.#matches;
  }

  /** Classifies the clause between two breaks; with `full` false, only as a statement or not. */
  #clause(start: number, end: number, full = true): Clause {
    const text = this.#text;
    let wordStart = start;
    let wordEnd = end;
    while (wordStart < wordEnd && !isWordChar(text, wordStart)) wordStart++;
    while (wordEnd > wordStart && !isWordChar(text, wordEnd - 1)) wordEnd--;
    if (wordStart === wordEnd) return { start, end, wordStart, wordEnd, normalised: '', kind: 'empty', statement: null };
    const raw = text.slice(wordStart, wordEnd);
    const opener = text[start - 1] ?? '';
    const closer = text[end] ?? '';
    const inTitle = opener === '《' && closer === '》';
    const statement = inTitle || end - start > maximumClauseLength ? null : parseStatement(raw);
    if (!full && !statement) return { start, end, wordStart, wordEnd, normalised: '', kind: 'prose', statement };
    const normalised = normaliseForDetection(raw);
    let kind: ClauseKind = 'prose';
    if (statement) kind = 'statement';
    else if (isNameOnly(normalised)) kind = 'name';
    else if (isBreak(COLON, text, end)) kind = isLeadIn(normalised) ? 'lead' : 'prose';
    else if (isLabelBracket(opener, closer) || (opener === '[' && closer === ']')) kind = isLeadIn(normalised) ? 'lead' : 'prose';
    else if (isAdvice(normalised)) kind = 'advice';
    return { start, end, wordStart, wordEnd, normalised, kind, statement };
  }

  #clauses(start: number, end: number): Clause[] {
    const clauses: Clause[] = [];
    let from = start;
    for (let i = start; i <= end; i++) {
      if (i === end || isBreak(CLAUSE, this.#text, i)) {
        clauses.push(this.#clause(from, i));
        from = i + 1;
      }
    }
    return clauses;
  }

  /** Finds the label units of one sentence: the sentence as a whole, or bracketed statements inside prose. */
  #sentence(start: number, end: number): void {
    const text = this.#text;
    const clauses = this.#clauses(start, end);
    const question = end < text.length && (text[end] === '？' || text[end] === '?');
    const unit = question ? null : (this.#wholeSentence(clauses, end) ?? this.#selfReferential(clauses));
    if (unit) {
      this.#emit(unit);
      return;
    }
    const words = clauses.filter((c) => c.kind !== 'empty');
    for (const clause of words) {
      if (clause.kind !== 'statement') continue;
      const atEdge = clause === words[0] || clause === words[words.length - 1];
      this.#bracketed(clause, atEdge ? { ...EDGE_BRACKETS, ...LABEL_BRACKETS } : LABEL_BRACKETS);
    }
  }

  /**
   * A statement that names the text itself (本文由AI生成, 以上内容由AI生成, This content was generated
   * by AI) is a label even when a remark follows or a field precedes it in its sentence, unless it is
   * quoted (他写道：“本文由AI生成”). The whole sentence is the label's for its position.
   */
  #selfReferential(clauses: readonly Clause[]): Unit | null {
    const text = this.#text;
    let quoteDepth = 0;
    let instructed = false;
    let statement: Clause | null = null;
    for (const clause of clauses) {
      const opener = text[clause.start - 1] ?? '';
      if (QUOTE_OPENERS.has(opener)) quoteDepth++;
      else if (QUOTE_CLOSERS.has(opener)) quoteDepth = Math.max(0, quoteDepth - 1);
      else if (opener === '"') quoteDepth = quoteDepth > 0 ? quoteDepth - 1 : 1;
      if (!instructed && quoteDepth === 0 && clause.statement?.selfReferential && clause.statement.strength === 'declared') {
        statement = clause;
        break;
      }
      // After reported speech or an instruction and its colon (他写道：, 末尾加上：) comes what is said, as in quotes.
      if (clause.kind === 'prose' && isBreak(COLON, text, clause.end)) instructed = true;
    }
    if (statement === null) return null;
    const words = clauses.filter((c) => c.kind !== 'empty');
    const start = this.#extendBackward(words[0]?.wordStart ?? statement.wordStart).edge;
    const end = this.#extendForward(words[words.length - 1]?.wordEnd ?? statement.wordEnd).edge;
    const [textStart, textEnd] = this.#widenToBrackets(statement, statement);
    return { start, end, textStart, textEnd, statements: [statement] };
  }

  /** A statement directly in brackets of the given kinds is a label on its own (【AI生成】床前明月光). */
  #bracketed(clause: Clause, pairs: Readonly<Record<string, string>>): void {
    const opener = this.#text[clause.start - 1] ?? '';
    if (pairs[opener] === undefined || pairs[opener] !== this.#text[clause.end]) return;
    const start = clause.start - 1;
    const end = clause.end + 1;
    this.#emit({ start, end, textStart: start, textEnd: end, statements: [clause] });
  }

  /**
   * The sentence is a label when every clause is a statement, a lead-in, an advice clause or
   * decoration, and at least one is a statement; a statement ending in a colon may introduce
   * content (以下内容由AI生成：…).
   */
  #wholeSentence(clauses: readonly Clause[], sentenceEnd: number): Unit | null {
    const text = this.#text;
    const statements: Clause[] = [];
    let last: Clause | null = null;
    let first: Clause | null = null;
    let textFirst: Clause | null = null;
    let textLast: Clause | null = null;
    let supported = false;
    for (const clause of clauses) {
      if (clause.kind === 'empty') continue;
      if (clause.kind === 'prose') return null;
      first ??= clause;
      last = clause;
      if (clause.kind === 'lead' || clause.kind === 'advice') supported = true;
      if (clause.kind === 'name' || clause.kind === 'statement') {
        textFirst ??= clause;
        textLast = clause;
      }
      if (clause.kind !== 'statement' || clause.statement === null) continue;
      statements.push(clause);
      if (clause.statement.strength === 'declared') supported = true;
      if (isBreak(COLON, text, clause.end) && clause.end !== sentenceEnd && hasWordBetween(text, clause.end + 1, sentenceEnd)) {
        // 以下内容由AI生成：正文…  The content after the colon is not part of the label.
        if (clause.statement.strength !== 'declared') return null;
        break;
      }
    }
    if (statements.length === 0 || first === null || last === null || textFirst === null || textLast === null) return null;
    const names = textFirst.kind === 'name' || textLast.kind === 'name';
    const before = this.#extendBackward(first.wordStart);
    const after = this.#extendForward(last.wordEnd);
    // Lead-ins and advice in sentences around support a bare statement (标识：⏎AI生成), not a mark:
    // a list under a heading (推荐工具：⏎- 即梦AI) names services.
    const marks = statements.some((s) => s.statement?.strength === 'mark');
    supported ||= !marks && (before.advised || after.advised);
    const start = before.edge;
    const end = after.edge;
    if (!supported && !this.#standsOut(statements, { start: first.wordStart, end: last.wordEnd }, { start, end }, names)) return null;
    const [textStart, textEnd] = this.#widenToBrackets(textFirst, textLast);
    return { start, end, textStart, textEnd, statements };
  }

  /**
   * What a bare statement or a mark needs when no lead-in or advice supports it: brackets, or a
   * line of its own (notices taken in around it aside); a mark also a version, a name or a symbol.
   */
  #standsOut(statements: readonly Clause[], sentence: Span, unit: Span, names: boolean): boolean {
    const text = this.#text;
    const only = statements.length === 1 ? statements[0] : null;
    if (only !== null && isEdgeBracket(text[only.start - 1] ?? '', text[only.end] ?? '')) return true;
    const { start, end } = sentence;
    const line = lineAround(text, start, end, unit);
    if (line === null || MARKDOWN_BLOCK_MARKER.test(text.slice(line.start, start))) return false;
    // A bare statement stands out on its own line, or as a whole sentence (…by Friday. Generated by AI.).
    const wholeSentence = isBreak(SENTENCE, text, end) && text.charCodeAt(end) !== NEWLINE && text.charCodeAt(end) !== 0x0d;
    if (!line.alone) return wholeSentence && statements.every((s) => s.statement?.strength === 'bare');
    return statements.every((s) => {
      switch (s.statement?.strength) {
        case 'bare':
          return true;
        case 'mark':
          return names || s.statement.versioned || hasMarkSymbol(text, line.start, start);
        default:
          return false;
      }
    });
  }

  #widenToBrackets(first: Clause, last: Clause): [number, number] {
    const text = this.#text;
    let start = first.wordStart;
    let end = last.wordEnd;
    if (isEdgeBracket(text[first.start - 1] ?? '', text[first.end] ?? '')) start = first.start - 1;
    if (isEdgeBracket(text[last.start - 1] ?? '', text[last.end] ?? '')) end = last.end + 1;
    return [start, end];
  }

  /**
   * Takes in the lead-in, advice and notice sentences right before the label, a heading that
   * announces it (## 作者声明) and an admonition header (> [!note] 提示), across one blank line.
   */
  #extendBackward(from: number): Extension {
    const text = this.#text;
    let start = from;
    let advised = false;
    for (;;) {
      const { previous, newlines } = previousWord(text, start);
      if (previous === -1) break;
      const headerStart = newlines > 0 ? lineStartWithin(text, previous, maximumExtension - (from - previous)) : -1;
      if (headerStart !== -1) {
        const header = text.slice(headerStart, previous + 1);
        if (ADMONITION_HEADER.test(header) || (MARKDOWN_HEADING.test(header) && isNotice(normaliseForDetection(header)))) {
          start = firstWordIn(text, headerStart, previous + 1);
          continue;
        }
      }
      if (newlines > 1) break;
      const sentence = sentenceAround(text, previous, previous + 1);
      if (!sentence || from - sentence.start > maximumExtension) break;
      const beside = this.#besideLabel(sentence.start, sentence.end);
      if (!beside) break;
      advised ||= beside === 'advice';
      start = firstWordIn(text, sentence.start, sentence.end);
    }
    return { edge: start, advised };
  }

  /** Takes in the advice, notice and label sentences right after the label (本文由AI生成。请仔细甄别。). */
  #extendForward(from: number): Extension {
    const text = this.#text;
    let end = from;
    let advised = false;
    for (;;) {
      const next = nextWordAfterGap(text, end);
      if (next === -1) break;
      const sentence = sentenceAround(text, next, next + 1);
      if (!sentence || sentence.end - from > maximumExtension) break;
      const beside = this.#besideLabel(sentence.start, sentence.end);
      if (!beside) break;
      advised ||= beside === 'advice';
      end = lastWordIn(text, sentence.start, sentence.end) + 1;
    }
    return { edge: end, advised };
  }

  /**
   * Whether a sentence belongs with a label next to it: `advice` when it holds lead-ins and advice
   * (which also support a bare label), `notice` for a label of its own or a short notice
   * (数据来源以原文为准), which only keep the label's position; null otherwise.
   */
  #besideLabel(start: number, end: number): 'advice' | 'notice' | null {
    const clauses = this.#clauses(start, end);
    if (clauses.every((c) => c.kind === 'empty')) return null;
    if (clauses.every((c) => c.kind === 'empty' || c.kind === 'lead' || c.kind === 'advice')) return 'advice';
    return clauses.every((c) => c.kind !== 'prose') || isNotice(normaliseForDetection(this.#text.slice(start, end))) ? 'notice' : null;
  }

  #emit(unit: Unit): void {
    const text = this.#text;
    const first = unit.statements[0]?.statement;
    if (!first) return;
    const normalised = unit.statements.map((s) => s.normalised).join('');
    const language = unit.statements.some((s) => s.statement?.language === 'zh') ? 'zh' : 'en';
    this.#matches.push({
      start: unit.textStart,
      end: unit.textEnd,
      text: text.slice(unit.textStart, unit.textEnd),
      normalised,
      position: this.#position(unit.start, unit.end),
      language,
      compliant: labelWording(normalised).ok,
      level: first.level,
    });
  }

  #position(start: number, end: number): ExplicitLabelPosition {
    const text = this.#text;
    if (this.#firstWord === -2) {
      this.#firstWord = firstWordIn(text, 0, text.length);
      this.#lastWord = lastWordIn(text, 0, text.length);
    }
    if (this.#firstWord >= start) return 'start';
    return this.#lastWord < end ? 'end' : 'middle';
  }
}

/** The wording check (core `checkWording`) on a found label; "ai" in lower case is still the AI element. */
export const labelWording = (normalised: string): WordingCheck => checkWording(normalised.replace(/(?<![A-Za-z])ai(?![a-z])/gi, 'AI'));

const firstWordIn = (text: string, from: number, to: number): number => {
  for (let i = from; i < to; i++) if (isWordChar(text, i)) return i;
  return to;
};
const lastWordIn = (text: string, from: number, to: number): number => {
  for (let i = to - 1; i >= from; i--) if (isWordChar(text, i)) return i;
  return from - 1;
};
const hasWordBetween = (text: string, from: number, to: number) => lastWordIn(text, from, to) >= from;
function hasMarkSymbol(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (isMarkSymbol(text.charCodeAt(i))) return true;
  return false;
}

/** The last letter or digit before `at` within reach and across one blank line at most (-1 if none), and the line breaks between. */
function previousWord(text: string, at: number): { previous: number; newlines: number } {
  let newlines = 0;
  for (let i = at - 1; i >= 0 && at - i <= maximumExtension; i--) {
    if (isWordChar(text, i)) return { previous: i, newlines };
    if (text.charCodeAt(i) === NEWLINE && ++newlines > 2) break;
  }
  return { previous: -1, newlines };
}

/** The start of the line holding `at`, if it lies within `limit` characters before it; -1 otherwise. */
function lineStartWithin(text: string, at: number, limit: number): number {
  for (let i = at; i > 0 && at - i < limit; i--) if (text.charCodeAt(i - 1) === NEWLINE) return i;
  return at < limit ? 0 : -1;
}
function nextWordAfterGap(text: string, at: number): number {
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
function lineAround(text: string, start: number, end: number, unit: Span): { start: number; alone: boolean } | null {
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

function clauseAround(text: string, at: number): { start: number; end: number } | null {
  let start = at;
  while (start > 0 && !isBreak(CLAUSE, text, start - 1)) {
    if (at - start > maximumClauseLength) return null;
    start--;
  }
  let end = at;
  while (end < text.length && !isBreak(CLAUSE, text, end)) {
    if (end - at > maximumClauseLength) return null;
    end++;
  }
  return end - start > maximumClauseLength ? null : { start, end };
}

/** The sentence holding [from, to); null when it is longer than a label's sentence can be. */
function sentenceAround(text: string, from: number, to: number): { start: number; end: number } | null {
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

function sentenceEndFrom(text: string, from: number): number {
  let end = from;
  while (end < text.length && !isBreak(SENTENCE, text, end)) end++;
  return end;
}

// Characters after "AI" or 人工智能 that may continue a label: the first characters of the acts other
// than 生成/合成 and of manners and agent suffixes (AI创作, AI辅助写作, AI工具制作), digits (可灵AI 3.0).
const AFTER_AGENT = characterTable([
  ...'创制绘写撰编改润翻配作设剪续扩总整起完输产朗演谱渲重仿辅协智自帮参全深一批大模技工助算系-/·G0123456789',
]);
const SHENG = '生'.charCodeAt(0);
const HE = '合'.charCodeAt(0);
const NENG = '能'.charCodeAt(0);
const HUI = '慧'.charCodeAt(0);
/** Spaces and zero-width characters a label may be split with (A I 生 成, 生\u200B成). */
const isSplitter = (code: number) =>
  code === 0x20 ||
  code === 0x09 ||
  code === 0xa0 ||
  code === 0x3000 ||
  (code >= 0x200b && code <= 0x200d) ||
  code === 0x2060 ||
  code === 0xfeff ||
  code === 0xad;
const maximumSplitters = 4;

/**
 * Finds the places a label statement can hold: the generation act (成 after 生 or 合, spaces
 * and zero-width characters allowed between; English "generat"), and "AI" or 人工智能 where
 * another act, a version or the end of a clause follows (AI创作, 即梦AI, Made with AI).
 * `indexOf` finds these far faster than a regular expression with alternatives; each search
 * position is kept until passed, so the whole scan stays linear.
 */
class AnchorScanner {
  readonly #text: string;
  readonly #streams: { at: number; find: (from: number) => number }[];

  constructor(text: string) {
    this.#text = text;
    this.#streams = [
      this.#stream('成', (at) => generationActAt(text, at)),
      // English statements say "generated" ("Generated by AI", "AI-generated"); "generate(" is code.
      this.#stream('enerated', (at) => text[at - 1] === 'G' || text[at - 1] === 'g'),
      this.#stream('GENERATED', () => true),
      this.#stream('AI', (at) => this.#agentMayContinue(at + 2, at)),
      this.#stream(
        '人工智',
        (at) => (text.charCodeAt(at + 3) === NENG || text.charCodeAt(at + 3) === HUI) && this.#agentMayContinue(at + 4, at),
      ),
    ];
  }

  #stream(needle: string, accept: (at: number) => boolean) {
    const text = this.#text;
    return {
      at: -2,
      find(from: number): number {
        let at = text.indexOf(needle, from);
        while (at !== -1 && !accept(at)) at = text.indexOf(needle, at + 1);
        return at;
      },
    };
  }

  #agentMayContinue(after: number, agentStart: number): boolean {
    const text = this.#text;
    let i = after;
    while (i < text.length && i - after < 2 && isSplitter(text.charCodeAt(i))) i++;
    if (i >= text.length || isBreak(CLAUSE, text, i) || AFTER_AGENT[text.charCodeAt(i)] === 1) return true;
    // "with AI tools", "hailuo AI": an English word before AI.
    const previous = text.charCodeAt(agentStart - (text.charCodeAt(agentStart - 1) === 0x20 ? 2 : 1));
    return previous >= 0x61 && previous <= 0x7a;
  }

  next(from: number): number {
    let next = -1;
    for (const stream of this.#streams) {
      if (stream.at !== -1 && stream.at < from) stream.at = stream.find(from);
      if (stream.at !== -1 && (next === -1 || stream.at < next)) next = stream.at;
    }
    return next;
  }
}

/**
 * 成 ends 生成 or 合成 (spaces and zero-width characters allowed between) where a statement can
 * hold it: after an agent or a manner (AI生成, 辅助生成), before what may complete a statement
 * (内容, 仅供参考, the end of the clause). A cheap test that spares most prose a closer look.
 */
function generationActAt(text: string, cheng: number): boolean {
  const act = skipSplittersBack(text, cheng - 1);
  const actCode = text.charCodeAt(act);
  if (actCode !== SHENG && actCode !== HE) return false;
  const before = skipSplittersBack(text, act - 1);
  if (before < 0 || !mayPrecedeAct(text.charCodeAt(before))) return false;
  let next = cheng + 1;
  while (next < text.length && isSplitter(text.charCodeAt(next))) next++;
  if (next < text.length && !isBreak(CLAUSE, text, next) && isWordChar(text, next) && !mayStartAfterAct(text.charCodeAt(next)))
    return false;
  let end = cheng + 1;
  while (end < text.length && !isBreak(CLAUSE, text, end)) {
    // Too long to look at cheaply: the full parse decides.
    if (end - cheng > maximumFollowerLength) return true;
    end++;
  }
  // Decoration at the end of the clause is not part of the statement (※ 本回答由人工智能生成 ※).
  while (end > cheng + 1 && !isWordChar(text, end - 1)) end--;
  return mayFollowAct(text.slice(cheng + 1, end));
}
const maximumFollowerLength = 24;

function skipSplittersBack(text: string, from: number): number {
  let i = from;
  while (i >= 0 && from - i < maximumSplitters && isSplitter(text.charCodeAt(i))) i--;
  return i;
}
