// The audio watermark (issue 20): a keyed, label-bound patchwork mark read in the rhythm search's decode.
export { type AudioWatermarkResult, applyAudioWatermark } from './apply.js';
export { audioWatermark, audioWatermarkReadings } from './capability.js';
export { detectWatermark, type WatermarkDetection, type WatermarkDetectOptions, WatermarkDetector } from './detect.js';
export { DEFAULT_MIN_SEGMENT_SNR_DB, DEFAULT_STRENGTH, WatermarkEmbedder, type WatermarkEmbedOptions } from './embed.js';
export { BLOCK_SECONDS, WATERMARK_RATE } from './layout.js';
export { watermarkPcm } from './stream.js';
