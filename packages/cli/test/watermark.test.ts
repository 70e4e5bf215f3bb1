import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../src/index.js';

const PRODUCER = '001191440300708461136T1XGW3';
const PROSE = 'The meeting opened at nine. The budget, the schedule, and the staffing plan were agreed; questions followed. '.repeat(4);
let dir: string;

async function cli(...argv: string[]) {
  let out = '';
  let err = '';
  const code = await run(argv, { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aigc-cli-watermark-'));
  await writeFile(join(dir, 'note.txt'), PROSE);
  await writeFile(join(dir, 'key'), 'a private key\n');
  await writeFile(join(dir, 'empty-key'), '\n');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const marks = (output: string) => (JSON.parse(output).evidence as { kind: string }[]).filter((e) => e.kind === 'watermark');

describe('aigc-label --watermark and --watermark-key', () => {
  it('embeds under the key file, which detect needs to find the mark, and never prints the key', async () => {
    const key = join(dir, 'key');
    const labeled = await cli(
      'label',
      join(dir, 'note.txt'),
      '--producer',
      PRODUCER,
      '--watermark',
      '--watermark-key',
      key,
      '-o',
      join(dir, 'out'),
      '--json',
    );
    expect(labeled.code).toBe(0);
    expect(JSON.parse(labeled.out).watermark).toMatch(/clusters/);
    const marked = join(dir, 'out', 'note.txt');
    const withKey = await cli('verify', marked, '--watermark-key', key, '--json');
    expect(marks(withKey.out)).toHaveLength(1);
    expect(JSON.parse(withKey.out).outcome).toBe('suspected');
    expect(marks((await cli('verify', marked, '--json')).out)).toEqual([]); // the public key reads nothing
    expect(marks((await cli('verify', marked, '--watermark-key', key, '--no-watermark', '--json')).out)).toEqual([]);
    for (const run of [labeled, withKey]) expect(run.out + run.err).not.toContain('a private key');
  });

  it('refuses an empty or missing key file with a one-line usage error', async () => {
    const empty = await cli('verify', join(dir, 'note.txt'), '--watermark-key', join(dir, 'empty-key'));
    expect(empty.code).toBe(2);
    expect(empty.err).toMatch(/key file is empty/);
    const missing = await cli('verify', join(dir, 'note.txt'), '--watermark-key', join(dir, 'no-such-key'));
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/cannot read the key file \(ENOENT\)/);
  });
});
