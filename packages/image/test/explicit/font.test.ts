import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Wording } from '@aigc-label/core';
import { describe, expect, it } from 'vitest';
import { labelFont } from '../../src/explicit/font.js';

const require = createRequire(import.meta.url);

describe('the label font, its glyphs read when first drawn', () => {
  it('draws every built-in wording, ASCII and common label punctuation exactly as the font parsed whole', () => {
    const opentype = require('opentype.js') as typeof import('opentype.js');
    const file = readFileSync(require.resolve('@expo-google-fonts/noto-sans-sc/500Medium/NotoSansSC_500Medium.ttf'));
    const whole = opentype.parse(file.buffer.slice(file.byteOffset, file.byteOffset + file.byteLength));
    const font = labelFont();
    const ascii = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join('');
    const texts = [
      ...Object.values(Wording),
      ascii,
      '本视频由AI合成，请谨慎甄别：“内容”《说明》—…（2026-12-06）',
      '001191440300708461136T1XGW3',
    ];
    for (const text of texts) {
      for (const size of [12, 48, 97.3]) {
        expect(font.getPath(text, 3, 70, size).toPathData(3)).toBe(whole.getPath(text, 3, 70, size).toPathData(3));
        expect(font.getPath(text, 3, 70, size).getBoundingBox()).toEqual(whole.getPath(text, 3, 70, size).getBoundingBox());
      }
    }
    for (const char of ['人', 'A', '·', '\u{20000}', '\u{1F600}', '\uE000']) expect(font.hasChar(char)).toBe(whole.hasChar(char));
    expect(font.unitsPerEm).toBe(whole.unitsPerEm);
  });
});
