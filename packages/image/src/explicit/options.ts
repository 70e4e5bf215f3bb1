import { Wording } from '@aigc-label/core';

/** Where the label sits, in displayed orientation: four corners and four edge midpoints (GB 45438 §5.2 c)). */
export type LabelPosition =
  | 'top-left'
  | 'top-center'
  | 'top-right'
  | 'middle-left'
  | 'middle-right'
  | 'bottom-left'
  | 'bottom-center'
  | 'bottom-right';

export const LABEL_POSITIONS: readonly LabelPosition[] = [
  'top-left',
  'top-center',
  'top-right',
  'middle-left',
  'middle-right',
  'bottom-left',
  'bottom-center',
  'bottom-right',
];

/** GB 45438 §5.2 e) / §5.4 f): text height ≥ 5% of the shortest side. */
export const MIN_TEXT_HEIGHT_RATIO = 0.05;

/** Finding rule ids of the explicit-label code. */
export const ExplicitRules = {
  textHeight: 'gb45438/5.2e-text-height',
  noncompliantFit: 'gb45438/5.2e-noncompliant-fit',
} as const;

export interface VisibleLabelOptions {
  /**
   * Label wording, one string per line. It must contain an AI element (人工智能/AI) and a
   * generation element (生成/合成) (GB 45438 §5.2 b)). Default `['人工智能生成']`.
   */
  readonly text?: string | readonly string[];
  /** Add an English second line (`AI-generated`) under the wording. Default false. */
  readonly bilingual?: boolean;
  /** Position in displayed orientation. Default `'bottom-right'`. */
  readonly position?: LabelPosition;
  /**
   * Ink height of the text as a fraction of the shortest displayed side. Default and minimum 0.05
   * (GB 45438 §5.2 e)); values below 0.05 are refused unless `allowNoncompliant`.
   */
  readonly textHeightRatio?: number;
  /** Gap between the label and the image edges, as a fraction of the shortest side. Default 0.02. */
  readonly marginRatio?: number;
  /**
   * Draw a label that breaks the 5% rule (smaller ratio asked for, or an image too small for a
   * compliant label) instead of refusing; the result carries a finding. Default false.
   */
  readonly allowNoncompliant?: boolean;
  /** Input pixel limit (width × height × frames), passed to sharp. Default sharp's 268402689. */
  readonly limitInputPixels?: number;
  /** JPEG output quality. Default: estimated from the source's quantisation tables (75 if none). */
  readonly jpegQuality?: number;
}

/** Smallest ink height drawn, px, whatever the image size: below this no CJK glyph is legible (§5.2 d)). */
export const MIN_LEGIBLE_INK_PX = 10;

// Anti-aliasing may leave the outermost rows of ink faint; drawing 2 px taller keeps the measured height ≥ the rule.
export const ANTIALIAS_ALLOWANCE_PX = 2;

export const DEFAULT_POSITION: LabelPosition = 'bottom-right';
export const DEFAULT_MARGIN_RATIO = 0.02;
export const DEFAULT_WORDING: readonly string[] = [Wording.zh];
export const ENGLISH_LINE = 'AI-generated';
/** Sharp's own default input pixel limit (0x3FFF × 0x3FFF). */
export const DEFAULT_PIXEL_LIMIT = 268_402_689;

/** The label as drawn, in displayed pixels. */
export interface LabelBox {
  readonly position: LabelPosition;
  /** The backing plate: left, top, width and height, px. */
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  /** Ink height of the text (shortest line), px. */
  readonly inkHeight: number;
  /** `inkHeight` ÷ the shortest displayed side. */
  readonly ratio: number;
}
