import { watermarkPayload } from '@aigc-label/core';
import { describe, expect, it } from 'vitest';
import { detectTextWatermark, TextWatermarker, watermarkText, watermarkTextStream } from '../../src/watermark/index.js';

const payload = watermarkPayload({ ContentProducer: '001191440300708461136T1XGW3', ProduceID: '0190f0a1-7d2c-7a6b-9c1e-5f3a2b1c0d9e' });
const hex = Array.from(payload, (b) => b.toString(16).padStart(2, '0')).join('');
const MARK = /[\u{E0100}-\u{E017F}]/gu;
const visible = (text: string) => text.replace(MARK, '');

const english =
  'The committee met on Tuesday to review the proposal. After a long discussion, members agreed that the budget should be revised, ' +
  'that the schedule needed more slack, and that the public should be consulted before any final decision. The chair thanked everyone; ' +
  'she noted that the next meeting would take place in March. Questions may be sent to the secretary at any time! Will the plan change? ' +
  'Nobody knows yet, but the draft will be published online for comment.';
const chinese =
  '人工智能正在改变我们的生活方式。从智能手机到自动驾驶汽车，人工智能技术已经渗透到社会的各个角落。专家认为，未来十年内，' +
  '人工智能将在医疗、教育和金融等领域发挥更大的作用，但同时也带来了隐私和就业方面的挑战。政府正在制定相关法规，以确保技术的健康发展。';

/** The marked text's slice holding visible characters [from, from + length). */
function excerpt(marked: string, from: number, length: number): string {
  let seen = 0;
  let start = -1;
  let i = 0;
  for (const ch of marked) {
    const isMark = MARK.test(ch);
    MARK.lastIndex = 0;
    if (!isMark) {
      if (seen === from) start = i;
      if (seen === from + length) return marked.slice(start, i);
      seen++;
    }
    i += ch.length;
  }
  return marked.slice(start);
}

describe('text watermark', () => {
  for (const [name, text] of [
    ['English', english.repeat(3)],
    ['Chinese', chinese.repeat(4)],
  ] as const) {
    it(`${name}: changes nothing visible and is read from every 200-character excerpt`, () => {
      const marked = watermarkText(text, payload);
      expect(visible(marked)).toBe(text);
      expect(marked.length).toBeGreaterThan(text.length);
      const length = [...text].length;
      for (let from = 0; from + 200 <= length; from += 5) {
        const found = detectTextWatermark(excerpt(marked, from, 200));
        expect(found.findings[0]?.payloadHex, `excerpt at ${from}`).toBe(hex);
      }
    });
  }

  it('survives NFC and NFKC normalisation; NFKC_Casefold-style removal of default ignorables strips it', () => {
    const marked = watermarkText(english + chinese, payload);
    expect(detectTextWatermark(marked.normalize('NFC')).findings[0]?.payloadHex).toBe(hex);
    expect(detectTextWatermark(marked.normalize('NFKC')).findings[0]?.payloadHex).toBe(hex);
    expect(marked.normalize('NFKC').replace(MARK, '')).toBe((english + chinese).normalize('NFKC'));
    expect(detectTextWatermark(marked.replace(/\p{Default_Ignorable_Code_Point}/gu, '')).findings).toEqual([]);
  });

  it('finds nothing in unmarked text, or under another key', () => {
    expect(detectTextWatermark(english + chinese).findings).toEqual([]);
    expect(detectTextWatermark(watermarkText(english, payload, { key: 'private key' })).findings).toEqual([]);
    expect(
      detectTextWatermark(watermarkText(english, payload, { key: 'private key' }), { key: 'private key' }).findings[0]?.payloadHex,
    ).toBe(hex);
  });

  it('inserts only default-ignorable code points, which browsers skip in find-in-page', () => {
    const marked = watermarkText(english, payload);
    const inserted = [...marked].filter((ch) => /[\u{E0100}-\u{E017F}]/u.test(ch));
    expect(inserted.length).toBeGreaterThan(0);
    for (const ch of inserted) expect(/\p{Default_Ignorable_Code_Point}/u.test(ch)).toBe(true);
    // Never inside a word: a search for any word of the text matches the marked text as it is.
    for (const word of english.match(/\p{L}+/gu) ?? []) expect(marked.includes(word)).toBe(true);
  });

  it('streams: any chunking gives the same output as the whole text', async () => {
    const text = `${english} ${chinese} 😀👍🏽 ${english}`;
    const whole = watermarkText(text, payload);
    for (const size of [1, 2, 3, 7, 64]) {
      async function* chunks() {
        for (let i = 0; i < text.length; i += size) yield text.slice(i, i + size); // may split surrogate pairs
      }
      let out = '';
      for await (const part of watermarkTextStream(chunks(), payload)) out += part;
      expect(out, `chunks of ${size}`).toBe(whole);
    }
  });

  it('keeps an existing mark and reports both payloads when two marks are mixed', () => {
    const other = watermarkPayload({ ContentProducer: 'another', ProduceID: 'x' });
    const twice = watermarkText(watermarkText(english, other), payload);
    const found = detectTextWatermark(twice).findings.map((f) => f.payloadHex);
    expect(found).toContain(hex);
    expect(found.length).toBeGreaterThanOrEqual(1);
    expect(visible(twice)).toBe(english);
  });

  it('rejects a payload that is not 64 bits', () => {
    expect(() => new TextWatermarker(new Uint8Array(4))).toThrow(/64 bits/);
  });
});

describe('text watermark placement in Markdown and HTML', () => {
  const markdown = [
    '---',
    'title: A note. With: colons, commas.',
    'AIGC: {"Label": "1"}',
    '---',
    '',
    '# Heading, with punctuation. And more.',
    '',
    `${english}`,
    '',
    '1. First item, with a comma. Then more text here to pass the spacing, and more, and more, and more.',
    '2) Second item. Another sentence follows here, and again, and again.',
    '',
    'Inline `code, with. punctuation; inside: it` and a [link. text](https://example.com/a,b. c) and <https://example.org/x. y>.',
    'Mail me at someone@example.com. Or see www.example.com/path, please. An <span title="a. b, c">inline tag. here</span>, fine.',
    '',
    '```js',
    'const a = 1, b = 2; // code, with. punctuation: here',
    'call(a, b); call(a, b); call(a, b); call(a, b); call(a, b); call(a, b);',
    '```',
    '',
    '    indented code, with. punctuation; here: too, and, more, text. here, again.',
    '',
    '[ref]: https://example.com/ref "Title, with. dots"',
    '',
    '| a | b |',
    '| :--- | ---: |',
    '| x, y. | z; w. |',
    '',
    `${english}`,
  ].join('\n');

  it('keeps the mark out of front matter, headings, code, URLs, link destinations, tags, list markers and reference definitions', () => {
    const marked = watermarkText(markdown, payload, { flavour: 'markdown' });
    expect(visible(marked)).toBe(markdown);
    const markedLines = marked.split('\n');
    const lines = markdown.split('\n');
    const untouched = (line: string) => markedLines[lines.indexOf(line)] === line;
    for (const line of lines.slice(0, 6)) expect(untouched(line), line).toBe(true); // front matter, heading
    for (const line of lines.filter(
      (l) =>
        l.startsWith('```') ||
        l.startsWith('const') ||
        l.startsWith('call') ||
        l.startsWith('    ') ||
        l.startsWith('[ref]') ||
        l.startsWith('| :'),
    ))
      expect(untouched(line), line).toBe(true);
    const inline = markedLines.find((l) => l.startsWith('Inline'))!;
    expect(inline).toContain('`code, with. punctuation; inside: it`');
    expect(inline).toContain('(https://example.com/a,b. c)');
    expect(inline).toContain('<https://example.org/x. y>');
    const mail = markedLines.find((l) => l.startsWith('Mail'))!;
    expect(mail).toContain('someone@example.com.');
    expect(mail).toContain('www.example.com/path,');
    expect(mail).toContain('<span title="a. b, c">');
    expect(markedLines.find((l) => l.startsWith('1.'))!.startsWith('1. ')).toBe(true);
    expect(markedLines.find((l) => l.startsWith('2)'))!.startsWith('2) ')).toBe(true);
    expect(detectTextWatermark(marked).findings[0]?.payloadHex).toBe(hex);
  });

  it('keeps HTML valid: marks only text outside tags, attributes, comments, script, style, pre, code and title', () => {
    const html = `<!doctype html><html><head><title>Title. Here, too.</title><style>p { margin: 0; } a, b { color: red; }</style>
<script>var a = 1, b = 2; if (a < b) { x(a, b); }</script></head>
<body><p class="x. y, z" data-a='1. 2'>${english}</p><!-- a comment. with, punctuation; --><pre>pre, text. here; too: yes.</pre>
<p>More <code>code, here. too</code> text. <a href="https://example.com/a. b">link, text.</a> ${chinese}</p></body></html>`;
    const marked = watermarkText(html, payload, { flavour: 'html' });
    expect(visible(marked)).toBe(html);
    for (const kept of [
      '<title>Title. Here, too.</title>',
      '<style>p { margin: 0; } a, b { color: red; }</style>',
      '<script>var a = 1, b = 2; if (a < b) { x(a, b); }</script>',
      '<p class="x. y, z" data-a=\'1. 2\'>',
      '<!-- a comment. with, punctuation; -->',
      '<pre>pre, text. here; too: yes.</pre>',
      '<code>code, here. too</code>',
      '<a href="https://example.com/a. b">',
    ]) {
      expect(marked, kept).toContain(kept);
    }
    // every cluster sits in text: between '>' and the next '<'
    for (const match of marked.matchAll(/[\u{E0100}-\u{E017F}]+/gu)) {
      const before = marked.slice(0, match.index);
      expect(before.lastIndexOf('>')).toBeGreaterThan(before.lastIndexOf('<'));
    }
    expect(detectTextWatermark(marked).findings[0]?.payloadHex).toBe(hex);
  });
});
