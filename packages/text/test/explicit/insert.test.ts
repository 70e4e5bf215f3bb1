import { InvalidLabelError, Wording } from '@aigc-label/core';
import { describe, expect, it } from 'vitest';
import { findExplicitLabels } from '../../src/explicit/detect.js';
import { addExplicitLabel } from '../../src/explicit/insert.js';
import { explicitLabelText } from '../../src/explicit/wording.js';

describe('explicitLabelText', () => {
  it('uses the built-in wordings and validates custom ones', () => {
    expect(explicitLabelText()).toBe(Wording.zhSentence);
    expect(explicitLabelText({ wording: 'bilingual' })).toBe(Wording.bilingual);
    expect(explicitLabelText({ wording: '本回答由 AI 辅助生成' })).toBe('本回答由 AI 辅助生成');
    expect(explicitLabelText({ symbol: true })).toBe('【AI生成】');
    expect(() => explicitLabelText({ wording: 'AI-generated' })).toThrow(InvalidLabelError);
    expect(() => explicitLabelText({ wording: '由模型生成' })).toThrow(/AI element/);
    expect(() => explicitLabelText({ wording: 'AI 提供' })).toThrow(/generation element/);
  });
});

describe('addExplicitLabel', () => {
  const plain = '第一段。\n\n第二段。\n\n第三段。\n';

  it('adds labels at the start, middle and end, each found again by the detector', () => {
    const result = addExplicitLabel(plain, { positions: ['start', 'middle', 'end'] });
    expect(result.text).toBe('本内容由人工智能生成\n\n第一段。\n\n本内容由人工智能生成\n\n第二段。\n\n第三段。\n\n本内容由人工智能生成\n');
    expect(findExplicitLabels(result.text).map((m) => m.position)).toEqual(['start', 'middle', 'end']);
  });

  it('keeps CRLF line endings', () => {
    const result = addExplicitLabel('a\r\n\r\nb\r\n', { positions: ['middle', 'end'] });
    expect(result.text).toBe('a\r\n\r\n本内容由人工智能生成\r\n\r\nb\r\n\r\n本内容由人工智能生成\r\n');
  });

  it('puts a symbol inline where a sentence does not fit', () => {
    expect(addExplicitLabel('床前明月光', { positions: ['start', 'end'], symbol: true }).text).toBe('【AI生成】床前明月光【AI生成】');
  });

  it('labels an empty text once', () => {
    expect(addExplicitLabel('', { positions: ['start', 'end'] }).text).toBe('本内容由人工智能生成');
  });

  it('never puts a middle label inside code, lists, tables, HTML blocks or words', () => {
    const md = [
      '---',
      'title: x',
      '---',
      '',
      'Intro paragraph with https://example.com/a-very-long-url-that-must-stay-whole and more words.',
      '',
      '```js',
      'const a = 1;',
      '',
      'const b = 2;',
      '```',
      '',
      '- item one',
      '',
      '- item two',
      '',
      '| a | b |',
      '|---|---|',
      '',
      '<pre>',
      '',
      'pre text',
      '</pre>',
      '',
      '    indented code',
      '',
      '    more code',
      '',
      'Closing paragraph.',
      '',
    ].join('\n');
    const result = addExplicitLabel(md, { positions: 'middle', flavour: 'markdown', symbol: false });
    const at = result.placements[0].offset;
    const lines = result.text.split('\n');
    const labelLine = result.text.slice(0, at).split('\n').length - 1;
    expect(lines[labelLine]).toBe('本内容由人工智能生成');
    expect(lines[labelLine - 1]).toBe('');
    expect(lines[labelLine + 1]).toBe('');
    // The only safe places are before the fenced block and before the closing paragraph.
    expect(['```js', 'Closing paragraph.']).toContain(lines[labelLine + 2]);
  });

  it('puts the start label after the front matter and the end label before an unclosed fence', () => {
    const md = '---\na: 1\n---\nText.\n\n```\ncode never closed\n';
    const result = addExplicitLabel(md, { positions: ['start', 'end'], flavour: 'markdown' });
    expect(result.text).toBe('---\na: 1\n---\n本内容由人工智能生成\n\nText.\n\n本内容由人工智能生成\n\n```\ncode never closed\n');
  });

  it('falls back to the end, with a note, when no middle position is safe', () => {
    const result = addExplicitLabel('```\nonly code\n```\n', { positions: 'middle', flavour: 'markdown' });
    expect(result.placements).toEqual([expect.objectContaining({ position: 'end', note: expect.stringContaining('middle') })]);
  });

  it('uses single line breaks as boundaries in plain text without blank lines', () => {
    const result = addExplicitLabel('一行。\n两行。\n三行。\n四行。', { positions: 'middle' });
    expect(result.text).toBe('一行。\n两行。\n本内容由人工智能生成\n三行。\n四行。');
  });

  it('labels HTML inside the body, escaped, outside lists and code', () => {
    const html =
      '<!doctype html>\n<html><head><title>t</title></head>\n<body>\n<p>one</p>\n<ul><li><p>x</p></li></ul>\n<p>two</p>\n</body>\n</html>\n';
    const result = addExplicitLabel(html, { positions: ['start', 'middle', 'end'], flavour: 'html', wording: 'AI生成 <标识> & 说明' });
    expect(result.text).toBe(
      '<!doctype html>\n<html><head><title>t</title></head>\n<body>\n<p>AI生成 &lt;标识&gt; &amp; 说明</p>\n<p>one</p>\n<p>AI生成 &lt;标识&gt; &amp; 说明</p>\n<ul><li><p>x</p></li></ul>\n<p>two</p>\n<p>AI生成 &lt;标识&gt; &amp; 说明</p>\n</body>\n</html>\n',
    );
  });

  it('leaves every original character in place around the labels', () => {
    const text = 'Alpha paragraph.\n\nBeta paragraph.\n\nGamma paragraph.';
    const result = addExplicitLabel(text, { positions: ['start', 'middle', 'end'] });
    const stripped = result.text.split('本内容由人工智能生成\n\n').join('').replace('\n\n本内容由人工智能生成', '');
    expect(stripped).toBe(text);
  });
});
