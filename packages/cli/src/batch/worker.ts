import { parentPort } from 'node:worker_threads';
import { type Job, runJob } from './jobs.js';

// The library is loaded (this module's imports ran): the pool may send files now. The pool
// keeps several jobs in flight here, so each message is handled as it arrives.
parentPort?.postMessage({ ready: true });
parentPort?.on('message', async (message: { id: number; job: Job }) => {
  parentPort?.postMessage({ id: message.id, result: await runJob(message.job) });
});
