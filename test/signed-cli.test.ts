import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTool } from './oracles.js';

// The built CLI with worker threads, as an operator runs it (`pnpm test` builds first): four
// threads append to one operations log through its lock file.
const exec = promisify(execFile);
const cli = join(import.meta.dirname, '..', 'packages', 'cli', 'dist', 'cli.js');
const PRODUCER = '001191440300708461136T1XGW3';
let dir: string;

const run = (args: string[], env: Record<string, string> = {}) =>
  exec(process.execPath, [cli, ...args], { env: { ...process.env, ...env } }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aigc-signed-cli-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('signed labels from the command line', () => {
  it('keys generate, a 4-thread signed batch with --log, verify --require-signature, log verify; the key never shows', async () => {
    const keys = join(dir, 'keys');
    const generated = await run(['keys', 'generate', '--out', keys, '--producer', PRODUCER, '--name', 'our key', '--json']);
    expect(generated.code).toBe(0);
    const { keyId } = JSON.parse(generated.stdout) as { keyId: string };
    expect((await run(['keys', 'generate', '--out', keys])).stderr).toContain('never overwritten');

    const input = join(dir, 'in');
    await mkdir(input);
    for (let i = 0; i < 40; i++) {
      const background = { r: i * 5, g: 255 - i * 3, b: (i * 37) % 256 };
      await writeFile(
        join(input, `${i}.png`),
        await sharp({ create: { width: 16, height: 16, channels: 3, background } })
          .png()
          .toBuffer(),
      );
    }
    const log = join(dir, 'ops.log');
    const report = join(dir, 'report.jsonl');
    const args = ['label', input, '-p', PRODUCER, '--no-explicit', '-o', join(dir, 'out'), '-j', '4', '--log', log, '--report', report];
    const labeled = await run(args, { AIGC_SIGN_KEY: join(keys, 'private-key.pem') });
    expect(labeled.code).toBe(0);

    const lines = (await readFile(log, 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(40);
    const records = lines.map((line) => JSON.parse(line));
    expect(new Set(records.map((r) => r.input)).size).toBe(40);
    expect(records[0]).toMatchObject({ operation: 'label', signerKeyId: keyId, explicit: { added: false, reason: 'user-request' } });

    const checked = await run(['log', 'verify', log]);
    expect(checked.code).toBe(0);
    expect(checked.stdout).toMatch(/the chain holds, 40 lines; head [0-9a-f]{64}/);

    const verified = await run(['verify', join(dir, 'out'), '--trust', join(keys, 'trust-entry.pem'), '--require-signature', '--json']);
    expect(verified.code).toBe(0);
    const verdicts = (JSON.parse(verified.stdout) as { signatures: { verdict: string }[] }[]).map((r) => r.signatures[0].verdict);
    expect(verdicts).toEqual(Array(40).fill('verified'));
    const untrusted = await run(['verify', join(dir, 'out', '0.png'), '--require-signature']);
    expect(untrusted.code).toBe(1);
    expect(untrusted.stdout).toContain('valid-untrusted');

    // An edited line (a ProduceID changed in the log) breaks the chain at the line after it.
    const edited = [...lines];
    edited[17] = edited[17].replace(/"ProduceID":"[^"]*"/, '"ProduceID":"edited"');
    await writeFile(log, `${edited.join('\n')}\n`);
    const broken = await run(['log', 'verify', log]);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toContain('line 19 of 40 breaks the chain');

    const key = await readFile(join(keys, 'private-key.pem'), 'utf8');
    const body = key.split('\n').slice(1, -2).join('');
    const seen = [labeled.stdout, labeled.stderr, verified.stdout, generated.stdout, await readFile(report, 'utf8'), lines.join('\n')].join(
      '\n',
    );
    for (const secret of [body.slice(0, 40), body.slice(-40)]) expect(seen).not.toContain(secret);
  });

  withTool('openssl', 'reads the key files we write')('writes key files OpenSSL 3 reads as SM2', async () => {
    const keys = join(dir, 'openssl-keys');
    expect((await run(['keys', 'generate', '--out', keys])).code).toBe(0);
    const { stdout } = await exec('openssl', ['pkey', '-in', join(keys, 'private-key.pem'), '-text_pub', '-noout']);
    expect(stdout).toContain('ASN1 OID: SM2');
    const pub = await exec('openssl', ['pkey', '-pubin', '-in', join(keys, 'public-key.pem'), '-noout', '-text']);
    expect(pub.stdout).toContain('ASN1 OID: SM2');
  });
});
