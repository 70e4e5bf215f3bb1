import { bytesSource } from '@aigc-label/core';
import { detectInput } from './detect.js';
import type { DetectOptions, LabelOptions, VerifyOptions } from './options.js';
import { labelInput, memorySink } from './pipeline.js';
import type { DetectReport, LabelReport, VerifyReport } from './reports.js';
import { verifyFromDetect } from './verify.js';

/**
 * Reads every label carrier in `bytes`, and explicit labels (text always, the audible labels
 * of audio and video unless `audible: false`, image OCR with `ocr: true`).
 * @example
 * const report = await detectBuffer(bytes, { filename: 'photo.png' });
 * report.label?.ContentProducer;
 */
export function detectBuffer(bytes: Uint8Array, options: DetectOptions = {}): Promise<DetectReport> {
  return detectInput({ source: bytesSource(bytes), file: null }, options);
}

/** Decides what a platform must show for `bytes` (Measures Art. 6). */
export async function verifyBuffer(bytes: Uint8Array, options: VerifyOptions = {}): Promise<VerifyReport> {
  return verifyFromDetect(await detectBuffer(bytes, options), options.declared ?? false, options.requireSignature);
}

/**
 * Writes the explicit label and then the implicit label into `bytes`, and returns new bytes;
 * `bytes` is not changed. The result has been read back and checked. Audio and video explicit
 * labels are rendered through a private temporary folder.
 * @throws LabelConflictError when another producer's label is present and `force` is not set.
 */
export async function labelBuffer(bytes: Uint8Array, options: LabelOptions): Promise<{ bytes: Uint8Array; report: LabelReport }> {
  const sink = memorySink();
  const report = await labelInput({ source: bytesSource(bytes), file: null }, sink, options);
  return { bytes: sink.bytes(), report };
}
