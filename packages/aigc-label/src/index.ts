/**
 * aigc-label: apply, detect and verify GB 45438-2025 labels on AI-generated content.
 *
 * Buffer functions work anywhere; file functions stream from disk and write
 * atomically. Every error is a class from `@aigc-label/core` with a set `name`.
 */
export * from '@aigc-label/core';
export {
  type CommonOptions,
  detectBuffer,
  type LabelOptions,
  labelBuffer,
  labelFromOptions,
  type VerifyOptions,
  verifyBuffer,
} from './buffer.js';
export { detectFile, FileError, type LabelFileOptions, labelFile, openFileSource, outputPathFor, verifyFile } from './file.js';
export { type PropagateOptions, type PropagateResult, propagateBuffer, propagateFile } from './propagate.js';
export { defaultRegistry } from './registry.js';
export * from './reports.js';
