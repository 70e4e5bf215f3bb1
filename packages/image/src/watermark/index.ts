export { imageWatermark } from './capability.js';
export {
  type DetectOptions,
  detectImageWatermark,
  detectWatermark,
  type ImageDetectOptions,
  measureWatermark,
  type WatermarkDetection,
  type WatermarkMeasurement,
} from './detect.js';
export { CHIPS_PER_SHORT_SIDE, chipSizeFor, type EmbedOptions, type EmbedResult, embedWatermark, WATERMARK_MIN_SIDE } from './embed.js';
export { type ImageQuality, imageQuality } from './quality.js';
export type { RawPixels } from './raw.js';
export { type PayloadVote, type VideoDetectOptions, type VideoWatermarkDetection, VideoWatermarkDetector } from './video.js';
