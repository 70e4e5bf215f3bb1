/**
 * What OCR reads, in which order: the passes (a plane of pixels, a page segmentation mode and the
 * crops), cheapest and most telling first, and the planes they read, built on demand.
 */
import type { PSM } from 'tesseract.js';
import { PSM_AUTO, PSM_BLOCK, PSM_SPARSE } from './ocr-engine.js';
import { colourKey, invertedLuma } from './ocr-preprocess.js';
import { sharp } from './sharp.js';

// Edge and corner crops, as fractions of the displayed frame (GB 45438 §5.2 c)): strips along the
// top edge, the middle (left and right edge midpoints) and the bottom edge, each read in three
// overlapping parts of 60% of the width (a corner label on a tall, narrow picture may take more than
// half the width). On a busy picture Tesseract's layout analysis finds a label far more often
// when the label fills a larger part of what it is given.
const STRIPS: readonly [number, number][] = [
  [0, 0.3],
  [0.35, 0.65],
  [0.7, 1],
];
const HALVES: readonly [number, number][] = [
  [0, 0.6],
  [0.4, 1],
  [0.2, 0.8],
];

export interface Crop {
  readonly left: number;
  readonly right: number;
  readonly top: number;
  readonly bottom: number;
}

export type PlaneKind = 'colour' | 'inverted' | 'white' | 'black';

export interface OcrPass {
  readonly plane: PlaneKind;
  readonly psm: PSM;
  readonly crops: readonly Crop[];
}

/**
 * The passes in order; a detection runs the next only when the earlier ones found nothing: the
 * parts as they are, inverted (light text on a dark ground), then colour-keyed (white or black
 * text over a busy picture), and with `wholeImage` each strip whole and then the whole image.
 */
export function planPasses(wholeImage: boolean): OcrPass[] {
  const parts = STRIPS.flatMap(([top, bottom]) => HALVES.map(([left, right]) => ({ left, right, top, bottom })));
  const strips = STRIPS.map(([top, bottom]) => ({ left: 0, right: 1, top, bottom }));
  const passes: OcrPass[] = [
    { plane: 'colour', psm: PSM_SPARSE, crops: parts },
    { plane: 'inverted', psm: PSM_SPARSE, crops: parts },
    { plane: 'white', psm: PSM_BLOCK, crops: parts },
    { plane: 'black', psm: PSM_BLOCK, crops: parts },
  ];
  if (wholeImage) {
    passes.push(
      { plane: 'colour', psm: PSM_AUTO, crops: strips },
      { plane: 'colour', psm: PSM_SPARSE, crops: [{ left: 0, right: 1, top: 0, bottom: 1 }] },
    );
  }
  return passes;
}

/** Pixels OCR reads: the picture itself (3 channels) or a derived grey plane (1 channel). */
export interface Plane {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 3;
}

export interface Area {
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
}

/** A crop's pixel area in a `width` × `height` plane. */
export function cropArea(crop: Crop, width: number, height: number): Area {
  return {
    left: Math.floor(crop.left * width),
    top: Math.floor(crop.top * height),
    width: Math.ceil(crop.right * width) - Math.floor(crop.left * width),
    height: Math.ceil(crop.bottom * height) - Math.floor(crop.top * height),
  };
}

export const planePng = (plane: Plane, area: Area) =>
  sharp(plane.data, { raw: { width: plane.width, height: plane.height, channels: plane.channels } })
    .extract(area)
    .png({ compressionLevel: 1 })
    .toBuffer();

// A colour-keyed crop with less ink than a few small glyphs holds no label, and one that is mostly
// ink is a white sky or a black night, not text: neither is worth an OCR call (a busy picture
// without a label otherwise costs seconds of them).
const MIN_KEYED_INK_PIXELS = 150;
const MAX_KEYED_INK_SHARE = 0.5;

export function keyedTextPossible(plane: Plane, area: Area): boolean {
  let ink = 0;
  for (let y = area.top; y < area.top + area.height; y++) {
    const row = y * plane.width;
    for (let x = area.left; x < area.left + area.width; x++) if (plane.data[row + x] === 0) ink++;
  }
  return ink >= MIN_KEYED_INK_PIXELS && ink <= MAX_KEYED_INK_SHARE * area.width * area.height;
}

/** Builds the plane a pass reads, once per image and only when a pass needs it. */
export async function makePlane(kind: PlaneKind, pixels: Uint8Array, width: number, height: number): Promise<Plane> {
  if (kind === 'colour') return { data: pixels, width, height, channels: 3 };
  if (kind === 'inverted') return { data: invertedLuma(pixels, width * height), width, height, channels: 1 };
  // Noise pixels (JPEG, sensor or synthetic) would key as specks of ink: a 3×3 median first.
  const denoised = await sharp(pixels, { raw: { width, height, channels: 3 } })
    .median(3)
    .raw()
    .toBuffer();
  return { data: colourKey(denoised, width * height, kind), width, height, channels: 1 };
}
