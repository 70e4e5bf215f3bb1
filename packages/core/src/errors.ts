/**
 * Error classes shared by every package. Each sets a literal `name` so callers can
 * narrow on it (`error.name === 'MalformedInputError'`) even across module copies.
 * Messages say what is wrong and, where there is one, how to fix it; the facade
 * prefixes the file path so that media packages never need to know about files.
 */
export abstract class AigcLabelError extends Error {
  abstract override readonly name: string;
}

/** The bytes match no registered format. */
export class UnknownFormatError extends AigcLabelError {
  override readonly name = 'UnknownFormatError';
}

/** The format is known but this operation is not available for it. */
export class UnsupportedFormatError extends AigcLabelError {
  override readonly name = 'UnsupportedFormatError';
}

/** The file is damaged: truncated, a length that points past the end, a bad checksum. */
export class MalformedInputError extends AigcLabelError {
  override readonly name = 'MalformedInputError';
  /** The cause without the format prefix, for a finding that names the damage. */
  readonly detail: string;
  constructor(
    readonly format: string,
    message: string,
  ) {
    super(`${format}: ${message}`);
    this.detail = message;
  }
}

/** A size, count or depth read from the file is over a safety bound, or a tool ran past its time limit. */
export class LimitExceededError extends AigcLabelError {
  override readonly name = 'LimitExceededError';
}

/** XML with a DOCTYPE or entity declarations; we never expand entities. */
export class UnsafeXmlError extends AigcLabelError {
  override readonly name = 'UnsafeXmlError';
}

/** A label that may not be written (bad field values, missing producer). */
export class InvalidLabelError extends AigcLabelError {
  override readonly name = 'InvalidLabelError';
}

/** The file already carries a label from another producer and `force` was not given. */
export class LabelConflictError extends AigcLabelError {
  override readonly name = 'LabelConflictError';
}

/** What was written did not read back as exactly the label we meant to write. */
export class WriteVerificationError extends AigcLabelError {
  override readonly name = 'WriteVerificationError';
}

/** Bad arguments or options from the caller (CLI usage errors map here). */
export class UsageError extends AigcLabelError {
  override readonly name = 'UsageError';
}

/** An external program (ffmpeg, ffprobe) could not start or failed; the message ends with the last lines of its stderr. */
export class ExternalToolError extends AigcLabelError {
  override readonly name = 'ExternalToolError';
}

/** Every error class above, for exhaustive narrowing. */
export type AnyAigcLabelError =
  | UnknownFormatError
  | UnsupportedFormatError
  | MalformedInputError
  | LimitExceededError
  | UnsafeXmlError
  | InvalidLabelError
  | LabelConflictError
  | WriteVerificationError
  | UsageError
  | ExternalToolError;

/** Builds a per-format MalformedInputError factory: `const fail = malformed('png')`. */
export const malformed =
  (format: string) =>
  (message: string): MalformedInputError =>
    new MalformedInputError(format, message);
