import { createRequire } from 'node:module';

/** Paths of the ffmpeg and ffprobe executables; by default the static builds from npm. */
export interface FfmpegBinaries {
  readonly ffmpeg: string;
  readonly ffprobe: string;
}

// Resolved on first use: a metadata-only run (a batch worker labeling thousands of files) never
// starts ffmpeg and should not pay for loading the installers.
const require = createRequire(import.meta.url);

/** The ffmpeg executable from npm (@ffmpeg-installer). */
export const ffmpegPath = (): string => (require('@ffmpeg-installer/ffmpeg') as { path: string }).path;

/** The ffprobe executable from npm (@ffprobe-installer). */
export const ffprobePath = (): string => (require('@ffprobe-installer/ffprobe') as { path: string }).path;

/** Both npm executables. */
export function defaultBinaries(): FfmpegBinaries {
  return { ffmpeg: ffmpegPath(), ffprobe: ffprobePath() };
}
