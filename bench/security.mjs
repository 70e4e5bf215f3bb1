/**
 * Signed labels on the built packages:
 *
 * 1. SM2 sign and verify (SM3withSM2, ID 1234567812345678), ours beside sm-crypto-v2 in the
 *    same run; target: no slower than sm-crypto-v2 (the field notes measured it at 3 ms to
 *    sign, 9-13 ms to verify). Then per file: `signSecurityData` with a content binding
 *    (two signatures) and `verifyReservedField` (two verifications and the binding digest)
 *    for a small label over 64 KiB of content.
 * 2. Content binding: `digestRegions` over a 1 GiB file read through the facade's file
 *    source, as 1,024 ranges with gaps; target at least 200 MB/s, memory flat. Node's SM3
 *    over one in-memory buffer is printed as the ceiling.
 * 3. Operations log: lines/s from 4 worker threads appending to one log (lock, O_APPEND,
 *    fsync), each keeping 8 appends in flight as a batch worker keeps files in flight, and
 *    awaiting each line; target at least 1,300 lines/s (the metadata-only label batch rate,
 *    so the log never slows a batch).
 *
 * Environment: SECURITY_BENCH_GIB (binding file size in GiB, default 1),
 * SECURITY_BENCH_LINES (log lines per worker, default 500).
 */
import { createHash } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

const MB = 1024 * 1024;
const dist = (path) => new URL(`../packages/${path}`, import.meta.url).href;

if (!isMainThread) {
  const { OperationsLog } = await import(dist('aigc-label/dist/operations-log.js'));
  const { path, writer, lines, inFlight } = workerData;
  const log = new OperationsLog(path);
  parentPort.postMessage('ready');
  const record = (i) => ({
    operation: 'label',
    input: `in/${writer}-${i}.png`,
    inputSm3: '11'.repeat(32),
    outputSm3: '22'.repeat(32),
    label: {
      Label: '1',
      ContentProducer: 'p',
      ProduceID: `${writer}-${i}`,
      ReservedCode1: '',
      ContentPropagator: 'p',
      PropagateID: `${writer}-${i}`,
      ReservedCode2: '',
    },
    explicit: { added: false, reason: 'user-request' },
    signerKeyId: null,
  });
  // Start together, after every worker has loaded: start-up is not the log's cost.
  await new Promise((resolve) => parentPort.once('message', resolve));
  let next = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < lines) await log.append(record(next++));
    }),
  );
  parentPort.postMessage('done');
  process.exit(0);
}

const security = await import(dist('security/dist/index.js'));
const { createLabel, bytesSource } = await import(dist('core/dist/index.js'));
const { openFileSource } = await import(dist('aigc-label/dist/file-io.js'));
const { sm2: smCryptoV2 } = await import('sm-crypto-v2');
const rows = [];
const row = (what, figure, target, met) => rows.push({ what, figure, target, met: met === undefined ? '' : met ? 'met' : 'MISSED' });

function timePerOp(fn, minimumMs = 1500) {
  for (let i = 0; i < 20; i++) fn(i);
  let count = 0;
  const start = performance.now();
  while (performance.now() - start < minimumMs) fn(count++);
  return (performance.now() - start) / count;
}
async function timePerOpAsync(fn, minimumMs = 1500) {
  for (let i = 0; i < 20; i++) await fn(i);
  let count = 0;
  const start = performance.now();
  while (performance.now() - start < minimumMs) await fn(count++);
  return (performance.now() - start) / count;
}

// 1. Signatures.
{
  const key = security.Sm2PrivateKey.generate();
  const message = new TextEncoder().encode(
    '"Label":"1","ContentProducer":"001191440300708461136T1XGW3","ProduceID":"0195f3a2-0000-7000-8000-000000000001"',
  );
  const signature = key.sign(message);
  const ourSign = timePerOp(() => key.sign(message));
  const ourVerify = timePerOp(() => key.publicKey.verify(message, signature));
  if (smCryptoV2.initRNGPool) await smCryptoV2.initRNGPool();
  const pair = smCryptoV2.generateKeyPairHex();
  const text = new TextDecoder().decode(message);
  const theirSignature = smCryptoV2.doSignature(text, pair.privateKey, { hash: true, der: true });
  if (!smCryptoV2.doVerifySignature(text, theirSignature, pair.publicKey, { hash: true, der: true }))
    throw new Error('sm-crypto-v2 did not verify itself');
  const theirSign = timePerOp(() => smCryptoV2.doSignature(text, pair.privateKey, { hash: true, der: true }));
  const theirVerify = timePerOp(() => smCryptoV2.doVerifySignature(text, theirSignature, pair.publicKey, { hash: true, der: true }));
  row(
    'SM2 sign, one signature',
    `${ourSign.toFixed(2)} ms (sm-crypto-v2 ${theirSign.toFixed(2)} ms)`,
    '≤ sm-crypto-v2',
    ourSign <= theirSign * 1.05,
  );
  row(
    'SM2 verify, one signature',
    `${ourVerify.toFixed(2)} ms (sm-crypto-v2 ${theirVerify.toFixed(2)} ms)`,
    '≤ sm-crypto-v2',
    ourVerify <= theirVerify * 1.05,
  );

  const signer = security.localSigner(key);
  const content = new Uint8Array(64 * 1024).map((_, i) => (i * 2654435761) >>> 24);
  const source = bytesSource(content);
  const regions = { scheme: 'bench/content@1', ranges: [{ from: 0, length: content.length }] };
  const trust = security.parseTrustStore(`Producers: 001191440300708461136T1XGW3\n${key.publicKey.pem()}`);
  let label;
  const signMs = await timePerOpAsync(async (i) => {
    const unsigned = createLabel({ producer: '001191440300708461136T1XGW3', produceId: `bench-${i}` });
    const digest = await security.digestRegions(source, regions);
    label = {
      ...unsigned,
      ReservedCode1: await security.signSecurityData(unsigned, {
        field: 'ReservedCode1',
        signer,
        binding: { scheme: regions.scheme, digest },
      }),
    };
  });
  const contentDigest = (scheme) => (scheme === regions.scheme ? security.digestRegions(source, regions) : null);
  const verifyMs = await timePerOpAsync(async () => {
    const verdict = await security.verifyReservedField(label, 'ReservedCode1', { trust, contentDigest });
    if (verdict.verdict !== 'verified') throw new Error(`bench label: ${verdict.detail}`);
  });
  row('label + 64 KiB binding: sign (digest, 2 signatures)', `${signMs.toFixed(2)} ms/file`, '≤ 10 ms/file', signMs <= 10);
  row('label + 64 KiB binding: verify (2 verifications, digest)', `${verifyMs.toFixed(2)} ms/file`, '≤ 20 ms/file', verifyMs <= 20);
}

// 2. Content binding over a 1 GiB file.
const work = mkdtempSync(join(tmpdir(), 'aigc-security-bench-'));
try {
  const size = Math.round(Number(process.env.SECURITY_BENCH_GIB ?? 1) * 1024) * MB;
  const path = join(work, 'content.bin');
  const block = new Uint8Array(16 * MB).map((_, i) => (i * 2654435761) >>> 24);
  const fd = openSync(path, 'w');
  for (let done = 0; done < size; done += block.length) writeSync(fd, block, 0, Math.min(block.length, size - done));
  closeSync(fd);
  // 1,024 ranges, each leaving a 4 KiB gap (where a label carrier would be).
  const step = size / 1024;
  const ranges = Array.from({ length: 1024 }, (_, i) => ({ from: i * step, length: step - 4096 }));
  const hashed = ranges.reduce((sum, r) => sum + r.length, 0);
  const { source, close } = await openFileSource(path);
  await security.digestRegions(source, { scheme: 'bench/ranges@1', ranges: ranges.slice(0, 16) }); // warm-up
  const rssBefore = process.memoryUsage().rss;
  let start = performance.now();
  await security.digestRegions(source, { scheme: 'bench/ranges@1', ranges });
  const seconds = (performance.now() - start) / 1000;
  const rssGrowth = (process.memoryUsage().rss - rssBefore) / MB;
  await close();
  start = performance.now();
  for (let done = 0; done < hashed; done += block.length) createHash('sm3').update(block).digest();
  const ceiling = hashed / MB / ((performance.now() - start) / 1000);
  const rate = hashed / MB / seconds;
  row(
    `SM3 content binding, ${size / MB / 1024} GiB file, 1,024 ranges`,
    `${rate.toFixed(0)} MB/s (Node SM3 in memory: ${ceiling.toFixed(0)} MB/s), RSS +${rssGrowth.toFixed(0)} MB`,
    '≥ 200 MB/s, flat memory',
    rate >= 200 && rssGrowth < 64,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}

// 3. Operations log from 4 worker threads.
{
  const lines = Number(process.env.SECURITY_BENCH_LINES ?? 500);
  for (const inFlight of [32, 8, 1]) {
    const dir = mkdtempSync(join(tmpdir(), 'aigc-oplog-bench-'));
    const path = join(dir, 'operations.jsonl');
    const workers = [0, 1, 2, 3].map((writer) => new Worker(new URL(import.meta.url), { workerData: { path, writer, lines, inFlight } }));
    const finished = (worker, wanted) =>
      new Promise((resolve, reject) => {
        worker.once('message', (message) => (message === wanted ? resolve() : reject(new Error(String(message)))));
        worker.once('error', reject);
      });
    await Promise.all(workers.map((worker) => finished(worker, 'ready')));
    const start = performance.now();
    const done = workers.map((worker) => finished(worker, 'done'));
    for (const worker of workers) worker.postMessage('go');
    await Promise.all(done);
    const perSecond = (4 * lines) / ((performance.now() - start) / 1000);
    const chain = security.verifyLogChain(readFileSync(path, 'utf8'));
    if (!chain.ok || chain.lines !== 4 * lines) throw new Error(`log chain broken: ${JSON.stringify(chain)}`);
    row(
      `operations log, 4 worker threads, ${inFlight} append${inFlight > 1 ? 's' : ''} in flight each`,
      `${perSecond.toFixed(0)} lines/s (chain verified)`,
      inFlight > 1 ? '≥ 1,300 lines/s' : 'informative',
      inFlight > 1 ? perSecond >= 1300 : undefined,
    );
    rmSync(dir, { recursive: true, force: true });
  }
}

console.table(rows);
process.exitCode = rows.some((r) => r.met === 'MISSED') ? 1 : 0;
