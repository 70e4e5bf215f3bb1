import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { monoWav } from '../../../test/handler-contract.js';
import { run } from '../src/index.js';

const PRODUCER = '001191440300708461136T1XGW3';
let dir: string;
let png: string;

async function cli(...argv: string[]) {
  let out = '';
  let err = '';
  const code = await run(argv, { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aigc-cli-'));
  png = join(dir, 'x.png');
  await sharp({ create: { width: 16, height: 16, channels: 3, background: '#808080' } })
    .png()
    .toFile(png);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('aigc-label CLI', () => {
  it('labels into -o DIR and detect --json returns all seven fields', async () => {
    const out = join(dir, 'out');
    const labeled = await cli('label', png, '--producer', PRODUCER, '--no-explicit', '-o', out, '--json');
    expect(labeled.code).toBe(0);
    const report = JSON.parse(labeled.out);
    expect(report.output).toBe(join(out, 'x.png'));
    const detected = await cli('detect', join(out, 'x.png'), '--json');
    expect(detected.code).toBe(0);
    expect(JSON.parse(detected.out).label).toEqual(report.label);
    expect(Object.keys(JSON.parse(detected.out).label)).toEqual([
      'Label',
      'ContentProducer',
      'ProduceID',
      'ReservedCode1',
      'ContentPropagator',
      'PropagateID',
      'ReservedCode2',
    ]);
  });

  it('says in the table and the report when a format can carry no explicit label (HEIC)', async () => {
    // An AVIF with its brands renamed: the HEIC handler reads and writes its metadata, and sharp has no HEVC encoder.
    const avif = await readFile(new URL('../../image/test/fixtures/heif/ffmpeg-bt709-limited.avif', import.meta.url));
    const heic = join(dir, 'photo.heic');
    await writeFile(heic, Buffer.from(avif.toString('latin1').replaceAll('avif', 'heic'), 'latin1'));
    const table = await cli('label', heic, '--producer', PRODUCER, '-o', join(dir, 'heic-out'));
    expect(table.code).toBe(0);
    expect(table.out).toMatch(/photo\.heic .*no explicit label added: HEIC/);
    const json = await cli('label', heic, '--producer', PRODUCER, '-o', join(dir, 'heic-json'), '--json');
    const report = JSON.parse(json.out);
    expect(report.explicit).toBeNull();
    expect(report.findings).toContainEqual(
      expect.objectContaining({ rule: 'explicit/unsupported', message: expect.stringMatching(/HEVC/) }),
    );
  });

  it('prints a readable table by default', async () => {
    const { code, out } = await cli('verify', png, '--declared');
    expect(code).toBe(0);
    expect(out.split('\n')[0]).toMatch(/^FILE\s+FORMAT\s+OUTCOME\s+SIGNATURE\s+PROMPT\s+BASIS$/);
    expect(out).toContain('possible');
  });

  it('exits 1 when verify finds no label, and when one file of a batch fails; the others still run', async () => {
    expect((await cli('verify', png)).code).toBe(1);
    const batch = await cli('detect', join(dir, 'missing.png'), png, '--json');
    expect(batch.code).toBe(1);
    const reports = JSON.parse(batch.out);
    expect(reports).toHaveLength(2);
    expect(reports[0].error.message).toBe(`${join(dir, 'missing.png')}: no such file`);
    expect(reports[1].format).toBe('png');
    expect(batch.err.trim().split('\n')).toEqual([`error: ${join(dir, 'missing.png')}: no such file`]);
  });

  it('exits 2 on usage errors', async () => {
    expect((await cli('label', png)).code).toBe(2);
    expect((await cli('frobnicate')).code).toBe(2);
    expect((await cli('label', png, '--producer', PRODUCER, '--no-explicit', '--label', '9')).code).toBe(2);
  });

  it('lists formats', async () => {
    const { code, out } = await cli('formats', '--json');
    expect(code).toBe(0);
    expect(JSON.parse(out).map((f: { id: string }) => f.id)).toContain('png');
  });

  it('leaves no output for a bad file', async () => {
    const out = join(dir, 'bad-out');
    const bad = await cli('label', join(dir, 'nope.png'), '--producer', PRODUCER, '--no-explicit', '-o', out);
    expect(bad.code).toBe(1);
    expect(await readdir(dir)).not.toContain('nope.labeled.png');
  });
});

describe('the built bin', () => {
  const bin = join(import.meta.dirname, '..', 'dist', 'cli.js');
  it('runs as a process with the documented exit codes', async () => {
    const exec = promisify(execFile);
    const { stdout } = await exec(process.execPath, [
      bin,
      'label',
      png,
      '--producer',
      PRODUCER,
      '--no-explicit',
      '--no-explicit',
      '-o',
      join(dir, 'bin'),
      '--json',
    ]);
    expect(JSON.parse(stdout).format).toBe('png');
    const failed = await exec(process.execPath, [bin, 'label', png]).catch((e: { code: number; stderr: string }) => e);
    expect((failed as { code: number }).code).toBe(2);
    expect((await readFile(join(dir, 'bin', 'x.png'))).length).toBeGreaterThan(0);
  });
});

describe('explicit labels through the CLI', () => {
  it('draws a visible label by default, with the wording and corner asked for', async () => {
    const photo = join(dir, 'photo.jpg');
    await sharp({ create: { width: 640, height: 400, channels: 3, background: '#203040' } })
      .jpeg()
      .toFile(photo);
    const r = await cli(
      'label',
      photo,
      '--producer',
      PRODUCER,
      '--wording',
      'AI生成',
      '--position',
      'top-left',
      '-o',
      join(dir, 'ex'),
      '--json',
    );
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out);
    expect(report.explicit).toMatchObject({ kind: 'image' });
    expect(report.explicit.detail).toMatch(/top-left/);
    expect((await cli('label', photo, '--producer', PRODUCER, '--wording', 'AI播客', '-o', join(dir, 'ex2'))).code).toBe(1);
  });

  it('label --voice speaks the prompt at both ends, and verify finds it there', async () => {
    // 12 s of quiet noise, 16-bit mono WAV.
    let seed = 1;
    const noise = Int16Array.from({ length: 12 * 16000 }, () => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return ((seed >>> 16) % 2000) - 1000;
    });
    const input = join(dir, 'speech.wav');
    await writeFile(input, monoWav(noise, 16000));
    const out = join(dir, 'voice-out');
    const labeled = await cli('label', input, '--producer', PRODUCER, '--voice', '--at', 'start', '--at', 'end', '-o', out, '--json');
    expect(labeled.code).toBe(0);
    expect(JSON.parse(labeled.out).explicit.detail).toMatch(/^voice prompt "本内容由人工智能生成"/);
    const verified = JSON.parse((await cli('verify', join(out, 'speech.wav'), '--audit', '--json')).out);
    expect(verified.outcome).toBe('confirmed');
    expect(
      verified.evidence.filter((e: { kind: string }) => e.kind === 'audio-voice-label').map((e: { where: string }) => e.where),
    ).toEqual(['start', 'end']);
    expect(verified.findings.map((f: { rule: string }) => f.rule)).not.toContain('gb45438/explicit-missing');
    expect((await cli('label', input, '--producer', PRODUCER, '--voice', '--at', 'middle', '-o', join(dir, 'voice-bad'))).code).toBe(2);
  });

  it('passes --ocr through to detect: the visible label is evidence only when asked for', async () => {
    const photo = join(dir, 'ocr.png');
    await sharp({ create: { width: 1280, height: 720, channels: 3, background: '#f0f0f0' } })
      .png()
      .toFile(photo);
    const out = join(dir, 'ocr-out');
    expect((await cli('label', photo, '--producer', PRODUCER, '-o', out)).code).toBe(0);
    const kinds = async (...flags: string[]) =>
      (JSON.parse((await cli('detect', join(out, 'ocr.png'), '--json', ...flags)).out) as { evidence: { kind: string }[] }).evidence.map(
        (e) => e.kind,
      );
    expect(await kinds()).not.toContain('explicit-image-label');
    expect(await kinds('--ocr')).toContain('explicit-image-label');
  });
});
