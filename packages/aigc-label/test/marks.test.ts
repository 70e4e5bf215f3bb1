/**
 * Vendors' visible marks read by OCR: a mark with the AI element but no generation element
 * (即梦AI, 可灵AI 3.0) is evidence and a GB 45438 §5.2 wording finding at the same time.
 */
import { createRequire } from 'node:module';
import { detectBuffer, disposeOcr, verifyBuffer } from 'aigc-label';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const fontfile = require.resolve('@expo-google-fonts/noto-sans-sc/500Medium/NotoSansSC_500Medium.ttf');

/** A 640×400 grey picture with `mark` drawn in its bottom-right corner, as a vendor draws its mark. */
async function pictureWithMark(mark: string): Promise<Uint8Array> {
  const text = await sharp({
    text: { text: `<span foreground="white">${mark}</span>`, fontfile, font: 'Noto Sans SC 30', rgba: true, dpi: 72 },
  })
    .png()
    .toBuffer();
  const { width = 0, height = 0 } = await sharp(text).metadata();
  const base = sharp({ create: { width: 640, height: 400, channels: 3, background: { r: 70, g: 90, b: 110 } } });
  return new Uint8Array(
    await base
      .composite([{ input: text, left: 640 - width - 16, top: 400 - height - 16 }])
      .png()
      .toBuffer(),
  );
}

afterAll(() => disposeOcr());

describe('marks found by OCR', () => {
  it('★ 即梦AI: evidence and a §5.2 wording finding', async () => {
    const report = await verifyBuffer(await pictureWithMark('★ 即梦AI'), { filename: 'jimeng.png', ocr: true });
    expect(report.outcome).toBe('suspected');
    const marks = report.evidence.filter((e) => e.kind === 'explicit-image-label');
    expect(marks).toHaveLength(1);
    expect(marks[0]?.detail).toMatch(/^mark ".*即梦AI"/);
    expect(marks[0]?.where).toBe('image, bottom-right');
    const wording = report.findings.filter((f) => f.rule === 'gb45438/5.2-wording');
    expect(wording.map((f) => f.message)).toEqual([expect.stringMatching(/即梦AI" lacks the generation element \(生成 or 合成\)/)]);
  });

  it('可灵AI 3.0 likewise; a compliant 豆包AI生成 is a label with no wording finding', async () => {
    const kling = await detectBuffer(await pictureWithMark('可灵AI 3.0'), { filename: 'kling.png', ocr: true });
    expect(kling.findings.map((f) => f.rule)).toContain('gb45438/5.2-wording');
    const doubao = await detectBuffer(await pictureWithMark('豆包AI生成'), { filename: 'doubao.png', ocr: true });
    expect(doubao.evidence.map((e) => e.kind)).toEqual(['explicit-image-label']);
    expect(doubao.findings.map((f) => f.rule)).not.toContain('gb45438/5.2-wording');
  });

  it('text that only contains the letters AI is no mark', async () => {
    const report = await verifyBuffer(await pictureWithMark('MAIL BOX'), { filename: 'mail.png', ocr: true });
    expect([report.outcome, report.evidence, report.findings.filter((f) => f.rule.includes('wording'))]).toEqual(['none', [], []]);
  });
});
