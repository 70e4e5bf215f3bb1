// The open explicit-label corpus in corpus/ (see corpus/README.md), read for the tests and for
// bench/text-explicit.mjs: label phrasings placed at the start, in the middle and at the end of
// short articles, and sentences that mention AI without labeling anything. `dev` was used while
// writing the detector; `holdout` and `holdout2` were held out (see the README for how).
import { readFileSync } from 'node:fs';

/** @typedef {'dev' | 'holdout' | 'holdout2'} Split */
/** @typedef {'confirmed' | 'possible' | 'suspected'} Level */
/** @typedef {'start' | 'middle' | 'end'} Position */
/**
 * @typedef {object} LabelPhrasing
 * @property {string} source where the phrasing comes from (README keys)
 * @property {Level} level the Measures Art. 6 level the wording expresses
 * @property {'ok' | 'no-ai' | 'no-gen' | 'no-ai-gen'} wording the GB 45438 §5.1 b) elements it lacks
 * @property {string} phrasing the label as it appears in a text
 * @property {number} start offset of the span the detector must report, within `phrasing`
 * @property {number} end
 * @property {'zh' | 'en'} language
 */
/**
 * @typedef {object} NonLabel
 * @property {string} source
 * @property {string} kind
 * @property {string} text
 */
/**
 * @typedef {object} LabelCase one phrasing placed in an article
 * @property {LabelPhrasing} label
 * @property {string} text
 * @property {number} start where the label must be found in `text`
 * @property {number} end
 * @property {Position} position
 * @property {string} layout paragraph, line or inline
 */

export const SPLITS = /** @type {const} */ (['dev', 'holdout', 'holdout2']);

/** @param {string} name */
const corpusFile = (name) => readFileSync(new URL(`corpus/${name}`, import.meta.url), 'utf8');
/** @param {string} s */
const unescapeField = (s) =>
  s.replace(/\\n/g, '\n').replace(/\\u([0-9a-fA-F]{4})/g, (_, hex) => String.fromCharCode(Number.parseInt(hex, 16)));
/**
 * @param {string} name
 * @param {number} fields
 * @returns {string[][]}
 */
function rows(name, fields) {
  return corpusFile(name)
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const cells = line.split('\t');
      if (cells.length !== fields) throw new Error(`${name}: expected ${fields} fields in ${JSON.stringify(line)}`);
      return cells;
    });
}

/**
 * @param {Split} split
 * @returns {LabelPhrasing[]}
 */
export function labelPhrasings(split) {
  return rows(`labels-${split}.tsv`, 4).map(([source, level, wording, marked]) => {
    const raw = unescapeField(marked);
    const start = raw.indexOf('⟦');
    const end = raw.indexOf('⟧') - 1;
    const phrasing = raw.replace('⟦', '').replace('⟧', '');
    return {
      source,
      level: /** @type {Level} */ (level),
      wording: /** @type {LabelPhrasing['wording']} */ (wording),
      phrasing,
      start,
      end,
      language: /[\u3400-\u9fff]/.test(phrasing.slice(start, end)) ? 'zh' : 'en',
    };
  });
}

/**
 * @param {Split} split
 * @returns {NonLabel[]}
 */
export function nonLabels(split) {
  return rows(`non-labels-${split}.tsv`, 3).map(([source, kind, text]) => ({ source, kind, text: unescapeField(text) }));
}

/** @type {readonly { id: string, lang: 'zh' | 'en', paragraphs: string[] }[]} */
export const articles = JSON.parse(corpusFile('articles.json'));

/**
 * Whether a text is one sentence that ends in a full stop, so it can share a line with another.
 * @param {string} text
 */
const endsSentence = (text) => /[。！.!]$/.test(text) && !text.includes('\n');

/**
 * Each phrasing at the start, in the middle and at the end of an article of its language
 * (every fifth one in an article of the other language): as a paragraph of its own, on a line
 * of its own, and, when it and the article's edges are whole sentences, on the same line.
 * @param {readonly LabelPhrasing[]} phrasings
 * @returns {LabelCase[]}
 */
export function labelCases(phrasings) {
  /** @type {LabelCase[]} */
  const cases = [];
  phrasings.forEach((label, index) => {
    const language = index % 5 === 4 ? (label.language === 'zh' ? 'en' : 'zh') : label.language;
    const pool = articles.filter((a) => a.lang === language);
    const article = pool[index % pool.length];
    const layouts = [
      ['paragraph', '\n\n'],
      ['line', '\n'],
    ];
    if (endsSentence(label.phrasing) && endsSentence(article.paragraphs.at(-1) ?? ''))
      layouts.push(['inline', article.lang === 'en' ? ' ' : '']);
    for (const [layout, separator] of layouts) {
      const [head, ...rest] = article.paragraphs;
      const body = article.paragraphs.join('\n\n');
      /** @type {(before: string, after: string, position: Position) => void} */
      const place = (before, after, position) =>
        cases.push({
          label,
          text: before + label.phrasing + after,
          start: before.length + label.start,
          end: before.length + label.end,
          position,
          layout,
        });
      place('', separator + body, 'start');
      place(head + separator, separator + rest.join('\n\n'), 'middle');
      place(body + separator, '', 'end');
    }
  });
  return cases;
}

/**
 * Scores a detector on label cases: a case counts when a label is found at exactly the marked
 * span, with the expected position, level, language and compliance, and nothing is found
 * outside the phrasing. Returns the counts and the cases that failed, with what was found.
 * @param {readonly LabelCase[]} cases
 * @param {(text: string) => readonly { start: number, end: number, text: string, position: Position, level: Level, language: 'zh' | 'en', compliant: boolean }[]} detect
 */
export function scoreLabels(cases, detect) {
  let found = 0;
  let positioned = 0;
  let leveled = 0;
  let correct = 0;
  /** @type {{ case: LabelCase, got: string }[]} */
  const failures = [];
  for (const c of cases) {
    const matches = detect(c.text);
    const phrasingStart = c.start - c.label.start;
    const inside = matches.every((m) => m.start >= phrasingStart && m.end <= phrasingStart + c.label.phrasing.length);
    const hit = matches.find((m) => m.start === c.start && m.end === c.end);
    if (hit) found++;
    if (hit?.position === c.position) positioned++;
    if (hit?.level === c.label.level) leveled++;
    const ok =
      hit !== undefined &&
      inside &&
      hit.position === c.position &&
      hit.level === c.label.level &&
      hit.language === c.label.language &&
      hit.compliant === (c.label.wording === 'ok');
    if (ok) correct++;
    else failures.push({ case: c, got: JSON.stringify(matches.map((m) => [m.text, m.position, m.level, m.language, m.compliant])) });
  }
  return { cases: cases.length, found, positioned, leveled, correct, failures };
}

/**
 * Each non-label sentence alone and at the start, in the middle and at the end of two articles.
 * @param {readonly NonLabel[]} sentences
 * @returns {{ sentence: NonLabel, text: string }[]}
 */
export function nonLabelTexts(sentences) {
  return sentences.flatMap((sentence) => [
    { sentence, text: sentence.text },
    ...articles
      .filter((a) => a.id === 'zh-ai-essay' || a.id === 'en-ai-news')
      .flatMap((a) => [
        { sentence, text: `${sentence.text}\n\n${a.paragraphs.join('\n\n')}` },
        { sentence, text: `${a.paragraphs[0]}\n\n${sentence.text}\n\n${a.paragraphs.slice(1).join('\n\n')}` },
        { sentence, text: `${a.paragraphs.join('\n\n')}\n\n${sentence.text}` },
      ]),
  ]);
}
