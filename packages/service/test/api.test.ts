import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPool } from '@aigc-label/cli';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cli, jpeg, json, leftInSpool, PLATFORM, PRODUCER, type Running, start, validateReport, wav } from './helpers.js';

const TOKEN = 'test-token-5d1c9a0e7b';
let dir: string;
let server: Running;
let labeledJpeg: Uint8Array;
let plainJpeg: Uint8Array;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aigc-service-api-'));
  plainJpeg = new Uint8Array(await jpeg('#336699'));
  await writeFile(join(dir, 'plain.jpg'), plainJpeg);
  const labeled = await cli(['label', join(dir, 'plain.jpg'), '--producer', PRODUCER, '--no-explicit', '-o', join(dir, 'out')]);
  expect(labeled.code).toBe(0);
  labeledJpeg = new Uint8Array(await readFile(join(dir, 'out', 'plain.jpg')));
  await writeFile(join(dir, 'photo.jpg'), labeledJpeg);
  await writeFile(join(dir, 'tone.wav'), wav(8_000));
  server = await start({ token: TOKEN, producer: PRODUCER, platform: PLATFORM });
});

afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
  await rm(server.parent, { recursive: true, force: true });
});

afterEach(async () => {
  // Nothing uploaded outlives its request.
  expect(await leftInSpool(server.parent)).toEqual([]);
});

/** What the CLI prints for `verb FILE --json` run in the test folder, so `file` is the bare name. */
async function cliJson(verb: string, name: string, ...flags: string[]): Promise<string> {
  const cwd = process.cwd();
  process.chdir(dir);
  try {
    return (await cli([verb, name, '--json', ...flags])).out;
  } finally {
    process.chdir(cwd);
  }
}

describe('verify and detect', () => {
  it('answers a raw upload with the exact bytes of the CLI --json report, valid against the schema', async () => {
    const response = await fetch(`${server.url}/v1/verify`, { method: 'POST', body: labeledJpeg, headers: { 'x-filename': 'photo.jpg' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    const body = await response.text();
    expect(body).toBe(await cliJson('verify', 'photo.jpg'));
    const report = JSON.parse(body);
    expect(validateReport(report)).toBe(true);
    expect(report.outcome).toBe('confirmed');
    expect(report.prompt).toBe('人工智能生成');
  });

  it('takes `curl -T file URL/` (PUT, the name as the last path segment) and multipart uploads alike', async () => {
    const put = await fetch(`${server.url}/v1/verify/photo.jpg`, { method: 'PUT', body: labeledJpeg });
    const form = new FormData();
    form.append('file', new Blob([labeledJpeg], { type: 'image/jpeg' }), 'photo.jpg');
    const multipart = await fetch(`${server.url}/v1/verify`, { method: 'POST', body: form });
    const expected = await cliJson('verify', 'photo.jpg');
    expect(await put.text()).toBe(expected);
    expect(await multipart.text()).toBe(expected);
  });

  it('passes the CLI flags as query options: declared, and detect', async () => {
    const declared = await fetch(`${server.url}/v1/verify?declared=true`, {
      method: 'POST',
      body: plainJpeg,
      headers: { 'x-filename': 'plain.jpg' },
    });
    expect(await declared.text()).toBe(await cliJson('verify', 'plain.jpg', '--declared'));
    const detect = await fetch(`${server.url}/v1/detect`, { method: 'POST', body: labeledJpeg, headers: { 'x-filename': 'photo.jpg' } });
    const body = await detect.text();
    expect(body).toBe(await cliJson('detect', 'photo.jpg'));
    expect(validateReport(JSON.parse(body))).toBe(true);
  });

  it('runs a media-cost job (the audible search in a WAV) through the worker pool from a spooled file, same report', async () => {
    const response = await fetch(`${server.url}/v1/verify`, { method: 'POST', body: wav(8_000), headers: { 'x-filename': 'tone.wav' } });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe(await cliJson('verify', 'tone.wav'));
  });

  it('decides where a job runs by the sniffed format, not the name: a WAV sent as photo.jpg or unnamed goes to the pool', async () => {
    const pool = createPool(1, { onThisThread: false });
    const jobs: string[] = [];
    const counting = await start({
      runner: {
        get queued() {
          return pool.queued;
        },
        run: (job) => {
          jobs.push(job.verb);
          return pool.run(job);
        },
      },
    });
    try {
      for (const headers of [{ 'x-filename': 'photo.jpg' }, {}, { 'content-type': 'image/jpeg' }]) {
        const response = await fetch(`${counting.url}/v1/verify`, { method: 'POST', body: wav(8_000), headers });
        expect((await json(response)).format).toBe('wav');
      }
      expect(jobs).toEqual(['verify', 'verify', 'verify']);
      // A small JPEG stays on the fast path, and so does the WAV with the audible search off.
      await fetch(`${counting.url}/v1/verify`, { method: 'POST', body: labeledJpeg });
      await fetch(`${counting.url}/v1/verify?audible=false`, { method: 'POST', body: wav(8_000) });
      expect(jobs).toHaveLength(3);
    } finally {
      await counting.close();
      await pool.close();
      await rm(counting.parent, { recursive: true, force: true });
    }
  });

  it('spools a body over 4 MiB to disk and still answers from it (a WAV of 5 MB)', async () => {
    const big = wav(2_600_000);
    const response = await fetch(`${server.url}/v1/verify?audible=false`, {
      method: 'POST',
      body: big,
      headers: { 'x-filename': 'big.wav' },
    });
    const report = await json(response);
    expect(response.status).toBe(200);
    expect(report).toMatchObject({ file: 'big.wav', format: 'wav', outcome: 'none' });
  });

  it('uses Content-Type as the format hint when there is no name, and 415 for bytes of no known format', async () => {
    const hinted = await fetch(`${server.url}/v1/verify`, { method: 'POST', body: labeledJpeg, headers: { 'content-type': 'image/jpeg' } });
    expect((await json(hinted)).file).toBeNull();
    const unknown = await fetch(`${server.url}/v1/verify`, {
      method: 'POST',
      body: Uint8Array.of(0, 0xff, 0x13, 0x37, 0, 1, 2, 3, 0xfe, 0xed, 0, 0, 0, 0),
      headers: { 'x-filename': 'blob.bin', 'content-type': 'application/octet-stream' },
    });
    expect(unknown.status).toBe(415);
    const error = await json(unknown);
    expect(validateReport(error)).toBe(true);
    expect(error).toMatchObject({ file: 'blob.bin', error: { name: 'UnknownFormatError' } });
    // The error report is the CLI's too.
    await writeFile(join(dir, 'blob.bin'), Uint8Array.of(0, 0xff, 0x13, 0x37, 0, 1, 2, 3, 0xfe, 0xed, 0, 0, 0, 0));
    expect(`${JSON.stringify(error, null, 2)}\n`).toBe(await cliJson('verify', 'blob.bin'));
  });

  it('echoes a path-like X-Filename as the report name and never writes anywhere but its private spool', async () => {
    for (const name of ['../../etc/passwd.jpg', '/etc/passwd', '..%2F..%2Fx.jpg', 'C:\\Windows\\evil.jpg']) {
      const response = await fetch(`${server.url}/v1/verify`, { method: 'POST', body: labeledJpeg, headers: { 'x-filename': name } });
      expect(response.status).toBe(200);
      expect((await json(response)).file).toBe(decodeURIComponent(name));
    }
    // A spooled (over 4 MiB) upload with a path-like name: only the spool folder exists beside it.
    await fetch(`${server.url}/v1/verify?audible=false`, {
      method: 'POST',
      body: wav(2_600_000),
      headers: { 'x-filename': '../../escape.wav' },
    });
    expect(await readdir(server.parent)).toHaveLength(1);
  });

  it('refuses malformed multipart with 400 and unknown query options with 400', async () => {
    const broken = await fetch(`${server.url}/v1/verify`, {
      method: 'POST',
      body: '--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\n\r\nabc',
      headers: { 'content-type': 'multipart/form-data; boundary=xyz' },
    });
    expect(broken.status).toBe(400);
    expect((await json(broken)).error.name).toBe('MalformedMultipart');
    const noBoundary = await fetch(`${server.url}/v1/verify`, {
      method: 'POST',
      body: 'x',
      headers: { 'content-type': 'multipart/form-data' },
    });
    expect(noBoundary.status).toBe(400);
    const badOption = await fetch(`${server.url}/v1/verify?declared=maybe`, { method: 'POST', body: labeledJpeg });
    expect(badOption.status).toBe(400);
    const unknownOption = await fetch(`${server.url}/v1/verify?ocrr=true`, { method: 'POST', body: labeledJpeg });
    expect(unknownOption.status).toBe(400);
    expect((await json(unknownOption)).error.message).toMatch(/additional properties/);
  });
});

describe('label and propagate', () => {
  it('are refused without the right bearer token, on every spelling of their paths', async () => {
    const attempts = [undefined, 'Bearer wrong', `Basic ${TOKEN}`, `Bearer ${TOKEN}x`].flatMap((authorization) =>
      ['/v1/label', '/v1/propagate', '/v1/label/a.jpg', '/v1/%6cabel', '/v1//label', '/v1/label/'].map((path) => ({ authorization, path })),
    );
    for (const { authorization, path } of attempts) {
      const response = await fetch(`${server.url}${path}`, {
        method: 'POST',
        body: plainJpeg,
        headers: authorization ? { authorization } : {},
      });
      // 401, or 404 where the spelling names no route at all; never an answer from the route.
      expect([401, 404], `${path} ${authorization}`).toContain(response.status);
      if (response.status === 401) expect(response.headers.get('www-authenticate')).toBe('Bearer');
      if (path === '/v1/label') expect(response.status).toBe(401);
    }
  });

  it('label returns the labeled file, the report in X-Aigc-Report, and the file verifies as labeled', async () => {
    const response = await fetch(`${server.url}/v1/label?explicit=false&produceId=svc-0001`, {
      method: 'POST',
      body: plainJpeg,
      headers: { authorization: `Bearer ${TOKEN}`, 'x-filename': 'plain.jpg' },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/jpeg');
    const report = JSON.parse(Buffer.from(response.headers.get('x-aigc-report') ?? '', 'base64url').toString('utf8'));
    expect(validateReport(report)).toBe(true);
    expect(report).toMatchObject({
      file: 'plain.jpg',
      output: null,
      label: { Label: '1', ContentProducer: PRODUCER, ProduceID: 'svc-0001' },
    });
    const labeled = new Uint8Array(await response.arrayBuffer());
    const verified = await json(await fetch(`${server.url}/v1/verify`, { method: 'POST', body: labeled }));
    expect(verified.label).toMatchObject({ ProduceID: 'svc-0001', ContentProducer: PRODUCER });
  });

  it('label of a media-cost job (a WAV with its audible label) runs in the pool and streams the spooled output back', async () => {
    const response = await fetch(`${server.url}/v1/label?produceId=svc-wav-1`, {
      method: 'POST',
      body: wav(16_000),
      headers: { authorization: `Bearer ${TOKEN}`, 'x-filename': 'tone.wav' },
    });
    expect(response.status).toBe(200);
    const report = JSON.parse(Buffer.from(response.headers.get('x-aigc-report') ?? '', 'base64url').toString('utf8'));
    expect(report).toMatchObject({ file: 'tone.wav', output: null, format: 'wav' });
    expect(report.explicit).not.toBeNull();
    const labeled = new Uint8Array(await response.arrayBuffer());
    expect(labeled.length).toBeGreaterThan(32_044);
    const verified = await json(
      await fetch(`${server.url}/v1/verify`, { method: 'POST', body: labeled, headers: { 'x-filename': 'tone.wav' } }),
    );
    expect(verified.outcome).toBe('confirmed');
    expect(verified.label.ProduceID).toBe('svc-wav-1');
  });

  it('propagate adds the platform, keeps the producer, and answers 204 when there is nothing to propagate', async () => {
    const response = await fetch(`${server.url}/v1/propagate?propagateId=pub-1`, {
      method: 'POST',
      body: labeledJpeg,
      headers: { authorization: `Bearer ${TOKEN}`, 'x-filename': 'photo.jpg' },
    });
    expect(response.status).toBe(200);
    const result = JSON.parse(Buffer.from(response.headers.get('x-aigc-report') ?? '', 'base64url').toString('utf8'));
    expect(validateReport(result)).toBe(true);
    expect(result.label.label).toMatchObject({ ContentProducer: PRODUCER, ContentPropagator: PLATFORM, PropagateID: 'pub-1' });
    const published = new Uint8Array(await response.arrayBuffer());
    const verified = await json(await fetch(`${server.url}/v1/verify`, { method: 'POST', body: published }));
    expect(verified.label).toMatchObject({ ContentPropagator: PLATFORM, PropagateID: 'pub-1' });
    const nothing = await fetch(`${server.url}/v1/propagate`, {
      method: 'POST',
      body: plainJpeg,
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(nothing.status).toBe(204);
  });

  it('sign with the server key and trust store (--sign-key, --trust, --log): the label verifies, and no response carries the key', async () => {
    const { generateSm2KeyPair } = await import('aigc-label');
    const key = generateSm2KeyPair();
    const keyFile = join(dir, 'server-key.pem');
    const trustFile = join(dir, 'trust.pem');
    const log = join(dir, 'ops.log');
    await writeFile(keyFile, key.privateKeyPem, { mode: 0o600 });
    await writeFile(trustFile, `Name: service key\nProducers: ${PRODUCER}\n${key.publicKeyPem}`);
    const signing = await start({ token: TOKEN, producer: PRODUCER, signing: { signKey: keyFile, log }, trust: [trustFile] });
    try {
      const response = await fetch(`${signing.url}/v1/label?explicit=false&produceId=svc-signed-1`, {
        method: 'POST',
        body: plainJpeg,
        headers: { authorization: `Bearer ${TOKEN}`, 'x-filename': 'plain.jpg' },
      });
      expect(response.status).toBe(200);
      const header = response.headers.get('x-aigc-report') ?? '';
      const report = JSON.parse(Buffer.from(header, 'base64url').toString('utf8'));
      expect(report.signature).toMatchObject({ field: 'ReservedCode1', keyId: expect.any(String) });
      const labeled = new Uint8Array(await response.arrayBuffer());
      const verifiedText = await (await fetch(`${signing.url}/v1/verify`, { method: 'POST', body: labeled })).text();
      const producer = JSON.parse(verifiedText).signatures.find((v: { field: string }) => v.field === 'ReservedCode1');
      expect(producer).toMatchObject({ verdict: 'verified', binding: 'matches', trustedAs: 'service key' });
      const secret = key.privateKeyPem.split('\n')[1] ?? '';
      expect(secret.length).toBeGreaterThan(20);
      for (const text of [header, verifiedText, Buffer.from(labeled).toString('latin1'), signing.logs.join('\n')])
        expect(text).not.toContain(secret);
      expect((await readFile(log, 'utf8')).trim().split('\n')).toHaveLength(1);
    } finally {
      await signing.close();
      await rm(signing.parent, { recursive: true, force: true });
    }
  });

  it('do not exist on a server started without a token', async () => {
    const open = await start();
    try {
      const response = await fetch(`${open.url}/v1/label`, { method: 'POST', body: plainJpeg });
      expect(response.status).toBe(404);
      const pageResponse = await fetch(`${open.url}/`);
      // The page loads nothing from anywhere: its one script is allowed by hash, connections only to this server.
      expect(pageResponse.headers.get('content-security-policy')).toMatch(
        /default-src 'none'; script-src 'sha256-[^']+'; .*connect-src 'self'/,
      );
      const page = await pageResponse.text();
      expect(page).toContain('{"labelRoutes":false,');
      expect(page).not.toMatch(/(src|href)="https?:/);
    } finally {
      await open.close();
      await rm(open.parent, { recursive: true, force: true });
    }
  });
});

describe('operations', () => {
  it('serves health, readiness, Prometheus metrics and an OpenAPI document of the routes', async () => {
    expect(await json(await fetch(`${server.url}/healthz`))).toEqual({ status: 'ok' });
    expect(await json(await fetch(`${server.url}/readyz`))).toEqual({ status: 'ready' });
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/aigc_label_http_requests_total\{route="\/v1\/verify",status="200"\} \d+/);
    expect(metrics).toMatch(/aigc_label_outcomes_total\{outcome="confirmed"\} \d+/);
    expect(metrics).toMatch(/aigc_label_http_request_duration_seconds_bucket\{le="0.05",route="\/v1\/verify"\} \d+/);
    expect(metrics).toContain('aigc_label_queue_depth 0');
    expect(metrics).toMatch(/aigc_label_errors_total\{name="UnknownFormatError"\} \d+/);
    const openapi = await json(await fetch(`${server.url}/openapi.json`));
    expect(openapi.openapi).toMatch(/^3\./);
    expect(Object.keys(openapi.paths)).toEqual(
      expect.arrayContaining(['/v1/verify', '/v1/detect', '/v1/label', '/v1/propagate', '/healthz']),
    );
    expect(openapi.paths['/v1/verify'].post.requestBody.content).toHaveProperty('multipart/form-data');
    expect(openapi.paths['/v1/verify'].post.parameters.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining(['declared', 'ocr', 'audible', 'x-filename']),
    );
    expect(openapi.paths['/v1/label'].post.security).toEqual([{ bearer: [] }]);
  });

  it('logs requests as JSON lines without file names, contents or the token', async () => {
    const marker = 'secret-name-7f3a.jpg';
    await fetch(`${server.url}/v1/label?explicit=false&reservedCode1=secret-rc1-9c2e`, {
      method: 'POST',
      body: plainJpeg,
      headers: { authorization: `Bearer ${TOKEN}`, 'x-filename': marker },
    });
    const lines = server.logs.map((line) => JSON.parse(line));
    expect(lines.some((l) => l.req?.path === '/v1/label')).toBe(true);
    const all = server.logs.join('');
    expect(all).not.toContain(TOKEN);
    expect(all).not.toContain(marker);
    expect(all).not.toContain('TC260');
    expect(all).not.toContain('secret-rc1-9c2e');
  });
});
