import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { type Job, type JobResult, runJob } from './jobs.js';

export interface Pool {
  run(job: Job): Promise<JobResult>;
  close(): Promise<void>;
  readonly threads: number;
}

/**
 * Worker threads when the compiled worker exists (the built CLI), otherwise the
 * same number of jobs in flight in this thread (tests run from TypeScript sources).
 */
export function createPool(concurrency: number): Pool {
  const workerPath = fileURLToPath(new URL('./worker.js', import.meta.url));
  if (concurrency <= 1 || !existsSync(workerPath)) return inProcessPool();
  // A parent started with `--input-type` (node -e) would pass it on, and workers refuse it.
  const execArgv = process.execArgv.filter((arg) => !arg.startsWith('--input-type'));
  const workers = Array.from({ length: concurrency }, () => new Worker(workerPath, { execArgv }));
  const idle = [...workers];
  const waiting: ((w: Worker) => void)[] = [];
  const pending = new Map<number, (r: JobResult) => void>();
  let nextId = 0;
  for (const worker of workers) {
    worker.on('message', ({ id, result }: { id: number; result: JobResult }) => {
      pending.get(id)?.(result);
      pending.delete(id);
      const next = waiting.shift();
      if (next) next(worker);
      else idle.push(worker);
    });
  }
  const acquire = () => new Promise<Worker>((resolve) => (idle.length ? resolve(idle.pop() as Worker) : waiting.push(resolve)));
  return {
    threads: concurrency,
    async run(job) {
      const worker = await acquire();
      const id = nextId++;
      return new Promise<JobResult>((resolve) => {
        pending.set(id, resolve);
        worker.postMessage({ id, job });
      });
    },
    async close() {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}

function inProcessPool(): Pool {
  return { threads: 1, run: runJob, close: async () => {} };
}
