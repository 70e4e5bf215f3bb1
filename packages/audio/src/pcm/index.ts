export type { AnalysisInput } from './analysis.js';
export type { AudioInput, AudioStreamInfo } from './ffmpeg.js';
export { decodePcm, ffmpegPath, ffprobePath, probeAudio } from './ffmpeg.js';
export type { LabelLevel } from './level.js';
export type { ExplicitLabelPaths, ExplicitLabelResult, PlacementOptions } from './relabel.js';
export type { LabelMode, LabelPosition, ProgrammeLevel } from './splice.js';
