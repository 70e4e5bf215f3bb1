import { writeFile } from 'node:fs/promises';
import { type CostClass, type FormatModule, sniffLengthInBytes } from '@aigc-label/core';
import {
  type DetectOptions,
  type DetectReport,
  defaultRegistry,
  detectBuffer,
  type ErrorReport,
  jobCost,
  type LabelFileOptions,
  type LabelReport,
  labelBuffer,
  type OutputOptions,
  type PropagateOptions,
  type PropagateResult,
  propagateBuffer,
  REPORT_SCHEMA_VERSION,
  type VerifyOptions,
  type VerifyReport,
  verifyBuffer,
} from 'aigc-label';
import type { Spool, Upload } from './upload.js';

/** A job for the worker pool: the CLI's batch job shape (packages/cli batch/jobs.ts), by file path. */
export type ServiceJob =
  | { readonly verb: 'detect'; readonly file: string; readonly options: DetectOptions }
  | { readonly verb: 'verify'; readonly file: string; readonly options: VerifyOptions }
  | { readonly verb: 'label'; readonly file: string; readonly options: LabelFileOptions }
  | { readonly verb: 'propagate'; readonly file: string; readonly options: PropagateOptions & OutputOptions };

export type ServiceVerb = ServiceJob['verb'];

export type JobOutcome = { readonly ok: true; readonly report: unknown } | { readonly ok: false; readonly report: ErrorReport };

/**
 * Runs jobs off the event loop: the CLI's pool (`createPool(n, { onThisThread: false })`) fits.
 * `run` resolves null for a job cancelled before it started.
 */
export interface JobRunner {
  run(job: ServiceJob): Promise<JobOutcome | null>;
  readonly queued: number;
}

/** What a verb's request produced: the report, and for label/propagate the labeled bytes (null when nothing was written). */
export interface VerbResult {
  readonly report: DetectReport | VerifyReport | LabelReport | PropagateResult | ErrorReport;
  readonly ok: boolean;
  /** The labeled file: bytes from memory, or the path of a spooled output (streamed, never read whole), or null. */
  readonly output: Uint8Array | { readonly path: string } | null;
}

interface OptionsOf {
  detect: DetectOptions;
  verify: VerifyOptions;
  label: LabelFileOptions;
  propagate: PropagateOptions;
}

/**
 * Runs a verb over an upload. A body in memory whose job only reads metadata (jobCost) runs here
 * through the buffer functions: no disk, no thread hop, microseconds. Anything that decodes media,
 * and every body that went to disk, goes to the pool as a file job, so the event loop stays free.
 * The report names the client's file as the CLI names its argument, and never the spool path.
 */
export async function runVerb<V extends ServiceVerb>(
  verb: V,
  upload: Upload,
  options: OptionsOf[V],
  context: { readonly runner: JobRunner; readonly spool: Spool; readonly track: (path: string) => void },
): Promise<VerbResult> {
  const withName = { ...options, filename: upload.filename };
  if (upload.bytes && costInMemory(verb, upload.bytes, options, upload.filename) === 'metadata') {
    try {
      return await inMemory(verb, upload.bytes, withName, upload.name);
    } catch (error) {
      return { ok: false, report: errorReport(upload.name, error), output: null };
    }
  }
  let path = upload.path;
  if (!path) {
    path = context.spool.path(upload.filename);
    context.track(path);
    await writeFile(path, upload.bytes ?? new Uint8Array(0), { flag: 'wx', mode: 0o600 });
  }
  const writes = verb === 'label' || verb === 'propagate';
  const output = writes ? context.spool.path(upload.filename) : null;
  if (output) context.track(output);
  const job = { verb, file: path, options: output ? { ...withName, output } : withName } as ServiceJob;
  const outcome = await context.runner.run(job);
  if (!outcome) return { ok: false, report: errorReport(upload.name, new Error('the server is shutting down')), output: null };
  if (!outcome.ok) return { ok: false, report: renamed(outcome.report, path, upload.name), output: null };
  const report = withFile(outcome.report as VerbResult['report'], upload.name);
  const wrote = verb === 'label' || (verb === 'propagate' && (report as PropagateResult).label !== null);
  return { ok: true, report, output: wrote && output ? { path: output } : null };
}

/**
 * What a job over bytes in memory costs, by the formats the bytes are (sniffed as the facade will
 * sniff them, a polyglot's every reading), never by the client's name alone: an MP3 sent as
 * photo.jpg must not run its audible search on the event loop.
 */
function costInMemory(verb: ServiceVerb, bytes: Uint8Array, options: OptionsOf[ServiceVerb], filename: string | undefined): CostClass {
  let formats: readonly FormatModule[];
  if (options.format) {
    const forced = defaultRegistry.get(options.format);
    formats = forced ? [forced] : [];
  } else {
    try {
      const tailStart = Math.max(sniffLengthInBytes, bytes.length - sniffLengthInBytes);
      const { handler, alsoFits } = defaultRegistry.resolve(
        bytes.subarray(0, sniffLengthInBytes),
        filename,
        tailStart < bytes.length ? bytes.subarray(tailStart) : undefined,
      );
      formats = [handler, ...alsoFits];
    } catch {
      return 'metadata'; // no format fits: the facade refuses the bytes at once
    }
  }
  const costs = formats.map((format) => jobCost({ verb, file: `upload.${format.extensions[0]}`, options }));
  return costs.includes('media') ? 'media' : 'metadata';
}

async function inMemory(verb: ServiceVerb, bytes: Uint8Array, options: object, name: string | null): Promise<VerbResult> {
  switch (verb) {
    case 'detect':
      return { ok: true, report: withFile(await detectBuffer(bytes, options), name), output: null };
    case 'verify':
      return { ok: true, report: withFile(await verifyBuffer(bytes, options), name), output: null };
    case 'label': {
      const labeled = await labelBuffer(bytes, options as LabelFileOptions);
      return { ok: true, report: withFile(labeled.report, name), output: labeled.bytes };
    }
    case 'propagate': {
      const { bytes: output, ...result } = await propagateBuffer(bytes, options as PropagateOptions);
      return { ok: true, report: withFile(result, name), output };
    }
  }
}

/** The report with `file` set to the client's name (keeping key order) and no server path in `output`. */
function withFile(report: VerbResult['report'], name: string | null): VerbResult['report'] {
  if ('verify' in report) {
    return {
      verify: withFile(report.verify, name) as VerifyReport,
      label: report.label ? (withFile(report.label, name) as LabelReport) : null,
    };
  }
  return 'output' in report ? { ...report, file: name, output: null } : { ...report, file: name };
}

/** An error report as the CLI gives it (`NAME: message` for a named file), with the spool path replaced by the client's name. */
function renamed(report: ErrorReport, path: string, name: string | null): ErrorReport {
  const message = report.error.message
    .split(`${path}: `)
    .join(name ? `${name}: ` : '')
    .split(path)
    .join(name ?? 'the upload');
  return { ...report, file: name, error: { name: report.error.name, message } };
}

function errorReport(name: string | null, error: unknown): ErrorReport {
  const message = error instanceof Error ? error.message : String(error);
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    file: name,
    error: { name: error instanceof Error ? error.name : 'Error', message: name ? `${name}: ${message}` : message },
  };
}
