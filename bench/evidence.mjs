/**
 * Evidence readers (packages/evidence): what the traces beyond the label cost on `verify`.
 *
 * 1. Overhead on a typical upload without a manifest (1080p JPEG and PNG, a 10 s 720p MP4): verify
 *    with the default evidence readers against verify with none. Target: at most 1 ms a file (the
 *    walk decides the SDK is not needed; the tests check that gate).
 * 2. A folder with and without C2PA files, each file read then verified in memory, one at a time: 100 unsigned uploads,
 *    then the same with 10 of them replaced by the SDK's signed CA.jpg; against verify without the
 *    readers and against calling the SDK itself (WasmReader.fromBytes) on every file, as an
 *    integration without our walk would. Target: the unsigned folder at least 90% of the
 *    throughput without readers; signed files cost what the SDK costs.
 * 3. The SDK's one-off start-up (wasm compile and init), paid on the first signed file.
 *
 * Environment: EVIDENCE_BENCH_N (files in the folder, default 100).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { verifyBuffer } from '../packages/aigc-label/dist/index.js';

const require = createRequire(import.meta.url);
const count = Number(process.env.EVIDENCE_BENCH_N ?? 100);
const signed = new Uint8Array(readFileSync(new URL('../packages/evidence/test/fixtures/c2pa-rs/CA.jpg', import.meta.url)));

async function picture(format, seed) {
  const width = 1920;
  const height = 1080;
  const raw = Buffer.alloc(width * height * 3);
  let s = seed;
  for (let i = 0; i < raw.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    raw[i] = ((i % (width * 3)) / 12 + (s >>> 27)) & 0xff;
  }
  const image = sharp(raw, { raw: { width, height, channels: 3 } });
  return new Uint8Array(await (format === 'jpeg' ? image.jpeg({ quality: 85 }) : image.png()).toBuffer());
}

function video() {
  const dir = mkdtempSync(join(tmpdir(), 'aigc-bench-evidence-'));
  try {
    const out = join(dir, 'a.mp4');
    const ffmpeg = require('@ffmpeg-installer/ffmpeg').path;
    execFileSync(ffmpeg, [
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      'testsrc=size=1280x720:rate=25:duration=10',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-pix_fmt',
      'yuv420p',
      '-y',
      out,
    ]);
    return new Uint8Array(readFileSync(out));
  } catch {
    return null;
  }
}

/** Median of `runs` timings of `work`, ms. */
async function median(work, runs) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const started = process.hrtime.bigint();
    await work(i);
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

const { default: init, WasmReader } = await import('@contentauth/c2pa-wasm');
await init({ module_or_path: readFileSync(require.resolve('@contentauth/c2pa-wasm/c2pa.wasm')) });
const sdkVerdict = async (bytes, mimeType = 'image/jpeg') => {
  try {
    const reader = await WasmReader.fromBytes(mimeType, bytes, JSON.stringify({ verify: { remote_manifest_fetch: false } }));
    reader.json();
    reader.free();
  } catch {
    // JumbfNotFound: no manifest
  }
};
const rows = [];
const uploads = [
  ['1080p JPEG', 'a.jpg', 'image/jpeg', await picture('jpeg', 1)],
  ['1080p PNG', 'a.png', 'image/png', await picture('png', 2)],
];
const clip = video();
if (clip) uploads.push(['10 s 720p MP4', 'a.mp4', 'video/mp4', clip]);
for (const [name, filename, mimeType, bytes] of uploads) {
  const options = { filename, audible: false };
  for (let i = 0; i < 20; i++) await verifyBuffer(bytes, options);
  const times = { with: [], without: [] };
  for (let i = 0; i < 60; i++) {
    for (const [key, opts] of [
      ['with', options],
      ['without', { ...options, evidenceReaders: [] }],
    ]) {
      const started = process.hrtime.bigint();
      await verifyBuffer(bytes, opts);
      times[key].push(Number(process.hrtime.bigint() - started) / 1e6);
    }
  }
  const mid = (list) => list.sort((a, b) => a - b)[Math.floor(list.length / 2)];
  const withReaders = mid(times.with);
  const without = mid(times.without);
  const sdk = await median(() => sdkVerdict(bytes, mimeType), 20);
  rows.push([`verify ${name} (${(bytes.length / 2 ** 20).toFixed(1)} MB), no manifest`, withReaders, without, withReaders - without, sdk]);
}
console.log('| Upload | verify, ms | without evidence readers, ms | overhead, ms (target ≤ 1) | the SDK alone, ms |');
console.log('| --- | --- | --- | --- | --- |');
for (const [name, a, b, d, sdk] of rows) {
  console.log(`| ${name} | ${a.toFixed(2)} | ${b.toFixed(2)} | ${d.toFixed(2)} ${d <= 1 ? 'met' : 'MISSED'} | ${sdk.toFixed(2)} |`);
}

// The SDK's start-up, measured in a fresh process so nothing above has loaded it.
const startup = execFileSync(process.execPath, [
  '--input-type=module',
  '-e',
  `import { readFileSync } from 'node:fs';
   import { verifyBuffer } from ${JSON.stringify(new URL('../packages/aigc-label/dist/index.js', import.meta.url).href)};
   const bytes = new Uint8Array(readFileSync(${JSON.stringify(new URL('../packages/evidence/test/fixtures/c2pa-rs/CA.jpg', import.meta.url).pathname)}));
   let t = performance.now(); await verifyBuffer(bytes, { filename: 'a.jpg' }); const first = performance.now() - t;
   t = performance.now(); await verifyBuffer(bytes, { filename: 'a.jpg' }); const second = performance.now() - t;
   console.log(JSON.stringify({ first, second }));`,
]).toString();
const { first, second } = JSON.parse(startup);
console.log(
  `\nFirst signed file in a process: ${first.toFixed(0)} ms (SDK start-up ${(first - second).toFixed(0)} ms); the next: ${second.toFixed(0)} ms.\n`,
);

// A folder, verifyFile one at a time, with and without signed files, against the SDK on every file.
const dir = mkdtempSync(join(tmpdir(), 'aigc-bench-evidence-'));
try {
  const plain = [];
  for (let i = 0; i < 4; i++) plain.push(await picture('jpeg', 10 + i));
  const folders = { unsigned: [], mixed: [] };
  for (let i = 0; i < count; i++) {
    const name = join(dir, `u${i}.jpg`);
    writeFileSync(name, plain[i % plain.length]);
    folders.unsigned.push(name);
    const mixedName = join(dir, `m${i}.jpg`);
    writeFileSync(mixedName, i % 10 === 0 ? signed : plain[i % plain.length]);
    folders.mixed.push(mixedName);
  }
  // The three ways take turns file by file, so a busy shared machine slows each alike; the mean
  // rate is the folder's throughput, and the median file time shows it without the stalls.
  const rates = async (works) => {
    const times = works.map(() => []);
    for (let i = 0; i < count; i++) {
      // Each file starts with a different way, so whichever pays for a cold read or a collection varies.
      for (let k = 0; k < works.length; k++) {
        const w = (i + k) % works.length;
        const work = works[w];
        const started = process.hrtime.bigint();
        await work(i);
        times[w].push(Number(process.hrtime.bigint() - started) / 1e6);
      }
    }
    return times.map((list) => ({
      rate: (1000 * count) / list.reduce((a, b) => a + b, 0),
      median: list.sort((a, b) => a - b)[Math.floor(count / 2)],
    }));
  };
  const shown = ({ rate, median }) => `${rate.toFixed(0)} (median ${median.toFixed(2)} ms)`;
  console.log(
    '| Folder (read, then verifyBuffer, one at a time) | verify, files/s | without evidence readers, files/s | SDK on every file, files/s |',
  );
  console.log('| --- | --- | --- | --- |');
  for (const [name, files] of Object.entries(folders)) {
    for (const f of files.slice(0, 10)) await verifyBuffer(new Uint8Array(readFileSync(f)), { filename: f, audible: false });
    const read = (i) => new Uint8Array(readFileSync(files[i]));
    const [ours, bare, sdk] = await rates([
      (i) => verifyBuffer(read(i), { filename: files[i], audible: false }),
      (i) => verifyBuffer(read(i), { filename: files[i], audible: false, evidenceReaders: [] }),
      (i) => sdkVerdict(read(i)),
    ]);
    const target = name === 'unsigned' ? `, target ≥ 90% of without: ${ours.rate >= 0.9 * bare.rate ? 'met' : 'MISSED'}` : '';
    const what = name === 'unsigned' ? 'unsigned 1080p JPEGs' : '1080p JPEGs, 1 in 10 the signed CA.jpg';
    console.log(`| ${count} ${what} | ${shown(ours)}${target} | ${shown(bare)} | ${shown(sdk)} |`);
  }
  const [signedMs, sdkMs] = (
    await rates([() => verifyBuffer(signed, { filename: 'a.jpg', audible: false }), () => sdkVerdict(signed)])
  ).map((r) => r.median);
  console.log(
    `\nSigned CA.jpg (167 KB): verify ${signedMs.toFixed(1)} ms, the SDK alone ${sdkMs.toFixed(1)} ms (median of ${count}, taking turns).`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
