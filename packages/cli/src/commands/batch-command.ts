import { realpath } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { annexEValueProblem, UsageError } from '@aigc-label/core';
import type { ErrorReport } from 'aigc-label';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { runBatch } from '../batch/batch.js';
import type { InputFile } from '../batch/inputs.js';
import type { Job, JobResult, Report, ReportOf, Verb } from '../batch/jobs.js';
import { shardFrom } from '../batch/shard.js';
import { printable } from '../format.js';
import { summaryText } from '../summary.js';

/** Exit codes: 0 success, 1 a file failed (or verify found no label), 2 usage error, 130 interrupted, 141 output pipe closed. */
export const ExitCode = { ok: 0, failed: 1, usage: 2, interrupted: 130, pipeClosed: 141 } as const;

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
export const DEFAULT_THREADS = Math.max(1, Math.floor(availableParallelism() / 2));

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
  readonly null?: boolean;
  readonly followSymlinks?: boolean;
  readonly timeout: number;
  readonly format?: string;
  readonly shard?: string;
  readonly shardCount?: string;
}

/** The options every verb passes on from the shared flags: the per-file budget, and a forced format. */
export const timeoutOf = (flags: BatchFlags) => ({ timeoutMs: flags.timeout * 1000, ...(flags.format ? { format: flags.format } : {}) });

export const parseConcurrency = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 256) throw new InvalidArgumentError('must be an integer from 1 to 256');
  return n;
};

export const collect = (value: string, previous: string[] = []) => [...previous, value];

/** A ContentProducer or ContentPropagator value, checked before any file is touched (GB 45438 Annex E j)). */
export const parseLabelField = (value: string): string => {
  const problem = annexEValueProblem(value);
  if (problem) throw new InvalidArgumentError(`${problem}; give your provider code, or a name like my-company`);
  return value;
};

const parseSeconds = (value: string): number => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n > 86_400) throw new InvalidArgumentError('must be a number of seconds above 0');
  return n;
};

/** A verb that runs over files, folders and `-`, with the shared batch options. */
export const batchCommand = (program: Command, name: Verb, description: string): Command =>
  program
    .command(name)
    .description(description)
    .argument('<inputs...>', 'files, folders (searched recursively) or - for a list of paths on stdin')
    .option('--include <glob>', 'only files under a folder matching this glob (repeatable)', collect)
    .option('--exclude <glob>', 'skip files under a folder matching this glob (repeatable)', collect)
    .option('-j, --concurrency <n>', 'threads processing files (half the cores)', parseConcurrency, DEFAULT_THREADS)
    .option('--report <file>', 'write a JSON Lines report as files finish (a new file, or an earlier report to extend)')
    .option('--resume', 'skip files the --report file lists as done with unchanged size and mtime')
    .option('-0, --null', 'the list on stdin (-) is NUL-separated, as find -print0 writes it')
    .option('--follow-symlinks', 'follow symbolic links met in folders (loops are detected); without it they are skipped and reported')
    .option('--format <id>', 'read every input as this format (an id from `aigc-label formats`) instead of sniffing it')
    .option(
      '--timeout <seconds>',
      'time one file may take to read and plan, before it is stopped (copying and rendering not counted)',
      parseSeconds,
      30,
    )
    .option('--shard <i/n>', 'process only shard I of N (0-based): a stable split of the inputs by their relative paths')
    .addOption(
      new Option('--shard-count <n>', 'split into N shards and process the one JOB_COMPLETION_INDEX names (Kubernetes Indexed Job)').env(
        'AIGC_SHARD_COUNT',
      ),
    )
    .option('--no-progress', 'no progress bar (it only appears on a terminal anyway)')
    .option('--json', 'machine-readable output');

export interface BatchRun<V extends Verb> {
  readonly results: JobResult<ReportOf[V]>[];
  /** Files --resume found done. */
  readonly skipped: number;
  /** Entries the walk did not process (symbolic links, the output folder). */
  readonly notWalked: number;
  readonly seconds: number;
}

/** Runs `verb` over the inputs, prints one error line per failed file, and raises the exit code. */
/** How a verb that writes files says where each job writes (null: back to its input, --in-place). */
export interface Writes<J extends Job> {
  readonly outputOf: (job: J) => string | null;
  /** The -o folder, never walked into when it lies inside an input folder. */
  readonly outDir?: string | undefined;
}

/** Runs `verb` over the inputs, prints one error line per failed file, and raises the exit code. */
export async function runVerb<V extends Verb>(
  context: CommandContext,
  verb: V,
  inputs: string[],
  flags: BatchFlags,
  jobFor: (input: InputFile) => Job & { verb: V },
  writes?: Writes<Job & { verb: V }>,
): Promise<BatchRun<V>> {
  if (flags.resume && !flags.report) throw new UsageError('--resume needs --report <file> (the report of the run to continue)');
  const { io } = context;
  const shard = shardFrom(flags.shard, flags.shardCount, process.env);
  const started = Date.now();
  const outDir = writes?.outDir ? await realpath(writes.outDir).catch(() => null) : null;
  const outcome = await runBatch({
    verb,
    inputs,
    jobFor,
    outputOf: writes?.outputOf,
    skipFolders: outDir ? [outDir] : [],
    concurrency: flags.concurrency,
    include: flags.include,
    exclude: flags.exclude,
    reportPath: flags.report,
    resume: flags.resume === true,
    nulSeparated: flags.null === true,
    followSymlinks: flags.followSymlinks === true,
    readStdin: io.readStdin,
    progress: io.isTTY && flags.progress !== false && !flags.json ? io.err : undefined,
    stopped: io.interrupted,
    shard,
  });
  for (const s of outcome.notWalked) io.err(`skipped: ${printable(s.file)}: ${s.reason}\n`);
  for (const r of outcome.results) {
    if (!r.ok) {
      context.raise(ExitCode.failed);
      io.err(`error: ${printable(r.report.error.message)}\n`);
    }
  }
  if (outcome.interrupted) context.raise(ExitCode.interrupted);
  // Every job of this batch was built by jobFor for `verb`, so its report is that verb's.
  const results = outcome.results as JobResult<ReportOf[V]>[];
  return { results, skipped: outcome.skipped, notWalked: outcome.notWalked.length, seconds: (Date.now() - started) / 1000 };
}

/** Prints the reports: JSON, or a per-file table (small batches) and the summary. */
export function emit<R extends Report>(
  context: CommandContext,
  flags: BatchFlags,
  run: { readonly results: readonly JobResult<R>[]; readonly skipped: number; readonly notWalked: number; readonly seconds: number },
  human: (reports: readonly (R | ErrorReport)[]) => string,
): void {
  const reports = run.results.map((r) => r.report);
  if (flags.json) {
    context.io.out(`${JSON.stringify(reports.length === 1 ? reports[0] : reports, null, 2)}\n`);
    return;
  }
  if (reports.length <= perFileRowsLimit && reports.length > 0) context.io.out(`${human(reports)}\n`);
  if (reports.length > 1 || run.skipped > 0 || run.notWalked > 0) context.io.out(`\n${summaryText(run)}\n`);
}
