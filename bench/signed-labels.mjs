/**
 * Signed labels through the facade (issue 17 item 8), each beside the same work unsigned:
 *
 * 1. A small JPEG: `labelFile` with `signKey` (content regions, SM3 binding, two signatures,
 *    the binding checked again on the written file) against `labelFile` without; `detectFile`
 *    with a trust store (two verifications and the binding) against `detectFile` of an
 *    unsigned label. Targets: signing adds ≤ 10 ms a file, verifying ≤ 20 ms.
 * 2. A large MP4 (a real clip with moov in front, plus a generated `mdat` of
 *    SIGNED_BENCH_MP4_MIB MiB, default 1024): sign and verify times, and the binding's rate
 *    (verify hashes the content regions once; sign hashes them before and after writing).
 *    Target: verify's binding at ≥ 200 MB/s.
 * 3. The operations log in a real batch: the built CLI labels SIGNED_BENCH_FILES small PNGs
 *    (default 400) with -j 4, with and without `--log`; lines/s and what the log costs.
 *    Target: the log keeps the batch at ≥ 90% of its rate without it.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const MB = 1024 * 1024;
const dist = (path) => new URL(`../packages/${path}`, import.meta.url).href;
const { labelFile, detectFile, generateSm2KeyPair, parseTrustStore } = await import(dist('aigc-label/dist/index.js'));
const require = createRequire(new URL('../packages/aigc-label/package.json', import.meta.url));
const sharp = require('sharp');
const ffmpeg = require('@ffmpeg-installer/ffmpeg').path;
const cli = new URL('../packages/cli/dist/cli.js', import.meta.url).pathname;

const PRODUCER = '001191440300708461136T1XGW3';
const rows = [];
const row = (what, figure, target, met) => rows.push({ what, figure, target, met: met === undefined ? '' : met ? 'met' : 'MISSED' });
const work = mkdtempSync(join(tmpdir(), 'aigc-signed-bench-'));
const key = generateSm2KeyPair();
const keyFile = join(work, 'key.pem');
writeFileSync(keyFile, key.privateKeyPem, { mode: 0o600 });
const trust = parseTrustStore(`Producers: ${PRODUCER}\n${key.publicKeyPem}`);

async function timePerFile(fn, minimumMs = 3000) {
  for (let i = 0; i < 10; i++) await fn(i);
  let count = 0;
  const start = performance.now();
  while (performance.now() - start < minimumMs) await fn(count++);
  return (performance.now() - start) / count;
}

try {
  // 1. Small JPEG.
  {
    const jpeg = join(work, 'small.jpg');
    await sharp({ create: { width: 640, height: 480, channels: 3, background: '#7a9' } })
      .jpeg()
      .toFile(jpeg);
    const out = join(work, 'small-out');
    const options = { producer: PRODUCER, explicit: false, outDir: out };
    const plain = await timePerFile(() => labelFile(jpeg, options));
    const signed = await timePerFile(() => labelFile(jpeg, { ...options, signKey: keyFile }));
    const signedFile = join(out, 'small.jpg');
    const verify = await timePerFile(async () => {
      const report = await detectFile(signedFile, { trust });
      if (report.signatures[0].verdict !== 'verified') throw new Error(report.signatures[0].detail);
    });
    await labelFile(jpeg, options);
    const unsignedDetect = await timePerFile(() => detectFile(signedFile, { trust }));
    const kib = (statSync(jpeg).size / 1024).toFixed(0);
    row(
      `JPEG ${kib} KiB: label with --sign-key`,
      `${signed.toFixed(2)} ms/file (unsigned ${plain.toFixed(2)} ms: +${(signed - plain).toFixed(2)} ms)`,
      'signing adds ≤ 10 ms',
      signed - plain <= 10,
    );
    row(
      `JPEG ${kib} KiB: detect with verdicts`,
      `${verify.toFixed(2)} ms/file (unsigned label ${unsignedDetect.toFixed(2)} ms: +${(verify - unsignedDetect).toFixed(2)} ms)`,
      'verifying adds ≤ 20 ms',
      verify - unsignedDetect <= 20,
    );
  }

  // 2. Large MP4: a real clip, moov first, and a generated second mdat.
  {
    const mib = Number(process.env.SIGNED_BENCH_MP4_MIB ?? 1024);
    const clip = join(work, 'clip.mp4');
    execFileSync(ffmpeg, [
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      'testsrc=size=320x240:rate=25:d=2',
      '-pix_fmt',
      'yuv420p',
      '-movflags',
      '+faststart',
      clip,
    ]);
    const big = join(work, 'big.mp4');
    const fd = openSync(big, 'w');
    writeSync(fd, readFileSync(clip));
    const payload = mib * MB;
    const header = new Uint8Array(16);
    const view = new DataView(header.buffer);
    view.setUint32(0, 1);
    header.set(new TextEncoder().encode('mdat'), 4);
    view.setBigUint64(8, BigInt(payload + 16));
    writeSync(fd, header);
    const block = new Uint8Array(16 * MB).map((_, i) => (i * 2654435761) >>> 24);
    for (let done = 0; done < payload; done += block.length) writeSync(fd, block, 0, Math.min(block.length, payload - done));
    closeSync(fd);
    const size = statSync(big).size;
    const out = join(work, 'big-out');
    let start = performance.now();
    await labelFile(big, { producer: PRODUCER, explicit: false, outDir: out });
    const plain = (performance.now() - start) / 1000;
    start = performance.now();
    await labelFile(big, { producer: PRODUCER, explicit: false, outDir: out, signKey: keyFile });
    const signed = (performance.now() - start) / 1000;
    start = performance.now();
    const report = await detectFile(join(out, 'big.mp4'), { trust });
    const verify = (performance.now() - start) / 1000;
    if (report.signatures[0].verdict !== 'verified') throw new Error(report.signatures[0].detail);
    const gib = (size / 1024 / MB).toFixed(2);
    row(
      `MP4 ${gib} GiB: label with --sign-key`,
      `${signed.toFixed(1)} s (unsigned ${plain.toFixed(1)} s; binding hashed before and after writing)`,
      'informative',
    );
    const rate = size / MB / verify;
    row(`MP4 ${gib} GiB: detect, binding verified`, `${verify.toFixed(1)} s = ${rate.toFixed(0)} MB/s`, '≥ 200 MB/s', rate >= 200);
  }

  // 3. Operations log in a 4-thread batch.
  {
    const files = Number(process.env.SIGNED_BENCH_FILES ?? 400);
    const input = join(work, 'batch');
    mkdirSync(input);
    for (let i = 0; i < files; i++) {
      const background = { r: i % 256, g: (i * 7) % 256, b: (i * 13) % 256 };
      await sharp({ create: { width: 32, height: 32, channels: 3, background } })
        .png()
        .toFile(join(input, `${i}.png`));
    }
    const batch = (extra, name) => {
      const start = performance.now();
      try {
        execFileSync(
          process.execPath,
          [cli, 'label', input, '-p', PRODUCER, '--no-explicit', '-o', join(work, name), '-j', '4', '--json', ...extra],
          {
            stdio: ['ignore', 'ignore', 'pipe'],
          },
        );
      } catch (error) {
        throw new Error(`the batch failed: ${String(error.stderr).slice(0, 2000)}`);
      }
      return files / ((performance.now() - start) / 1000);
    };
    const without = batch([], 'plain');
    const log = join(work, 'ops.log');
    const withLog = batch(['--log', log], 'logged');
    const signedWithLog = batch(['--log', join(work, 'ops-signed.log'), '--sign-key', keyFile], 'signed');
    const lines = readFileSync(log, 'utf8').trim().split('\n').length;
    if (lines !== files) throw new Error(`the log has ${lines} lines for ${files} files`);
    row(
      `label batch, ${files} PNGs, -j 4, --log`,
      `${withLog.toFixed(0)} lines/s (without --log ${without.toFixed(0)} files/s; signed and logged ${signedWithLog.toFixed(0)} files/s)`,
      '≥ 90% of the rate without --log',
      withLog >= 0.9 * without,
    );
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

console.table(rows);
process.exitCode = rows.some((r) => r.met === 'MISSED') ? 1 : 0;
