#!/usr/bin/env node
/**
 * The verification service under load (issue 21): `aigc-label serve` in its own process, driven
 * by autocannon from this one (each gets about one of the two cores).
 * 1. verify of a small metadata-labeled JPEG: target ≥ 1,500 requests/s with p99 ≤ 50 ms on
 *    this 2-core machine; the server's RSS after the warm-up and after BENCH_REQUESTS (100,000)
 *    requests shows whether memory stays flat.
 * 2. mixed media (every sample format, OCR off, the audible search on as by default): req/s, p99.
 * Beside them, the floor: a bare Fastify route that reads the same body and answers `{}`
 * (no toolkit work), so the cost of verifying shows against the framework's own.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const requests = Number(process.env.BENCH_REQUESTS ?? 100_000);
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
if (!existsSync(join(root, 'samples', 'sample.png')))
  execFileSync(process.execPath, [join(root, 'scripts', 'make-samples.mjs')], { stdio: 'inherit' });
const { defaultRegistry } = await import('../packages/aigc-label/dist/index.js');
const { extensionOf } = await import('../packages/core/dist/index.js');
const cli = join(root, 'packages', 'cli', 'dist', 'cli.js');

// The small labeled JPEG: the sample, labeled (metadata only) by the CLI.
const work = mkdtempSync(join(tmpdir(), 'aigc-bench-service-'));
execFileSync(process.execPath, [
  cli,
  'label',
  join(root, 'samples', 'sample.jpg'),
  '--producer',
  '001191440300708461136T1XGW3',
  '--no-explicit',
  '-o',
  work,
]);
const photo = readFileSync(join(work, 'sample.jpg'));

/** Starts a server process (argv after node) and resolves with its URL, read from its log or first line. */
function startServer(argv) {
  const child = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, TMPDIR: work } });
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (chunk) => {
      out += chunk;
      const url = /(http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
      if (url) {
        child.stdout.off('data', onData);
        child.stdout.resume();
        resolve({ child, url });
      }
    };
    child.stdout.on('data', onData);
    child.on('exit', (code) => reject(new Error(`server exited (${code}): ${out}`)));
  });
}

async function stop({ child }) {
  child.removeAllListeners('exit');
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/** The server's resident memory from its own /metrics. */
async function rssOf(url) {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(/^aigc_label_process_resident_memory_bytes (\d+)/m.exec(text)?.[1] ?? Number.NaN);
}

const load = (options) =>
  new Promise((resolve, reject) => {
    autocannon({ connections: 16, pipelining: 1, ...options }, (error, result) => (error ? reject(error) : resolve(result)));
  });

const jpegRequest = { method: 'POST', body: photo, headers: { 'content-type': 'image/jpeg', 'x-filename': 'photo.jpg' } };
const rows = [];
const row = (name, result, extra = '') => {
  const failed = result.non2xx + result.errors + result.timeouts;
  rows.push([name, Math.round(result.requests.average), result.latency.p99, failed, extra]);
};

// The floor: Fastify alone, reading the body.
const floorScript = `
  const Fastify = (await import(${JSON.stringify(join(root, 'packages', 'service', 'node_modules', 'fastify', 'fastify.js'))})).default;
  const app = Fastify();
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null));
  app.post('/v1/verify', async (request, reply) => {
    for await (const _chunk of request.raw);
    return reply.type('application/json').send('{}');
  });
  console.log(await app.listen({ port: 0, host: '127.0.0.1' }));`;
const floor = await startServer(['--input-type=module', '-e', floorScript]);
await load({ url: `${floor.url}/v1/verify`, duration: 2, ...jpegRequest });
row('floor: Fastify reading the body, no work', await load({ url: `${floor.url}/v1/verify`, duration: seconds, ...jpegRequest }));
await stop(floor);

const server = await startServer([cli, 'serve', '--port', '0', '--queue', '1000']);
await load({ url: `${server.url}/v1/verify`, duration: 2, ...jpegRequest });
const rssWarm = await rssOf(server.url);
row(
  'verify small labeled JPEG',
  await load({ url: `${server.url}/v1/verify`, duration: seconds, ...jpegRequest }),
  'target ≥ 1,500/s, p99 ≤ 50 ms',
);
const long = await load({ url: `${server.url}/v1/verify`, amount: requests, ...jpegRequest });
const rssAfter = await rssOf(server.url);
row(
  `verify small labeled JPEG, ${requests.toLocaleString('en')} requests`,
  long,
  `RSS ${(rssWarm / 2 ** 20).toFixed(0)} MB warm → ${(rssAfter / 2 ** 20).toFixed(0)} MB after`,
);

// Mixed media: every sample the registry handles, round robin, OCR off (the default).
const samples = readdirSync(join(root, 'samples')).filter((f) => f.startsWith('sample.') && defaultRegistry.byExtension(extensionOf(f)));
const mixed = samples.map((name) => ({
  method: 'POST',
  path: '/v1/verify',
  body: readFileSync(join(root, 'samples', name)),
  headers: { 'x-filename': name },
}));
row(
  `verify mixed media (${samples.length} formats, OCR off)`,
  await load({ url: server.url, duration: seconds, connections: 8, requests: mixed }),
  'report only',
);
await stop(server);
rmSync(work, { recursive: true, force: true });

console.log('| run | req/s | p99 ms | failed | note |');
console.log('| --- | ---: | ---: | ---: | --- |');
for (const r of rows) console.log(`| ${r.join(' | ')} |`);
const [, small] = rows;
const met = small[1] >= 1500 && small[2] <= 50;
console.log(`\nsmall JPEG verify: ${small[1]} req/s, p99 ${small[2]} ms: target ${met ? 'met' : 'MISSED'} (≥ 1,500 req/s, p99 ≤ 50 ms)`);
