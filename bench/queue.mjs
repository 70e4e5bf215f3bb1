#!/usr/bin/env node
/**
 * Queue throughput (issue 22): the same generated folder as bench/batch.mjs (every sample
 * format, round-robin), metadata-only `verify` and `label`, through the batch CLI (-j 1) and
 * through 1, 2 and 4 `aigc-label worker` processes (-j 1 each) on a local Redis with its
 * append-only file on: files/s, and the time per file the queue adds over the batch CLI.
 * Then the queue at scale: BENCH_QUEUED jobs (default 1,000,000) enqueued in bulk, the enqueue
 * rate and Redis memory per queued job. Needs redis-server (Debian's); skipped without it.
 * No targets in the issue: figures only. On a 2-core machine more worker processes than cores
 * only add contention; the rows show what one machine gives, not what a cluster does.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mixedFolder } from './lib/mixed-folder.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const count = Number(process.env.BENCH_FILES ?? 2000);
const queued = Number(process.env.BENCH_QUEUED ?? 1_000_000);
const PRODUCER = '001191440300708461136T1XGW3';
const cliPath = join(root, 'packages', 'cli', 'dist', 'cli.js');

if (spawnSync('sh', ['-c', 'command -v redis-server']).status !== 0) {
  console.log('redis-server not installed: queue bench skipped (apt-get install redis-server)');
  process.exit(0);
}
const { JobQueue } = await import('../packages/queue/dist/index.js');
const { work, folder, formats } = await mixedFolder('aigc-bench-queue-', count);

const port = await new Promise((resolve) => {
  const server = createServer().listen(0, '127.0.0.1', () => {
    const { port } = server.address();
    server.close(() => resolve(port));
  });
});
const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', work, '--appendonly', 'yes', '--save', ''], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
await new Promise((resolve) => redis.stdout.on('data', (d) => /Ready to accept/.test(String(d)) && resolve()));
const url = `redis://127.0.0.1:${port}`;
process.on('exit', () => redis.kill('SIGKILL'));

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The batch CLI over the folder in a fresh process: ms inside `run` (the process start not counted, as for the workers). */
function batch(args) {
  const script = `
    const { run } = await import(${JSON.stringify(join(root, 'packages', 'cli', 'dist', 'index.js'))});
    const started = performance.now();
    await run(${JSON.stringify([...args, '-j', '1', '--no-progress'])}, { out: () => {}, err: () => {} });
    console.log(performance.now() - started);`;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(result.stderr);
  return Number(result.stdout.trim().split('\n').pop());
}

/** `workers` worker processes, started and ready before the clock starts; ms until every job finished. */
async function viaQueue(name, workers, verb, options, outDir) {
  const procs = [];
  for (let i = 0; i < workers; i++) {
    const proc = spawn(process.execPath, [cliPath, 'worker', '--redis', url, '--queue', name, '-j', '1'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise((resolve) => proc.stdout.on('data', (d) => /"event":"started"/.test(String(d)) && resolve()));
    procs.push(proc);
  }
  const queue = new JobQueue(url, name);
  const started = performance.now();
  const items = [];
  for (const sub of readdirSync(folder)) {
    for (const file of readdirSync(join(folder, sub))) {
      items.push({ verb, input: join(folder, sub, file), options, ...(outDir ? { output: join(outDir, sub, file) } : {}) });
    }
  }
  await queue.enqueue(items);
  for (;;) {
    const counts = await queue.counts();
    if (counts.completed + counts.failed >= count) break;
    await sleep(20);
  }
  const ms = performance.now() - started;
  await queue.close();
  await Promise.all(procs.map((p) => new Promise((resolve) => p.once('exit', resolve) && p.kill('SIGTERM'))));
  return ms;
}

const verifyOptions = { audible: false, ocr: false };
const labelOptions = { producer: PRODUCER, explicit: false };
const rows = [];
const batchVerify = batch(['verify', folder, '--no-rhythm']);
rows.push(['verify', 'batch CLI', batchVerify]);
const batchLabel = batch(['label', folder, '--producer', PRODUCER, '--no-explicit', '-o', join(work, 'out-batch')]);
rows.push(['label', 'batch CLI', batchLabel]);
rmSync(join(work, 'out-batch'), { recursive: true, force: true });
for (const workers of [1, 2, 4]) {
  rows.push([
    'verify',
    `${workers} worker${workers > 1 ? 's' : ''}`,
    await viaQueue(`verify-${workers}`, workers, 'verify', verifyOptions),
  ]);
  const out = join(work, `out-${workers}`);
  rows.push([
    'label',
    `${workers} worker${workers > 1 ? 's' : ''}`,
    await viaQueue(`label-${workers}`, workers, 'label', labelOptions, out),
  ]);
  rmSync(out, { recursive: true, force: true });
}

console.log(`${count} files (${formats}); Redis with appendonly yes; each worker -j 1\n`);
console.log('verb    run         files/s  ms total  queue overhead ms/file (vs batch CLI)');
for (const [verb, runner, ms] of rows) {
  const base = verb === 'verify' ? batchVerify : batchLabel;
  const overhead = runner === 'batch CLI' ? '' : ((ms - base) / count).toFixed(2).padStart(8);
  console.log(
    `${verb.padEnd(8)}${runner.padEnd(10)}  ${((count / ms) * 1000).toFixed(0).padStart(7)}  ${ms.toFixed(0).padStart(8)}  ${overhead}`,
  );
}

// The queue at scale: memory per job with persistence off (the AOF would only cost disk).
const redisCli = (...args) => execFileSync('redis-cli', ['-p', String(port), ...args], { encoding: 'utf8' });
const usedMemory = () => Number(/used_memory:(\d+)/.exec(redisCli('info', 'memory'))[1]);
redisCli('config', 'set', 'appendonly', 'no');
const big = new JobQueue(url, 'scale');
const before = usedMemory();
const started = performance.now();
const chunk = 10_000;
for (let done = 0; done < queued; done += chunk) {
  const items = [];
  // URL jobs (an upload platform's case): no stat per job, so this measures the queue itself.
  for (let i = done; i < Math.min(queued, done + chunk); i++)
    items.push({ verb: 'verify', input: `https://uploads.example/queued/${i}.png`, options: verifyOptions });
  await big.enqueue(items);
}
const enqueueMs = performance.now() - started;
const after = usedMemory();
const waiting = (await big.counts()).waiting;
console.log(
  `\n${queued.toLocaleString('en')} jobs enqueued in ${(enqueueMs / 1000).toFixed(1)} s: ${((queued / enqueueMs) * 1000).toFixed(0)} jobs/s; ${waiting.toLocaleString('en')} waiting; Redis memory ${((after - before) / 1e6).toFixed(0)} MB, ${((after - before) / queued).toFixed(0)} bytes per queued job`,
);
await big.close();
redis.kill('SIGTERM');
await new Promise((resolve) => redis.once('exit', resolve));
rmSync(work, { recursive: true, force: true });
