import {
  detectFile,
  type ErrorReport,
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
  switch (job.verb) {
    case 'label':
      return labelFile(job.file, job.options as unknown as LabelFileOptions);
    case 'detect':
    case 'inspect':
      return detectFile(job.file);
    case 'verify':
      return verifyFile(job.file, job.options);
    case 'propagate':
      return propagateFile(job.file, job.options as unknown as PropagateOptions);
  }
}
