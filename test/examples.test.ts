import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const exec = promisify(execFile);
const root = join(import.meta.dirname, '..');

// The examples import the built packages, as a user would; `pnpm test` builds first.
describe('examples run', () => {
  it('generation-pipeline labels every output', async () => {
    const out = await mkdtemp(join(tmpdir(), 'aigc-example-'));
    try {
      const { stdout } = await exec(process.execPath, [join(root, 'examples', 'generation-pipeline.mjs'), out], { cwd: root });
      expect(stdout.trim().split('\n')).toHaveLength(3);
      expect(stdout).toMatch(/png, ProduceID [0-9a-f-]{36}, 1 carrier/);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });

  it('platform-upload-check walks the three Art. 6 branches', async () => {
    const { stdout } = await exec(process.execPath, [join(root, 'examples', 'platform-upload-check.mjs')], { cwd: root });
    expect(stdout).toMatch(/labeled\.png: confirmed — show "人工智能生成"/);
    expect(stdout).toMatch(/declared\.png: possible — show "可能为人工智能生成"/);
    expect(stdout).toMatch(/wrote Label 2, producer \(unknown\), propagator 001191110108MA01XXXX0X20001/);
    expect(stdout).toMatch(/plain\.png: none/);
  });
});
