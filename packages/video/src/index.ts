import type { FormatHandler } from '@aigc-label/core';
import { aviWithLabels } from './avi/index.js';
import type { VideoLabelTools } from './explicit/capability.js';
import { flvWithLabels } from './flv/index.js';
import { matroskaWithLabels } from './matroska/index.js';
import { mp4WithLabels } from './mp4/index.js';

export { avi } from './avi/index.js';
export { flv } from './flv/index.js';
export { matroska } from './matroska/index.js';
export { mp4 } from './mp4/index.js';

/** Video format modules in sniffing order, with the tools their visible labels borrow from the image and audio packages. */
export const videoHandlers = (tools: VideoLabelTools): readonly FormatHandler[] => [
  mp4WithLabels(tools),
  matroskaWithLabels(tools),
  aviWithLabels(tools),
  flvWithLabels(tools),
];
export * from './explicit/index.js';
export * from './rules.js';
export type { VideoFrameReader, VideoWatermarkTools } from './watermark/capability.js';
export type { LumaFrame } from './watermark/frames.js';
