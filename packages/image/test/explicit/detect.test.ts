import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { UnsupportedFormatError } from '@aigc-label/core';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { ocrWording } from '../../src/explicit/detect.js';
import { labelFont } from '../../src/explicit/font.js';
import { applyVisibleLabel, detectVisibleLabels, dispose, MIN_TEXT_HEIGHT_RATIO } from '../../src/explicit/index.js';
import { colourKey, invertedLuma } from '../../src/explicit/ocr-preprocess.js';
import { picture } from './pixels.js';

const u8 = (b: Uint8Array) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

/**
 * Draws `text` with the label font at (x, baseline y) without any plate, like a caption in the
 * picture; `halo` outlines the glyphs in black, as captions over busy pictures often are.
 */
function textSvg(text: string, x: number, y: number, size: number, fill: string, width: number, height: number, halo = 0): Uint8Array {
  const d = labelFont().getPath(text, x, y, size).toPathData(2);
  const stroke = halo > 0 ? ` stroke="#000000" stroke-width="${halo}" stroke-linejoin="round" paint-order="stroke"` : '';
  return new TextEncoder().encode(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><path d="${d}" fill="${fill}"${stroke}/></svg>`,
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

  it('reads our own label on a photograph with gilded texture (python-docx court-exif.jpg, issue 14), as labelled and recompressed', async () => {
    // The photo's carving showed through a 65% plate (31 levels of luma texture, 11 through the
    // plate) and broke Tesseract's line finding at the default bottom-right; the plate now hides it.
    const photo = new Uint8Array(readFileSync(fileURLToPath(new URL('../../../../bench/fixtures/court-exif.jpg', import.meta.url))));
    const cases = [
      { position: 'bottom-right', quality: 0 },
      { position: 'bottom-left', quality: 70 },
      { position: 'top-right', quality: 0 },
    ] as const;
    for (const { position, quality } of cases) {
      const labeled = await applyVisibleLabel(photo, { position });
      // What shows through the plate: at most 6 levels of luma texture (or the most opaque plate).
      const { x, y, width, height } = labeled.box;
      const under = await sharp(photo).extract({ left: x, top: y, width, height }).removeAlpha().raw().toBuffer();
      const lumas = Array.from(
        { length: width * height },
        (_, i) => 0.299 * under[3 * i]! + 0.587 * under[3 * i + 1]! + 0.114 * under[3 * i + 2]!,
      );
      const mean = lumas.reduce((a, b) => a + b, 0) / lumas.length;
      const texture = Math.sqrt(lumas.reduce((a, b) => a + (b - mean) ** 2, 0) / lumas.length);
      if (labeled.contrast.plateOpacity < 0.85) expect((1 - labeled.contrast.plateOpacity) * texture).toBeLessThanOrEqual(6.01);
      const shared = quality ? u8(await sharp(labeled.bytes).jpeg({ quality }).toBuffer()) : labeled.bytes;
      const { labels, findings } = await detectVisibleLabels(shared);
      expect(
        labels.map((l) => l.position),
        position,
      ).toEqual([position]);
      expect(findings.map((f) => f.rule)).not.toContain('gb45438/explicit-missing');
    }
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
    expect(findings.map((f) => f.rule)).toEqual(['gb45438/5.2e-text-height']);
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

  it('finds a label drawn by someone else: light text on a dark picture, no plate', async () => {
    const base = await picture(960, 540, 'dark');
    const input = u8(
      await base
        .composite([{ input: Buffer.from(textSvg('AI生成', 380, 510, 40, '#ffe000', 960, 540)) }])
        .jpeg({ quality: 88 })
        .toBuffer(),
    );
    const { labels } = await detectVisibleLabels(input);
    expect(labels.map((l) => [l.wording.aiElement, l.wording.generationElement, l.position])).toEqual([['AI', '生成', 'bottom-center']]);
  });

  it('finds a white caption with a dark halo on a busy picture', async () => {
    const base = await picture(1280, 720, 'busy', 3);
    const input = u8(
      await base
        .composite([{ input: Buffer.from(textSvg('人工智能合成', 40, 90, 56, '#ffffff', 1280, 720, 5)) }])
        .jpeg({ quality: 88 })
        .toBuffer(),
    );
    const { labels } = await detectVisibleLabels(input);
    expect(labels).toHaveLength(1);
    expect(labels[0].wording.generationElement).toBe('合成');
    expect(labels[0].position).toBe('top-left');
  });

  it('rejects data that is not an image', async () => {
    await expect(detectVisibleLabels(new TextEncoder().encode('plain text, not pixels'))).rejects.toThrow(UnsupportedFormatError);
  });
});

describe('OCR wording and text planes', () => {
  it('tolerates one misread glyph of 人工智能 but needs the generation element read exactly', () => {
    expect(ocrWording('人 丁 智 能 合 成').ok).toBe(true);
    expect(ocrWording('本内容由人工景能生成').aiElement).toBe('人工智能');
    expect(ocrWording('Al 生 成').ok).toBe(true);
    // One element only, or two glyphs wrong: not a label.
    expect(ocrWording('人工智能大会').ok).toBe(false);
    expect(ocrWording('人丁景能合成').ok).toBe(false);
    expect(ocrWording('生成式设计大赛').ok).toBe(false);
    expect(ocrWording('智能生活 合成器').ok).toBe(false);
  });

  it('keys white or black ink and inverts luma', () => {
    // white, black, saturated red, mid grey
    const rgb = Uint8Array.from([255, 250, 240, 10, 0, 30, 255, 20, 20, 128, 128, 128]);
    expect([...colourKey(rgb, 4, 'white')]).toEqual([0, 255, 255, 255]);
    expect([...colourKey(rgb, 4, 'black')]).toEqual([255, 0, 255, 255]);
    const inverted = invertedLuma(rgb, 4);
    expect(inverted[0]).toBeLessThan(10);
    expect(inverted[1]).toBeGreaterThan(240);
  });
});
