import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The built CLI, as an operator runs it: worker threads exist only in the compiled package
// (`pnpm test` builds first), so this is where the multi-threaded batch path is exercised.
const exec = promisify(execFile);
const cli = join(import.meta.dirname, '..', 'packages', 'cli', 'dist', 'cli.js');
const PRODUCER = '001191440300708461136T1XGW3';
let dir: string;

const png = (i: number, size = 16) =>
  sharp({ create: { width: size, height: size, channels: 3, background: { r: i % 256, g: (i * 7) % 256, b: (i * 13) % 256 } } })
    .png()
    .toBuffer();

async function makeFolder(name: string, files: number, size?: number): Promise<string> {
  const folder = join(dir, name);
  await mkdir(join(folder, 'sub'), { recursive: true });
  for (let i = 0; i < files; i++) {
    const path = i % 3 === 2 ? join(folder, 'sub', `${i}.md`) : join(folder, i % 2 ? 'sub' : '', `${i}.png`);
    await writeFile(path, path.endsWith('.md') ? `# note ${i}\n\nbody ${i}\n` : await png(i, size));
  }
  return folder;
}

const listed = async (folder: string) => (await readdir(folder, { recursive: true })).map(String).sort();
const lines = async (report: string) =>
  (await readFile(report, 'utf8'))
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { file: string; ok: boolean });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aigc-batch-cli-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('batch CLI on worker threads (built package)', () => {
  it('gives the same outputs and outcomes with -j 1 and -j 3', async () => {
    const folder = await makeFolder('mixed', 60);
    const outputs: string[][] = [];
    for (const threads of ['1', '3']) {
      const out = join(dir, `out-${threads}`);
      await exec(process.execPath, [cli, 'label', folder, '--producer', PRODUCER, '--no-explicit', '-o', out, '-j', threads, '--json']);
      outputs.push(await listed(out));
      const { stdout } = await exec(process.execPath, [cli, 'verify', out, '-j', threads, '--json', '--no-rhythm']);
      const reports = JSON.parse(stdout) as { outcome: string; label: { ContentProducer: string } }[];
      expect(reports).toHaveLength(60);
      for (const r of reports) expect([r.outcome, r.label.ContentProducer]).toEqual(['confirmed', PRODUCER]);
    }
    expect(outputs[1]).toEqual(outputs[0]);
    expect(outputs[0].filter((f) => /\.(png|md)$/.test(f))).toHaveLength(60);
  });

  it('stops on Ctrl-C with only complete outputs and report lines, and --resume finishes the rest', async () => {
    // Visible labels make each file take long enough to interrupt the batch part-way.
    const folder = await makeFolder('slow', 240, 320);
    const out = join(dir, 'out-slow');
    const report = join(dir, 'slow.jsonl');
    const args = [cli, 'label', folder, '--producer', PRODUCER, '-o', out, '-j', '2', '--report', report];
    const child: ChildProcess = spawn(process.execPath, args, { stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    for (;;) {
      const done = await readFile(report, 'utf8').catch(() => '');
      if (done.split('\n').length > 8) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    child.kill('SIGINT');
    expect(await exited).toBe(130);

    const first = await lines(report);
    expect(first.length).toBeGreaterThan(7);
    expect(first.length).toBeLessThan(240);
    expect(first.every((l) => l.ok)).toBe(true);
    const written = (await listed(out)).filter((f) => /\.(png|md)$/.test(f));
    expect(written).toHaveLength(first.length); // an output for every reported file, and nothing else
    expect((await listed(out)).filter((f) => f.includes('.tmp'))).toEqual([]);

    await exec(process.execPath, [...args, '--resume']);
    const all = await lines(report);
    const files = all.map((l) => l.file);
    expect(new Set(files).size).toBe(240); // the rest was done, nothing twice
    expect(files).toHaveLength(240);
    expect((await listed(out)).filter((f) => /\.(png|md)$/.test(f))).toHaveLength(240);
  });
});
