import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { monoWav } from '../../../test/handler-contract.js';

// A cold `detect` is mostly module loading (issue 16): what one file's metadata needs loads at
// start-up, the service, the decoders, the renderers, OCR and the marks' code when used.
const bin = join(import.meta.dirname, '..', 'dist', 'cli.js');
const exec = promisify(execFile);
let dir: string;
let wav: string;

/** Registers a load hook that appends every module URL the process loads to MODULE_LIST. */
const hook = `data:text/javascript,${encodeURIComponent(`
import { register } from 'node:module';
register('data:text/javascript,' + encodeURIComponent(\`
import { appendFileSync } from 'node:fs';
export async function load(url, context, next) { appendFileSync(process.env.MODULE_LIST, url + '\\\\n'); return next(url, context); }\`));`)}`;

async function modulesLoadedBy(...argv: string[]): Promise<{ modules: string[]; stdout: string }> {
  const list = join(dir, `modules-${argv.join('-').replace(/\W+/g, '_')}.txt`);
  const { stdout } = await exec(process.execPath, ['--import', hook, bin, ...argv], { env: { ...process.env, MODULE_LIST: list } });
  return { modules: (await readFile(list, 'utf8')).trim().split('\n'), stdout };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aigc-cli-startup-'));
  wav = join(dir, 'tone.wav');
  // One second of a 440 Hz tone: sound, but no label.
  const tone = Int16Array.from({ length: 8000 }, (_, i) => Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 8000)));
  await writeFile(wav, monoWav(tone, 8000));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const heavy = [
  '/service/dist/',
  '/image/dist/explicit/apply.js',
  '/image/dist/explicit/detect.js',
  '/image/dist/watermark/detect.js',
  '/audio/dist/rhythm/audible.js',
  '/audio/dist/watermark/detect.js',
  '/audio/dist/voice/',
  '/video/dist/explicit/apply-visible-label.js',
  '/video/dist/watermark/detect.js',
];

describe('start-up of the built bin', () => {
  it('reads one file’s metadata without loading the service, decoders, renderers, OCR or the marks', async () => {
    const { modules, stdout } = await modulesLoadedBy('detect', wav, '--no-rhythm', '--json');
    expect(JSON.parse(stdout)).toMatchObject({ format: 'wav', label: null });
    expect(modules.some((m) => m.includes('/audio/dist/wav/index.js'))).toBe(true);
    for (const part of heavy) expect(modules.filter((m) => m.includes(part))).toEqual([]);
    // 309 modules before issue 16's start-up work; a regression that loads a package whole shows here.
    expect(modules.length).toBeLessThan(260);
  });

  it('loads the audible search when it runs, and finds no label in a plain tone', async () => {
    const { modules, stdout } = await modulesLoadedBy('detect', wav, '--json');
    expect(JSON.parse(stdout)).toMatchObject({ format: 'wav', label: null });
    expect(modules.some((m) => m.includes('/audio/dist/rhythm/audible.js'))).toBe(true);
  });
});
