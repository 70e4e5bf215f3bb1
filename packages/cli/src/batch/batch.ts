import { findCollisions } from './collisions.js';
import { type ExpandOptions, expandInputs, type InputFile, type Skipped } from './inputs.js';
import { errorReport, type Job, type JobResult, THREAD_CAPACITY, type Verb } from './jobs.js';
import { createPool } from './pool.js';
import { Progress } from './progress.js';
import { fileStamp, ReportWriter, readDone } from './report-file.js';

export interface BatchOptions<J extends Job = Job> extends ExpandOptions {
  readonly verb: Verb;
  readonly inputs: readonly string[];
  /** The job for one file (e.g. with the output path for `label -o DIR`). */
  readonly jobFor: (input: InputFile) => J;
  /**
   * For verbs that write: where a job writes, or null when it writes back to its input
   * (--in-place). The whole list of inputs is then gathered first, so that colliding writes are
   * refused before anything is written.
   */
  readonly outputOf?: ((job: J) => string | null) | undefined;
  readonly concurrency: number;
  readonly reportPath?: string | undefined;
  readonly resume?: boolean | undefined;
  /** Where progress goes (a terminal's stderr), or undefined for none. */
  readonly progress?: ((text: string) => void) | undefined;
  /** Checked between files: true after Ctrl-C; in-flight files finish, no new ones start. */
  readonly stopped?: (() => boolean) | undefined;
}

export interface BatchOutcome {
  readonly results: JobResult[];
  /** Files --resume found done already. */
  readonly skipped: number;
  /** What the walk did not process (symbolic links, the output folder), with the reason. */
  readonly notWalked: readonly Skipped[];
  readonly interrupted: boolean;
}

/** The inputs, gathered whole when writes must be checked against each other first. */
async function* inputsFor<J extends Job>(
  options: BatchOptions<J>,
  notWalked: Skipped[],
): AsyncGenerator<{ input: InputFile; refusal?: string }> {
  const expand = expandInputs(options.inputs, { ...options, onSkip: (s) => notWalked.push(s) });
  const outputOf = options.outputOf;
  if (!outputOf) {
    for await (const input of expand) yield { input };
    return;
  }
  const all: InputFile[] = [];
  for await (const input of expand) all.push(input);
  const outputs = all.map((input) => outputOf(options.jobFor(input)));
  const refusals = new Map(
    (
      await findCollisions(
        all.map((i) => i.file),
        outputs,
      )
    ).map((r) => [r.index, r.reason]),
  );
  for (const [index, input] of all.entries()) {
    const refusal = refusals.get(index);
    yield refusal === undefined ? { input } : { input, refusal };
  }
}

/**
 * Runs a verb over every input on `concurrency` threads. Results are
 * returned in input order; the report gets each line as soon as its file is done.
 */
export async function runBatch<J extends Job>(options: BatchOptions<J>): Promise<BatchOutcome> {
  const done = options.resume && options.reportPath ? await readDone(options.reportPath, options.verb) : new Map();
  const writer = options.reportPath ? await ReportWriter.open(options.reportPath, options.resume === true) : null;
  const pool = createPool(options.concurrency);
  const progress = options.progress ? new Progress(options.progress) : null;
  // In input order; a slot stays empty when its job was cancelled (Ctrl-C).
  const results: (JobResult | undefined)[] = [];
  const inFlight = new Set<Promise<void>>();
  const notWalked: Skipped[] = [];
  let skipped = 0;
  let discovered = 0;
  let interrupted = false;
  try {
    for await (const { input, refusal } of inputsFor(options, notWalked)) {
      if (options.stopped?.()) {
        interrupted = true;
        pool.cancelQueued();
        break;
      }
      // Size and mtime are only needed for the report (and --resume): no stat per file without one.
      const stamp = writer ? await fileStamp(input.file) : null;
      const previous = done.get(input.file);
      if (previous && stamp && previous.size === stamp.size && previous.mtimeMs === stamp.mtimeMs) {
        skipped++;
        continue;
      }
      discovered++;
      progress?.discovered(discovered, false);
      const index = results.length;
      results.push(undefined);
      const job = options.jobFor(input);
      const finish = (result: JobResult) => {
        results[index] = result;
        if (writer && stamp) writer.write({ verb: options.verb, file: input.file, ok: result.ok, ...stamp, report: result.report });
        progress?.tick(!result.ok);
      };
      if (refusal !== undefined) {
        finish({ ok: false, report: errorReport(input.file, new Error(`${input.file}: ${refusal}`)) });
        continue;
      }
      const task = pool.run(job).then((result) => {
        if (options.stopped?.()) pool.cancelQueued();
        if (result !== null) finish(result);
      });
      inFlight.add(task);
      task.finally(() => inFlight.delete(task));
      // Enough queued to keep every thread busy; walking the folder further would only use memory.
      if (pool.queued >= options.concurrency * THREAD_CAPACITY) await Promise.race(inFlight);
    }
    progress?.discovered(discovered, true);
    await Promise.all(inFlight);
  } finally {
    progress?.finish();
    await pool.close();
    await writer?.close();
  }
  if (options.stopped?.()) interrupted = true;
  return { results: results.filter((r): r is JobResult => r !== undefined), skipped, notWalked, interrupted };
}
