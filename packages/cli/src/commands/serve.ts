import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { UsageError } from '@aigc-label/core';
import { disposeOcr } from 'aigc-label';
import { type Command, InvalidArgumentError } from 'commander';
import { createPool } from '../batch/pool.js';
import type { CommandContext } from './batch-command.js';
import { addSignOptions, addTrustOption, type SignFlags, signOptionsOf, type TrustFlags, trustOptionsOf } from './signing-options.js';

interface ServeFlags extends SignFlags, TrustFlags {
  readonly redis?: string;
  readonly queueName?: string;
  readonly port: number;
  readonly host: string;
  readonly tokenFile?: string;
  readonly producer?: string;
  readonly platform?: string;
  readonly maxBody: number;
  readonly concurrency: number;
  readonly queue: number;
  readonly timeout: number;
  readonly uploadTimeout: number;
}

const integer = (min: number, max: number) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`must be an integer from ${min} to ${max}`);
  return n;
};

/** `--max-body 2G`, `500M`, `4096`: bytes. */
const parseSize = (value: string): number => {
  const match = /^(\d+(?:\.\d+)?)\s*([kmg]?)i?b?$/i.exec(value.trim());
  if (!match) throw new InvalidArgumentError('must be a size such as 500M or 2G');
  const factor = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[match[2].toLowerCase() as '' | 'k' | 'm' | 'g'];
  return Math.floor(Number(match[1]) * factor);
};

export function registerServe(program: Command, _context: CommandContext): void {
  const serve = program
    .command('serve')
    .description('run the verification service: an HTTP API (verify, detect; label, propagate with a token) and a web page');
  // The key and the log are the server's: /v1/label signs ReservedCode1, /v1/propagate ReservedCode2.
  addTrustOption(addSignOptions(serve, 'ReservedCode1'))
    .option('--port <n>', 'port to listen on', integer(0, 65_535), 8080)
    .option('--host <address>', 'address to listen on (0.0.0.0 for every interface)', '127.0.0.1')
    .option('--token-file <file>', 'file holding the bearer token that turns on /v1/label and /v1/propagate')
    .option('-p, --producer <code>', 'default ContentProducer for /v1/label')
    .option('--platform <code>', 'default ContentPropagator for /v1/propagate')
    .option('--max-body <size>', 'largest upload (e.g. 500M, 2G)', parseSize, 2 * 1024 ** 3)
    .option(
      '-j, --concurrency <n>',
      'worker threads for media decoding',
      integer(1, 64),
      Math.max(1, Math.floor(availableParallelism() / 2)),
    )
    .option('--queue <n>', 'requests waiting beyond the 16 in progress before 429', integer(0, 100_000), 64)
    .option('--timeout <seconds>', 'time one file may take to process before 503', integer(1, 3600), 30)
    .option('--redis <url>', 'also take asynchronous jobs (POST /v1/jobs, GET /v1/jobs/:id; needs --token-file) for queue workers')
    .option('--queue-name <name>', 'the queue --redis adds jobs to (as `worker --queue`)')
    .option(
      '--upload-timeout <seconds>',
      'time a whole body may take to arrive before 408 (raise it with --max-body)',
      integer(1, 86_400),
      60,
    )
    .action(async (flags: ServeFlags) => {
      const token = flags.tokenFile ? (await readFile(flags.tokenFile, 'utf8')).trim() : null;
      if (flags.tokenFile && !token) throw new UsageError(`--token-file ${flags.tokenFile} is empty`);
      const pool = createPool(flags.concurrency, { onThisThread: false });
      if (flags.redis && !token)
        throw new UsageError('--redis needs --token-file: jobs name files on the server, so only token holders may add them');
      // Loaded only here: BullMQ is for the queue commands and `serve --redis`.
      const jobs = flags.redis ? new (await import('@aigc-label/queue')).JobQueue(flags.redis, flags.queueName) : undefined;
      // Loaded only here too: Fastify and the metrics are half of what the CLI would load at start-up.
      const { buildServer, listen } = await import('@aigc-label/service');
      const app = await buildServer({
        runner: pool,
        token,
        producer: flags.producer,
        platform: flags.platform,
        maxBodyBytes: flags.maxBody,
        queue: flags.queue,
        processTimeoutMs: flags.timeout * 1000,
        uploadTimeoutMs: flags.uploadTimeout * 1000,
        signing: signOptionsOf(flags),
        ...(jobs ? { jobs } : {}),
        ...trustOptionsOf(flags),
      });
      const { url } = await listen(app, {
        port: flags.port,
        host: flags.host,
        onClosed: async () => {
          await pool.close();
          await jobs?.close();
          await disposeOcr();
        },
      });
      app.log.info({ url, labelRoutes: token !== null }, 'aigc-label serve: listening');
      // The server runs until SIGTERM or SIGINT (listen exits the process when it has drained).
      await new Promise(() => undefined);
    });
}
