import { audibleSearch, audioEvidence, audioHandlers } from '@aigc-label/audio/handlers';
import { coreEvidenceKinds, type EvidenceKind, type EvidenceReader, FormatRegistry } from '@aigc-label/core';
import { c2paReader, evidenceKinds, markWordingReader, vendorMarkerReader } from '@aigc-label/evidence';
import { imageEvidence, imageHandlers, readVisibleLabels } from '@aigc-label/image/handlers';
import { findExplicitLabels, textEvidence, textHandlers } from '@aigc-label/text/handlers';
import { type VideoLabelTools, videoEvidence, videoHandlers } from '@aigc-label/video/handlers';
import { videoWatermarkTools } from './watermark-tools.js';

/** What video labels borrow from the other modalities: the image package draws and reads the label, the audio package hears one. */
const videoLabelTools: VideoLabelTools = {
  // Drawing (sharp, fonts) loads when a label is drawn; reading one file's metadata needs none of it.
  renderOverlay: async (frame, visible) =>
    (await (await import('@aigc-label/image')).renderLabelPng(frame.width, frame.height, visible)).png,
  readFrame: (png, where) => readVisibleLabels(png, where, 'explicit-video-label', '5.4'),
  audibleSearch,
  watermark: videoWatermarkTools,
};

/**
 * Every built-in format module, in sniffing order: binary formats with exact magic
 * bytes first, text formats (which accept anything that looks like text) last.
 * Adding a format is one folder in its media package plus one entry here (CONTRIBUTING.md).
 */
export const defaultRegistry = new FormatRegistry([...imageHandlers, ...audioHandlers, ...videoHandlers(videoLabelTools), ...textHandlers]);

/**
 * The readers of traces other than the label that `detect` and `verify` run on every file
 * (Measures Art. 6(3)): C2PA manifests validated with the official SDK, vendors' own markers, and
 * the wording of marks OCR read, judged by the text package's label grammar.
 */
export const defaultEvidenceReaders: readonly EvidenceReader[] = [c2paReader(), vendorMarkerReader, markWordingReader(findExplicitLabels)];

/** What each evidence kind means, from every package's table: the reason a report gives when the evidence itself gives none. */
export const evidenceKindMeanings: Readonly<Record<EvidenceKind, string>> = {
  ...coreEvidenceKinds,
  ...textEvidence,
  ...imageEvidence,
  ...audioEvidence,
  ...videoEvidence,
  ...evidenceKinds,
};
