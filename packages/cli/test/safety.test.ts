/**
 * Safe with the user's files and terminal (issue 24): every case here failed on the first wave.
 * Fixtures are small and generated in the test.
 */
import { execFile, spawnSync } from 'node:child_process';
import { chmod, chown, link, lstat, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { concat, riff, utf8 } from '@aigc-label/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { monoWav } from '../../../test/handler-contract.js';
import { writeAll } from '../../aigc-label/src/file-io.js';
import { printable } from '../src/format.js';
import { run } from '../src/index.js';

const PRODUCER = '001191440300708461136T1XGW3';
const bin = join(import.meta.dirname, '..', 'dist', 'cli.js');
let dir: string;

async function cli(argv: string[], stdin = '') {
  let out = '';
  let err = '';
  const code = await run(argv, { out: (t) => (out += t), err: (t) => (err += t), readStdin: async () => stdin });
  return { code, out, err };
}

const tone = (seconds: number) =>
  monoWav(
    Int16Array.from({ length: Math.round(seconds * 8000) }, (_, i) => Math.round(3000 * Math.sin(i / 3))),
    8000,
  );

/** A WAV whose AIGC chunk holds exactly `json` (not through our writer, which would refuse it). */
function wavWithLabel(json: string): Uint8Array {
  const plain = tone(0.1);
  const body = plain.subarray(12);
  const chunk = riff.riffChunk('AIGC', utf8(json));
  return concat([riff.riffHeader('WAVE', body.length + chunk.length), body, chunk]);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aigc-safety-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('every byte is written, or the write fails', () => {
  it('writes again what a short write left over', async () => {
    const chunks = [utf8('abcdef'), utf8('ghij')];
    const received: string[] = [];
    const written = await writeAll(async (pending) => {
      const first = pending[0]!;
      const n = Math.min(3, first.length); // a file system that takes at most 3 bytes a call
      received.push(new TextDecoder().decode(first.subarray(0, n)));
      return n;
    }, chunks);
    expect(written).toBe(10);
    expect(received.join('')).toBe('abcdefghij');
    await expect(writeAll(async () => 0, chunks)).rejects.toMatchObject({ code: 'ENOSPC' });
  });

  it('on a nearly full file system, fails cleanly naming the output, leaves nothing behind and keeps the input', async () => {
    const mount = join(dir, 'small');
    await mkdir(mount);
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mount]).status === 0;
    const input = join(dir, 'big.wav');
    await writeFile(input, tone(40)); // 640 KB: more than the small file system holds
    const before = await readFile(input);
    try {
      let result: { code: number; err: string };
      if (mounted) {
        result = await cli(['label', input, '--producer', PRODUCER, '--no-explicit', '-o', mount]);
      } else {
        // No mount here: a file-size limit gives the same short writes (EFBIG), with SIGXFSZ ignored as shells allow.
        console.warn('tmpfs cannot be mounted here; using ulimit -f for the full-disk case');
        const r = spawnSync(
          'bash',
          [
            '-c',
            `trap '' XFSZ; ulimit -f 256; exec "$0" "$@"`,
            process.execPath,
            bin,
            'label',
            input,
            '--producer',
            PRODUCER,
            '--no-explicit',
            '-o',
            mount,
          ],
          {
            encoding: 'utf8',
          },
        );
        result = { code: r.status ?? -1, err: r.stderr };
      }
      expect(result.code).toBe(1);
      expect(result.err).toMatch(/cannot write .*small.*big\.wav: .*(no space left|larger than the file system).*the input is unchanged/);
      expect(await readdir(mount)).toEqual([]);
      expect(await readFile(input)).toEqual(before);
    } finally {
      if (mounted) spawnSync('umount', [mount]);
    }
  });
});

describe('outputs and reports never land on inputs', () => {
  it('refuses -o through a symlink that leads back to the input folder', async () => {
    const input = join(dir, 'in1');
    await mkdir(input);
    await writeFile(join(input, 'x.wav'), tone(0.2));
    await symlink(input, join(dir, 'outlink'));
    const before = await readFile(join(input, 'x.wav'));
    const r = await cli(['label', input, '--producer', PRODUCER, '--no-explicit', '-o', join(dir, 'outlink')]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/x\.wav.*is the input/);
    expect(await readFile(join(input, 'x.wav'))).toEqual(before);
  });

  it('refuses --report onto a file that is not a report of ours', async () => {
    const input = join(dir, 'r.wav');
    await writeFile(input, tone(0.2));
    const before = await readFile(input);
    const r = await cli(['verify', input, '--report', input]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/not an aigc-label report/);
    expect(await readFile(input)).toEqual(before);
  });

  it('refuses two inputs that would write the same output, before writing either', async () => {
    await mkdir(join(dir, 'a'));
    await mkdir(join(dir, 'b'));
    await writeFile(join(dir, 'a', 'same.wav'), tone(0.2));
    await writeFile(join(dir, 'b', 'same.wav'), tone(0.3));
    const out = join(dir, 'same-out');
    const r = await cli([
      'label',
      join(dir, 'a', 'same.wav'),
      join(dir, 'b', 'same.wav'),
      '--producer',
      PRODUCER,
      '--no-explicit',
      '-o',
      out,
    ]);
    expect(r.code).toBe(1);
    expect(r.err.match(/would all be written to/g)).toHaveLength(2);
    expect(await readdir(out).catch(() => [])).toEqual([]);
  });

  it('propagate refuses two inputs that would write the same output too, before writing either', async () => {
    const labeled = join(dir, 'labeled-same');
    for (const folder of ['a', 'b']) {
      const r = await cli(['label', join(dir, folder, 'same.wav'), '--producer', PRODUCER, '--no-explicit', '-o', join(labeled, folder)]);
      expect(r.code).toBe(0);
    }
    const out = join(dir, 'propagated-same');
    const r = await cli(['propagate', join(labeled, 'a', 'same.wav'), join(labeled, 'b', 'same.wav'), '--platform', PRODUCER, '-o', out]);
    expect(r.code).toBe(1);
    expect(r.err.match(/would all be written to/g)).toHaveLength(2);
    expect(await readdir(out).catch(() => [])).toEqual([]);
  });

  it('does not walk into an output folder inside an input folder, and says so', async () => {
    const input = join(dir, 'nest');
    await mkdir(input);
    await writeFile(join(input, 'n.wav'), tone(0.2));
    const first = await cli(['label', input, '--producer', PRODUCER, '--no-explicit', '-o', join(input, 'out')]);
    expect(first.code).toBe(0);
    const again = await cli(['label', input, '--producer', PRODUCER, '--no-explicit', '-o', join(input, 'out'), '--json']);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.out).file).toBe(join(input, 'n.wav'));
    expect(again.err).toMatch(/skipped: .*nest\/out: the output folder, inside an input folder/);
    expect(await readdir(join(input, 'out'))).toEqual(['n.wav']);
  });

  it('refuses --in-place together with -o', async () => {
    const r = await cli(['label', join(dir, 'r.wav'), '--producer', PRODUCER, '--in-place', '-o', join(dir, 'x')]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--in-place .* -o/);
  });
});

describe('--in-place keeps what the user set', () => {
  it('keeps mode, owner and group, and the modification time with --preserve-mtime', async () => {
    const file = join(dir, 'private.wav');
    await writeFile(file, tone(0.2));
    await chmod(file, 0o600);
    const root = process.getuid?.() === 0;
    if (root) await chown(file, 1234, 5678);
    const old = new Date('2020-01-02T03:04:05Z');
    await utimes(file, old, old);
    const r = await cli(['label', file, '--producer', PRODUCER, '--no-explicit', '--in-place', '--preserve-mtime']);
    expect(r.code).toBe(0);
    const info = await stat(file);
    expect(info.mode & 0o777).toBe(0o600);
    if (root) expect([info.uid, info.gid]).toEqual([1234, 5678]);
    expect(info.mtime.getTime()).toBe(old.getTime());
    expect((await cli(['detect', file, '--json'])).out).toMatch(/"ContentProducer": "001191440300708461136T1XGW3"/);
  });

  it('labels the target of a symlink and keeps the link', async () => {
    const target = join(dir, 'target.wav');
    const alias = join(dir, 'alias.wav');
    await writeFile(target, tone(0.2));
    await symlink(target, alias);
    expect((await cli(['label', alias, '--producer', PRODUCER, '--no-explicit', '--in-place'])).code).toBe(0);
    expect((await lstat(alias)).isSymbolicLink()).toBe(true);
    expect(JSON.parse((await cli(['detect', target, '--json'])).out).label.ContentProducer).toBe(PRODUCER);
  });

  it('refuses a file with several hard links instead of splitting them', async () => {
    const one = join(dir, 'one.wav');
    await writeFile(one, tone(0.2));
    await link(one, join(dir, 'two.wav'));
    const before = await readFile(one);
    const r = await cli(['label', one, '--producer', PRODUCER, '--no-explicit', '--in-place']);
    expect(r.code).toBe(1); // refused for this file; a batch goes on
    expect(r.err).toMatch(/2 hard links/);
    expect(await readFile(join(dir, 'two.wav'))).toEqual(before);
  });
});

describe('nothing from a file reaches the terminal raw', () => {
  it('escapes control characters from labels and file names in tables, inspect and errors; --json stays exact', async () => {
    const hostile = '\u001b[2J\u001b]0;pwned\u0007';
    const file = join(dir, `evil\u001b[31m\u202e.wav`);
    const label = {
      Label: '1',
      ContentProducer: hostile,
      ProduceID: 'id',
      ReservedCode1: '',
      ContentPropagator: hostile,
      PropagateID: 'id',
      ReservedCode2: '',
    };
    await writeFile(file, wavWithLabel(JSON.stringify(label)));
    for (const verb of ['detect', 'inspect', 'verify']) {
      const r = await cli([verb, file, '--no-rhythm'].filter((a) => verb !== 'inspect' || a !== '--no-rhythm'));
      expect(r.out + r.err).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f\u202a-\u202e]/);
      expect(r.out).toContain('\\x1b');
    }
    const missing = await cli(['detect', join(dir, 'gone\u0007.wav')]);
    expect(missing.err).toContain('gone\\x07.wav');
    expect(missing.err).not.toContain('\u0007');
    const json = JSON.parse((await cli(['detect', file, '--json', '--no-rhythm'])).out);
    expect(json.label.ContentProducer).toBe(hostile);
    expect(json.file).toBe(file);
    expect(printable('ok 中文 \u202e')).toBe('ok 中文 \\u202e');
  });
});

describe('verify and propagate agree', () => {
  it('propagates a confirmed file whose producer name is outside the Annex E charset, keeping it byte for byte', async () => {
    const file = join(dir, 'vendor.wav');
    const label = {
      Label: '1',
      ContentProducer: '抖音',
      ProduceID: 'v-1',
      ReservedCode1: '',
      ContentPropagator: '抖音',
      PropagateID: 'v-1',
      ReservedCode2: '',
    };
    await writeFile(file, wavWithLabel(JSON.stringify(label)));
    expect(JSON.parse((await cli(['verify', file, '--json', '--no-rhythm'])).out).outcome).toBe('confirmed');
    const r = await cli([
      'propagate',
      file,
      '--platform',
      'platform-1',
      '--propagate-id',
      'p-1',
      '--no-rhythm',
      '-o',
      join(dir, 'pub'),
      '--json',
    ]);
    expect(r.code).toBe(0);
    const result = JSON.parse(r.out);
    expect(result.label.label).toMatchObject({ ContentProducer: '抖音', ProduceID: 'v-1', ContentPropagator: 'platform-1' });
    expect(result.label.findings).toContainEqual(
      expect.objectContaining({ rule: 'annex-e/charset', severity: 'warning', where: 'ContentProducer' }),
    );
  });
});

describe('walks and lists', () => {
  it('reports a symlink met in a walk as skipped and counts it; --follow-symlinks follows it, loops included', async () => {
    const folder = join(dir, 'walk');
    await mkdir(join(folder, 'sub'), { recursive: true });
    await writeFile(join(folder, 'real.wav'), tone(0.2));
    await symlink(join(folder, 'real.wav'), join(folder, 'link.wav'));
    await symlink(folder, join(folder, 'sub', 'loop'));
    const plain = await cli(['detect', folder, '--no-rhythm']);
    expect(plain.err).toMatch(/skipped: .*link\.wav: a symbolic link/);
    expect(plain.out).toMatch(/2 not processed/);
    const followed = await cli(['detect', folder, '--no-rhythm', '--follow-symlinks', '--json']);
    expect(JSON.parse(followed.out).map((r: { file: string }) => r.file.replace(`${folder}/`, ''))).toEqual(['link.wav', 'real.wav']);
    expect(followed.err).toMatch(/loop: a folder already walked/);
  });

  it('takes stdin names exactly, and NUL-separated lists with -0', async () => {
    const spaced = join(dir, ' spaced name .wav');
    const newline = join(dir, 'new\nline.wav');
    await writeFile(spaced, tone(0.2));
    await writeFile(newline, tone(0.2));
    const lines = await cli(['detect', '-', '--json', '--no-rhythm'], `${spaced}\n`);
    expect(JSON.parse(lines.out).file).toBe(spaced);
    const nul = await cli(['detect', '-', '-0', '--json', '--no-rhythm'], `${spaced}\0${newline}\0`);
    expect(JSON.parse(nul.out).map((r: { file: string }) => r.file)).toEqual([spaced, newline]);
  });
});

describe('usage errors and help', () => {
  it('prints one line for every usage error, saying what is wrong and where to look', async () => {
    for (const argv of [
      ['label', join(dir, 'r.wav')],
      ['verify', join(dir, 'r.wav'), '--resume'],
      ['label', join(dir, 'r.wav'), join(dir, 'r.wav'), '--producer', PRODUCER, '--produce-id', 'x'],
      ['label', join(dir, 'r.wav'), '--producer', PRODUCER, '--at', 'sideways'],
      ['label', join(dir, 'r.wav'), '--producer', PRODUCER, '--fro', 'bare'],
      ['label', join(dir, 'r.wav'), '--producer', PRODUCER, '--position', 'nowhere'],
      ['label', join(dir, 'r.wav'), '--producer', 'my company'],
      ['label', join(dir, 'r.wav'), '--producer', '人工智能公司'],
      ['propagate', join(dir, 'r.wav'), '--platform', 'a\\b'],
      ['label'],
      ['lable', join(dir, 'r.wav')],
    ]) {
      const r = await cli(argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.out, argv.join(' ')).toBe('');
      expect(r.err, argv.join(' ')).toMatch(/^error: [^\n]+ \(run with --help for usage\)\n$/);
    }
    // What the producer may contain is said, not just that it was refused.
    expect((await cli(['label', join(dir, 'r.wav'), '--producer', 'my company'])).err).toMatch(/a space; Annex E j\)/);
  });

  it('lets --at take one value per flag, so it cannot swallow an input', async () => {
    const song = join(dir, 'song.wav');
    await writeFile(song, tone(1));
    const r = await cli(['label', '--at', 'end', song, '--producer', PRODUCER, '-o', join(dir, 'at-out'), '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).explicit.detail).toMatch(/rhythm label/);
  });

  it('shows examples and exit codes in --help, and what --producer allows', async () => {
    const help = await cli(['--help']);
    expect(help.out).toMatch(/Examples:/);
    expect(help.out).toMatch(/Exit codes:[\s\S]*141/);
    const label = await cli(['label', '--help']);
    expect(label.out).toMatch(/printable ASCII without spaces/);
  });

  it('ends quietly when the output pipe closes', async () => {
    const files = await Promise.all(
      Array.from({ length: 30 }, async (_, i) => {
        const f = join(dir, `pipe-${i}.wav`);
        await writeFile(f, tone(0.1));
        return f;
      }),
    );
    const exec = promisify(execFile);
    const quoted = files.map((f) => `'${f}'`).join(' ');
    const { stdout, stderr } = await exec('bash', [
      '-c',
      `"${process.execPath}" "${bin}" detect --no-rhythm ${quoted} | head -2; echo "status \${PIPESTATUS[0]}" >&2`,
    ]);
    expect(stdout.split('\n').filter(Boolean)).toHaveLength(2);
    expect(stderr).not.toMatch(/Error|at .*\.js/);
    expect(stderr).toMatch(/status (0|1|141)/);
  });
});
