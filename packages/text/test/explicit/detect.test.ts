import { describe, expect, it } from 'vitest';
import { findExplicitLabels } from '../../src/explicit/detect.js';
import { negatives, positives } from './corpus.js';

describe('explicit-label detection corpus', () => {
  it('has at least 50 positives and 50 negatives', () => {
    expect(positives.length).toBeGreaterThanOrEqual(50);
    expect(negatives.length).toBeGreaterThanOrEqual(50);
  });

  it.each(positives.map((p) => [p.label, p] as const))('finds %j', (_, positive) => {
    const found = findExplicitLabels(positive.text).filter((m) => m.text === positive.label);
    expect(found).toHaveLength(1);
    expect(positive.text.slice(found[0].start, found[0].end)).toBe(positive.label);
    expect(found[0].language).toBe(positive.language ?? 'zh');
    expect(found[0].compliant).toBe((positive.language ?? 'zh') === 'zh');
  });

  it.each(negatives.map((n) => [n] as const))('finds nothing in %j', (negative) => {
    expect(findExplicitLabels(negative)).toEqual([]);
  });

  it('finds no label in the negatives joined into one long article', () => {
    expect(findExplicitLabels(negatives.join('\n\n'))).toEqual([]);
  });
});

describe('findExplicitLabels', () => {
  const body = '第一段正文，讲述了项目背景。\n\n第二段正文，给出了结论。';

  it('reports start, middle and end positions with offsets', () => {
    const text = `【AI生成】\n${body}\n\n本内容由AI生成\n\n${body}\n\n※ 本回答由人工智能生成 ※\n`;
    const found = findExplicitLabels(text);
    expect(found.map((m) => [m.position, m.text])).toEqual([
      ['start', '【AI生成】'],
      ['middle', '本内容由AI生成'],
      ['end', '本回答由人工智能生成'],
    ]);
    for (const m of found) expect(text.slice(m.start, m.end)).toBe(m.text);
  });

  it('normalises full-width, zero-width and traditional forms', () => {
    const [m] = findExplicitLabels(`${body}\n\n本內容由ＡＩ\u200B生\u200D成`);
    expect(m.normalised).toBe('本内容由AI生成');
    expect(m.position).toBe('end');
  });

  it('reports an English label as lacking the Chinese generation element', () => {
    const [m] = findExplicitLabels(`${body}\n\nAI-generated`);
    expect(m).toMatchObject({ language: 'en', compliant: false, text: 'AI-generated', position: 'end' });
  });

  it('keeps the first of two labels in one clause only once', () => {
    expect(findExplicitLabels('本内容由AI生成合成')).toHaveLength(1);
  });

  it('ignores a label-like phrase inside a long run without punctuation', () => {
    const prose = `${'这是一段很长的没有任何标点的句子'.repeat(6)}本内容由AI生成`;
    expect(findExplicitLabels(prose)).toEqual([]);
  });
});
