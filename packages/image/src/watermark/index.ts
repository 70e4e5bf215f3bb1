export { type DetectOptions, detectWatermark, type WatermarkDetection } from './detect.js';
export { CHIPS_PER_SHORT_SIDE, chipSizeFor, type EmbedOptions, type EmbedResult, embedWatermark, WATERMARK_MIN_SIDE } from './embed.js';
export type { RawPixels } from './raw.js';
