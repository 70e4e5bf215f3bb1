import { readdir, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { pngWithXmp, xmpPacket } from '../../../test/hostile/build.mjs';
import { cases as hostileText } from '../../../test/hostile/text.mjs';
import type { JobRunner } from '../src/index.js';
import { jpeg, json, leftInSpool, type Running, start, validateReport, wav } from './helpers.js';

/** A raw HTTP exchange: writes `head` and `body`, then waits (up to `ms`) for the server's answer and its close. */
function exchange(
  port: number,
  head: string,
  body: Uint8Array | null,
  ms = 5_000,
): Promise<{ status: number; text: string; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within ${ms} ms: ${JSON.stringify(text.slice(0, 200))}`));
    }, ms);
    socket.on('data', (chunk) => {
      text += chunk.toString('latin1');
    });
    const done = (closed: boolean) => {
      clearTimeout(timer);
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), text, closed });
    };
    socket.on('end', () => done(true));
    socket.on('close', () => done(true));
    socket.on('error', () => done(true));
    socket.write(head);
    if (body) socket.write(body);
  });
}

const jsonOf = (text: string) => JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4));

describe('limits', () => {
  let server: Running;
  beforeAll(async () => {
    server = await start({ maxBodyBytes: 1024 * 1024, uploadTimeoutMs: 400 });
  });
  afterAll(async () => {
    await server.close();
    await rm(server.parent, { recursive: true, force: true });
  });
  afterEach(async () => {
    expect(await leftInSpool(server.parent)).toEqual([]);
  });

  it('answers a declared 10 GB body with 413 after reading a few bytes of it, and closes the connection', async () => {
    const started = Date.now();
    const answer = await exchange(
      server.port,
      'POST /v1/verify HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\nContent-Length: 10737418240\r\n\r\n',
      new Uint8Array(64 * 1024),
    );
    expect(answer.status).toBe(413);
    expect(answer.closed).toBe(true);
    expect(validateReport(jsonOf(answer.text))).toBe(true);
    expect(jsonOf(answer.text).error.name).toBe('PayloadTooLarge');
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('answers Expect: 100-continue with 413 before the client sends a byte of an oversized body, and with 100 otherwise', async () => {
    const refused = await exchange(
      server.port,
      'POST /v1/verify HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 10737418240\r\n\r\n',
      null,
    );
    expect(refused.status).toBe(413);
    expect(refused.text).not.toContain('100 Continue');
    expect(jsonOf(refused.text).error.name).toBe('PayloadTooLarge');
    const photo = await jpeg('#224466');
    const invited = await new Promise<number>((resolve, reject) => {
      const req = request({
        port: server.port,
        host: '127.0.0.1',
        method: 'POST',
        path: '/v1/verify',
        headers: { expect: '100-continue', 'content-length': photo.length, 'x-filename': 'a.jpg' },
      });
      req.on('continue', () => req.end(photo));
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
    });
    expect(invited).toBe(200);
  });

  it('stops a chunked body at the limit with 413 (no Content-Length to trust)', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({
        port: server.port,
        host: '127.0.0.1',
        method: 'POST',
        path: '/v1/verify',
        headers: { 'transfer-encoding': 'chunked' },
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      // 2 MiB in 64 KiB chunks against a 1 MiB limit; the server answers before the end.
      let sent = 0;
      const pump = (): void => {
        while (sent < 2 * 1024 * 1024) {
          sent += 65_536;
          if (!req.write(new Uint8Array(65_536))) {
            req.once('drain', pump);
            return;
          }
        }
        req.end();
      };
      pump();
    });
    expect(status).toBe(413);
  });

  it('times a slowloris upload out with 408 (headers sent, the body trickles then stalls)', async () => {
    const answer = await exchange(
      server.port,
      'POST /v1/verify HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\nContent-Length: 100000\r\n\r\n',
      new Uint8Array(10),
    );
    expect(answer.status).toBe(408);
    expect(jsonOf(answer.text).error.name).toBe('RequestTimeout');
    expect(answer.closed).toBe(true);
  });
});

describe('queue and time', () => {
  it('answers 429 with Retry-After beyond the slots and queue, with 1,000 concurrent connections, and keeps serving', async () => {
    // Jobs that take 300 ms each (a WAV's audible search is a pool job): 2 run, 8 wait, the rest are refused at once.
    const slow: JobRunner = { queued: 0, run: () => new Promise((resolve) => setTimeout(() => resolve({ ok: true, report: {} }), 300)) };
    const server = await start({ runner: slow, concurrency: 2, queue: 8 });
    try {
      const body = wav(100);
      const statuses: number[] = [];
      const retryAfter = new Set<string | null>();
      await Promise.all(
        Array.from({ length: 1_000 }, async () => {
          const response = await fetch(`${server.url}/v1/verify`, { method: 'POST', body, headers: { 'x-filename': 'a.wav' } });
          statuses.push(response.status);
          if (response.status === 429) retryAfter.add(response.headers.get('retry-after'));
          await response.arrayBuffer();
        }),
      );
      const ok = statuses.filter((s) => s === 200).length;
      const refused = statuses.filter((s) => s === 429).length;
      expect(ok + refused).toBe(1_000);
      expect(ok).toBeGreaterThanOrEqual(10);
      expect(refused).toBeGreaterThan(900);
      expect([...retryAfter]).toEqual(['1']);
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
      expect(await leftInSpool(server.parent)).toEqual([]);
    } finally {
      await server.close();
      await rm(server.parent, { recursive: true, force: true });
    }
  });

  it('answers 503 with Retry-After when processing outlives its budget, and cleans up when the job ends', async () => {
    let finish: () => void = () => undefined;
    const stuck: JobRunner = {
      queued: 0,
      run: () =>
        new Promise((resolve) => {
          finish = () => resolve({ ok: true, report: {} });
        }),
    };
    const server = await start({ runner: stuck, processTimeoutMs: 200 });
    try {
      const response = await fetch(`${server.url}/v1/verify`, { method: 'POST', body: wav(100), headers: { 'x-filename': 'a.wav' } });
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe('5');
      expect((await json(response)).error.name).toBe('ServiceUnavailable');
      finish();
      expect(await leftInSpool(server.parent)).toEqual([]);
    } finally {
      await server.close();
      await rm(server.parent, { recursive: true, force: true });
    }
  });
});

describe('uploads and bombs', () => {
  let server: Running;
  beforeAll(async () => {
    server = await start();
  });
  afterAll(async () => {
    await server.close();
    await rm(server.parent, { recursive: true, force: true });
  });

  it('deletes the spooled part of an upload the client abandons halfway', async () => {
    const socket = connect(server.port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write('POST /v1/verify HTTP/1.1\r\nHost: x\r\nX-Filename: big.wav\r\nContent-Length: 10000000\r\n\r\n');
    socket.write(wav(3_000_000));
    // Past 4 MiB the body is on disk: the spool holds it while the upload runs.
    let spooled: string[] = [];
    for (let i = 0; i < 50 && spooled.length === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      const [folder] = await readdir(server.parent);
      spooled = await readdir(join(server.parent, folder));
    }
    expect(spooled).toHaveLength(1);
    socket.destroy();
    expect(await leftInSpool(server.parent)).toEqual([]);
  });

  it('a DOCX whose part inflates to 20 MB from a few KB gets a clean answer, quickly', async () => {
    const bomb = hostileText.find((c: { id: string }) => c.id === 'ooxml/deflate-bomb');
    if (!bomb) throw new Error('the ooxml/deflate-bomb case is gone from test/hostile/text.mjs');
    const started = Date.now();
    const response = await fetch(`${server.url}/v1/verify`, {
      method: 'POST',
      body: bomb.build(20_000),
      headers: { 'x-filename': 'bomb.docx' },
    });
    const report = await json(response);
    expect(validateReport(report)).toBe(true);
    expect([200, 415, 422]).toContain(response.status);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(await leftInSpool(server.parent)).toEqual([]);
  });

  it('XMP with an entity declaration (billion laughs) is never expanded: a clean answer naming it', async () => {
    const laughs =
      '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "hahahahahaha"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>';
    const response = await fetch(`${server.url}/v1/verify`, {
      method: 'POST',
      body: pngWithXmp(laughs + xmpPacket('<TC260:AIGC>&c;</TC260:AIGC>')),
      headers: { 'x-filename': 'laughs.png' },
    });
    const text = await response.text();
    expect(response.status).toBeLessThan(500);
    expect(validateReport(JSON.parse(text))).toBe(true);
    expect(text).not.toContain('hahahahahahahahahahaha');
  });

  it('a JPEG named .png and a .jpg of garbage get 200 (sniffed) and 415/422, never 500', async () => {
    const misnamed = await fetch(`${server.url}/v1/verify`, {
      method: 'POST',
      body: await jpeg('#000'),
      headers: { 'x-filename': 'a.png' },
    });
    expect(misnamed.status).toBe(200);
    const garbage = await fetch(`${server.url}/v1/verify`, {
      method: 'POST',
      body: Uint8Array.of(0x00, 0x13, 0x37, 0x42, 0x99, 0x01, 1, 2),
      headers: { 'x-filename': 'a.jpg' },
    });
    expect([415, 422]).toContain(garbage.status);
    // A JPEG cut inside its first segment is salvaged (issue 25): a report with the damage, not a 5xx.
    const cut = await fetch(`${server.url}/v1/verify`, {
      method: 'POST',
      body: Uint8Array.of(0xff, 0xd8, 0xff, 0xe1, 0xff, 0xff, 1, 2),
      headers: { 'x-filename': 'b.jpg' },
    });
    expect(cut.status).toBe(200);
    expect(((await cut.json()) as { findings: { rule: string }[] }).findings.map((f) => f.rule)).toContain('format/damaged');
  });
});
