import { checkWording, type WordingCheck } from '@aigc-label/core';
import { AnchorScanner } from './anchors.js';
import { isAdvice, isAttribution, isLeadIn, isNameOnly, isNotice, type LabelLevel, parseStatement, type Statement } from './grammar.js';
import { Memo } from './memo.js';
import { normaliseForDetection } from './normalise.js';
import {
  CLAUSE,
  COLON,
  clauseAround,
  firstWordIn,
  hasWordBetween,
  isBreak,
  isWordChar,
  lastWordIn,
  lineAround,
  lineStartWithin,
  maximumClauseLength,
  maximumExtension,
  maximumSentenceLength,
  NEWLINE,
  nextWordAfterGap,
  previousWord,
  SENTENCE,
  sentenceAround,
  sentenceEndFrom,
} from './text-scan.js';

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

/** Bracket pairs that make a label self-contained wherever it stands (the symbol form 【AI生成】). */
const LABEL_BRACKETS: Readonly<Record<string, string>> = { '【': '】', '〖': '〗' };
/** Bracket pairs around a label at the start or end of a sentence (图片来自网络（AI生成）). */
const EDGE_BRACKETS: Readonly<Record<string, string>> = { '[': ']', '(': ')', '（': '）', '「': '」', '『': '』' };
const isLabelBracket = (open: string, close: string) => LABEL_BRACKETS[open] === close;
const isEdgeBracket = (open: string, close: string) => EDGE_BRACKETS[open] === close || isLabelBracket(open, close);

/**
 * The detector looks at most this many characters before a statement: its sentence, then the
 * lead-ins and notices before it or the start of its line. A window of text cut at its start
 * gives the same result for every label that starts at least this far into it (the stream
 * relies on this).
 */
export const LOOK_BEHIND_LIMIT = maximumSentenceLength + Math.max(maximumExtension, maximumSentenceLength);

/** Symbols vendors draw beside a mark (★ 即梦AI, 🤖): not ASCII list or heading markers. */
const isMarkSymbol = (code: number) => (code >= 0x2190 && code <= 0x2bff) || (code >= 0xd800 && code <= 0xdbff);
const MARKDOWN_BLOCK_MARKER = /^[ \t]{0,3}(?:#{1,6}[ \t]|[-*+][ \t]|\d{1,3}[.)][ \t])/;
const ADMONITION_HEADER = /^[>\s]*(?:\[![^\]]*\]|:::|!!!)/;
const MARKDOWN_HEADING = /^[ \t]{0,3}#{1,6}[ \t]/;
/** Quotation marks: a statement about the text itself inside them is quoted (他写道：“本文由AI生成”). */
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

/** A sentence an extension took in: where the label then reaches, the sentence's far side (for the reach check), whether it advised. */
interface WalkStep {
  readonly edge: number;
  readonly reach: number;
  readonly advice: boolean;
}

/** An extension's walk from `from`, the sentences it took in, in order. */
interface Walk {
  readonly from: number;
  readonly steps: readonly WalkStep[];
}

/** The steps of a walk after it reached `at`; none when it never did. */
function stepsAfter(walk: Walk | null, at: number): readonly WalkStep[] {
  if (walk === null) return [];
  if (walk.from === at) return walk.steps;
  const reached = walk.steps.findIndex((step) => step.edge === at);
  return reached === -1 ? [] : walk.steps.slice(reached + 1);
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
 * Finds explicit text labels (GB 45438 §5.1) anywhere in `text`, by their structure (grammar.ts):
 * a statement (subject, verb, agent, act: 本文由AI生成; bare: AI生成; bracketed: 【AI生成】) in a
 * sentence that holds nothing else but short lead-ins ending in a colon (声明：) and advice
 * clauses (仅供参考); a statement about the text itself (本文…, This content…) also with a
 * remark beside it. News, how-tos, questions, negations and quotes that mention AI generation
 * are prose around or inside the statement, so they are not labels. Linear in the text.
 */
export function findExplicitLabels(text: string): ExplicitLabelMatch[] {
  return scanExplicitLabels(text).matches;
}

/** How many labels a scan keeps at each end of a text: the first and the last say where labels are; a million more say nothing. */
export const LISTED_LABELS_AT_EACH_END = 32;

/**
 * Every explicit label in `text`, counted, with the first and last LISTED_LABELS_AT_EACH_END
 * kept in order: memory stays bounded however many a hostile text repeats.
 */
export function scanExplicitLabels(text: string): { matches: ExplicitLabelMatch[]; total: number } {
  return new LabelScan(text).run();
}

class LabelScan {
  readonly #text: string;
  readonly #head: ExplicitLabelMatch[] = [];
  /** The last ones, as a ring once it is full. */
  readonly #tail: ExplicitLabelMatch[] = [];
  #total = 0;
  /** Anchors before this offset sit in a sentence too long to be a label's. */
  #longSentenceEnd = -1;
  #firstWord = -2;
  #lastWord = -2;
  readonly #parsed = new Memo<Statement | null>();
  readonly #wordings = new Memo<boolean>();
  readonly #normalised = new Memo<string>();
  /**
   * The last walk each way. Neighbouring labels take each other in, so a run of short labels
   * would have each walk over all the sentences within reach again; it replays the earlier walk.
   */
  #lastBackward: Walk | null = null;
  #lastForward: Walk | null = null;

  constructor(text: string) {
    this.#text = text;
  }

  run(): { matches: ExplicitLabelMatch[]; total: number } {
    const text = this.#text;
    const anchors = new AnchorScanner(text);
    let resume = 0;
    for (let anchor = anchors.next(0); anchor !== -1; anchor = anchors.next(resume)) {
      // Each clause is looked at once, whichever of its anchors comes first; one too long is skipped whole.
      const bounds = clauseAround(text, anchor);
      resume = Math.max(anchor + 1, bounds.end);
      if (bounds.tooLong) continue;
      const inLongSentence = anchor < this.#longSentenceEnd;
      if (inLongSentence && !isLabelBracket(text[bounds.start - 1] ?? '', text[bounds.end] ?? '')) continue;
      const clause = this.#clause(bounds.start, bounds.end, false);
      if (clause.kind !== 'statement') continue;
      if (inLongSentence) {
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
    const cut = this.#total - this.#head.length;
    const tail =
      this.#tail.length < LISTED_LABELS_AT_EACH_END
        ? this.#tail
        : [...this.#tail.slice(cut % LISTED_LABELS_AT_EACH_END), ...this.#tail.slice(0, cut % LISTED_LABELS_AT_EACH_END)];
    return { matches: [...this.#head, ...tail], total: this.#total };
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
    const statement = inTitle || end - start > maximumClauseLength ? null : this.#parsed.get(raw, parseStatement);
    if (!full && !statement) return { start, end, wordStart, wordEnd, normalised: '', kind: 'prose', statement };
    const normalised = this.#normalised.get(raw, normaliseForDetection);
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
    const unit = question ? null : (this.#wholeSentence(clauses, end) ?? this.#selfReferential(clauses) ?? this.#dashedSubject(clauses));
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
    const words = clauses.filter((c) => c.kind !== 'empty');
    statement ??= this.#leadingStatement(words);
    if (statement === null) return null;
    const start = this.#extendBackward(words[0]?.wordStart ?? statement.wordStart).edge;
    const end = this.#extendForward(words[words.length - 1]?.wordEnd ?? statement.wordEnd).edge;
    const [textStart, textEnd] = this.#widenToBrackets(statement, statement);
    return { start, end, textStart, textEnd, statements: [statement] };
  }

  /**
   * A subject and its statement around a remark between dashes (This entire codebase — including
   * this README — was generated by AI): the clauses split at the dashes, so the statement is read
   * again without the remark. Only a subject that names the text itself, and nothing else in the sentence.
   */
  #dashedSubject(clauses: readonly Clause[]): Unit | null {
    const text = this.#text;
    const words = clauses.filter((c) => c.kind !== 'empty');
    const [subject, remark, predicate] = words;
    if (words.length !== 3 || !subject || !remark || !predicate) return null;
    const isDash = (c: string | undefined) => c === '—' || c === '–';
    if (!isDash(text[remark.start - 1]) || !isDash(text[remark.end])) return null;
    const raw = `${text.slice(subject.wordStart, subject.wordEnd)} ${text.slice(predicate.wordStart, predicate.wordEnd)}`;
    const statement = parseStatement(raw);
    if (!statement?.selfReferential || statement.strength !== 'declared') return null;
    const whole: Clause = {
      ...subject,
      end: predicate.end,
      wordEnd: predicate.wordEnd,
      normalised: normaliseForDetection(raw),
      kind: 'statement',
      statement,
    };
    const start = this.#extendBackward(subject.wordStart).edge;
    const end = this.#extendForward(predicate.wordEnd).edge;
    return { start, end, textStart: subject.wordStart, textEnd: predicate.wordEnd, statements: [whole] };
  }

  /**
   * A statement with a subject that opens its line, followed by a remark in its sentence
   * (预测结果由AI自动生成，不构成投资建议 is advice; 项目代码由Trae AI辅助生成，严格遵循…规范; The new
   * template was created using AI, to have a drop-in replacement): a note about what it names.
   * Not when the sentence is attributed (…, police said; 据报道) or quoted: that is news.
   */
  #leadingStatement(words: readonly Clause[]): Clause | null {
    const [first, ...rest] = words;
    if (first?.statement?.strength !== 'declared' || !first.statement.subject || rest.length === 0) return null;
    if (!opensLine(this.#text, first.wordStart)) return null;
    const attributed = (c: Clause) => isAttribution(c.normalised) || isAttribution(this.#text.slice(c.wordStart, c.wordEnd));
    if (rest.some((c) => attributed(c) || (c.kind === 'prose' && isBreak(COLON, this.#text, c.end)))) return null;
    return first;
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
    // The sentences taken in, up to the first header (whose test depends on `from`), for the next walk.
    const steps: WalkStep[] = [];
    let recording = true;
    let earlier = this.#lastBackward;
    walk: for (;;) {
      if (earlier?.from === start) {
        // An earlier walk went on from here. Its sentences are the same; only the reach is shorter from here.
        for (const step of earlier.steps) {
          if (from - step.reach > maximumExtension) break walk;
          advised ||= step.advice;
          start = step.edge;
          if (recording) steps.push(step);
        }
        earlier = null;
      }
      const { previous, newlines } = previousWord(text, start);
      if (previous === -1) break;
      const headerStart = newlines > 0 ? lineStartWithin(text, previous, maximumExtension - (from - previous)) : -1;
      if (headerStart !== -1) {
        const header = text.slice(headerStart, previous + 1);
        if (ADMONITION_HEADER.test(header) || (MARKDOWN_HEADING.test(header) && isNotice(normaliseForDetection(header)))) {
          start = firstWordIn(text, headerStart, previous + 1);
          recording = false;
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
      if (recording) steps.push({ edge: start, reach: sentence.start, advice: beside === 'advice' });
    }
    this.#lastBackward = { from, steps };
    return { edge: start, advised };
  }

  /** Takes in the advice, notice and label sentences right after the label (本文由AI生成。请仔细甄别。). */
  #extendForward(from: number): Extension {
    const text = this.#text;
    let end = from;
    let advised = false;
    const steps: WalkStep[] = [];
    // An earlier walk that passed here (the label before, which took this one in): its sentences
    // after this point are the same, and all within reach, which is longer from here.
    for (const step of stepsAfter(this.#lastForward, from)) {
      if (step.reach - from > maximumExtension) break;
      advised ||= step.advice;
      end = step.edge;
      steps.push(step);
    }
    for (;;) {
      const next = nextWordAfterGap(text, end);
      if (next === -1) break;
      const sentence = sentenceAround(text, next, next + 1);
      if (!sentence || sentence.end - from > maximumExtension) break;
      const beside = this.#besideLabel(sentence.start, sentence.end);
      if (!beside) break;
      advised ||= beside === 'advice';
      end = lastWordIn(text, sentence.start, sentence.end) + 1;
      steps.push({ edge: end, reach: sentence.end, advice: beside === 'advice' });
    }
    this.#lastForward = { from, steps };
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
    this.#keep({
      start: unit.textStart,
      end: unit.textEnd,
      text: text.slice(unit.textStart, unit.textEnd),
      normalised,
      position: this.#position(unit.start, unit.end),
      language,
      compliant: this.#wordings.get(normalised, (n) => labelWording(n).ok),
      level: first.level,
    });
  }

  #keep(match: ExplicitLabelMatch): void {
    const index = this.#total++;
    if (this.#head.length < LISTED_LABELS_AT_EACH_END) this.#head.push(match);
    else this.#tail[(index - LISTED_LABELS_AT_EACH_END) % LISTED_LABELS_AT_EACH_END] = match;
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

/** Whether only line decoration (spaces, a quote marker, emphasis, a list marker) precedes `at` on its line. */
function opensLine(text: string, at: number): boolean {
  for (let i = at - 1; i >= 0 && at - i <= 16; i--) {
    const c = text[i] as string;
    if (c === '\n') return true;
    if (!' \t>*_-#'.includes(c)) return false;
  }
  return at <= 16 && /^[\s>*_\-#]*$/.test(text.slice(0, at));
}

function hasMarkSymbol(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (isMarkSymbol(text.charCodeAt(i))) return true;
  return false;
}
