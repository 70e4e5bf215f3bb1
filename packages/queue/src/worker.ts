import { createWriteStream, type WriteStream } from 'node:fs';
import type { Server } from 'node:http';
import { outputPathFor, REPORT_SCHEMA_VERSION, removeTemporariesOf } from 'aigc-label';
import { type Job, Worker } from 'bullmq';
import { type Logger, pino } from 'pino';
import { JobQueue } from './client.js';
import { connect, DEFAULT_QUEUE, redactedUrl } from './connection.js';
import { type DownloadLimits, download, TransientError } from './download.js';
import { isUrl, parseJobData, type QueueJobData, type QueueJobResult, type QueueVerb } from './jobs.js';
import { WorkerMetrics } from './metrics.js';
import { isTransient } from './transient.js';

/** One file for the batch CLI's job runner: the same shape its pool takes. */
export interface RunnableJob {
  readonly verb: QueueVerb;
  readonly file: string;
  readonly options: Readonly<Record<string, unknown>>;
}

/** Runs one file through the facade and never throws: the batch CLI's pool (`aigc-label worker` passes it in). */
export type JobRunner = (job: RunnableJob) => Promise<QueueJobResult>;

export interface WorkerOptions {
  readonly redisUrl: string;
  readonly queue?: string | undefined;
  /** Jobs in flight in this process. */
  readonly concurrency: number;
  readonly run: JobRunner;
  readonly download?: DownloadLimits | undefined;
  /** How long a job's lock lasts without renewal: a worker silent this long (killed) loses its jobs to others. */
  readonly lockMs?: number | undefined;
  /** How often workers look for jobs whose lock lapsed (stalled), and move them back to waiting. */
  readonly stalledIntervalMs?: number | undefined;
  /** Stalls a job may have before it is dead-lettered (a file that kills every worker that takes it). */
  readonly maxStalledCount?: number | undefined;
  /** Serve Prometheus metrics on this port (0: any free port). */
  readonly metricsPort?: number | undefined;
  /** Append each completed job's result here as a JSON line. */
  readonly reportPath?: string | undefined;
  readonly logger?: Logger | undefined;
}

export interface RunningWorker {
  /** The metrics port, when serving. */
  readonly metricsPort: number | undefined;
  /** Stops taking jobs; in-flight jobs finish within `deadlineMs`, after which they are left to stall and be retried elsewhere. */
  close(deadlineMs: number): Promise<void>;
}

const DEFAULT_DOWNLOAD: DownloadLimits = { maxBytes: 1024 * 1024 * 1024, timeoutMs: 120_000 };

const errorResult = (file: string, error: unknown): QueueJobResult => ({
  ok: false,
  report: {
    schemaVersion: REPORT_SCHEMA_VERSION,
    file,
    error: error instanceof Error ? { name: error.name, message: error.message } : { name: 'Error', message: String(error) },
  },
});

/** Where a job writes, for the verbs that write (null for those that only read, or a URL job without an output). */
function outputOf(data: QueueJobData): string | null {
  if (data.verb !== 'label' && data.verb !== 'propagate') return null;
  if (data.output !== undefined) return data.output;
  return isUrl(data.input) ? null : outputPathFor(data.input, data.options);
}

/**
 * Processes one job: downloads a URL input, runs the file through the batch runner, and decides
 * between a result (a good or a bad file: the job completes) and a retry (a transient failure:
 * the job throws, BullMQ backs off exponentially and dead-letters it after its attempts).
 */
async function process(job: Job<QueueJobData, QueueJobResult>, options: WorkerOptions): Promise<QueueJobResult> {
  let data: QueueJobData;
  try {
    data = parseJobData(job.data);
  } catch (error) {
    return errorResult(String((job.data as { input?: unknown } | undefined)?.input ?? ''), error);
  }
  const output = outputOf(data);
  if (isUrl(data.input) && output === null && (data.verb === 'label' || data.verb === 'propagate'))
    return errorResult(data.input, new Error(`${data.input}: a URL job that writes needs an output path on shared storage`));
  // An earlier attempt died (kill -9) while writing: its temporary file is ours to remove, since the
  // job's lock means no one else is writing this output now.
  if (output !== null && job.attemptsStarted > 1) await removeTemporariesOf(output);
  let file = data.input;
  let dispose: (() => Promise<void>) | undefined;
  if (isUrl(data.input)) {
    try {
      const downloaded = await download(data.input, options.download ?? DEFAULT_DOWNLOAD);
      file = downloaded.file;
      dispose = downloaded.dispose;
    } catch (error) {
      if (error instanceof TransientError) throw error;
      return errorResult(data.input, error);
    }
  }
  try {
    const runOptions = output !== null && data.output !== undefined ? { ...data.options, output } : data.options;
    const result = await options.run({ verb: data.verb, file, options: runOptions });
    const error = result.ok ? null : (result.report as { error?: { name: string; message: string } }).error;
    if (error && isTransient(error)) throw new TransientError(error.message);
    if (file === data.input) return result;
    // The report names the URL, not the private temporary copy.
    return { ok: result.ok, report: { ...(result.report as object), file: data.input } };
  } finally {
    await dispose?.();
  }
}

/** Starts a worker on the queue; resolves once it is connected and (with a port) serving metrics. */
export async function startWorker(options: WorkerOptions): Promise<RunningWorker> {
  const name = options.queue ?? DEFAULT_QUEUE;
  const logger = options.logger ?? pino({ name: 'aigc-label-worker' });
  const connection = connect(options.redisUrl, true);
  const counts = new JobQueue(options.redisUrl, name, { readOnly: true });
  const metrics = new WorkerMetrics(() => counts.counts());
  const started = new Map<string, number>();
  const report: WriteStream | null = options.reportPath ? createWriteStream(options.reportPath, { flags: 'a' }) : null;

  const worker = new Worker<QueueJobData, QueueJobResult>(
    name,
    async (job) => {
      started.set(job.id ?? '', performance.now());
      return process(job, options);
    },
    {
      connection,
      concurrency: options.concurrency,
      lockDuration: options.lockMs ?? 30_000,
      stalledInterval: options.stalledIntervalMs ?? 30_000,
      maxStalledCount: options.maxStalledCount ?? 2,
      autorun: false,
    },
  );
  const elapsed = (job: Job) => {
    const begun = started.get(job.id ?? '');
    started.delete(job.id ?? '');
    return begun === undefined ? 0 : (performance.now() - begun) / 1000;
  };
  worker.on('completed', (job, result) => {
    const outcome = result.ok ? 'ok' : 'error';
    metrics.jobs.inc({ verb: job.data.verb, outcome });
    metrics.duration.observe({ verb: job.data.verb }, elapsed(job));
    logger.info({ event: 'completed', job: job.id, verb: job.data.verb, input: job.data.input, ok: result.ok }, 'job completed');
    report?.write(`${JSON.stringify({ id: job.id, verb: job.data.verb, file: job.data.input, ok: result.ok, report: result.report })}\n`);
  });
  worker.on('failed', (job, error) => {
    if (!job) return;
    elapsed(job);
    const dead = job.attemptsMade >= (job.opts.attempts ?? 1) || error.name === 'UnrecoverableError';
    metrics.jobs.inc({ verb: job.data.verb, outcome: dead ? 'dead' : 'retry' });
    logger.warn(
      { event: dead ? 'dead-letter' : 'retry', job: job.id, input: job.data.input, attempt: job.attemptsMade, error: error.message },
      dead ? 'job dead-lettered' : 'job will be retried',
    );
  });
  worker.on('stalled', (id) => logger.warn({ event: 'stalled', job: id }, 'a job stalled (its worker stopped) and goes back to waiting'));
  worker.on('error', (error) => logger.error({ event: 'error', error: error.message }, 'worker error'));

  const served = options.metricsPort === undefined ? null : await metrics.serve(options.metricsPort);
  await worker.waitUntilReady();
  void worker.run();
  logger.info(
    { event: 'started', queue: name, redis: redactedUrl(options.redisUrl), concurrency: options.concurrency, metricsPort: served?.port },
    'worker started',
  );
  let server: Server | undefined = served?.server;
  return {
    metricsPort: served?.port,
    async close(deadlineMs) {
      let timer: NodeJS.Timeout | undefined;
      const finished = await Promise.race([
        worker.close().then(() => true),
        new Promise<false>((resolve) => {
          timer = setTimeout(() => resolve(false), deadlineMs);
        }),
      ]);
      clearTimeout(timer);
      if (!finished) {
        logger.warn({ event: 'shutdown-deadline', deadlineMs }, 'jobs still in flight at the deadline are left to be retried elsewhere');
        await worker.close(true);
      }
      logger.info({ event: 'stopped' }, 'worker stopped');
      await new Promise<void>((resolve) => (report ? report.end(resolve) : resolve()));
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
      server = undefined;
      await counts.close();
      connection.disconnect();
    },
  };
}
