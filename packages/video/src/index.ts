export { avi } from './avi/index.js';
export * from './explicit/index.js';
export { flv } from './flv/index.js';
export { videoHandlers } from './handlers.js';
export { matroska } from './matroska/index.js';
export { mp4 } from './mp4/index.js';
export * from './rules.js';
export type { VideoFrameReader, VideoWatermarkTools } from './watermark/capability.js';
export type { LumaFrame } from './watermark/frames.js';
