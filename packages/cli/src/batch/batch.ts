import { type ExpandOptions, expandInputs, type InputFile } from './inputs.js';
import { type Job, type JobResult, THREAD_CAPACITY, type Verb } from './jobs.js';
import { createPool } from './pool.js';
import { Progress } from './progress.js';
import { fileStamp, ReportWriter, readDone } from './report-file.js';

export interface BatchOptions extends ExpandOptions {
  readonly verb: Verb;
  readonly inputs: readonly string[];
  /** The job for one file (e.g. with the output path for `label -o DIR`). */
  readonly jobFor: (input: InputFile) => Job;
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
  readonly skipped: number;
  readonly interrupted: boolean;
}

/**
 * Runs a verb over every input on `concurrency` threads. Results are
 * returned in input order; the report gets each line as soon as its file is done.
 */
export async function runBatch(options: BatchOptions): Promise<BatchOutcome> {
  const done = options.resume && options.reportPath ? await readDone(options.reportPath, options.verb) : new Map();
  const writer = options.reportPath ? new ReportWriter(options.reportPath, options.resume === true) : null;
  const pool = createPool(options.concurrency);
  const progress = options.progress ? new Progress(options.progress) : null;
  // In input order; a slot stays empty when its job was cancelled (Ctrl-C).
  const results: (JobResult | undefined)[] = [];
  const inFlight = new Set<Promise<void>>();
  let skipped = 0;
  let discovered = 0;
  let interrupted = false;
  try {
    for await (const input of expandInputs(options.inputs, options)) {
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
      const task = pool.run(job).then((result) => {
        if (options.stopped?.()) pool.cancelQueued();
        if (result === null) return;
        results[index] = result;
        if (writer && stamp) writer.write({ verb: options.verb, file: input.file, ok: result.ok, ...stamp, report: result.report });
        progress?.tick(!result.ok);
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
  return { results: results.filter((r): r is JobResult => r !== undefined), skipped, interrupted };
}
