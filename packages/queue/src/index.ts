export { type EnqueueItem, type EnqueueOutcome, JobQueue, type JobView } from './client.js';
export { DEFAULT_QUEUE } from './connection.js';
export { QUEUE_VERBS, type QueueJobData, type QueueJobResult, type QueueVerb } from './jobs.js';
export { type JobRunner, type RunnableJob, type RunningWorker, startWorker, type WorkerOptions } from './worker.js';
