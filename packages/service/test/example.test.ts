import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { cli, jpeg, PRODUCER, start } from './helpers.js';

const exec = promisify(execFile);
const example = join(import.meta.dirname, '..', '..', '..', 'examples', 'service-upload-handler.mjs');

it('examples/service-upload-handler.mjs shows the prompt for a labeled upload and the refusal for an unknown one', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'aigc-service-example-'));
  const server = await start();
  try {
    await writeFile(join(dir, 'plain.jpg'), await jpeg('#446688'));
    expect((await cli(['label', join(dir, 'plain.jpg'), '--producer', PRODUCER, '--no-explicit', '-o', join(dir, 'out')])).code).toBe(0);
    await writeFile(join(dir, 'blob.bin'), Uint8Array.of(0, 0xff, 0x13, 0x37, 0, 1, 2, 3, 0xfe, 0xed, 0, 0, 0, 0));
    const { stdout } = await exec(
      process.execPath,
      [example, join(dir, 'out', 'plain.jpg'), join(dir, 'plain.jpg'), join(dir, 'blob.bin')],
      {
        env: { ...process.env, AIGC_SERVICE_URL: server.url },
      },
    );
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toBe(`plain.jpg: confirmed — show "人工智能生成", producer ${PRODUCER}`);
    expect(lines[1]).toBe('plain.jpg: none — show "(no prompt)"');
    expect(lines[2]).toMatch(/^blob\.bin: refused \(415\) UnknownFormatError: /);
  } finally {
    await server.close();
    await rm(server.parent, { recursive: true, force: true });
    await rm(dir, { recursive: true, force: true });
  }
});
