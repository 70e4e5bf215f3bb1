import { describe, expect, it } from 'vitest';
import { checkWording, hasRequiredElements, normaliseLabelText, Wording } from '../src/index.js';

describe('explicit wording rule (GB 45438 §5 b))', () => {
  it.each(['AI生成', '人工智能生成', '人工智能生成合成', '本内容由AI合成', 'ＡＩ生成', 'A I 生 成', '人工智慧生成', 'AI\u200B生成'])(
    'accepts %s',
    (text) => expect(hasRequiredElements(text)).toBe(true),
  );

  it.each(['AI播客', 'AI', '生成', '人工合成', 'ai生成', 'AI-generated'])('rejects %s', (text) => {
    expect(hasRequiredElements(text)).toBe(false);
  });

  it('reads OCR confusions of AI only when asked', () => {
    expect(checkWording('Al 生 成').ok).toBe(false);
    expect(checkWording('Al 生 成', { ocr: true }).ok).toBe(true);
  });

  it('normalises full-width forms, spaces and zero-width characters', () => {
    expect(normaliseLabelText('ＡＩ\u200D 生成\u3000内容')).toBe('AI生成内容');
  });

  it('ships only compliant built-in platform wordings', () => {
    for (const text of Object.values(Wording)) expect(hasRequiredElements(text)).toBe(true);
  });
});
