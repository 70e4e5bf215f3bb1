#!/usr/bin/env node
/**
 * Runs one hostile case in this process at each of its sizes, through the built library's
 * detectFile and labelFile (metadata only), and prints one JSON object: per size the time of
 * each, what came out (ok, or the error's name), whether the input stayed the same and whether
 * a temporary file was left; and the peak RSS of the process.
 * Usage: node run-case.mjs <case module> <case id>
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { detectFile, labelFile } from '../../packages/aigc-label/dist/index.js';

const [modulePath, id] = process.argv.slice(2);
const { cases } = await import(resolve(modulePath));
const hostile = cases.find((c) => c.id === id);
if (!hostile) throw new Error(`no case ${id} in ${modulePath}`);

const TOOLKIT_ERRORS = new Set([
  'UnknownFormatError',
  'UnsupportedFormatError',
  'MalformedInputError',
  'LimitExceededError',
  'UnsafeXmlError',
  'InvalidLabelError',
  'LabelConflictError',
  'WriteVerificationError',
  'UsageError',
  'FileError',
]);

async function timed(work) {
  const started = process.hrtime.bigint();
  let outcome = 'ok';
  let message = '';
  try {
    await work();
  } catch (error) {
    outcome = TOOLKIT_ERRORS.has(error?.name) ? error.name : `crash:${error?.name ?? typeof error}`;
    message = String(error?.message ?? error).slice(0, 300);
  }
  return { ms: Number(process.hrtime.bigint() - started) / 1e6, outcome, message };
}

const digest = (bytes) => createHash('sha256').update(bytes).digest('hex');
/** The file's digest, streamed: the harness must not hold a second copy of a big input. */
async function digestFile(path) {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk);
  return hash.digest('hex');
}
const dir = await mkdtemp(join(tmpdir(), 'aigc-hostile-'));
const results = [];
try {
  for (const n of hostile.sizes) {
    let bytes = hostile.build(n);
    const input = join(dir, `${n}-${hostile.filename}`);
    await writeFile(input, bytes);
    const before = digest(bytes);
    const size = bytes.length;
    bytes = null; // only the library's own memory counts from here
    const detect = await timed(() => detectFile(input, { audible: false, ocr: false }));
    const label = await timed(() => labelFile(input, { producer: 'hostile-test', explicit: false, outDir: join(dir, 'out') }));
    const unchanged = (await digestFile(input)) === before;
    const names = [...(await readdir(dir)), ...(await readdir(join(dir, 'out')).catch(() => []))];
    const temporaryLeft = names.some((name) => name.includes('.aigc-label-'));
    results.push({ n, bytes: size, detect, label, unchanged, temporaryLeft });
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
console.log(JSON.stringify({ id, results, maxRssMb: process.resourceUsage().maxRSS / 1024 }));
