export { defaultBinaries, type FfmpegBinaries } from '@aigc-label/ffmpeg';
export {
  applyVisibleVideoLabel,
  MIN_VISIBLE_SECONDS,
  type RhythmLabelMix,
  type VisibleVideoLabelOptions,
  type VisibleVideoLabelResult,
} from './apply-visible-label.js';
export { type ParameterSetsPlanner, type VideoLabelTools, visibleVideoLabel } from './capability.js';
export { type SampledFrame, sampleFrames } from './frames.js';
export type { LabelInterval, LabelPosition } from './plan.js';
export type { OutputChecks } from './verify.js';
