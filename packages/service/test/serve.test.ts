import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { jpeg } from './helpers.js';

// The command as users run it: the built CLI (`pnpm test` builds first).
const cliPath = join(import.meta.dirname, '..', '..', 'cli', 'dist', 'cli.js');
let dir: string;

beforeAll(async () => {
  if (!existsSync(cliPath)) throw new Error(`${cliPath} is missing: run pnpm build first`);
  dir = await mkdtemp(join(tmpdir(), 'aigc-serve-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

it('aigc-label serve starts with one command, finishes a request in flight on SIGTERM, refuses new ones, exits 0', async () => {
  await writeFile(join(dir, 'token'), 'serve-test-token\n');
  const child = spawn(process.execPath, [cliPath, 'serve', '--port', '0', '--token-file', join(dir, 'token')], {
    env: { ...process.env, TMPDIR: dir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let logs = '';
  child.stdout.on('data', (chunk) => {
    logs += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  for (let i = 0; i < 200 && !logs.includes('"url"'); i++) await new Promise((resolve) => setTimeout(resolve, 25));
  const url = /"url":"(http:\/\/[^"]+)"/.exec(logs)?.[1];
  expect(url).toBeDefined();
  expect(logs).toContain('"labelRoutes":true');
  const port = Number(new URL(url as string).port);

  // A request whose body is half sent when SIGTERM arrives.
  const photo = await jpeg('#123456');
  const socket = connect(port, '127.0.0.1');
  let answer = '';
  socket.on('data', (chunk) => {
    answer += chunk.toString('utf8');
  });
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.write(`POST /v1/verify HTTP/1.1\r\nHost: x\r\nX-Filename: a.jpg\r\nContent-Length: ${photo.length}\r\nConnection: close\r\n\r\n`);
  socket.write(photo.subarray(0, 100));
  await new Promise((resolve) => setTimeout(resolve, 100));
  child.kill('SIGTERM');
  await new Promise((resolve) => setTimeout(resolve, 200));
  // New connections are refused once the listener is closed.
  const refused = await fetch(`${url}/healthz`).then(
    () => false,
    () => true,
  );
  expect(refused).toBe(true);
  socket.write(photo.subarray(100));
  expect(await exited).toBe(0);
  expect(answer).toMatch(/^HTTP\/1\.1 200/);
  expect(answer).toContain('"outcome": "none"');
  expect(logs).not.toContain('serve-test-token');
  // The private spool folder went with the server.
  expect(await readdir(dir)).toEqual(['token']);
});
