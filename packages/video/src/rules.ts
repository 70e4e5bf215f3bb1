import type { aviRules } from './avi/index.js';

/** Findings of the video package's visible labels (GB 45438 §5.4), with their meaning. */
export const videoRules = {
  'explicit/full-reencode':
    'the whole video was re-encoded for its visible label (the smart render could not be used); the reason is given (info)',
  'gb45438/5.4-short-video':
    'the video is shorter than the 2 s GB 45438 §5.4 asks a visible label to show, so the label shows on every frame (warning)',
  'explicit/ocr-needs-file': 'reading video frames needs a file on disk, so buffer calls skip it (info)',
  'explicit/parameter-sets-in-band': "the re-encoded GOPs' H.264 parameter sets are in-band only; the track header had no room (info)",
} as const;

/** Evidence the video package reports, with its meaning. */
export const videoEvidence = {
  'explicit-video-label': 'a visible label read by OCR in sampled video frames (GB 45438 §5.4); a trace under Measures Art. 6(3)',
} as const;

declare module '@aigc-label/core' {
  interface RuleIdsByPackage {
    video: keyof typeof videoRules | keyof typeof aviRules;
  }
  interface EvidenceKindsByPackage {
    video: keyof typeof videoEvidence;
  }
}
