/**
 * aigc-label: apply, detect and verify GB 45438-2025 labels on AI-generated content.
 *
 * Buffer functions work anywhere; file functions stream from disk and write
 * atomically. Every error is a class from `@aigc-label/core` with a set `name`.
 */
export * from '@aigc-label/core';
/** Stops the OCR workers that `ocr: true` starts; call it before exiting (they keep Node running). */
export { dispose as disposeOcr, LABEL_POSITIONS } from '@aigc-label/image';
export {
  type CommonOptions,
  detectBuffer,
  type LabelOptions,
  labelBuffer,
  labelFromOptions,
  type VerifyOptions,
  verifyBuffer,
} from './buffer.js';
export {
  type ExplicitDetectOptions,
  type ExplicitLabelOptions,
  type ExplicitSummary,
  explicitSupport,
} from './explicit.js';
export { detectFile, type LabelFileOptions, labelFile, outputPathFor, verifyFile } from './file.js';
export { FileError, type FileIoOptions, openFileSource, WHOLE_FILE_READ_LIMIT } from './file-io.js';
export { type PropagateOptions, type PropagateResult, propagateBuffer, propagateFile } from './propagate.js';
export { defaultRegistry } from './registry.js';
export * from './reports.js';
