import {
  defaultRegistry,
  detectFile,
  type ErrorReport,
  extensionOf,
  type LabelFileOptions,
  labelFile,
  type PropagateOptions,
  propagateFile,
  REPORT_SCHEMA_VERSION,
  verifyFile,
} from 'aigc-label';

export type Verb = 'label' | 'detect' | 'verify' | 'inspect' | 'propagate';

/** Everything a worker needs to process one file; plain data so it crosses thread boundaries. */
export interface Job {
  readonly verb: Verb;
  readonly file: string;
  readonly options: Readonly<Record<string, unknown>>;
}

export type JobResult =
  | { readonly ok: true; readonly report: Record<string, unknown> }
  | { readonly ok: false; readonly report: ErrorReport };

export const errorReport = (file: string, error: unknown): ErrorReport => ({
  schemaVersion: REPORT_SCHEMA_VERSION,
  file,
  error: error instanceof Error ? { name: error.name, message: error.message } : { name: 'Error', message: String(error) },
});

/** How much of a thread a batch gives one thread's jobs in flight (see jobWeight). */
export const THREAD_CAPACITY = 8;

/**
 * A job's share of a thread. Reading or writing metadata mostly waits on the disk, so
 * eight overlap on one thread; decoding media (a visible or audible label, OCR, the
 * rhythm search) keeps a core busy, or runs ffmpeg, and takes a whole thread.
 */
export function jobWeight(job: Job): number {
  const kind = defaultRegistry.byExtension(extensionOf(job.file))?.kind;
  const { explicit, ocr, rhythm, visiblePrompt } = job.options;
  const decodes =
    (job.verb === 'label' && explicit !== false && kind !== 'text') ||
    (job.verb === 'propagate' && visiblePrompt === true && kind !== 'text') ||
    (job.verb !== 'label' && ocr === true && (kind === 'image' || kind === 'video')) ||
    (job.verb !== 'label' && rhythm !== false && (kind === 'audio' || kind === 'video'));
  return decodes ? THREAD_CAPACITY : 1;
}

/** Runs one job through the library facade; never throws. */
export async function runJob(job: Job): Promise<JobResult> {
  try {
    const report = await dispatch(job);
    return { ok: true, report: report as unknown as Record<string, unknown> };
  } catch (error) {
    return { ok: false, report: errorReport(job.file, error) };
  }
}

function dispatch(job: Job) {
  // A batch thread does nothing but these jobs: synchronous calls for small files cost a tenth
  // of the CPU of thread-pool round trips, and block nothing else.
  const options = { ...job.options, blockingIo: true };
  switch (job.verb) {
    case 'label':
      return labelFile(job.file, options as unknown as LabelFileOptions);
    case 'detect':
    case 'inspect':
      return detectFile(job.file, options);
    case 'verify':
      return verifyFile(job.file, options);
    case 'propagate':
      return propagateFile(job.file, options as unknown as PropagateOptions);
  }
}
