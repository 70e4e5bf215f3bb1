import { availableParallelism } from 'node:os';
import type { ErrorReport } from 'aigc-label';
import { type Command, InvalidArgumentError } from 'commander';
import { runBatch } from '../batch/batch.js';
import type { InputFile } from '../batch/inputs.js';
import type { Job, JobResult, Report, ReportOf, Verb } from '../batch/jobs.js';
import { summaryText } from '../summary.js';

/** Exit codes: 0 success, 1 a file failed (or verify found no label), 2 usage error, 130 interrupted. */
export const ExitCode = { ok: 0, failed: 1, usage: 2, interrupted: 130 } as const;

export interface Io {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  /** stderr is a terminal: show a progress bar. */
  readonly isTTY?: boolean | undefined;
  /** Reads standard input, for the `-` argument. */
  readonly readStdin?: (() => Promise<string>) | undefined;
  /** True once the user pressed Ctrl-C. */
  readonly interrupted?: (() => boolean) | undefined;
}

/** What every command gets: the terminal and a way to raise the exit code. */
export interface CommandContext {
  readonly io: Io;
  readonly raise: (code: number) => void;
}

// One batch thread keeps about one and a half cores busy (measured: 147% CPU for metadata-only
// files, from V8's compiler and GC threads and the kernel's file work; ffmpeg and Tesseract run
// threads of their own for media), so a thread per core oversubscribes: on 2 cores, -j 2 was
// slower than -j 1 (bench/batch.mjs).
const DEFAULT_THREADS = Math.max(1, Math.floor(availableParallelism() / 2));

/** Per-file tables are printed for batches up to this size; larger ones get the summary only. */
const perFileRowsLimit = 100;

/** The options every batch verb shares. */
export interface BatchFlags {
  readonly include?: string[];
  readonly exclude?: string[];
  readonly concurrency: number;
  readonly report?: string;
  readonly resume?: boolean;
  readonly progress: boolean;
  readonly json?: boolean;
}

const parseConcurrency = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 256) throw new InvalidArgumentError('must be an integer from 1 to 256');
  return n;
};

export const collect = (value: string, previous: string[] = []) => [...previous, value];

/** A verb that runs over files, folders and `-`, with the shared batch options. */
export const batchCommand = (program: Command, name: Verb, description: string): Command =>
  program
    .command(name)
    .description(description)
    .argument('<inputs...>', 'files, folders (searched recursively) or - for a list of paths on stdin')
    .option('--include <glob>', 'only files under a folder matching this glob (repeatable)', collect)
    .option('--exclude <glob>', 'skip files under a folder matching this glob (repeatable)', collect)
    .option('-j, --concurrency <n>', 'threads processing files (half the cores)', parseConcurrency, DEFAULT_THREADS)
    .option('--report <file>', 'write a JSON Lines report as files finish')
    .option('--resume', 'skip files the --report file lists as done with unchanged size and mtime')
    .option('--no-progress', 'no progress bar (it only appears on a terminal anyway)')
    .option('--json', 'machine-readable output');

export interface BatchRun<V extends Verb> {
  readonly results: JobResult<ReportOf[V]>[];
  readonly skipped: number;
  readonly seconds: number;
}

/** Runs `verb` over the inputs, prints one error line per failed file, and raises the exit code. */
export async function runVerb<V extends Verb>(
  context: CommandContext,
  verb: V,
  inputs: string[],
  flags: BatchFlags,
  jobFor: (input: InputFile) => Job & { verb: V },
): Promise<BatchRun<V>> {
  if (flags.resume && !flags.report) throw new InvalidArgumentError('--resume needs --report <file>');
  const { io } = context;
  const started = Date.now();
  const outcome = await runBatch({
    verb,
    inputs,
    jobFor,
    concurrency: flags.concurrency,
    include: flags.include,
    exclude: flags.exclude,
    reportPath: flags.report,
    resume: flags.resume === true,
    readStdin: io.readStdin,
    progress: io.isTTY && flags.progress !== false && !flags.json ? io.err : undefined,
    stopped: io.interrupted,
  });
  for (const r of outcome.results) {
    if (!r.ok) {
      context.raise(ExitCode.failed);
      io.err(`error: ${r.report.error.message}\n`);
    }
  }
  if (outcome.interrupted) context.raise(ExitCode.interrupted);
  // Every job of this batch was built by jobFor for `verb`, so its report is that verb's.
  const results = outcome.results as JobResult<ReportOf[V]>[];
  return { results, skipped: outcome.skipped, seconds: (Date.now() - started) / 1000 };
}

/** Prints the reports: JSON, or a per-file table (small batches) and the summary. */
export function emit<R extends Report>(
  context: CommandContext,
  flags: BatchFlags,
  run: { readonly results: readonly JobResult<R>[]; readonly skipped: number; readonly seconds: number },
  human: (reports: readonly (R | ErrorReport)[]) => string,
): void {
  const reports = run.results.map((r) => r.report);
  if (flags.json) {
    context.io.out(`${JSON.stringify(reports.length === 1 ? reports[0] : reports, null, 2)}\n`);
    return;
  }
  if (reports.length <= perFileRowsLimit && reports.length > 0) context.io.out(`${human(reports)}\n`);
  if (reports.length > 1 || run.skipped > 0) context.io.out(`\n${summaryText(run.results, run.skipped, run.seconds)}\n`);
}
