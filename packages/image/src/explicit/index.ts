export { applyVisibleLabel, type LabelPngResult, renderLabelPng, type VisibleLabelResult } from './apply.js';
export { readVisibleLabels, visibleImageLabel } from './capability.js';
export { contrastRatio, type LabelContrast, MIN_CONTRAST, relativeLuminance } from './contrast.js';
export {
  type DetectedLabel,
  type DetectedPosition,
  type DetectVisibleLabelsOptions,
  detectVisibleLabels,
  OCR_FAILED_RULE,
  type VisibleLabelDetection,
} from './detect.js';
export { estimateJpegEncoding, type JpegEncoding } from './jpeg-quality.js';
export { dispose } from './ocr-engine.js';
export {
  LABEL_POSITIONS,
  type LabelBox,
  type LabelPosition,
  MIN_TEXT_HEIGHT_RATIO,
  type VisibleLabelOptions,
} from './options.js';
