import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { monoWav } from '../../../test/handler-contract.js';
import { detectFile, labelFile, verifyFile } from '../src/index.js';

const PRODUCER = '001191440300708461136T1XGW3';
let dir: string;
let samplePng: string;

const sha = async (path: string) =>
  createHash('sha256')
    .update(await readFile(path))
    .digest('hex');

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aigc-facade-'));
  samplePng = join(dir, 'sample.png');
  await sharp({ create: { width: 32, height: 24, channels: 3, background: '#3366cc' } })
    .png()
    .toFile(samplePng);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('labelFile', () => {
  it('writes NAME.labeled.EXT next to the input by default and never touches the input', async () => {
    const before = await sha(samplePng);
    const report = await labelFile(samplePng, { producer: PRODUCER, explicit: false });
    expect(report.output).toBe(join(dir, 'sample.labeled.png'));
    expect(await sha(samplePng)).toBe(before);
    const detected = await detectFile(report.output!);
    expect(detected.label).toEqual(report.label);
    expect(detected.label?.ContentProducer).toBe(PRODUCER);
  });

  it('writes into --out-dir and leaves no temporary files', async () => {
    const out = join(dir, 'out');
    await mkdir(out);
    await labelFile(samplePng, { producer: PRODUCER, explicit: false, outDir: out });
    expect(await readdir(out)).toEqual(['sample.png']);
  });

  it('overwrites the input only when asked', async () => {
    const copy = join(dir, 'inplace.png');
    await writeFile(copy, await readFile(samplePng));
    await expect(labelFile(copy, { producer: PRODUCER, explicit: false, output: copy })).rejects.toThrow(/--in-place/);
    await labelFile(copy, { producer: PRODUCER, explicit: false, inPlace: true });
    expect((await detectFile(copy)).label?.ContentProducer).toBe(PRODUCER);
  });

  it("refuses another producer's label without force, replaces it with force", async () => {
    const first = await labelFile(samplePng, { producer: PRODUCER, explicit: false, output: join(dir, 'conflict.png') });
    await expect(
      labelFile(first.output!, { producer: 'otherproducer', explicit: false, output: join(dir, 'conflict2.png') }),
    ).rejects.toThrow(/already labeled by producer 001191440300708461136T1XGW3.*--force/);
    const forced = await labelFile(first.output!, {
      producer: 'otherproducer',
      explicit: false,
      output: join(dir, 'conflict2.png'),
      force: true,
    });
    expect(forced.previous?.ContentProducer).toBe(PRODUCER);
    const detected = await detectFile(join(dir, 'conflict2.png'));
    expect(detected.carriers).toHaveLength(1);
    expect(detected.label?.ContentProducer).toBe('otherproducer');
  });

  describe('bad input: one-line error naming the file and cause, no output, input untouched', () => {
    const cases: [string, (p: string) => Promise<void>, RegExp][] = [
      ['a truncated PNG', async (p) => writeFile(p, (await readFile(samplePng)).subarray(0, 60)), /truncated/],
      ['an empty file', async (p) => writeFile(p, ''), /empty/],
      [
        'text with a .png extension',
        async (p) => writeFile(p, 'hello'),
        /extension says PNG but the content does not match|unknown format/,
      ],
      ['a directory', async (p) => mkdir(p), /is a directory/],
      ['a missing file', async () => {}, /no such file/],
      ['a FIFO (refused, not waited on)', async (p) => void execFileSync('mkfifo', [p]), /is not a regular file/],
    ];
    const modes = [false, true].flatMap((blockingIo) => cases.map(([name, make, cause]) => [name, blockingIo, make, cause] as const));
    it.each(modes)('%s (blockingIo %s)', async (_name, blockingIo, make, cause) => {
      const path = join(dir, `bad-${Math.random().toString(36).slice(2)}.png`);
      await make(path);
      const listing = await readdir(dir);
      const error = await labelFile(path, { producer: PRODUCER, explicit: false, blockingIo }).catch((e: Error) => e);
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message.startsWith(`${path}: `)).toBe(true);
      expect((error as Error).message).toMatch(cause);
      expect((error as Error).message).not.toContain('\n');
      expect(await readdir(dir)).toEqual(listing);
    });
  });
});

describe('blockingIo (synchronous calls for small files, as batch threads use)', () => {
  it('writes the same bytes as the asynchronous path, for a small file and for one streamed from disk', async () => {
    const wav = join(dir, 'big.wav');
    // Over WHOLE_FILE_READ_LIMIT: streamed either way.
    await writeFile(wav, monoWav(new Int16Array(2.5 * 1024 * 1024), 8000));
    for (const input of [samplePng, wav]) {
      const outputs: string[] = [];
      for (const blockingIo of [false, true]) {
        const output = join(dir, `io-${blockingIo}-${input.endsWith('.wav') ? 'big.wav' : 'small.png'}`);
        await labelFile(input, { producer: PRODUCER, produceId: 'same-id', explicit: false, output, blockingIo });
        outputs.push(await sha(output));
        expect((await detectFile(output, { blockingIo, rhythm: false })).label?.ProduceID).toBe('same-id');
      }
      expect(outputs[1]).toBe(outputs[0]);
    }
  });
});

describe('reused read buffers (blockingIo)', () => {
  /** Every byte view anywhere in a report: none may exist, since the buffer a file was read into serves the next file. */
  const views = (value: unknown, seen = new Set<unknown>()): number => {
    if (ArrayBuffer.isView(value)) return 1;
    if (value === null || typeof value !== 'object' || seen.has(value)) return 0;
    seen.add(value);
    return Object.values(value).reduce((n: number, v) => n + views(v, seen), 0);
  };

  it('gives every file of a concurrent batch its own bytes: outputs and reports equal to the asynchronous path, and no report holds bytes', async () => {
    const samples = join(import.meta.dirname, '..', '..', '..', 'samples');
    if (!existsSync(join(samples, 'sample.png'))) execFileSync(process.execPath, [join(samples, '..', 'scripts', 'make-samples.mjs')]);
    const inputs = (await readdir(samples)).filter((f) => f.startsWith('sample.') && !f.endsWith('.txt')).map((f) => join(samples, f));
    expect(inputs.length).toBeGreaterThan(15);
    const run = (blockingIo: boolean) =>
      Promise.all(
        inputs.map(async (input) => {
          const outDir = join(dir, `reuse-${blockingIo}`);
          const labeled = await labelFile(input, { producer: PRODUCER, produceId: 'reuse', explicit: false, outDir, blockingIo });
          const detected = await detectFile(labeled.output!, { blockingIo, audible: false });
          const verified = await verifyFile(labeled.output!, { blockingIo, audible: false });
          return { labeled, detected, verified, bytes: await sha(labeled.output!) };
        }),
      );
    const blocking = await run(true);
    const asynchronous = await run(false);
    for (const [i, result] of blocking.entries()) {
      expect(views(result)).toBe(0);
      expect(result.bytes).toBe(asynchronous[i]!.bytes);
      expect(JSON.stringify(result.detected.label)).toBe(JSON.stringify(asynchronous[i]!.detected.label));
      expect(result.verified.outcome).toBe(asynchronous[i]!.verified.outcome);
    }
  });
});

describe('verifyFile (Measures Art. 6)', () => {
  it('confirms a labeled file, and says none / possible for an unlabeled one', async () => {
    const labeled = await labelFile(samplePng, { producer: PRODUCER, explicit: false, output: join(dir, 'v.png') });
    expect((await verifyFile(labeled.output!)).outcome).toBe('confirmed');
    expect((await verifyFile(samplePng)).outcome).toBe('none');
    const declared = await verifyFile(samplePng, { declared: true });
    expect(declared.outcome).toBe('possible');
    expect(declared.prompt).toBe('可能为人工智能生成');
  });

  it('warns when the extension does not match the content', async () => {
    const misnamed = join(dir, 'photo.jpg');
    await writeFile(misnamed, await readFile(samplePng));
    const report = await detectFile(misnamed);
    expect(report.format).toBe('png');
    expect(report.findings.map((f) => f.rule)).toContain('format/extension-mismatch');
  });
});
