import { basename, join } from 'node:path';
import { UsageError } from '@aigc-label/core';
import type { EnqueueItem, QueueVerb } from '@aigc-label/queue';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { expandInputs, stdinPaths } from '../batch/inputs.js';
import { errorReport, type Job } from '../batch/jobs.js';
import { createPool } from '../batch/pool.js';
import { ReportWriter } from '../batch/report-file.js';
import { printable } from '../format.js';
import { type CommandContext, collect, DEFAULT_THREADS, parseConcurrency } from './batch-command.js';

// BullMQ and its Redis client load only when a queue command runs: the batch verbs never need them.
const loadQueue = () => import('@aigc-label/queue');

const redisOption = () =>
  new Option('--redis <url>', 'the Redis holding the queue (redis://host:6379)').env('AIGC_REDIS_URL').makeOptionMandatory();
const queueOption = () => new Option('--queue <name>', 'the queue name').default('aigc-label');

const positiveNumber = (value: string): number => {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('must be a number, 0 or more');
  return n;
};

interface WorkerFlags {
  readonly redis: string;
  readonly queue: string;
  readonly concurrency: number;
  readonly metricsPort?: number;
  readonly report?: string;
  readonly shutdownSeconds: number;
  readonly lockSeconds: number;
  readonly stalledSeconds: number;
  readonly maxDownloadBytes: number;
  readonly downloadTimeout: number;
  readonly timeout: number;
}

interface EnqueueFlags {
  readonly redis: string;
  readonly queue: string;
  readonly verb: QueueVerb;
  readonly outDir?: string;
  readonly producer?: string;
  readonly explicit: boolean;
  readonly options?: string;
  readonly id?: string;
  readonly attempts: number;
  readonly include?: string[];
  readonly exclude?: string[];
  readonly null?: boolean;
  readonly json?: boolean;
}

/** The verb's options: --options JSON, with --producer and --no-explicit on top. */
function verbOptions(flags: EnqueueFlags): Record<string, unknown> {
  let options: Record<string, unknown> = {};
  if (flags.options !== undefined) {
    try {
      options = JSON.parse(flags.options);
    } catch {
      throw new UsageError('--options takes a JSON object of the verb\'s options, e.g. {"declared":true}');
    }
    if (typeof options !== 'object' || options === null || Array.isArray(options)) throw new UsageError('--options takes a JSON object');
  }
  if (flags.producer) options = { ...options, producer: flags.producer };
  if (flags.verb === 'label' && flags.explicit === false) options = { ...options, explicit: false };
  if (flags.verb === 'label' && typeof options.producer !== 'string')
    throw new UsageError('label jobs need --producer <code> (or AIGC_PRODUCER, or "producer" in --options)');
  return options;
}

const isUrl = (input: string) => /^https?:\/\//i.test(input);

/** The jobs for the command line's inputs: URLs as they are, files and folders walked as the batch verbs walk them. */
async function* enqueueItems(inputs: string[], flags: EnqueueFlags, readStdin?: () => Promise<string>): AsyncGenerator<EnqueueItem> {
  const listed = inputs.flatMap((input) => (input === '-' ? [] : [input]));
  if (inputs.includes('-')) listed.push(...stdinPaths(readStdin ? await readStdin() : '', flags.null === true));
  const options = verbOptions(flags);
  const outDir = flags.verb === 'label' || flags.verb === 'propagate' ? flags.outDir : undefined;
  for (const url of listed.filter(isUrl)) {
    const name = basename(new URL(url).pathname) || 'download';
    yield {
      verb: flags.verb,
      input: url,
      options,
      ...(outDir ? { output: join(outDir, name) } : {}),
      ...(flags.id ? { id: flags.id } : {}),
    };
  }
  const paths = listed.filter((input) => !isUrl(input));
  for await (const input of expandInputs(paths, { include: flags.include, exclude: flags.exclude })) {
    yield {
      verb: flags.verb,
      input: input.file,
      options,
      ...(outDir ? { output: join(outDir, input.relative) } : {}),
      ...(flags.id ? { id: flags.id } : {}),
    };
  }
}

export function registerQueue(program: Command, context: CommandContext): void {
  const { io } = context;
  program
    .command('worker')
    .description("process jobs from a Redis queue (BullMQ) until SIGTERM, on the batch verbs' threads")
    .addOption(redisOption())
    .addOption(queueOption())
    .option('-j, --concurrency <n>', 'threads processing files (half the cores)', parseConcurrency, DEFAULT_THREADS)
    .option('--metrics-port <port>', 'serve Prometheus metrics on this port (GET /metrics)', positiveNumber)
    .option('--report <file>', "also append each completed job's result to this JSON Lines file")
    .option('--shutdown-seconds <s>', 'on SIGTERM, time for jobs in flight to finish (then they are retried elsewhere)', positiveNumber, 30)
    .option('--lock-seconds <s>', "a silent worker's jobs go to others after this long", positiveNumber, 30)
    .option('--stalled-seconds <s>', 'how often to look for jobs whose worker died', positiveNumber, 30)
    .option('--max-download-bytes <n>', 'largest http(s) input downloaded', positiveNumber, 1024 * 1024 * 1024)
    .option('--download-timeout <s>', 'time limit for downloading one http(s) input', positiveNumber, 120)
    .option('--timeout <s>', 'time one file may take to read and plan, unless the job says otherwise', positiveNumber, 30)
    .action(async (flags: WorkerFlags) => {
      const { startWorker } = await loadQueue();
      // The same guard as the batch verbs: --report only ever extends a report of ours, never another file.
      if (flags.report) await (await ReportWriter.open(flags.report, true)).close();
      const pool = createPool(flags.concurrency);
      const worker = await startWorker({
        redisUrl: flags.redis,
        queue: flags.queue,
        // Enough jobs in flight to keep every thread busy (the pool weighs metadata and media jobs).
        concurrency: flags.concurrency * 8,
        run: async (job) => {
          // The queue checked the verb; the options are the verb's own, as the batch verbs build them.
          const runnable = { verb: job.verb, file: job.file, options: { timeoutMs: flags.timeout * 1000, ...job.options } } as Job;
          return (
            (await pool.run(runnable)) ?? {
              ok: false,
              report: errorReport(job.file, new Error('worker thread exited before the file ran')),
            }
          );
        },
        download: { maxBytes: flags.maxDownloadBytes, timeoutMs: flags.downloadTimeout * 1000 },
        lockMs: flags.lockSeconds * 1000,
        stalledIntervalMs: flags.stalledSeconds * 1000,
        metricsPort: flags.metricsPort,
        reportPath: flags.report,
      });
      await new Promise<void>((resolve) => {
        process.once('SIGTERM', resolve);
        process.once('SIGINT', resolve);
      });
      await worker.close(flags.shutdownSeconds * 1000);
      await pool.close();
    });

  program
    .command('enqueue')
    .description('add jobs to a Redis queue for `aigc-label worker`: one per file (folders walked) or http(s) URL')
    .argument('<inputs...>', 'files and folders on storage the workers share, http(s) URLs, or - for a list on stdin')
    .addOption(redisOption())
    .addOption(queueOption())
    .addOption(new Option('--verb <verb>', 'what the workers do').choices(['label', 'verify', 'detect', 'propagate']).default('verify'))
    .option('-o, --out-dir <dir>', 'label/propagate: write outputs here (keeping sub-folders of folder inputs)')
    .addOption(new Option('-p, --producer <code>', 'label: your provider code or name').env('AIGC_PRODUCER'))
    .option('--no-explicit', 'label: metadata label only')
    .option('--options <json>', 'the verb\'s options as JSON, e.g. {"declared":true}')
    .option('--id <id>', 'your own job id (one input), instead of the one from verb, path, size and mtime')
    .option('--attempts <n>', 'tries for transient failures before a job is dead-lettered', parseConcurrency, 5)
    .option('--include <glob>', 'only files under a folder matching this glob (repeatable)', collect)
    .option('--exclude <glob>', 'skip files under a folder matching this glob (repeatable)', collect)
    .option('-0, --null', 'the list on stdin (-) is NUL-separated')
    .option('--json', 'print {"ids": [...], "added": n}')
    .action(async (inputs: string[], flags: EnqueueFlags) => {
      if (flags.id && (inputs.length > 1 || inputs[0] === '-')) throw new UsageError('--id names one job; give one input');
      const { JobQueue } = await loadQueue();
      const queue = new JobQueue(flags.redis, flags.queue);
      try {
        const { ids, added } = await queue.enqueue(enqueueItems(inputs, flags, io.readStdin), flags.attempts);
        if (flags.json) io.out(`${JSON.stringify({ ids, added })}\n`);
        else io.out(`${ids.length} jobs: ${added} added, ${ids.length - added} already queued (queue ${printable(flags.queue)})\n`);
      } finally {
        await queue.close();
      }
    });

  const jobs = program.command('jobs').description('progress and results of a Redis queue');
  jobs
    .command('status')
    .description('jobs per state, completion rate and time left')
    .addOption(redisOption())
    .addOption(queueOption())
    .option('--sample <seconds>', 'measure the rate over this long (0: no rate)', positiveNumber, 1)
    .option('--json', 'machine-readable')
    .action(async (flags: { redis: string; queue: string; sample: number; json?: boolean }) => {
      const { JobQueue } = await loadQueue();
      const queue = new JobQueue(flags.redis, flags.queue);
      try {
        const before = await queue.counts();
        let rate: number | null = null;
        let counts = before;
        if (flags.sample > 0) {
          await new Promise((resolve) => setTimeout(resolve, flags.sample * 1000));
          counts = await queue.counts();
          const finished = (c: Record<string, number>) => (c.completed ?? 0) + (c.failed ?? 0);
          rate = (finished(counts) - finished(before)) / flags.sample;
        }
        const left = (counts.waiting ?? 0) + (counts.active ?? 0) + (counts.delayed ?? 0) + (counts.prioritized ?? 0);
        const etaSeconds = rate && rate > 0 ? left / rate : null;
        if (flags.json) {
          io.out(`${JSON.stringify({ counts, deadLetter: counts.failed ?? 0, perSecond: rate, etaSeconds })}\n`);
          return;
        }
        const states = Object.entries(counts)
          .map(([state, n]) => `${state} ${n}`)
          .join(', ');
        io.out(
          `${states}\n${rate === null ? '' : `${rate.toFixed(1)} jobs/s`}${etaSeconds === null ? '' : `, about ${Math.ceil(etaSeconds)} s left`}\n`,
        );
      } finally {
        await queue.close();
      }
    });
  jobs
    .command('clean')
    .description('remove finished jobs older than --older-than (enqueuing those files again then queues them anew)')
    .addOption(redisOption())
    .addOption(queueOption())
    .requiredOption('--older-than <hours>', 'age of the finished jobs to remove, in hours (0: all)', positiveNumber)
    .action(async (flags: { redis: string; queue: string; olderThan: number }) => {
      const { JobQueue } = await loadQueue();
      const queue = new JobQueue(flags.redis, flags.queue);
      try {
        io.out(`${await queue.clean(flags.olderThan * 3_600_000)} finished jobs removed\n`);
      } finally {
        await queue.close();
      }
    });
  jobs
    .command('results')
    .description('finished jobs as JSON lines: completed ones with their report, dead-lettered ones with the reason')
    .addOption(redisOption())
    .addOption(queueOption())
    .addOption(new Option('--state <state>', 'which jobs').choices(['completed', 'failed', 'all']).default('all'))
    .action(async (flags: { redis: string; queue: string; state: 'completed' | 'failed' | 'all' }) => {
      const { JobQueue } = await loadQueue();
      const queue = new JobQueue(flags.redis, flags.queue);
      try {
        const states = flags.state === 'all' ? (['completed', 'failed'] as const) : ([flags.state] as const);
        for await (const job of queue.finished(states)) io.out(`${JSON.stringify(job)}\n`);
      } finally {
        await queue.close();
      }
    });
}
