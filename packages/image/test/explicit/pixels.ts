import sharp, { type Sharp } from 'sharp';
import type { LabelBox } from '../../src/explicit/index.js';

export type Background = 'light' | 'dark' | 'busy';

/** A test picture: flat light, flat dark, or busy (random blocks of every brightness plus noise). */
export async function picture(width: number, height: number, background: Background, seed = 1): Promise<Sharp> {
  if (background !== 'busy') {
    const colour = background === 'light' ? { r: 236, g: 240, b: 226 } : { r: 18, g: 24, b: 40 };
    return sharp({ create: { width, height, channels: 3, background: colour } });
  }
  const data = new Uint8Array(width * height * 3);
  let state = seed;
  const random = () => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return state / 0x7fffffff;
  };
  const block = Math.max(4, Math.round(Math.min(width, height) / 24));
  for (let by = 0; by < height; by += block) {
    for (let bx = 0; bx < width; bx += block) {
      const base = [random() * 255, random() * 255, random() * 255];
      for (let y = by; y < Math.min(height, by + block); y++) {
        for (let x = bx; x < Math.min(width, bx + block); x++) {
          const i = (y * width + x) * 3;
          for (let c = 0; c < 3; c++) data[i + c] = Math.max(0, Math.min(255, base[c] + (random() - 0.5) * 40));
        }
      }
    }
  }
  return sharp(data, { raw: { width, height, channels: 3 } });
}

export interface Raw {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
}

/** Decoded RGB pixels in displayed orientation (EXIF Orientation applied). */
export async function displayedPixels(bytes: Uint8Array, page = 0): Promise<Raw> {
  const { data, info } = await sharp(bytes, { page })
    .rotate()
    .flatten({ background: '#808080' })
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

const hexRgb = (hex: string): number[] => [1, 3, 5].map((i) => Number.parseInt(hex.slice(i, i + 2), 16));

/**
 * The text ink found by diffing output against input: pixels that changed and now carry the
 * text colour. Returns the rows and columns the ink spans, anywhere in the image.
 */
export function findInk(before: Raw, after: Raw, textColour: string): { top: number; bottom: number; left: number; right: number } | null {
  const text = hexRgb(textColour);
  let top = Number.POSITIVE_INFINITY;
  let bottom = -1;
  let left = Number.POSITIVE_INFINITY;
  let right = -1;
  for (let y = 0; y < after.height; y++) {
    for (let x = 0; x < after.width; x++) {
      const i = (y * after.width + x) * 3;
      let nearText = true;
      let changed = false;
      for (let c = 0; c < 3; c++) {
        if (Math.abs(after.data[i + c] - text[c]) > 80) nearText = false;
        if (Math.abs(after.data[i + c] - before.data[i + c]) > 40) changed = true;
      }
      if (nearText && changed) {
        top = Math.min(top, y);
        bottom = Math.max(bottom, y);
        left = Math.min(left, x);
        right = Math.max(right, x);
      }
    }
  }
  return bottom < 0 ? null : { top, bottom, left, right };
}

const linear = (v: number) => {
  const c = v / 255;
  return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
};
/** WCAG 2.x relative luminance, written out again here so the test does not trust the code under test. */
export const luminance = (r: number, g: number, b: number) => 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);

/**
 * Worst WCAG contrast between the text colour and the drawn plate, measured on output pixels in
 * the plate's top padding band (plate over picture, no glyphs there), away from the rounded corners.
 */
export function plateContrast(after: Raw, box: LabelBox, textColour: string): number {
  const text = hexRgb(textColour);
  const textLuminance = luminance(text[0], text[1], text[2]);
  const padding = Math.max(2, Math.round(box.inkHeight * 0.3));
  const inset = Math.ceil(Math.min(box.width, box.height) * 0.12) + 1;
  let worst = 21;
  for (let y = box.y + 1; y < box.y + padding - 1; y++) {
    for (let x = box.x + inset; x < box.x + box.width - inset; x++) {
      const i = (y * after.width + x) * 3;
      const l = luminance(after.data[i], after.data[i + 1], after.data[i + 2]);
      worst = Math.min(worst, (Math.max(l, textLuminance) + 0.05) / (Math.min(l, textLuminance) + 0.05));
    }
  }
  return worst;
}
