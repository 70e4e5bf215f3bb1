import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../src/index.js';

// What the queue commands refuse before they touch Redis (the queue itself is tested against a
// real Redis in packages/queue and test/queue-e2e.test.ts).
let dir: string;

async function cli(argv: string[]) {
  let out = '';
  let err = '';
  const code = await run(argv, { out: (t) => (out += t), err: (t) => (err += t), readStdin: async () => '' });
  return { code, out, err };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aigc-queue-cli-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('queue commands', () => {
  it('worker --report never writes into a file that is not a report', async () => {
    const photo = join(dir, 'photo.png');
    await writeFile(photo, 'not a report');
    const r = await cli(['worker', '--redis', 'redis://127.0.0.1:1', '--report', photo]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/not an aigc-label report/);
    expect(await readFile(photo, 'utf8')).toBe('not a report');
  });

  it('needs --redis as a redis:// URL, and a producer for label jobs', async () => {
    expect((await cli(['enqueue', dir])).code).toBe(2);
    const wrong = await cli(['enqueue', dir, '--redis', 'http://127.0.0.1:1']);
    expect([wrong.code, wrong.err]).toEqual([2, expect.stringMatching(/redis:\/\//)]);
    const label = await cli(['enqueue', dir, '--redis', 'redis://127.0.0.1:1', '--verb', 'label']);
    expect([label.code, label.err]).toEqual([2, expect.stringMatching(/--producer/)]);
    const options = await cli(['enqueue', dir, '--redis', 'redis://127.0.0.1:1', '--options', '[1]']);
    expect([options.code, options.err]).toEqual([2, expect.stringMatching(/JSON object/)]);
    expect((await cli(['enqueue', dir, join(dir, 'x'), '--redis', 'redis://127.0.0.1:1', '--id', 'a'])).code).toBe(2);
  });
});
