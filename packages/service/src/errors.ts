import { REPORT_SCHEMA_VERSION } from 'aigc-label';

/** An HTTP-level refusal (size, format, time, queue, token) with the status it maps to. */
export class ServiceError extends Error {
  constructor(
    readonly status: number,
    override readonly name: string,
    message: string,
    /** Seconds for Retry-After (429, 503). */
    readonly retryAfter?: number,
  ) {
    super(message);
  }
}

/**
 * The status for a toolkit error name, as a report carries it: the format is unknown or not
 * handled (415), the file is damaged or over a bound read from it (422), another producer's
 * label is in the way (409), the request's options are wrong (400).
 */
export function statusOf(name: string): number {
  switch (name) {
    case 'UnknownFormatError':
    case 'UnsupportedFormatError':
      return 415;
    case 'MalformedInputError':
    case 'UnsafeXmlError':
    case 'LimitExceededError':
    case 'InvalidLabelError':
      return 422;
    case 'LabelConflictError':
      return 409;
    case 'UsageError':
      return 400;
    default:
      return 500;
  }
}

/** An error body: the CLI's error report shape (schema/reports.schema.json), so clients parse one shape. */
export const errorBody = (file: string | null, name: string, message: string): string =>
  `${JSON.stringify({ schemaVersion: REPORT_SCHEMA_VERSION, file, error: { name, message } }, null, 2)}\n`;
