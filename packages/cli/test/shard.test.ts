import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shardFrom, shardOf } from '../src/batch/shard.js';
import { run } from '../src/index.js';

let dir: string;
const FILES = 700;
const names: string[] = [];

async function cli(argv: string[], env: Record<string, string> = {}) {
  let out = '';
  let err = '';
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    const code = await run(argv, { out: (t) => (out += t), err: (t) => (err += t) });
    return { code, out, err };
  } finally {
    for (const key of Object.keys(env)) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
  }
}

const reported = async (path: string): Promise<string[]> =>
  (await readFile(path, 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line).file as string);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aigc-shard-'));
  for (let i = 0; i < FILES; i++) {
    const name = join(`d${i % 10}`, `note-${i}.txt`);
    await mkdir(join(dir, 'in', `d${i % 10}`), { recursive: true });
    await writeFile(join(dir, 'in', name), `plain note ${i}\n`);
    names.push(join(dir, 'in', name));
  }
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('--shard I/N', () => {
  for (const count of [1, 3, 7]) {
    it(`${count} shards cover every file exactly once, evenly, and a re-run picks the same files`, async () => {
      const seen: string[] = [];
      for (let index = 0; index < count; index++) {
        const report = join(dir, `r-${count}-${index}.jsonl`);
        const r = await cli(['detect', join(dir, 'in'), '--shard', `${index}/${count}`, '--report', report, '--json']);
        expect(r.code, r.err).toBe(0);
        const files = await reported(report);
        // Balanced: a binomial share of 700 files stays within ±5 standard deviations of its mean.
        const mean = FILES / count;
        expect(Math.abs(files.length - mean)).toBeLessThanOrEqual(5 * Math.sqrt(mean * (1 - 1 / count)) + 1e-9);
        seen.push(...files);
        const again = join(dir, `again-${count}-${index}.jsonl`);
        await cli(['detect', join(dir, 'in'), '--shard', `${index}/${count}`, '--report', again, '--json']);
        expect((await reported(again)).sort()).toEqual([...files].sort());
      }
      expect(seen.length).toBe(FILES);
      expect([...seen].sort()).toEqual([...names].sort());
    });
  }

  it('takes the index from JOB_COMPLETION_INDEX with --shard-count or AIGC_SHARD_COUNT, as an Indexed Job sets it', async () => {
    const fromFlag = join(dir, 'k8s-flag.jsonl');
    const fromEnv = join(dir, 'k8s-env.jsonl');
    expect(
      (await cli(['detect', join(dir, 'in'), '--shard-count', '3', '--report', fromFlag, '--json'], { JOB_COMPLETION_INDEX: '2' })).code,
    ).toBe(0);
    expect(
      (await cli(['detect', join(dir, 'in'), '--report', fromEnv, '--json'], { JOB_COMPLETION_INDEX: '2', AIGC_SHARD_COUNT: '3' })).code,
    ).toBe(0);
    const expected = (await reported(join(dir, 'r-3-2.jsonl'))).sort();
    expect((await reported(fromFlag)).sort()).toEqual(expected);
    expect((await reported(fromEnv)).sort()).toEqual(expected);
  });

  it('refuses a malformed or out-of-range shard before processing anything', async () => {
    for (const shard of ['3/3', '1', 'a/2', '0/0', '-1/2', '1/2/3']) {
      const r = await cli(['detect', join(dir, 'in'), '--shard', shard]);
      expect(r.code, shard).toBe(2);
      expect(r.out).toBe('');
    }
    expect((await cli(['detect', join(dir, 'in'), '--shard-count', '3'], {})).err).toMatch(/JOB_COMPLETION_INDEX/);
    expect(() => shardFrom('0/2', '2', {})).toThrow(/not both/);
  });

  it('keeps a file in its shard when other files come and go (the hash of its own relative path)', () => {
    const before = names.map((_, i) => shardOf(`d${i % 10}/note-${i}.txt`, 7));
    expect(names.map((_, i) => shardOf(`d${i % 10}/note-${i}.txt`, 7))).toEqual(before);
    expect(new Set(before).size).toBe(7);
  });
});

describe('merge-reports', () => {
  it('merges shard reports into one line per file, sorted, and warns about a file in two reports', async () => {
    const shards = [0, 1, 2].map((i) => join(dir, `r-3-${i}.jsonl`));
    const merged = join(dir, 'merged.jsonl');
    const r = await cli(['merge-reports', '-o', merged, ...shards, '--json']);
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out)).toEqual({ reports: 3, files: FILES, ok: FILES, failed: 0, inSeveralReports: 0 });
    const files = await reported(merged);
    expect(files).toEqual([...names].sort());
    const twice = await cli(['merge-reports', '-o', join(dir, 'merged2.jsonl'), shards[0] ?? '', shards[0] ?? '', '--json']);
    expect(twice.code).toBe(0);
    const overlap = await cli(['merge-reports', '-o', join(dir, 'merged3.jsonl'), join(dir, 'r-1-0.jsonl'), shards[1] ?? '', '--json']);
    expect(JSON.parse(overlap.out).inSeveralReports).toBe((await reported(shards[1] ?? '')).length);
    expect(overlap.err).toMatch(/more than one report/);
  });

  it('refuses a file that is not a report, and never overwrites one that is not', async () => {
    const notReport = join(dir, 'photo.txt');
    await writeFile(notReport, 'precious\n');
    expect((await cli(['merge-reports', '-o', join(dir, 'm4.jsonl'), notReport])).code).toBe(2);
    expect((await cli(['merge-reports', '-o', notReport, join(dir, 'r-3-0.jsonl')])).code).toBe(2);
    expect(await readFile(notReport, 'utf8')).toBe('precious\n');
  });
});
