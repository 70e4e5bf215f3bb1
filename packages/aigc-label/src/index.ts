/**
 * aigc-label: apply, detect and verify GB 45438-2025 labels on AI-generated content.
 *
 * Buffer functions work anywhere; file functions stream from disk and write atomically.
 * Every error is a class from `@aigc-label/core` with a set `name`. The lower layers
 * (label model, format modules, containers) are public in `@aigc-label/core` and the
 * media packages.
 */
export {
  type AigcLabel,
  AigcLabelError,
  createLabel,
  type Evidence,
  type ExplicitDetectOptions,
  type ExplicitLabelOptions,
  ExternalToolError,
  type Finding,
  InvalidLabelError,
  LabelConflictError,
  LabelValue,
  LimitExceededError,
  MalformedInputError,
  newProduceId,
  type Outcome,
  UnknownFormatError,
  UnsafeXmlError,
  UnsupportedFormatError,
  UsageError,
  WriteVerificationError,
} from '@aigc-label/core';
export {
  externalSigner,
  type FieldVerdict,
  generateSm2KeyPair,
  loadPrivateKey,
  loadSm2PublicKey,
  localSigner,
  parseTrustStore,
  type SignatureVerdict,
  type Signer,
  Sm2PrivateKey,
  type Sm2PublicKey,
  TrustStore,
  verifyLogChain,
} from '@aigc-label/security';
export { detectBuffer, labelBuffer, verifyBuffer } from './buffer.js';
export { type JobCostInput, jobCost } from './cost.js';
export { detectFile, type LabelFileOptions, labelFile, type OutputOptions, outputPathFor, verifyFile } from './file.js';
export { FileError, type FileIoOptions, removeTemporariesOf } from './file-io.js';
export { disposeOcr } from './ocr.js';
export { OperationsLog, type OperationsLogOptions, verifyLogFile } from './operations-log.js';
export type { CommonOptions, DetectOptions, LabelOptions, VerifyOptions } from './options.js';
export { type PropagateOptions, type PropagateResult, propagateBuffer, propagateFile } from './propagate.js';
export { defaultEvidenceReaders, defaultRegistry } from './registry.js';
export {
  type CarrierReport,
  type DetectReport,
  type ErrorReport,
  type LabelReport,
  REPORT_SCHEMA_VERSION,
  type VerifyReport,
} from './reports.js';
export { type KeyFiles, type SignKey, type SignOptions, type TrustOptions, writeKeyFiles } from './signing.js';
