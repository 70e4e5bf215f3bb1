import { parentPort } from 'node:worker_threads';
import { type Job, runJob } from './jobs.js';

// One file at a time per worker; the pool keeps each worker busy.
parentPort?.on('message', async (message: { id: number; job: Job }) => {
  parentPort?.postMessage({ id: message.id, result: await runJob(message.job) });
});
