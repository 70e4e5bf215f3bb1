import { UnsupportedFormatError } from '@aigc-label/core';
import { afterAll, describe, expect, it } from 'vitest';
import { labelFont } from '../../src/explicit/font.js';
import { applyVisibleLabel, detectVisibleLabels, dispose, ExplicitRules, MIN_TEXT_HEIGHT_RATIO } from '../../src/explicit/index.js';
import { picture } from './pixels.js';

const u8 = (b: Uint8Array) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

/** Draws `text` with the label font at (x, baseline y) without any plate, like a caption in the picture. */
function textSvg(text: string, x: number, y: number, size: number, fill: string, width: number, height: number): Uint8Array {
  const d = labelFont().getPath(text, x, y, size).toPathData(2);
  return new TextEncoder().encode(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><path d="${d}" fill="${fill}"/></svg>`,
  );
}

afterAll(dispose);

describe('OCR detection of visible labels (offline tesseract.js)', () => {
  it('finds our own label on a 1080p picture, with position and text height', async () => {
    const input = u8(await (await picture(1920, 1080, 'busy', 7)).jpeg({ quality: 88 }).toBuffer());
    const labeled = await applyVisibleLabel(input, { position: 'bottom-right' });
    const { labels, findings } = await detectVisibleLabels(labeled.bytes);
    expect(labels).toHaveLength(1);
    expect(labels[0].wording.normalised).toContain('人工智能生成');
    expect(labels[0].position).toBe('bottom-right');
    expect(labels[0].textHeightRatio).toBeGreaterThan(0.045);
    expect(labels[0].textHeightRatio).toBeLessThan(0.08);
    expect(findings).toEqual([]);
  });

  it('reads "AI" wording and reports labels under 5% with a finding', async () => {
    const input = u8(await (await picture(1280, 720, 'dark')).png().toBuffer());
    const labeled = await applyVisibleLabel(input, {
      text: '由AI合成',
      position: 'top-left',
      textHeightRatio: 0.035,
      allowNoncompliant: true,
    });
    const { labels, findings } = await detectVisibleLabels(labeled.bytes);
    expect(labels.map((l) => [l.wording.aiElement, l.wording.generationElement, l.position])).toEqual([['AI', '合成', 'top-left']]);
    expect(labels[0].textHeightRatio).toBeLessThan(MIN_TEXT_HEIGHT_RATIO);
    expect(findings.map((f) => f.rule)).toEqual([ExplicitRules.textHeight]);
  });

  it('finds nothing on an unlabeled picture that carries unrelated text', async () => {
    const base = await picture(1600, 900, 'light');
    const caption = textSvg('今天天气很好 AI智能助手 Hello 2025', 60, 120, 64, '#202020', 1600, 900);
    const footer = textSvg('新品发布会 生活与合作', 60, 840, 56, '#402010', 1600, 900);
    const input = u8(
      await base
        .composite([{ input: Buffer.from(caption) }, { input: Buffer.from(footer) }])
        .png()
        .toBuffer(),
    );
    const { labels, findings } = await detectVisibleLabels(input);
    expect(labels).toEqual([]);
    expect(findings).toEqual([]);
  });

  it('rejects data that is not an image', async () => {
    await expect(detectVisibleLabels(new TextEncoder().encode('plain text, not pixels'))).rejects.toThrow(UnsupportedFormatError);
  });
});
