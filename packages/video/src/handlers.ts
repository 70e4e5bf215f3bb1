/**
 * The video format modules and what the facade's registry wires from this package, without the
 * rest of it (the renderer, the frame sampler and the mark load when a label is drawn or looked
 * for): a command that reads one file's metadata loads only this (`@aigc-label/video/handlers`).
 */
import type { FormatHandler } from '@aigc-label/core';
import { aviWithLabels } from './avi/index.js';
import type { VideoLabelTools } from './explicit/capability.js';
import { flvWithLabels } from './flv/index.js';
import { matroskaWithLabels } from './matroska/index.js';
import { mp4WithLabels } from './mp4/index.js';

/** Video format modules in sniffing order, with the tools their visible labels borrow from the image and audio packages. */
export const videoHandlers = (tools: VideoLabelTools): readonly FormatHandler[] => [
  mp4WithLabels(tools),
  matroskaWithLabels(tools),
  aviWithLabels(tools),
  flvWithLabels(tools),
];
export type { VideoLabelTools } from './explicit/capability.js';
export { videoEvidence } from './rules.js';
