import {
  type DetectOptions,
  type DetectReport,
  detectFile,
  type ErrorReport,
  type FileIoOptions,
  jobCost,
  type LabelFileOptions,
  type LabelReport,
  labelFile,
  type OutputOptions,
  type PropagateOptions,
  type PropagateResult,
  propagateFile,
  REPORT_SCHEMA_VERSION,
  type VerifyOptions,
  type VerifyReport,
  verifyFile,
} from 'aigc-label';

/**
 * Everything a worker needs to process one file: plain data (it crosses thread boundaries),
 * typed per verb.
 */
export type Job =
  | { readonly verb: 'label'; readonly file: string; readonly options: LabelFileOptions }
  | { readonly verb: 'detect' | 'inspect'; readonly file: string; readonly options: DetectOptions }
  | { readonly verb: 'verify'; readonly file: string; readonly options: VerifyOptions }
  | { readonly verb: 'propagate'; readonly file: string; readonly options: PropagateOptions & OutputOptions };

export type Verb = Job['verb'];

/** What a verb's job reports when it succeeds. */
export interface ReportOf {
  label: LabelReport;
  detect: DetectReport;
  inspect: DetectReport;
  verify: VerifyReport;
  propagate: PropagateResult;
}
export type Report = ReportOf[Verb];

export type JobResult<R = Report> = { readonly ok: true; readonly report: R } | { readonly ok: false; readonly report: ErrorReport };

export const errorReport = (file: string, error: unknown): ErrorReport => ({
  schemaVersion: REPORT_SCHEMA_VERSION,
  file,
  error: error instanceof Error ? { name: error.name, message: error.message } : { name: 'Error', message: String(error) },
});

/** How much of a thread a batch gives one thread's jobs in flight (see jobWeight). */
export const THREAD_CAPACITY = 8;

/**
 * A job's share of a thread. Reading or writing metadata mostly waits on the disk, so eight
 * overlap on one thread; decoding media (the format module's cost class for what this job
 * does) keeps a core busy, or runs ffmpeg, and takes a whole thread.
 */
export const jobWeight = (job: Job): number => (jobCost(job) === 'media' ? THREAD_CAPACITY : 1);

/** Runs one job through the library facade; never throws. */
export async function runJob(job: Job): Promise<JobResult> {
  try {
    return { ok: true, report: await dispatch(job) };
  } catch (error) {
    return { ok: false, report: errorReport(job.file, error) };
  }
}

// A batch thread does nothing but these jobs: synchronous calls for small files cost a tenth
// of the CPU of thread-pool round trips, and block nothing else.
const blocking: FileIoOptions = { blockingIo: true };

function dispatch(job: Job): Promise<Report> {
  switch (job.verb) {
    case 'label':
      return labelFile(job.file, { ...job.options, ...blocking });
    case 'detect':
    case 'inspect':
      return detectFile(job.file, { ...job.options, ...blocking });
    case 'verify':
      return verifyFile(job.file, { ...job.options, ...blocking });
    case 'propagate':
      return propagateFile(job.file, { ...job.options, ...blocking });
  }
}
