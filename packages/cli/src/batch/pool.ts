import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { errorReport, type Job, type JobResult, jobWeight, runJob, THREAD_CAPACITY } from './jobs.js';

export interface Pool {
  /** Queues a job; resolves when some thread has run it, or with null if it was cancelled first. Never rejects. */
  run(job: Job): Promise<JobResult | null>;
  /** Drops the jobs not started yet (Ctrl-C): the ones in flight finish. */
  cancelQueued(): void;
  /** Jobs queued and not yet started. */
  readonly queued: number;
  close(): Promise<void>;
}

/** One thread that runs jobs: this one, or a worker. */
interface Executor {
  ready: boolean;
  load: number;
  start(job: Job): Promise<JobResult>;
}

interface Queued {
  readonly job: Job;
  readonly weight: number;
  readonly resolve: (result: JobResult | null) => void;
}

/**
 * Runs jobs on this thread and on `concurrency - 1` worker threads. This thread
 * has the library loaded already and starts at once; a worker joins when it has
 * loaded it (a few hundred milliseconds), so a small batch never waits for workers.
 * `onThisThread: false` (a server, whose event loop must stay free) runs jobs on `concurrency`
 * workers only, except from TypeScript sources, where no compiled worker exists.
 * Each thread keeps jobs in flight up to THREAD_CAPACITY: many metadata jobs that
 * mostly wait on the disk, or one that decodes media.
 */
export function createPool(concurrency: number, options: { readonly onThisThread?: boolean } = {}): Pool {
  const queue: Queued[] = [];
  const executors: Executor[] = [];
  const workers: Worker[] = [];

  const pump = () => {
    for (const executor of executors) {
      while (executor.ready && queue.length > 0) {
        const next = queue[0];
        if (executor.load > 0 && executor.load + next.weight > THREAD_CAPACITY) break;
        queue.shift();
        executor.load += next.weight;
        void executor.start(next.job).then((result) => {
          executor.load -= next.weight;
          next.resolve(result);
          pump();
        });
      }
    }
  };

  const workerPath = fileURLToPath(new URL('./worker.js', import.meta.url));
  // Tests run from TypeScript sources, where there is no compiled worker: this thread does it all.
  const compiled = existsSync(workerPath);
  const onThisThread = options.onThisThread !== false || !compiled;
  const threads = compiled ? concurrency - (onThisThread ? 1 : 0) : 0;
  // A parent started with `--input-type` (node -e) would pass it on, and workers refuse it.
  const execArgv = process.execArgv.filter((arg) => !arg.startsWith('--input-type'));
  for (let i = 0; i < threads; i++) {
    const worker = new Worker(workerPath, { execArgv });
    workers.push(worker);
    const pending = new Map<number, { job: Job; resolve: (result: JobResult) => void }>();
    let nextId = 0;
    const executor: Executor = {
      ready: false,
      load: 0,
      start: (job) =>
        new Promise((resolve) => {
          const id = nextId++;
          pending.set(id, { job, resolve });
          worker.postMessage({ id, job });
        }),
    };
    worker.on('message', (message: { ready: true } | { id: number; result: JobResult }) => {
      if ('ready' in message) {
        executor.ready = true;
        pump();
        return;
      }
      pending.get(message.id)?.resolve(message.result);
      pending.delete(message.id);
    });
    // A worker that dies takes only its own files with it: they are reported as failed.
    const lose = (cause: Error) => {
      executor.ready = false;
      for (const { job, resolve } of pending.values()) resolve({ ok: false, report: errorReport(job.file, cause) });
      pending.clear();
    };
    worker.on('error', lose);
    worker.on('exit', (code) => lose(new Error(`worker thread exited (code ${code}) while processing this file`)));
    executors.push(executor);
  }
  if (onThisThread) executors.push({ ready: true, load: 0, start: runJob });

  return {
    run: (job) =>
      new Promise((resolve) => {
        queue.push({ job, weight: jobWeight(job), resolve });
        pump();
      }),
    get queued() {
      return queue.length;
    },
    cancelQueued() {
      for (const item of queue.splice(0)) item.resolve(null);
    },
    async close() {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
