import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createLabel } from '@aigc-label/core';
import { type OperationRecord, verifyLogChain } from '@aigc-label/security';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OperationsLog } from '../src/operations-log.js';

const exec = promisify(execFile);
const root = join(import.meta.dirname, '..', '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'aigc-oplog-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const record = (writer: number, i: number): OperationRecord => ({
  operation: 'label',
  input: `in/${writer}-${i}.png`,
  output: `out/${writer}-${i}.png`,
  inputSm3: '11'.repeat(32),
  outputSm3: '22'.repeat(32),
  label: createLabel({ producer: '001191440300708461136T1XGW3', produceId: `w${writer}-${i}` }),
  explicit: { added: false, reason: 'user-request' },
  signerKeyId: null,
});

/** Every line parses, the chain holds, and each (writer, i) appears exactly once. */
function checkLog(path: string, writers: number, perWriter: number): string[] {
  const text = readFileSync(path, 'utf8');
  expect(verifyLogChain(text)).toMatchObject({ ok: true, lines: writers * perWriter });
  const lines = text.trimEnd().split('\n');
  const seen = lines.map((line) => (JSON.parse(line) as { input: string }).input).sort();
  const wanted = Array.from({ length: writers * perWriter }, (_, k) => `in/${Math.floor(k / perWriter)}-${k % perWriter}.png`).sort();
  expect(seen).toEqual(wanted);
  return lines;
}

describe('operations log writer', () => {
  it('chains lines from four independent writers in one process (each its own lock holder)', async () => {
    const path = join(dir, 'in-process.jsonl');
    const logs = Array.from({ length: 4 }, () => new OperationsLog(path));
    await Promise.all(
      logs.map(async (log, writer) => {
        for (let i = 0; i < 25; i++) await log.append(record(writer, i));
      }),
    );
    checkLog(path, 4, 25);
  });

  it('batches appends made while a write is under way, keeping their order', async () => {
    const path = join(dir, 'batched.jsonl');
    const log = new OperationsLog(path);
    await Promise.all(Array.from({ length: 40 }, (_, i) => log.append(record(0, i))));
    const lines = checkLog(path, 1, 40);
    expect(lines.map((line) => JSON.parse(line).input)).toEqual(Array.from({ length: 40 }, (_, i) => `in/0-${i}.png`));
  });

  it('closes a line cut short by a crash and keeps appending; the chain check names that line', async () => {
    const path = join(dir, 'cut.jsonl');
    const log = new OperationsLog(path);
    await log.append(record(0, 0));
    writeFileSync(path, `${readFileSync(path, 'utf8')}{"v":1,"prev":"cut`);
    await log.append(record(0, 1));
    expect(verifyLogChain(readFileSync(path, 'utf8'))).toMatchObject({ ok: false, line: 2, reason: 'not a JSON line' });
  });

  it('breaks a lock left by a process that died, and waits for a live one', async () => {
    const path = join(dir, 'stale.jsonl');
    const dead = execFileSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).toString();
    writeFileSync(`${path}.lock`, `${dead} ${(await import('node:os')).hostname()} 0 abc`);
    await new OperationsLog(path).append(record(0, 0));
    writeFileSync(`${path}.lock`, `${process.pid} ${(await import('node:os')).hostname()} 0 abc`);
    await expect(new OperationsLog(path, { lockTimeoutMs: 200 }).append(record(0, 1))).rejects.toThrow(/still locked after 200 ms/);
    rmSync(`${path}.lock`);
  });

  describe('four processes appending at once', () => {
    // Child processes run the compiled facade (plain Node cannot load the TypeScript sources).
    beforeAll(() => {
      execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-b', join(root, 'packages', 'aigc-label')], {
        stdio: 'inherit',
      });
    }, 120_000);

    it('never interleaves or loses lines, and verifyLogChain catches an edited line', async () => {
      const path = join(dir, 'processes.jsonl');
      const child = join(dir, 'writer.mjs');
      writeFileSync(
        child,
        `import { OperationsLog } from ${JSON.stringify(join(root, 'packages', 'aigc-label', 'dist', 'operations-log.js'))};
const [path, writer, count] = process.argv.slice(2);
const log = new OperationsLog(path);
for (let i = 0; i < Number(count); i++) {
  await log.append({ operation: 'label', input: \`in/\${writer}-\${i}.png\`, output: null, inputSm3: '11'.repeat(32), outputSm3: '22'.repeat(32),
    label: { Label: '1', ContentProducer: 'p', ProduceID: \`w\${writer}-\${i}\`, ReservedCode1: '', ContentPropagator: 'p', PropagateID: \`w\${writer}-\${i}\`, ReservedCode2: '' },
    explicit: { added: false, reason: 'user-request' }, signerKeyId: null });
}
`,
      );
      await Promise.all([0, 1, 2, 3].map((writer) => exec(process.execPath, [child, path, String(writer), '60'])));
      const lines = checkLog(path, 4, 60);
      // Lines from different processes really are mixed in the file (they ran concurrently).
      const writersInOrder = lines.map((line) => JSON.parse(line).input.split('/')[1].split('-')[0]);
      expect(new Set(writersInOrder.slice(0, 120)).size).toBeGreaterThan(1);
      const edited = [...lines];
      edited[100] = edited[100].replace('"w', '"x');
      expect(verifyLogChain(`${edited.join('\n')}\n`)).toMatchObject({ ok: false, line: 102 });
    });
  });
});
