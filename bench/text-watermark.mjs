/**
 * Text watermark benchmark (issue 20) on the built @aigc-label/text: survival of the mark
 * through copy/paste-like transforms and normalisations, read from the whole text and from
 * every 200-character excerpt (step 10); overhead in code points, UTF-16 units and UTF-8
 * bytes; throughput of marking (whole and streamed in 8-character chunks, as an LLM streams)
 * and detection.
 */
import { watermarkPayload } from '../packages/core/dist/index.js';
import * as textModule from '../packages/text/dist/index.js';

const { detectTextWatermark, watermarkText, watermarkTextStream } = textModule;

const started = Date.now();
const payload = watermarkPayload({ ContentProducer: '001191440300708461136T1XGW3', ProduceID: 'text-bench' });
const hex = Buffer.from(payload).toString('hex');

const english =
  'The committee met on Tuesday to review the proposal. After a long discussion, members agreed that the budget should be revised, ' +
  'that the schedule needed more slack, and that the public should be consulted before any final decision. The chair thanked everyone; ' +
  'she noted that the next meeting would take place in March. Questions may be sent to the secretary at any time! Will the plan change? ' +
  'Nobody knows yet, but the draft will be published online for comment.\n\n';
const chinese =
  '人工智能正在改变我们的生活方式。从智能手机到自动驾驶汽车，人工智能技术已经渗透到社会的各个角落。专家认为，未来十年内，' +
  '人工智能将在医疗、教育和金融等领域发挥更大的作用，但同时也带来了隐私和就业方面的挑战。政府正在制定相关法规，以确保技术的健康发展。\n\n';
const sparse = `${'a long list of words with hardly any punctuation at all just words and spaces going on and on '.repeat(3)}\n`;
const markdown = `# Report\n\n${english}- item one, with detail. More here.\n- item two\n\n\`\`\`\ncode, here. too\n\`\`\`\n\n${chinese}`;

const corpus = {
  english: english.repeat(8),
  chinese: chinese.repeat(8),
  'few punctuation marks': sparse.repeat(6),
  markdown: markdown.repeat(4),
};

const DEFAULT_IGNORABLE = /\p{Default_Ignorable_Code_Point}/gu;
const TRANSFORMS = {
  'none (plain copy and paste)': (t) => t,
  NFC: (t) => t.normalize('NFC'),
  NFKC: (t) => t.normalize('NFKC'),
  NFD: (t) => t.normalize('NFD'),
  'whitespace collapsed (copy from a rendered page)': (t) => t.replace(/\s+/g, ' '),
  'lines re-wrapped at 60 columns': (t) => t.replace(/\n/g, ' ').replace(/(.{1,60})(\s|$)/gu, '$1\n'),
  'smart quotes and dashes (word processor)': (t) => t.replace(/"/g, '\u201c').replace(/'/g, '\u2019').replace(/--/g, '\u2014'),
  'zero-width characters stripped (common sanitiser)': (t) => t.replace(/[\u200b-\u200f\u2060\ufeff]/g, ''),
  'BMP variation selectors stripped (emoji sanitiser)': (t) => t.replace(/[\ufe00-\ufe0f]/g, ''),
  'JSON round trip': (t) => JSON.parse(JSON.stringify(t)),
  'UTF-16LE round trip': (t) => new TextDecoder('utf-16le').decode(Buffer.from(t, 'utf16le')),
  'astral characters dropped (MySQL utf8mb3, old tools)': (t) => t.replace(/[\u{10000}-\u{10FFFF}]/gu, ''),
  'all default-ignorable code points removed (NFKC_Casefold, some apps)': (t) => t.replace(DEFAULT_IGNORABLE, ''),
  'retyped (visible characters only)': (t) => [...t].filter((ch) => !/\p{Default_Ignorable_Code_Point}/u.test(ch)).join(''),
};

/** Every 200-visible-character excerpt (step 10) of a marked text. */
function excerpts(marked, length = 200, step = 10) {
  const points = [];
  let i = 0;
  for (const ch of marked) {
    if (!/\p{Default_Ignorable_Code_Point}/u.test(ch)) points.push(i);
    i += ch.length;
  }
  points.push(marked.length);
  const out = [];
  for (let from = 0; from + length < points.length; from += step) out.push(marked.slice(points[from], points[from + length]));
  return out;
}

const survival = [];
for (const [transformName, transform] of Object.entries(TRANSFORMS)) {
  const row = { transform: transformName };
  for (const [name, text] of Object.entries(corpus)) {
    const flavour = name === 'markdown' ? 'markdown' : 'plain';
    const marked = transform(watermarkText(text, payload, { flavour }));
    const whole = detectTextWatermark(marked).findings[0]?.payloadHex === hex;
    const parts = excerpts(marked);
    const ok = parts.filter((part) => detectTextWatermark(part).findings[0]?.payloadHex === hex).length;
    row[name] = `${whole ? 'yes' : 'no'}, ${((100 * ok) / parts.length).toFixed(0)}%`;
  }
  survival.push(row);
}
console.log(
  'Text watermark survival: whole text read?, share of 200-character excerpts read (target: every excerpt where the marks survive)',
);
console.table(survival);

// False positives: unmarked texts, and marked texts under another key.
let falsePositives = 0;
let checked = 0;
for (const text of Object.values(corpus)) {
  for (const part of excerpts(text, 200, 5)) {
    checked++;
    if (detectTextWatermark(part).findings.length > 0) falsePositives++;
  }
  checked++;
  if (detectTextWatermark(watermarkText(text, payload), { key: 'another key' }).findings.length > 0) falsePositives++;
}
console.log(`\nFalse positives: ${falsePositives} of ${checked} unmarked excerpts and wrong-key reads (target 0)`);

const overhead = Object.entries(corpus).map(([name, text]) => {
  const marked = watermarkText(text, payload, { flavour: name === 'markdown' ? 'markdown' : 'plain' });
  const pct = (a, b) => `${((100 * (a - b)) / b).toFixed(1)}%`;
  const bytes = (t) => Buffer.byteLength(t, 'utf8');
  const clusters = (marked.match(/[\u{E0100}-\u{E017F}]{4}/gu) ?? []).length;
  return {
    text: name,
    'visible chars': [...text].length,
    clusters,
    'chars per cluster': ([...text].length / clusters).toFixed(0),
    'code points': pct([...marked].length, [...text].length),
    'UTF-16 units': pct(marked.length, text.length),
    'UTF-8 bytes': pct(bytes(marked), bytes(text)),
  };
});
console.log('\nOverhead (all of it invisible)');
console.table(overhead);

// Throughput on ~1 MB of mixed text.
const big = Object.values(corpus).join('').repeat(40);
const mb = Buffer.byteLength(big, 'utf8') / 1e6;
const time = (fn) => {
  fn();
  const t = performance.now();
  const result = fn();
  return { ms: performance.now() - t, result };
};
const whole = time(() => watermarkText(big, payload));
const streamed = time(() => {
  // a synchronous drive of the async generator is not possible; measure the per-chunk core instead
  let out = '';
  const chunks = big.match(/[\s\S]{1,8}/g);
  const { TextWatermarker } = textModule;
  const marker = new TextWatermarker(payload);
  for (const chunk of chunks) out += marker.push(chunk);
  return out + marker.finish();
});
const detected = time(() => detectTextWatermark(whole.result));
console.log('\nThroughput');
console.table([
  { what: 'mark, whole text', 'MB/s': (mb / (whole.ms / 1000)).toFixed(1) },
  {
    what: 'mark, streamed in 8-character chunks',
    'MB/s': (mb / (streamed.ms / 1000)).toFixed(1),
    'same output': streamed.result === whole.result,
  },
  { what: 'detect, whole text', 'MB/s': (mb / (detected.ms / 1000)).toFixed(1) },
]);
let streamedOut = '';
for await (const part of watermarkTextStream(
  (async function* () {
    yield* big.slice(0, 20_000).match(/[\s\S]{1,8}/g);
  })(),
  payload,
))
  streamedOut += part;
console.log(`watermarkTextStream matches watermarkText: ${streamedOut === watermarkText(big.slice(0, 20_000), payload)}`);

// Through the toolkit: files labeled with `label --watermark` as plain text, Markdown and HTML, their
// text copied (HTML as a browser copies it: the text between the tags), and every 200-character
// excerpt (step 25) pasted into a .txt that `verify` reads.
const { labelBuffer, verifyBuffer } = await import('../packages/aigc-label/dist/index.js');
const pastedFromHtml = (html) =>
  html
    .replace(/<head>[\s\S]*<\/head>/, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ');
const writes = {
  'plain text (.txt)': { filename: 'a.txt', text: english.repeat(3), copy: (t) => t },
  'Markdown (.md)': { filename: 'a.md', text: markdown, copy: (t) => t.replace(/^---[\s\S]*?---\n/, '') },
  'HTML (.html)': {
    filename: 'a.html',
    text: `<!doctype html><html><head><title>Report</title></head><body><p>${english.repeat(2)}</p><p>${chinese}</p></body></html>`,
    copy: pastedFromHtml,
  },
};
const pasted = [];
for (const [name, { filename, text, copy }] of Object.entries(writes)) {
  const { bytes, report } = await labelBuffer(new TextEncoder().encode(text), {
    producer: '001191440300708461136T1XGW3',
    filename,
    watermark: true,
  });
  const expected = Buffer.from(watermarkPayload(report.label)).toString('hex');
  const chars = [...copy(new TextDecoder().decode(bytes))];
  let excerpts = 0;
  let suspected = 0;
  for (let start = 0; start + 200 <= chars.length; start += 25) {
    excerpts++;
    const verdict = await verifyBuffer(new TextEncoder().encode(chars.slice(start, start + 200).join('')), { filename: 'pasted.txt' });
    if (verdict.outcome === 'suspected' && verdict.evidence.some((e) => e.kind === 'watermark' && e.watermark.payload === expected))
      suspected++;
  }
  pasted.push({
    'labeled with --watermark': name,
    '200-char excerpts pasted into .txt': excerpts,
    'verify: suspected with the mark': `${suspected} (${((100 * suspected) / excerpts).toFixed(1)}%)`,
  });
}
console.log('\nThrough label --watermark, copy, paste into .txt, verify');
console.table(pasted);
console.log(`\ntext-watermark bench: ${((Date.now() - started) / 1000).toFixed(1)} s`);
