import { VISIBLE_POSITIONS, type VisibleLabelOptions, type VisiblePosition, Wording } from '@aigc-label/core';

/** Where the label sits, in displayed orientation (GB 45438 §5.2 c)); the type lives in core's option vocabulary. */
export type LabelPosition = VisiblePosition;
export const LABEL_POSITIONS: readonly LabelPosition[] = VISIBLE_POSITIONS;

/** GB 45438 §5.2 e) / §5.4 f): text height ≥ 5% of the shortest side. */
export const MIN_TEXT_HEIGHT_RATIO = 0.05;

export type { VisibleLabelOptions };

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
