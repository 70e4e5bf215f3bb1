/**
 * The public sample corpus (issue 13 item 6; README.md here): every file under files/ is detected,
 * labeled with `explicit: false` and read back, and ExifTool, ffmpeg and sharp compare the output
 * with the original (observe.ts). Each file's observation must equal its line in expected.jsonl,
 * so a change in what we do to any real file fails here. A file whose observation breaks a
 * promise (a lost tag, changed packets or pixels, a crash, a label not read back) carries a `gap`
 * reason there and a second test that is expected to fail until the toolkit is fixed.
 * `CORPUS_RECORD=1 npx vitest run test/corpus` rewrites expected.jsonl (keeping the gap reasons).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultRegistry } from 'aigc-label';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toolPath, withTool } from '../oracles.js';
import {
  broken,
  comparePackets,
  comparePixels,
  compareProbe,
  compareTags,
  exiftoolTags,
  isImage,
  isStream,
  labelAndRead,
  type Observation,
  readBytes,
  sha256,
} from './observe.js';

const here = import.meta.dirname;
const filesDir = join(here, 'files');
const expectedPath = join(here, 'expected.jsonl');
const record = process.env.CORPUS_RECORD === '1';

interface Source {
  readonly file: string;
  readonly sha256: string;
}
interface Expected extends Observation {
  /** Why this file is a known gap: the promise broken, for the integrator to fix. */
  readonly gap?: string;
  /** A well-formed file other readers accept, which the toolkit should label rather than refuse. */
  readonly valid?: boolean;
}

const sources: Source[] = (await readFile(join(here, 'SOURCES.tsv'), 'utf8'))
  .trim()
  .split('\n')
  .slice(1)
  .map((line) => line.split('\t'))
  .map((cells) => ({ file: cells[0] as string, sha256: cells[6] as string }));
const expected = new Map<string, Expected>(
  (await readFile(expectedPath, 'utf8').catch(() => ''))
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Expected)
    .map((e) => [e.file, e]),
);

const observed = new Map<string, Observation>();
const inputChanged: string[] = [];
let workDir = '';

/** Runs `work` on every item, `limit` at a time. */
async function pool<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await work(items[next++] as T);
    }),
  );
}

const oracles = ['exiftool', 'ffmpeg'].every((tool) => toolPath(tool) !== null);

beforeAll(async () => {
  if (!oracles) return;
  workDir = await mkdtemp(join(tmpdir(), 'aigc-corpus-'));
  const labeled: { file: string; original: Uint8Array; output: Uint8Array; observation: Observation }[] = [];
  await pool(sources, 2, async ({ file }) => {
    const original = await readBytes(join(filesDir, file));
    const copy = original.slice();
    const { observation, output } = await labelAndRead(file, copy, join(workDir, file));
    if (sha256(copy) !== sha256(original)) inputChanged.push(file);
    observed.set(file, observation);
    if (output) labeled.push({ file, original, output, observation });
  });
  const before = await exiftoolTags(
    labeled.map(({ file }) => join(filesDir, file)),
    join(workDir, 'before.args'),
  );
  const after = await exiftoolTags(
    labeled.map(({ file }) => join(workDir, file)),
    join(workDir, 'after.args'),
  );
  await pool(labeled, 2, async ({ file, original, output, observation }) => {
    const tags = compareTags(before.get(join(filesDir, file)) ?? {}, after.get(join(workDir, file)) ?? {});
    const probe = isStream(observation.format) ? await compareProbe(join(filesDir, file), join(workDir, file)) : null;
    const media = isStream(observation.format)
      ? { ...(probe ? { ffprobe: probe } : {}), packets: await comparePackets(join(filesDir, file), join(workDir, file)) }
      : isImage(observation.format)
        ? { pixels: await comparePixels(original, output) }
        : {};
    observed.set(file, { ...observation, exiftool: tags, ...media });
  });
  if (record) {
    const lines = sources.map(({ file }) => {
      const observation = observed.get(file) as Observation;
      const { gap, valid } = expected.get(file) ?? {};
      const marks = { ...(valid ? { valid } : {}), ...(gap && broken(observation, valid).length > 0 ? { gap } : {}) };
      return JSON.stringify({ ...observation, ...marks });
    });
    await writeFile(expectedPath, `${lines.join('\n')}\n`);
  }
}, 600_000);

afterAll(async () => {
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

/** `it` when ExifTool and ffmpeg are both there (withTool: fails under CI=true without them, skips elsewhere). */
const withOracles = toolPath('exiftool')
  ? withTool('ffmpeg', 'compares packets before and after labeling')
  : withTool('exiftool', 'compares tags before and after labeling');

describe('public sample corpus', () => {
  it('has at least 150 files, each as SOURCES.tsv records it', async () => {
    expect(sources.length).toBeGreaterThanOrEqual(150);
    const wrong: string[] = [];
    for (const { file, sha256: digest } of sources) if (sha256(await readBytes(join(filesDir, file))) !== digest) wrong.push(file);
    expect(wrong).toEqual([]);
    expect(new Set(sources.map((s) => s.file)).size).toBe(sources.length);
  });

  withOracles('covers every format in the registry, and labeling never changed an input', () => {
    const formats = new Set([...observed.values()].map((o) => o.format));
    expect(
      defaultRegistry
        .list()
        .filter((h) => !formats.has(h.id))
        .map((h) => h.id),
    ).toEqual([]);
    expect(inputChanged).toEqual([]);
  });

  for (const { file } of sources) {
    const entry = expected.get(file);
    withOracles(`${file}: labeling does today what expected.jsonl records`, () => {
      const observation = observed.get(file);
      if (record) return;
      const { gap: _gap, valid, ...recorded } = entry ?? ({ file } as Expected);
      expect(observation).toEqual(recorded);
      // A broken promise must be a known gap, never silently recorded as today's behaviour.
      if (!entry?.gap) expect(broken(observation as Observation, valid)).toEqual([]);
    });
    if (entry?.gap) {
      withOracles.fails(`${file} keeps its promises (known gap: ${entry.gap})`, () => {
        expect(broken(observed.get(file) as Observation, entry.valid)).toEqual([]);
      });
    }
  }
});
