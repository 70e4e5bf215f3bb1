/**
 * WCAG 2.x relative luminance and contrast ratio, and the choice of a backing plate that keeps
 * the label text at ≥ 4.5:1 against whatever lies underneath (GB 45438 §5.2 d) "字型应清晰可辨").
 */

/** WCAG 2.x AA minimum contrast for normal text. */
export const MIN_CONTRAST = 4.5;

// sRGB transfer function, per 8-bit code value (IEC 61966-2-1, as WCAG 2.x uses it).
const LINEAR = Float64Array.from({ length: 256 }, (_, v) => {
  const c = v / 255;
  return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
});

const linear = (value: number): number => LINEAR[Math.max(0, Math.min(255, Math.round(value)))];

/** Relative luminance of an sRGB colour given as 0-255 channel values. */
export const relativeLuminance = (r: number, g: number, b: number): number => 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);

/** WCAG contrast ratio of two relative luminances, from 1 to 21. */
export function contrastRatio(a: number, b: number): number {
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}

/** The colours the label is drawn with and the worst contrast they give. */
export interface LabelContrast {
  /** Text colour, `#rrggbb`. */
  readonly text: string;
  /** Backing plate colour, `#rrggbb`. */
  readonly plate: string;
  /** Plate opacity, 0-1. */
  readonly plateOpacity: number;
  /** WCAG contrast ratio of the text against the least favourable pixel behind it, plate included. */
  readonly ratio: number;
}

/** Pixels under the label: interleaved 8-bit samples with 3 (RGB) or 4 (RGBA) channels. */
export interface RegionPixels {
  readonly data: Uint8Array;
  readonly channels: number;
}

interface Scheme {
  readonly text: number;
  readonly plate: number;
}

// White on a dark plate or black on a light plate: the extremes give the most headroom per unit of opacity.
const SCHEMES: readonly Scheme[] = [
  { text: 255, plate: 0 },
  { text: 0, plate: 255 },
];
// Lowest opacity first: a lighter plate hides less of the picture.
const OPACITIES = [0.45, 0.55, 0.65, 0.75, 0.85];

const hex = (v: number): string => `#${v.toString(16).padStart(2, '0').repeat(3)}`;

/**
 * Worst contrast of `scheme` at `opacity` over `region`. Compositing happens on sRGB code values
 * as sharp does it. A transparent pixel shows an unknown backdrop, so the least favourable extreme
 * (the text colour itself) stands in for what shows through.
 */
function worstContrast(region: RegionPixels, scheme: Scheme, opacity: number): number {
  const textLuminance = relativeLuminance(scheme.text, scheme.text, scheme.text);
  const { data, channels } = region;
  let worst = 21;
  for (let i = 0; i + channels <= data.length; i += channels) {
    const alpha = channels === 4 ? data[i + 3] / 255 : 1;
    const under = (c: number) => alpha * c + (1 - alpha) * scheme.text;
    const mix = (c: number) => opacity * scheme.plate + (1 - opacity) * under(c);
    const ratio = contrastRatio(textLuminance, relativeLuminance(mix(data[i]), mix(data[i + 1]), mix(data[i + 2])));
    if (ratio < worst) worst = ratio;
  }
  return worst;
}

/** Standard deviation over every pixel under the label of `measure` (of its R, G, B). */
function spread(regions: readonly RegionPixels[], measure: (r: number, g: number, b: number) => number): number {
  let count = 0;
  let sum = 0;
  let squares = 0;
  for (const { data, channels } of regions) {
    for (let i = 0; i + channels <= data.length; i += channels) {
      const l = measure(data[i], data[i + 1], data[i + 2]);
      count++;
      sum += l;
      squares += l * l;
    }
  }
  if (count === 0) return 0;
  const mean = sum / count;
  return Math.sqrt(Math.max(0, squares / count - mean * mean));
}

/** Rec. 601 luma in code values, as an eye (and OCR's binarisation) sees texture. */
const luma = (r: number, g: number, b: number) => 0.299 * r + 0.587 * g + 0.114 * b;

/**
 * Texture left showing through the plate, in luma code values (standard deviation). More, and
 * OCR's line finding breaks the label up: a photograph of gilded carving under a 65% plate (the
 * python-docx sample court-exif.jpg, 31 levels of texture, 11 of them through the plate) was read
 * as fragments.
 */
const MAX_RESIDUAL_TEXTURE = 6;

/**
 * Picks text colour, plate colour and the lowest plate opacity that keep every pixel under the
 * label at ≥ 4.5:1, falling back to an opaque plate (21:1).
 */
export function choosePlate(regions: readonly RegionPixels[]): LabelContrast {
  // A busy backdrop (high luminance spread) clutters the glyph edges even at 4.5:1, for eyes and
  // for OCR alike, so the plate gets more opaque as the spread grows.
  const texture = spread(regions, luma);
  const floor = Math.min(
    OPACITIES[OPACITIES.length - 1],
    Math.max(OPACITIES[0] + 2 * spread(regions, relativeLuminance), 1 - MAX_RESIDUAL_TEXTURE / Math.max(texture, 1e-9)),
  );
  for (const opacity of OPACITIES.filter((o) => o >= floor)) {
    let best: LabelContrast | undefined;
    for (const scheme of SCHEMES) {
      const ratio = Math.min(...regions.map((region) => worstContrast(region, scheme, opacity)));
      if (ratio >= MIN_CONTRAST && (best === undefined || ratio > best.ratio)) {
        best = { text: hex(scheme.text), plate: hex(scheme.plate), plateOpacity: opacity, ratio };
      }
    }
    if (best !== undefined) return best;
  }
  return { text: hex(255), plate: hex(0), plateOpacity: 1, ratio: contrastRatio(1, 0) };
}
