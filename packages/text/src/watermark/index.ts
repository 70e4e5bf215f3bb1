// The text watermark (issue 20): keyed, label-bound invisible variation selectors that survive copy and paste.
export { textWatermark } from './capability.js';
export type { WatermarkFlavour } from './context.js';
export { detectTextWatermark, type TextWatermarkDetection, type TextWatermarkFinding } from './detect.js';
export { DEFAULT_SPACING, TextWatermarker, type TextWatermarkOptions, watermarkText, watermarkTextStream } from './embed.js';
