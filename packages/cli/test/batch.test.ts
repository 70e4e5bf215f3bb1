import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../src/index.js';

const PRODUCER = '001191440300708461136T1XGW3';
const schema = JSON.parse(await readFile(join(import.meta.dirname, '..', '..', '..', 'schema', 'reports.schema.json'), 'utf8'));
const validate = new Ajv2020({ allErrors: true, strict: false }).compile(schema);
let dir: string;

async function cli(argv: string[], stdin = '') {
  let out = '';
  let err = '';
  const code = await run(argv, { out: (t) => (out += t), err: (t) => (err += t), readStdin: async () => stdin });
  return { code, out, err };
}

const png = (color: string) =>
  sharp({ create: { width: 8, height: 8, channels: 3, background: color } })
    .png()
    .toBuffer();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aigc-batch-'));
  await mkdir(join(dir, 'in', 'sub', 'deeper'), { recursive: true });
  await mkdir(join(dir, 'in', '.hidden'));
  await writeFile(join(dir, 'in', 'a.png'), await png('#ff0000'));
  await writeFile(join(dir, 'in', 'sub', 'b.png'), await png('#00ff00'));
  await writeFile(join(dir, 'in', 'sub', 'deeper', 'c.png'), await png('#0000ff'));
  await writeFile(join(dir, 'in', 'sub', 'notes.txt.bak'), 'not media');
  await writeFile(join(dir, 'in', '.hidden', 'd.png'), await png('#ffffff'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('batch CLI', () => {
  it('walks folders recursively with include/exclude globs and mirrors sub-folders under -o', async () => {
    const out = join(dir, 'out1');
    const r = await cli([
      'label',
      join(dir, 'in'),
      '--producer',
      PRODUCER,
      '--no-explicit',
      '-o',
      out,
      '--include',
      '**/*.png',
      '--exclude',
      'sub/deeper/**',
      '-j',
      '2',
    ]);
    expect(r.code).toBe(0);
    expect((await readdir(out, { recursive: true })).sort()).toEqual(['a.png', 'sub', 'sub/b.png']);
    expect(r.out).toMatch(/2 files in .* 2 ok, 0 failed/);
  });

  it('reads a list of paths from stdin with -', async () => {
    const r = await cli(['detect', '-', '--json'], `${join(dir, 'in', 'a.png')}\n\n${join(dir, 'in', 'sub', 'b.png')}\n`);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).map((x: { format: string }) => x.format)).toEqual(['png', 'png']);
  });

  it('writes a JSON Lines report that validates against the schema, and --resume skips what is done', async () => {
    const report = join(dir, 'r.jsonl');
    const first = await cli(['verify', join(dir, 'in'), '--report', report]);
    expect(first.code).toBe(1); // unlabeled files verify as none, and one file is not media
    const lines = (await readFile(report, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(4);
    for (const line of lines) expect(validate(line), JSON.stringify(validate.errors)).toBe(true);
    expect(lines.filter((l) => !l.ok).map((l) => l.file)).toEqual([join(dir, 'in', 'sub', 'notes.txt.bak')]);
    expect(first.out).toMatch(/OUTCOME\s+FILES\nnone\s+3/);
    expect(first.out).toMatch(/FAILED\s+REASON\n.*notes\.txt\.bak\s+unknown format/);

    // Touch one file: only it (and the failed one) run again.
    const later = new Date(Date.now() + 5000);
    await utimes(join(dir, 'in', 'a.png'), later, later);
    const second = await cli(['verify', join(dir, 'in'), '--report', report, '--resume', '--json']);
    const again = JSON.parse(second.out);
    expect(again.map((x: { file: string }) => x.file).sort()).toEqual([join(dir, 'in', 'a.png'), join(dir, 'in', 'sub', 'notes.txt.bak')]);
    const all = (await readFile(report, 'utf8')).trim().split('\n');
    expect(all).toHaveLength(6);
  });

  it('emits reports that validate against the documented schema', async () => {
    const out = join(dir, 'out2');
    const labeled = await cli(['label', join(dir, 'in', 'a.png'), '--producer', PRODUCER, '--no-explicit', '-o', out, '--json']);
    expect(validate(JSON.parse(labeled.out)), JSON.stringify(validate.errors)).toBe(true);
    for (const verb of ['detect', 'verify']) {
      const r = await cli([verb, join(out, 'a.png'), '--json']);
      expect(validate(JSON.parse(r.out)), JSON.stringify(validate.errors)).toBe(true);
    }
    const failed = await cli(['detect', join(dir, 'missing.png'), '--json']);
    expect(validate(JSON.parse(failed.out)), JSON.stringify(validate.errors)).toBe(true);
  });

  it('propagate keeps producer elements byte-identical and adds the platform elements', async () => {
    const out = join(dir, 'out3');
    const labeled = JSON.parse(
      (
        await cli([
          'label',
          join(dir, 'in', 'a.png'),
          '--producer',
          PRODUCER,
          '--no-explicit',
          '--reserved-code1',
          'sig-1',
          '-o',
          out,
          '--json',
        ])
      ).out,
    );
    const r = await cli([
      'propagate',
      join(out, 'a.png'),
      '--platform',
      'platform-x',
      '--propagate-id',
      'up-42',
      '-o',
      join(dir, 'out4'),
      '--json',
    ]);
    expect(r.code).toBe(0);
    const result = JSON.parse(r.out);
    expect(validate(result), JSON.stringify(validate.errors)).toBe(true);
    expect(result.verify.outcome).toBe('confirmed');
    const after = JSON.parse((await cli(['detect', join(dir, 'out4', 'a.png'), '--json'])).out);
    const producerPart = (l: Record<string, string>) => JSON.stringify([l.Label, l.ContentProducer, l.ProduceID, l.ReservedCode1]);
    expect(producerPart(after.label)).toBe(producerPart(labeled.label));
    expect(after.carriers).toHaveLength(1);
    expect(after.label).toMatchObject({ ContentPropagator: 'platform-x', PropagateID: 'up-42' });
    const raw: string = after.carriers[0].raw;
    expect(raw).toContain(`"ContentProducer":"${PRODUCER}","ProduceID":"${labeled.label.ProduceID}","ReservedCode1":"sig-1"`);
  });

  it('propagate writes Label 2 for declared content and leaves unlabeled, undeclared content alone', async () => {
    const declared = await cli([
      'propagate',
      join(dir, 'in', 'a.png'),
      '--platform',
      'platform-x',
      '--declared',
      '-o',
      join(dir, 'out5'),
      '--json',
    ]);
    expect(JSON.parse(declared.out).label.label).toMatchObject({ Label: '2', ContentPropagator: 'platform-x' });
    const none = await cli(['propagate', join(dir, 'in', 'sub', 'b.png'), '--platform', 'platform-x', '-o', join(dir, 'out6'), '--json']);
    expect(JSON.parse(none.out)).toMatchObject({ verify: { outcome: 'none' }, label: null });
    await expect(readdir(join(dir, 'out6'))).rejects.toThrow();
  });

  it('label --iptc writes IPTC DigitalSourceType into the same XMP packet', async () => {
    const out = join(dir, 'out7');
    await cli(['label', join(dir, 'in', 'a.png'), '--producer', PRODUCER, '--no-explicit', '--iptc', '-o', out]);
    const detected = JSON.parse((await cli(['detect', join(out, 'a.png'), '--json'])).out);
    expect(detected.carriers).toHaveLength(1);
    expect(detected.evidence).toContainEqual(
      expect.objectContaining({ kind: 'iptc-digital-source-type', detail: 'trainedAlgorithmicMedia', aiTrace: true }),
    );
  });
});
