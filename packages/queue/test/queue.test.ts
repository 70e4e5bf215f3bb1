import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyFile } from 'aigc-label';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTool } from '../../../test/oracles.js';
import { TestRedis } from '../../../test/redis.js';
import { JobQueue, type JobRunner, type RunningWorker, startWorker } from '../src/index.js';
import { jobIdFor } from '../src/jobs.js';
import { isTransient } from '../src/transient.js';

const MARKDOWN = '# note\n\nsome text\n';
let dir: string;
let redis: TestRedis | undefined;
let server: Server;
let base: string;
let flaky = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aigc-queue-'));
  server = createServer((request, response) => {
    if (request.url === '/note.md') response.writeHead(200, { 'content-type': 'text/markdown' }).end(MARKDOWN);
    else if (request.url === '/big.md') response.writeHead(200).end('x'.repeat(4096));
    else if (request.url === '/flaky.md') {
      flaky++;
      if (flaky < 3) response.writeHead(503).end();
      else response.writeHead(200).end(MARKDOWN);
    } else if (request.url === '/to-file') response.writeHead(302, { location: 'file:///etc/passwd' }).end();
    else response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});
afterAll(async () => {
  await redis?.stop();
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

/** The facade's verify, as the batch pool would run it (never throws). */
const verifyRunner: JobRunner = async (job) => {
  try {
    return { ok: true, report: await verifyFile(job.file, job.options) };
  } catch (error) {
    return { ok: false, report: { file: job.file, error: { name: (error as Error).name, message: (error as Error).message } } };
  }
};

const quiet = pino({ level: 'silent' });

async function settle(queue: JobQueue, ids: string[], deadline = 20_000): Promise<void> {
  const until = Date.now() + deadline;
  for (;;) {
    const states = await Promise.all(ids.map(async (id) => (await queue.getJob(id))?.state));
    if (states.every((s) => s === 'completed' || s === 'failed')) return;
    if (Date.now() > until) throw new Error(`jobs not finished: ${states.join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('job ids', () => {
  it('are the same for the same verb, path, output, size and mtime, and change when the file does', () => {
    const data = { verb: 'verify' as const, input: '/data/a.png', options: {} };
    const id = jobIdFor(data, { size: 10, mtimeMs: 1 });
    expect(jobIdFor({ ...data }, { size: 10, mtimeMs: 1 })).toBe(id);
    expect(jobIdFor(data, { size: 10, mtimeMs: 2 })).not.toBe(id);
    expect(jobIdFor({ ...data, verb: 'detect' }, { size: 10, mtimeMs: 1 })).not.toBe(id);
    expect(id).not.toContain(':');
    expect(jobIdFor(data, null, 'upload-42')).toBe('upload-42');
    for (const bad of ['a:b', '42', '', 'x'.repeat(129)]) expect(() => jobIdFor(data, null, bad)).toThrow(/job id/);
  });

  it('retries storage and machine failures, never a bad file', () => {
    expect(isTransient({ name: 'FileError', message: '/d/a.png: EIO: i/o error, read' })).toBe(true);
    expect(isTransient({ name: 'Error', message: 'out/a.png: no space left on the device (ENOSPC); no output was left behind' })).toBe(
      true,
    );
    expect(isTransient({ name: 'MalformedInputError', message: 'a.png: the IHDR chunk is cut short' })).toBe(false);
    expect(isTransient({ name: 'FileError', message: 'a.png: no such file' })).toBe(false);
  });
});

describe('queue worker (real Redis)', () => {
  const test = withTool('redis-server', 'runs the queue');
  let worker: RunningWorker | undefined;
  let transientLeft = 0;
  const runner: JobRunner = async (job) => {
    if (job.file.endsWith('eio.md') && transientLeft-- > 0)
      return { ok: false, report: { file: job.file, error: { name: 'FileError', message: `${job.file}: EIO: i/o error, read` } } };
    return verifyRunner(job);
  };

  test('runs files and URLs, completes bad ones with an error, retries transient failures, and dead-letters', async () => {
    redis = await TestRedis.start(dir);
    const before = (await readdir(tmpdir())).filter((n) => n.startsWith('aigc-label-job-')).length;
    await writeFile(join(dir, 'good.md'), MARKDOWN);
    await writeFile(join(dir, 'eio.md'), MARKDOWN);
    // Not a PNG at all (a PNG cut after its signature is salvaged now: outcome none, with a finding).
    await writeFile(join(dir, 'bad.png'), new TextEncoder().encode('not a picture'));
    const queue = new JobQueue(redis.url, 'unit');
    worker = await startWorker({
      redisUrl: redis.url,
      queue: 'unit',
      concurrency: 4,
      run: runner,
      download: { maxBytes: 1000, timeoutMs: 5000 },
      metricsPort: 0,
      logger: quiet,
    });
    transientLeft = 2;
    const items = [
      { verb: 'verify' as const, input: join(dir, 'good.md') },
      { verb: 'verify' as const, input: join(dir, 'bad.png') },
      { verb: 'verify' as const, input: join(dir, 'eio.md') },
      { verb: 'verify' as const, input: `${base}/note.md` },
      { verb: 'verify' as const, input: `${base}/big.md` },
      { verb: 'verify' as const, input: `${base}/missing.md` },
      { verb: 'verify' as const, input: `${base}/flaky.md` },
      { verb: 'verify' as const, input: `${base}/to-file` },
      { verb: 'verify' as const, input: 'file:///etc/passwd' },
      { verb: 'label' as const, input: `${base}/note.md`, options: { producer: 'x' } },
    ];
    const { ids, added } = await queue.enqueue(items, 4);
    expect(added).toBe(items.length);
    expect((await queue.enqueue(items, 4)).added).toBe(0);
    await settle(queue, ids);
    const jobs = await Promise.all(ids.map(async (id) => queue.getJob(id)));
    const result = (i: number) => jobs[i]?.result as { ok: boolean; report: { file: string; error?: { message: string } } };
    expect(jobs.map((j) => j?.state)).toEqual(Array(items.length).fill('completed'));
    expect(result(0).ok).toBe(true);
    expect(result(1).ok).toBe(false);
    expect(jobs[1]?.attemptsMade).toBe(1);
    expect([result(2).ok, jobs[2]?.attemptsMade]).toEqual([true, 3]);
    expect([result(3).ok, result(3).report.file]).toEqual([true, `${base}/note.md`]);
    expect(result(4).report.error?.message).toMatch(/download limit/);
    expect(result(5).report.error?.message).toMatch(/404/);
    expect([result(6).ok, jobs[6]?.attemptsMade]).toEqual([true, 3]);
    expect(result(7).report.error?.message).toMatch(/only http and https URLs are fetched, not file:/);
    expect(result(8).report.error?.message).toMatch(/job input|only http/);
    expect(result(9).report.error?.message).toMatch(/needs an output path/);
    expect((await readdir(tmpdir())).filter((n) => n.startsWith('aigc-label-job-')).length).toBe(before);

    // Transient failures beyond the attempts: the job is dead-lettered (failed), with the reason.
    transientLeft = 100;
    await writeFile(join(dir, 'eio.md'), `${MARKDOWN}changed\n`);
    const dead = await queue.enqueue([{ verb: 'verify', input: join(dir, 'eio.md') }], 2);
    expect(dead.added).toBe(1);
    await settle(queue, dead.ids);
    const view = await queue.getJob(dead.ids[0] ?? '');
    expect([view?.state, view?.attemptsMade]).toEqual(['failed', 2]);
    expect(view?.failedReason).toMatch(/EIO/);
    const finished = [];
    for await (const job of queue.finished(['failed'])) finished.push(job.id);
    expect(finished).toEqual(dead.ids);

    const metrics = await (await fetch(`http://127.0.0.1:${worker.metricsPort}/metrics`)).text();
    expect(metrics).toMatch(/aigc_label_jobs_total\{verb="verify",outcome="dead"\} 1/);
    expect(metrics).toMatch(/aigc_label_jobs_total\{verb="verify",outcome="retry"\} 5/);
    expect(metrics).toMatch(/aigc_label_queue_jobs\{state="failed"\} 1/);

    // Cleaning finished jobs forgets them: the same files can be queued again.
    expect(await queue.clean(60_000)).toBe(0);
    expect(await queue.clean(0)).toBe(items.length + 1);
    expect(await queue.counts()).toMatchObject({ completed: 0, failed: 0 });
    expect((await queue.enqueue(items.slice(0, 1), 4)).added).toBe(1);
    await queue.close();
  });

  test('lets jobs in flight finish on close, within the deadline', async () => {
    if (!redis) throw new Error('needs the Redis of the test before');
    await worker?.close(5000);
    let release: () => void = () => {};
    const slow = new Promise<void>((resolve) => {
      release = resolve;
    });
    const queue = new JobQueue(redis.url, 'slow');
    const slowWorker = await startWorker({
      redisUrl: redis.url,
      queue: 'slow',
      concurrency: 1,
      logger: quiet,
      run: async (job) => {
        setTimeout(release, 300);
        await slow;
        return verifyRunner(job);
      },
    });
    const { ids } = await queue.enqueue([{ verb: 'verify', input: join(dir, 'good.md') }]);
    while ((await queue.getJob(ids[0] ?? ''))?.state !== 'active') await new Promise((resolve) => setTimeout(resolve, 20));
    await slowWorker.close(5000);
    expect((await queue.getJob(ids[0] ?? ''))?.state).toBe('completed');
    await queue.close();
  });
});
