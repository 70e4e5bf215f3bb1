import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { JobQueue } from '@aigc-label/queue';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { withTool } from './oracles.js';
import { TestRedis } from './redis.js';

// The built CLI as an operator runs it, against a real Redis, with the 5,000 files
// (about 50 s on 2 cores; AIGC_QUEUE_E2E_FILES sets another count).
const FILES = Number(process.env.AIGC_QUEUE_E2E_FILES ?? 5000);
// Generous for a loaded CI machine: 2 minutes plus 40 ms a file.
const DEADLINE_MS = 120_000 + 40 * FILES;
const exec = promisify(execFile);
const cli = join(import.meta.dirname, '..', 'packages', 'cli', 'dist', 'cli.js');
const PRODUCER = '001191440300708461136T1XGW3';
let dir: string;
let redis: TestRedis | undefined;
const workers: ChildProcess[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aigc-queue-e2e-'));
});
afterAll(async () => {
  for (const worker of workers) if (worker.exitCode === null) worker.kill('SIGKILL');
  await redis?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** FILES inputs under in/, every 20th one corrupt (5%): markdown notes and small PNGs. */
async function makeInputs(): Promise<{ good: string[]; corrupt: string[] }> {
  const pngs = await Promise.all(
    [0, 1, 2, 3].map((i) =>
      sharp({ create: { width: 8, height: 8, channels: 3, background: { r: 60 * i, g: 20, b: 200 } } })
        .png()
        .toBuffer(),
    ),
  );
  const good: string[] = [];
  const corrupt: string[] = [];
  for (let i = 0; i < FILES; i++) {
    const folder = `d${i % 16}`;
    await mkdir(join(dir, 'in', folder), { recursive: true });
    const png = i % 4 === 0;
    const name = join(folder, `f${i}.${png ? 'png' : 'md'}`);
    if (i % 20 === 7) {
      // A PNG signature and then nothing a PNG reader can use.
      await writeFile(
        join(dir, 'in', name),
        png ? new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]) : new Uint8Array([0xff, 0xfe, 0, 0xd8, 0]),
      );
      corrupt.push(name);
    } else {
      await writeFile(join(dir, 'in', name), png ? (pngs[i % 4] ?? new Uint8Array()) : `# note ${i}\n\nbody ${i}\n`);
      good.push(name);
    }
  }
  return { good, corrupt };
}

function startWorker(index: number, generation: number): ChildProcess {
  const log = createWriteStream(join(dir, `worker-${index}-${generation}.log`));
  const child = spawn(
    process.execPath,
    [cli, 'worker', '--redis', redis?.url ?? '', '-j', '1', '--lock-seconds', '4', '--stalled-seconds', '2', '--shutdown-seconds', '20'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  workers.push(child);
  return child;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function finishedCount(queue: JobQueue): Promise<number> {
  try {
    const counts = await queue.counts();
    return (counts.completed ?? 0) + (counts.failed ?? 0);
  } catch {
    return -1; // Redis is restarting
  }
}

async function waitFor(queue: JobQueue, target: number, deadline: number): Promise<void> {
  while ((await finishedCount(queue)) < target) {
    if (Date.now() > deadline) throw new Error(`only ${await finishedCount(queue)} of ${target} jobs finished in time`);
    await sleep(100);
  }
}

describe('queue workers end to end (real Redis, 3 worker processes)', () => {
  withTool('redis-server', 'runs the queue the workers share')(
    `labels ${FILES} files (5% corrupt) exactly once through a worker SIGKILL and a Redis restart`,
    async () => {
      redis = await TestRedis.start(dir);
      const { good, corrupt } = await makeInputs();
      const enqueueArgs = [
        cli,
        'enqueue',
        '--redis',
        redis.url,
        join(dir, 'in'),
        '--verb',
        'label',
        '--producer',
        PRODUCER,
        '--no-explicit',
        '-o',
        join(dir, 'out'),
        '--json',
      ];
      const first = JSON.parse((await exec(process.execPath, enqueueArgs)).stdout) as { ids: string[]; added: number };
      expect(first.added).toBe(FILES);
      const again = JSON.parse((await exec(process.execPath, enqueueArgs)).stdout) as { ids: string[]; added: number };
      expect(again).toEqual({ ids: first.ids, added: 0 });

      // The queue's event stream keeps every event of this run: its `completed` entries are written
      // by the same Redis script that completes a job, so they count completions exactly.
      const queue = new JobQueue(redis.url, 'aigc-label', { eventsMaxLen: FILES * 20 });
      await queue.queue.waitUntilReady();
      const started = Date.now();
      for (const i of [0, 1, 2]) startWorker(i, 0);
      try {
        // SIGKILL one worker at a random point in the first half, and restart it.
        const killAt = Math.floor(FILES * (0.1 + Math.random() * 0.4));
        await waitFor(queue, killAt, started + DEADLINE_MS);
        workers[0]?.kill('SIGKILL');
        startWorker(0, 1);
        // Restart Redis (persistence on) once, further on.
        await waitFor(queue, Math.floor(FILES * 0.7), started + DEADLINE_MS);
        await redis.restart();
        await waitFor(queue, FILES, started + DEADLINE_MS);

        const completedEvents = await queue.completionCounts();
        expect(completedEvents.size).toBe(FILES);
        expect([...completedEvents.values()].every((n) => n === 1)).toBe(true);
        const counts = await queue.counts();
        expect(counts).toMatchObject({ completed: FILES, failed: 0, waiting: 0, active: 0 });
        const results = [];
        for await (const job of queue.finished()) results.push(job);
        expect(results).toHaveLength(FILES);
        expect(new Set(results.map((r) => r.id)).size).toBe(FILES);
        const byInput = new Map(results.map((r) => [r.input, r]));
        for (const name of good) expect(JSON.stringify(byInput.get(join(dir, 'in', name))?.result), name).toMatch(/^{"ok":true/);
        for (const name of corrupt) {
          const result = byInput.get(join(dir, 'in', name))?.result;
          expect(result?.ok, name).toBe(false);
          expect((result?.report as { error?: { message: string } } | undefined)?.error?.message).toContain(name.split('/')[1]);
        }
      } finally {
        await queue.close().catch(() => {});
      }

      // The operator's view agrees: `jobs status` and `jobs results` from the CLI.
      const status = JSON.parse(
        (await exec(process.execPath, [cli, 'jobs', 'status', '--redis', redis.url, '--sample', '0', '--json'])).stdout,
      );
      expect(status).toMatchObject({ counts: { completed: FILES, failed: 0, waiting: 0 }, deadLetter: 0 });
      const lines = (await exec(process.execPath, [cli, 'jobs', 'results', '--redis', redis.url], { maxBuffer: 1 << 30 })).stdout
        .trim()
        .split('\n');
      expect(lines).toHaveLength(FILES);
      expect(lines.filter((line) => JSON.parse(line).result.ok === false)).toHaveLength(corrupt.length);

      // Graceful stop: every worker exits on SIGTERM.
      const exits = workers
        .filter((w) => w.exitCode === null && w.signalCode === null)
        .map((w) => new Promise<number | null>((resolve) => w.once('exit', (code) => resolve(code))));
      for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill('SIGTERM');
      expect(await Promise.all(exits)).toEqual([0, 0, 0]);

      // No worker saw a job complete twice either (a worker killed just after a completion may not have logged it).
      const completions = new Map<string, number>();
      let stalled = 0;
      for (const name of (await readdir(dir)).filter((n) => n.startsWith('worker-'))) {
        for (const line of (await readFile(join(dir, name), 'utf8')).split('\n')) {
          if (!line.startsWith('{')) continue;
          const entry = JSON.parse(line) as { event?: string; job?: string };
          if (entry.event === 'completed' && entry.job) completions.set(entry.job, (completions.get(entry.job) ?? 0) + 1);
          if (entry.event === 'stalled') stalled++;
        }
      }
      expect(completions.size).toBeGreaterThan(FILES * 0.9);
      expect([...completions.values()].every((n) => n === 1)).toBe(true);
      // The killed worker's jobs were recovered as stalled by the others (the path under test).
      expect(stalled).toBeGreaterThan(0);

      // Exactly one correct output per good file, none for corrupt ones, no temporary file left.
      const outputs = (await readdir(join(dir, 'out'), { recursive: true })).map(String);
      expect(outputs.filter((n) => n.includes('aigc-label-'))).toEqual([]);
      expect(outputs.filter((n) => /\.(png|md)$/.test(n)).sort()).toEqual([...good].sort());
      const { stdout } = await exec(process.execPath, [cli, 'verify', join(dir, 'out'), '--json', '--no-rhythm', '-j', '1'], {
        maxBuffer: 256 * 1024 * 1024,
      });
      const reports = JSON.parse(stdout) as { outcome: string; label: { ContentProducer: string } }[];
      expect(reports).toHaveLength(good.length);
      for (const r of reports) expect([r.outcome, r.label.ContentProducer]).toEqual(['confirmed', PRODUCER]);
    },
    DEADLINE_MS + 60_000,
  );
});
