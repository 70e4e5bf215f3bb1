/**
 * `serve --redis`: POST /v1/jobs queues files for the workers and GET /v1/jobs/:id reports them
 * (issue 22 item 2), against a real Redis and a real worker; the routes need the token.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JobQueue, type JobRunner, type RunningWorker, startWorker } from '@aigc-label/queue';
import { labelFile, verifyFile } from 'aigc-label';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { withTool } from '../../../test/oracles.js';
import { TestRedis } from '../../../test/redis.js';
import { jpeg, PRODUCER, type Running, start } from './helpers.js';

const TOKEN = 'jobs-token-3f8a1c';
const test = withTool('redis-server', 'runs the job queue');
let dir: string;
let redis: TestRedis | undefined;
let server: Running | undefined;
let queue: JobQueue | undefined;
let worker: RunningWorker | undefined;

/** The facade behind each job, as the CLI's pool runs it for `aigc-label worker`. */
const runner: JobRunner = async (job) => {
  try {
    const report =
      job.verb === 'label'
        ? await labelFile(job.file, job.options as Parameters<typeof labelFile>[1])
        : await verifyFile(job.file, job.options);
    return { ok: true, report };
  } catch (error) {
    return { ok: false, report: { file: job.file, error: { name: (error as Error).name, message: (error as Error).message } } };
  }
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aigc-service-jobs-'));
  await writeFile(join(dir, 'photo.jpg'), new Uint8Array(await jpeg('#993366')));
});

afterAll(async () => {
  await worker?.close(5_000);
  await server?.close();
  await queue?.close();
  await redis?.stop();
  if (server) await rm(server.parent, { recursive: true, force: true });
  await rm(dir, { recursive: true, force: true });
});

const post = (body: unknown, token = TOKEN) =>
  fetch(`${server?.url}/v1/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });

async function finished(id: string): Promise<{ state: string; result?: { ok: boolean; report: Record<string, unknown> } }> {
  for (let i = 0; i < 200; i++) {
    const response = await fetch(`${server?.url}/v1/jobs/${id}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const job = (await response.json()) as { state: string; result?: { ok: boolean; report: Record<string, unknown> } };
    if (job.state === 'completed' || job.state === 'failed') return job;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`job ${id} did not finish`);
}

describe('serve --redis: asynchronous jobs', () => {
  test('queues label and verify jobs, once each, runs them on a worker, and reports their results', async () => {
    redis = await TestRedis.start(dir);
    queue = new JobQueue(redis.url, 'service');
    server = await start({ token: TOKEN, producer: PRODUCER, jobs: queue });
    worker = await startWorker({ redisUrl: redis.url, queue: 'service', concurrency: 2, run: runner, metricsPort: undefined });

    const output = join(dir, 'out', 'photo.jpg');
    const label = { verb: 'label', input: join(dir, 'photo.jpg'), output, options: { explicit: false, produceId: 'job-0001' } };
    const accepted = await post({ jobs: [label] });
    expect(accepted.status).toBe(202);
    const { ids, added } = (await accepted.json()) as { ids: string[]; added: number };
    expect(added).toBe(1);
    // The same file again adds nothing (the job id is derived from what the job is).
    expect(await (await post({ jobs: [label] })).json()).toEqual({ ids, added: 0 });

    const labeled = await finished(ids[0] ?? '');
    expect(labeled.state).toBe('completed');
    expect(labeled.result?.ok).toBe(true);
    expect((await verifyFile(output)).label).toMatchObject({ ContentProducer: PRODUCER, ProduceID: 'job-0001' });
    expect((await readFile(output)).length).toBeGreaterThan(0);

    const verify = (await (await post({ jobs: [{ verb: 'verify', input: output }] })).json()) as { ids: string[] };
    const verified = await finished(verify.ids[0] ?? '');
    expect(verified.result?.report).toMatchObject({ outcome: 'confirmed' });
  });

  test('refuses without the token, unknown options, server-side options from a request, and unknown ids', async () => {
    expect((await post({ jobs: [{ verb: 'verify', input: join(dir, 'photo.jpg') }] }, 'wrong')).status).toBe(401);
    // A request cannot name the signing key or the log: those are the server's.
    const keyed = await post({ jobs: [{ verb: 'label', input: join(dir, 'photo.jpg'), options: { signKey: '/etc/shadow' } }] });
    expect(keyed.status).toBe(400);
    expect(((await keyed.json()) as { error: { message: string } }).error.message).toContain('unknown option "signKey"');
    expect((await post({ jobs: [] })).status).toBe(400);
    const missing = await fetch(`${server?.url}/v1/jobs/no-such-job`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(missing.status).toBe(404);
  });
});
