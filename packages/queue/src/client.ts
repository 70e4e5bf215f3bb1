import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { type Job, type JobsOptions, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { connect, DEFAULT_QUEUE } from './connection.js';
import { isUrl, jobIdFor, type QueueJobData, type QueueJobResult, type QueueVerb } from './jobs.js';

/** Retries for transient failures, then the job stays `failed`: the dead-letter state. */
export const DEFAULT_ATTEMPTS = 5;
const BACKOFF_MS = 1000;
const BULK = 1000;

/** What a job looks like from outside: its state, and its result once completed. */
export interface JobView {
  readonly id: string;
  readonly state: string;
  readonly verb: QueueVerb;
  readonly input: string;
  readonly output?: string | undefined;
  readonly attemptsMade: number;
  readonly result?: QueueJobResult | undefined;
  /** Why the job is dead-lettered (attempts used up on transient errors, or stalled too often). */
  readonly failedReason?: string | undefined;
}

export interface EnqueueItem {
  readonly verb: QueueVerb;
  /** A path (made absolute: workers see the same shared storage) or an http(s) URL. */
  readonly input: string;
  readonly output?: string | undefined;
  readonly options?: Readonly<Record<string, unknown>> | undefined;
  /** The caller's own job id, instead of the one derived from verb, path, size and mtime. */
  readonly id?: string | undefined;
}

export interface EnqueueOutcome {
  /** One id per item, in order (an item already queued gets its existing job's id). */
  readonly ids: string[];
  readonly added: number;
}

/**
 * The producer's side: add jobs, read their state and results. This is what `aigc-label enqueue`
 * and `jobs` use, and what a service submitting jobs uses.
 */
export class JobQueue {
  readonly queue: Queue<QueueJobData, QueueJobResult>;
  readonly #connection: Redis;

  /**
   * `eventsMaxLen` sets how many events the queue's Redis stream keeps (BullMQ's default 10,000);
   * `readOnly` leaves the queue's settings as they are (a worker reading counts for its metrics).
   */
  constructor(redisUrl: string, name = DEFAULT_QUEUE, options: { connection?: Redis; eventsMaxLen?: number; readOnly?: boolean } = {}) {
    this.#connection = options.connection ?? connect(redisUrl, false);
    this.queue = new Queue(name, {
      connection: this.#connection,
      skipMetasUpdate: options.readOnly === true,
      ...(options.eventsMaxLen ? { streams: { events: { maxLen: options.eventsMaxLen } } } : {}),
    });
  }

  /** Adds jobs; one already there (same id) is not added again. */
  async enqueue(items: Iterable<EnqueueItem> | AsyncIterable<EnqueueItem>, attempts = DEFAULT_ATTEMPTS): Promise<EnqueueOutcome> {
    const ids: string[] = [];
    let added = 0;
    let pending: EnqueueItem[] = [];
    const flush = async () => {
      if (pending.length === 0) return;
      // The stats of a chunk run together: one at a time, the file system's latency would set the pace.
      const jobs = await Promise.all(pending.map((item) => this.#job(item, attempts)));
      pending = [];
      const existing = await this.#existing(jobs.map((job) => job.opts.jobId ?? ''));
      added += existing.filter((e) => !e).length;
      await this.queue.addBulk(jobs);
      ids.push(...jobs.map((job) => job.opts.jobId ?? ''));
    };
    for await (const item of items) {
      pending.push(item);
      if (pending.length >= BULK) await flush();
    }
    await flush();
    return { ids, added };
  }

  /** The job for an item: its path made absolute, its id from what it is (and the file's size and mtime). */
  async #job(item: EnqueueItem, attempts: number): Promise<{ name: string; data: QueueJobData; opts: JobsOptions }> {
    const input = isUrl(item.input) ? item.input : resolve(item.input);
    const output = item.output === undefined ? undefined : resolve(item.output);
    const data: QueueJobData = { verb: item.verb, input, ...(output ? { output } : {}), options: item.options ?? {} };
    const info = isUrl(input) ? null : await stat(input).catch(() => null);
    const id = jobIdFor(data, info ? { size: info.size, mtimeMs: info.mtimeMs } : null, item.id);
    return { name: item.verb, data, opts: { jobId: id, attempts, backoff: { type: 'exponential', delay: BACKOFF_MS } } };
  }

  /** Which of these job ids exist already (a pipelined EXISTS per job hash). */
  async #existing(ids: readonly string[]): Promise<boolean[]> {
    const prefix = `${this.queue.opts.prefix ?? 'bull'}:${this.queue.name}:`;
    const pipeline = this.#connection.pipeline();
    for (const id of ids) pipeline.exists(`${prefix}${id}`);
    const replies = (await pipeline.exec()) ?? [];
    return replies.map(([, count]) => count === 1);
  }

  async getJob(id: string): Promise<JobView | null> {
    const job = await this.queue.getJob(id);
    return job ? view(job, await job.getState()) : null;
  }

  /** Jobs per state. */
  counts(): Promise<Record<string, number>> {
    return this.queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed');
  }

  /** Every finished job (completed, then dead-lettered), a page at a time. */
  async *finished(states: readonly ('completed' | 'failed')[] = ['completed', 'failed'], page = 1000): AsyncGenerator<JobView> {
    for (const state of states) {
      for (let start = 0; ; start += page) {
        const jobs = await this.queue.getJobs([state], start, start + page - 1, true);
        for (const job of jobs) {
          if (job) yield view(job, state);
        }
        if (jobs.length < page) break;
      }
    }
  }

  /**
   * How many times each job id completed, from the queue's event stream: BullMQ writes a
   * `completed` event in the same Redis script that completes the job, so this is an exact audit
   * (within the stream's kept length, `eventsMaxLen`).
   */
  async completionCounts(): Promise<Map<string, number>> {
    const key = `${this.queue.opts.prefix ?? 'bull'}:${this.queue.name}:events`;
    const counts = new Map<string, number>();
    for (let start = '-'; ; ) {
      const entries = await this.#connection.xrange(key, start, '+', 'COUNT', 10_000);
      for (const [, fields] of entries) {
        const event = new Map<string, string>();
        for (let i = 0; i + 1 < fields.length; i += 2) event.set(fields[i] ?? '', fields[i + 1] ?? '');
        const id = event.get('jobId');
        if (event.get('event') === 'completed' && id) counts.set(id, (counts.get(id) ?? 0) + 1);
      }
      const last = entries.at(-1);
      if (!last || entries.length < 10_000) return counts;
      start = `(${last[0]}`;
    }
  }

  /**
   * Removes finished jobs (completed and dead-lettered) older than `olderThanMs`, a thousand at a
   * time; returns how many. Finished jobs are kept until then because they are what makes
   * enqueuing the same file again add nothing (and what `jobs results` reads).
   */
  async clean(olderThanMs: number): Promise<number> {
    let removed = 0;
    for (const state of ['completed', 'failed'] as const) {
      for (;;) {
        const ids = await this.queue.clean(olderThanMs, 1000, state);
        removed += ids.length;
        if (ids.length < 1000) break;
      }
    }
    return removed;
  }

  async close(): Promise<void> {
    await this.queue.close();
    this.#connection.disconnect();
  }
}

const view = (job: Job<QueueJobData, QueueJobResult>, state: string): JobView => ({
  id: job.id ?? '',
  state,
  verb: job.data.verb,
  input: job.data.input,
  output: job.data.output,
  attemptsMade: job.attemptsMade,
  result: job.returnvalue ?? undefined,
  failedReason: job.failedReason || undefined,
});
