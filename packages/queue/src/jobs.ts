import { createHash } from 'node:crypto';
import { UsageError } from '@aigc-label/core';

/** The verbs a queue job may run (the batch CLI's, less `inspect`, which is for people reading a terminal). */
export const QUEUE_VERBS = ['label', 'verify', 'detect', 'propagate'] as const;
export type QueueVerb = (typeof QUEUE_VERBS)[number];

/**
 * One job on the queue: a file on storage every worker sees (an absolute path), or an http(s)
 * URL the worker downloads. `output` is where `label`/`propagate` write (on shared storage).
 * `options` are the verb's facade options as plain JSON.
 */
export interface QueueJobData {
  readonly verb: QueueVerb;
  readonly input: string;
  readonly output?: string | undefined;
  readonly options: Readonly<Record<string, unknown>>;
}

/** A job's return value: the batch CLI's result for its file (a bad file is `ok: false`, not a failed job). */
export interface QueueJobResult {
  readonly ok: boolean;
  readonly report: unknown;
}

export const isUrl = (input: string): boolean => /^[a-z][a-z0-9+.-]*:\/\//i.test(input);

/** A job id BullMQ accepts: no `:` (its key separator), not an integer (its own ids). */
const CALLER_ID = /^(?!\d+$)[A-Za-z0-9._-]{1,128}$/;

/**
 * The job id: the caller's, or a hash of what the job is (verb, input, output, and the input's
 * size and modification time), so that enqueuing the same file twice adds nothing while a
 * changed file is queued again.
 */
export function jobIdFor(data: QueueJobData, stamp: { size: number; mtimeMs: number } | null, callerId?: string): string {
  if (callerId !== undefined) {
    if (!CALLER_ID.test(callerId))
      throw new UsageError(`job id "${callerId}" must be 1 to 128 letters, digits, ".", "_" or "-", and not a number`);
    return callerId;
  }
  const what = JSON.stringify([data.verb, data.input, data.output ?? null, stamp?.size ?? null, stamp?.mtimeMs ?? null]);
  return `${data.verb}-${createHash('sha256').update(what).digest('hex').slice(0, 32)}`;
}

/** Checks job data read back from Redis (anyone with access to it can write there). */
export function parseJobData(data: unknown): QueueJobData {
  if (typeof data !== 'object' || data === null) throw new UsageError('job data is not an object');
  const { verb, input, output, options } = data as Record<string, unknown>;
  if (typeof verb !== 'string' || !(QUEUE_VERBS as readonly string[]).includes(verb))
    throw new UsageError(`job verb must be one of ${QUEUE_VERBS.join(', ')}`);
  if (typeof input !== 'string' || input === '' || input.includes('\0')) throw new UsageError('job input must be a path or an http(s) URL');
  if (output !== undefined && (typeof output !== 'string' || output === '' || output.includes('\0') || isUrl(output)))
    throw new UsageError('job output must be a path on shared storage');
  if (options !== undefined && (typeof options !== 'object' || options === null || Array.isArray(options)))
    throw new UsageError('job options must be an object');
  return { verb: verb as QueueVerb, input, output, options: (options ?? {}) as Record<string, unknown> };
}
