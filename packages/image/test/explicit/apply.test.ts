import { InvalidLabelError, LimitExceededError, MalformedInputError, UnsupportedFormatError } from '@aigc-label/core';
import ExifReader from 'exifreader';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { applyVisibleLabel, LABEL_POSITIONS, type LabelPosition, renderLabelPng } from '../../src/explicit/index.js';
import { type Background, displayedPixels, findInk, picture, plateContrast } from './pixels.js';

const u8 = (b: Uint8Array) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
// ExifReader takes a Buffer or an ArrayBuffer, not a bare Uint8Array.
// ExifReader's types are a union of every tag set; tests read a few known tags.
type LooseTags = Record<string, { value?: unknown; description?: string } | undefined>;
type LooseExpanded = { exif?: LooseTags; xmp?: LooseTags };
function exif(bytes: Uint8Array): LooseTags;
function exif(bytes: Uint8Array, expanded: true): LooseExpanded;
function exif(bytes: Uint8Array, expanded = false): LooseTags | LooseExpanded {
  return expanded
    ? (ExifReader.load(Buffer.from(bytes), { expanded: true }) as unknown as LooseExpanded)
    : (ExifReader.load(Buffer.from(bytes)) as unknown as LooseTags);
}

describe('5% rule and contrast, measured on the output pixels', () => {
  const sizes: [number, number][] = [
    [256, 256],
    [300, 1200],
    [1200, 300],
    [640, 480],
    [480, 1920],
    [2000, 500],
    [1024, 768],
    [720, 1280],
  ];
  const backgrounds: Background[] = ['light', 'dark', 'busy'];
  const cases = sizes.flatMap(([w, h], i) =>
    backgrounds.map((background, j) => ({
      w,
      h,
      background,
      position: LABEL_POSITIONS[(i * 3 + j) % LABEL_POSITIONS.length],
      bilingual: j === 1,
    })),
  );
  it.each(cases)('$w×$h $background $position', async ({ w, h, background, position, bilingual }) => {
    const input = u8(await (await picture(w, h, background, w + h)).png().toBuffer());
    const result = await applyVisibleLabel(input, { position, bilingual });
    const before = await displayedPixels(input);
    const after = await displayedPixels(result.bytes);
    const ink = findInk(before, after, result.contrast.text);
    expect(ink).not.toBeNull();
    const shortest = Math.min(w, h);
    // Every line is sized alike, so the ink of the first line alone must reach 5%: take the ink
    // rows of the first line by stopping at the first ink-free row after the top.
    const firstLine = firstLineInkHeight(before, after, result.contrast.text, ink!.top);
    expect(firstLine / shortest).toBeGreaterThanOrEqual(0.05);
    expect(result.box.ratio).toBeGreaterThanOrEqual(0.05);
    // The ink lies inside the reported box, which lies inside the image.
    expect(ink!.left).toBeGreaterThanOrEqual(result.box.x);
    expect(ink!.right).toBeLessThan(result.box.x + result.box.width);
    expect(ink!.top).toBeGreaterThanOrEqual(result.box.y);
    expect(ink!.bottom).toBeLessThan(result.box.y + result.box.height);
    expect(result.box.x + result.box.width).toBeLessThanOrEqual(w);
    expect(result.box.y + result.box.height).toBeLessThanOrEqual(h);
    expectAt(result.box, position, w, h);
    expect(plateContrast(after, result.box, result.contrast.text)).toBeGreaterThanOrEqual(4.5);
    expect(result.contrast.ratio).toBeGreaterThanOrEqual(4.5);
    expect(result.findings).toEqual([]);
  });

  it('a larger textHeightRatio draws larger text', async () => {
    const input = u8(await (await picture(800, 600, 'light')).png().toBuffer());
    const result = await applyVisibleLabel(input, { textHeightRatio: 0.1 });
    const ink = findInk(await displayedPixels(input), await displayedPixels(result.bytes), result.contrast.text);
    expect((ink!.bottom - ink!.top + 1) / 600).toBeGreaterThanOrEqual(0.1);
  });
});

/** Height of the ink run that starts at `top`: rows until the first row with no ink in the label. */
function firstLineInkHeight(before: Awaited<ReturnType<typeof displayedPixels>>, after: typeof before, text: string, top: number): number {
  let y = top;
  const rowHasInk = (row: number) =>
    findInk(
      { ...before, data: before.data.subarray(row * before.width * 3, (row + 1) * before.width * 3), height: 1 },
      { ...after, data: after.data.subarray(row * after.width * 3, (row + 1) * after.width * 3), height: 1 },
      text,
    ) !== null;
  while (y < after.height && rowHasInk(y)) y++;
  return y - top;
}

function expectAt(box: { x: number; y: number; width: number; height: number }, position: LabelPosition, w: number, h: number) {
  const cx = (box.x + box.width / 2) / w;
  const cy = (box.y + box.height / 2) / h;
  const [vertical, horizontal] = position.split('-');
  if (horizontal === 'left') expect(cx).toBeLessThan(0.5);
  if (horizontal === 'right') expect(cx).toBeGreaterThan(0.5);
  if (horizontal === 'center') expect(Math.abs(cx - 0.5)).toBeLessThan(0.01);
  if (vertical === 'top') expect(cy).toBeLessThan(0.5);
  if (vertical === 'bottom') expect(cy).toBeGreaterThan(0.5);
  if (vertical === 'middle') expect(Math.abs(cy - 0.5)).toBeLessThan(0.01);
}

describe('EXIF orientation', () => {
  /** Ink mask of the displayed label's neighbourhood (top-left 300×120 px) on a flat picture. */
  async function labeledMask(
    orientation: number,
  ): Promise<{ mask: boolean[]; result: Awaited<ReturnType<typeof applyVisibleLabel>>; width: number }> {
    const input = u8(await (await picture(640, 400, 'light')).withMetadata({ orientation }).jpeg({ quality: 92 }).toBuffer());
    const result = await applyVisibleLabel(input, { position: 'top-left' });
    const before = await displayedPixels(input);
    const after = await displayedPixels(result.bytes);
    const mask: boolean[] = [];
    for (let y = 0; y < 120; y++) {
      for (let x = 0; x < 300; x++) {
        const i = (y * after.width + x) * 3;
        mask.push(Math.abs(after.data[i] - before.data[i]) > 100);
      }
    }
    return { mask, result, width: after.width };
  }

  it.each([2, 3, 4, 5, 6, 7, 8])(
    'orientation %i: the displayed label matches the upright one, stored orientation kept',
    async (orientation) => {
      const upright = await labeledMask(1);
      const { mask, result, width } = await labeledMask(orientation);
      expect((await sharp(result.bytes).metadata()).orientation).toBe(orientation);
      expect(exif(result.bytes).Orientation?.value).toBe(orientation);
      expect(width).toBe(orientation >= 5 ? 400 : 640);
      // Same shortest side, same corner: the same glyphs, not mirrored or turned.
      const inked = upright.mask.filter(Boolean).length;
      const differing = mask.filter((m, i) => m !== upright.mask[i]).length;
      expect(inked).toBeGreaterThan(1000);
      expect(differing / inked).toBeLessThan(0.03);
    },
  );
});

describe('output format and metadata', () => {
  const icc = 'p3';
  const xmp =
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">' +
    '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator><rdf:Seq><rdf:li>Tester</rdf:li></rdf:Seq></dc:creator>' +
    '</rdf:Description></rdf:RDF></x:xmpmeta>';
  const formats = ['jpeg', 'png', 'webp', 'tiff', 'avif'] as const;

  it.each(formats)('%s: same format out, ICC, EXIF and XMP kept', async (format) => {
    const base = (await picture(600, 400, 'busy'))
      .withIccProfile(icc)
      .withExif({ IFD0: { Artist: 'Tester', Copyright: 'CC0' } })
      .withXmp(xmp);
    const input = u8(await base.toFormat(format).toBuffer());
    const result = await applyVisibleLabel(input);
    const meta = await sharp(result.bytes).metadata();
    expect(meta.format).toBe((await sharp(input).metadata()).format);
    expect(meta.icc).toBeDefined();
    expect(exif(result.bytes)['ICC Description']?.description).toBe(exif(input)['ICC Description']?.description);
    const tags = exif(result.bytes, true);
    if (format !== 'tiff') expect(tags.exif?.Artist?.description).toBe('Tester'); // sharp writes no EXIF into TIFF (toolchain §3)
    if (format !== 'png')
      expect(tags.xmp?.creator?.description).toBe('Tester'); // PNG XMP goes to zTXt, which ExifReader skips
    else expect(meta.xmp).toBeDefined();
  });

  it('JPEG quality is estimated from the quantisation tables and kept', async () => {
    for (const quality of [55, 80, 95]) {
      const input = u8(await (await picture(500, 400, 'busy', quality)).jpeg({ quality }).toBuffer());
      const result = await applyVisibleLabel(input);
      const { estimateJpegEncoding } = await import('../../src/explicit/index.js');
      expect(estimateJpegEncoding(input)?.quality).toBe(quality);
      expect(estimateJpegEncoding(result.bytes)?.quality).toBe(quality);
    }
  });

  it('JPEG 4:4:4 and progressive settings are kept', async () => {
    const input = u8(
      await (await picture(300, 300, 'busy')).jpeg({ quality: 90, chromaSubsampling: '4:4:4', progressive: true }).toBuffer(),
    );
    const result = await applyVisibleLabel(input);
    const meta = await sharp(result.bytes).metadata();
    expect(meta.chromaSubsampling).toBe('4:4:4');
    expect(meta.isProgressive).toBe(true);
  });

  it.each(['gif', 'webp'] as const)('animated %s: every frame labeled, frame count and delays kept', async (format) => {
    // Light, dark and mid frames: the plate must suit all three.
    const colours = ['#f0f0e0', '#102030', '#808890'];
    const frames = await Promise.all(
      colours.map((background) =>
        sharp({ create: { width: 320, height: 240, channels: 3, background } })
          .png()
          .toBuffer(),
      ),
    );
    const input = u8(
      await sharp(frames, { join: { animated: true } })
        .toFormat(format, { delay: [100, 200, 300], loop: 0 })
        .toBuffer(),
    );
    const inMeta = await sharp(input, { animated: true }).metadata();
    expect(inMeta.pages).toBe(3);
    const result = await applyVisibleLabel(input, { position: 'bottom-left' });
    const outMeta = await sharp(result.bytes, { animated: true }).metadata();
    expect(outMeta.format).toBe(format);
    expect(outMeta.pages).toBe(3);
    expect(outMeta.delay).toEqual(inMeta.delay);
    const { x, y, width, height } = result.box;
    for (let page = 0; page < 3; page++) {
      const before = await displayedPixels(input, page);
      const after = await displayedPixels(result.bytes, page);
      // Text inside the box on every frame; outside it the frame is as it was (GIF palettes may shift a few levels).
      const crop = (raw: typeof before) => {
        const data = new Uint8Array(width * height * 3);
        for (let row = 0; row < height; row++)
          data.set(raw.data.subarray(((y + row) * raw.width + x) * 3, ((y + row) * raw.width + x + width) * 3), row * width * 3);
        return { data, width, height };
      };
      const ink = findInk(crop(before), crop(after), result.contrast.text);
      expect(ink).not.toBeNull();
      expect(ink!.bottom - ink!.top + 1).toBeGreaterThanOrEqual(0.05 * 240);
      let outside = 0;
      let count = 0;
      for (let row = 0; row < 240; row++) {
        for (let col = 0; col < 320; col++) {
          if (col >= x && col < x + width && row >= y && row < y + height) continue;
          const i = (row * 320 + col) * 3;
          outside += Math.abs(after.data[i] - before.data[i]);
          count++;
        }
      }
      expect(outside / count).toBeLessThan(4);
    }
    expect(x).toBeLessThan(160);
    expect(y).toBeGreaterThan(120);
  });

  it('transparent PNG: alpha kept, the plate legible on any backdrop', async () => {
    const input = u8(
      await sharp({ create: { width: 400, height: 300, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } })
        .png()
        .toBuffer(),
    );
    const result = await applyVisibleLabel(input);
    const meta = await sharp(result.bytes).metadata();
    expect([meta.format, meta.hasAlpha]).toEqual(['png', true]);
    // Whatever shows through the transparent pixels, the text keeps 4.5:1 against the plate.
    for (const background of ['#ffffff', '#000000']) {
      const { data: flat } = await sharp(result.bytes).flatten({ background }).raw().toBuffer({ resolveWithObject: true });
      expect(plateContrast({ data: flat, width: 400, height: 300 }, result.box, result.contrast.text)).toBeGreaterThanOrEqual(4.5);
    }
    const { data } = await sharp(result.bytes).raw().toBuffer({ resolveWithObject: true });
    expect(data[(0 * 400 + 0) * 4 + 3]).toBe(0);
    const plateAlpha = data[((result.box.y + 1) * 400 + result.box.x + Math.floor(result.box.width / 2)) * 4 + 3];
    expect(Math.abs(plateAlpha - result.contrast.plateOpacity * 255)).toBeLessThanOrEqual(2);
  });

  it('the input bytes are not modified', async () => {
    const input = u8(await (await picture(400, 300, 'light')).jpeg().toBuffer());
    const copy = input.slice();
    await applyVisibleLabel(input);
    expect(input).toEqual(copy);
  });
});

describe('bad input and rule enforcement', () => {
  it('rejects wording without both elements', async () => {
    const input = u8(await (await picture(400, 300, 'light')).png().toBuffer());
    await expect(applyVisibleLabel(input, { text: 'AI播客' })).rejects.toThrow(InvalidLabelError);
    await expect(applyVisibleLabel(input, { text: '内容生成' })).rejects.toThrow(/AI element/);
  });

  it.each(['本内容由AI合成', 'AI生成', '由AI合成 AI-generated'])('draws every glyph of custom wording "%s"', async (text) => {
    // opentype.js 2.0 prints NaN into path data after Latin glyphs; a dropped glyph leaves the plate's right side empty.
    const input = u8(await (await picture(800, 600, 'dark')).png().toBuffer());
    const result = await applyVisibleLabel(input, { text, position: 'top-left' });
    const ink = findInk(await displayedPixels(input), await displayedPixels(result.bytes), result.contrast.text);
    const padding = Math.round(result.box.inkHeight * 0.3);
    expect(ink!.left).toBeLessThanOrEqual(result.box.x + padding + 2);
    expect(ink!.right).toBeGreaterThanOrEqual(result.box.x + result.box.width - padding - 3);
  });

  it('stacks multiple lines', async () => {
    const input = u8(await (await picture(800, 600, 'dark')).png().toBuffer());
    const one = await applyVisibleLabel(input, { text: '本内容由人工智能生成' });
    const two = await applyVisibleLabel(input, { text: ['本内容由', '人工智能生成'] });
    expect(two.box.height).toBeGreaterThan(1.8 * one.box.inkHeight + one.box.height - one.box.inkHeight);
    expect(two.box.width).toBeLessThan(one.box.width);
  });

  it('rejects a ratio below 5% unless allowNoncompliant, then reports it', async () => {
    const input = u8(await (await picture(800, 600, 'light')).png().toBuffer());
    await expect(applyVisibleLabel(input, { textHeightRatio: 0.03 })).rejects.toThrow(/5%/);
    const result = await applyVisibleLabel(input, { textHeightRatio: 0.03, allowNoncompliant: true });
    expect(result.box.ratio).toBeLessThan(0.05);
    expect(result.findings.map((f) => f.rule)).toContain('gb45438/5.2e-text-height');
  });

  it('refuses an image too small for a compliant label, or fits it with findings', async () => {
    const input = u8(await (await picture(60, 400, 'light')).png().toBuffer());
    await expect(applyVisibleLabel(input, { text: '本内容由人工智能生成' })).rejects.toThrow(/too small/);
    const result = await applyVisibleLabel(input, { text: '本内容由人工智能生成', allowNoncompliant: true });
    // 5% of 60 px is 3 px; the label is shrunk below the 10 px legibility floor to fit, not below 5%.
    expect(result.findings.map((f) => f.rule)).toEqual(['gb45438/5.2e-noncompliant-fit']);
    expect(result.box.x + result.box.width).toBeLessThanOrEqual(60);
  });

  it('errors clearly on unsupported, corrupt, empty and oversized input', async () => {
    await expect(applyVisibleLabel(new TextEncoder().encode('not an image at all'))).rejects.toThrow(UnsupportedFormatError);
    await expect(applyVisibleLabel(new Uint8Array(0))).rejects.toThrow(MalformedInputError);
    const jpeg = u8(await (await picture(400, 300, 'busy')).jpeg().toBuffer());
    await expect(applyVisibleLabel(jpeg.subarray(0, jpeg.length / 2))).rejects.toThrow(MalformedInputError);
    await expect(applyVisibleLabel(jpeg, { limitInputPixels: 100_000 })).rejects.toThrow(LimitExceededError);
    const svg = new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg" width="400" height="300"/>');
    await expect(applyVisibleLabel(svg)).rejects.toThrow(UnsupportedFormatError);
  });
});

describe('renderLabelPng', () => {
  it('draws a compliant label on a transparent frame, legible on white and on black', async () => {
    const result = await renderLabelPng(1920, 1080, { position: 'top-right' });
    const meta = await sharp(result.png).metadata();
    expect([meta.width, meta.height, meta.hasAlpha]).toEqual([1920, 1080, true]);
    for (const backdrop of ['#ffffff', '#000000']) {
      const plain = u8(
        await sharp({ create: { width: 1920, height: 1080, channels: 3, background: backdrop } })
          .png()
          .toBuffer(),
      );
      const over = u8(
        await sharp(plain)
          .composite([{ input: Buffer.from(result.png) }])
          .png()
          .toBuffer(),
      );
      const before = await displayedPixels(plain);
      const after = await displayedPixels(over);
      const ink = findInk(before, after, result.contrast.text);
      expect(ink).not.toBeNull();
      expect((ink!.bottom - ink!.top + 1) / 1080).toBeGreaterThanOrEqual(0.05);
      expect(plateContrast(after, result.box, result.contrast.text)).toBeGreaterThanOrEqual(4.5);
    }
  });
});
