/**
 * Shared harness for the large-file metadata benches (audio-metadata, video-metadata):
 * the copy baselines, the facade case, and a runner that times each case in its own
 * child process (so its peak RSS is its own), best of 2, and prints the table.
 */
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { copyFile, open } from 'node:fs/promises';

const chunkSize = 4 * 1024 * 1024;
export const producer = '001191440300708461136T1XGW3';

/** Copy by reading and writing 4 MiB chunks, as a plan stream does; fsync like `labelFile({ durable: true })`. */
export async function streamedCopy(input, output) {
  const from = await open(input, 'r');
  const to = await open(output, 'w');
  const buffer = Buffer.alloc(chunkSize);
  for (let offset = 0; ; ) {
    const { bytesRead } = await from.read(buffer, 0, chunkSize, offset);
    if (bytesRead === 0) break;
    await to.write(buffer, 0, bytesRead);
    offset += bytesRead;
  }
  await to.sync();
  await Promise.all([from.close(), to.close()]);
}

export async function kernelCopy(input, output) {
  await copyFile(input, output);
  const to = await open(output, 'r+');
  await to.sync();
  await to.close();
}

/** The metadata label through the facade's `labelFile`, fsynced like the copies. */
export const facadeLabel = (format) => async () => {
  const { labelFile } = await import('../../packages/aigc-label/dist/index.js');
  return async (input, output) => {
    const report = await labelFile(input, { output, producer, produceId: 'bench-0001', explicit: false, durable: true });
    if (report.format !== format) throw new Error(`labeled as ${report.format}, not ${format}`);
  };
};

/** In a child process: load one case (untimed), run it, print time and memory as JSON. */
export async function runCaseInChild(cases, name, input, output) {
  const run = await cases[name]();
  const loadedRssMb = process.memoryUsage().rss / 1048576;
  const start = process.hrtime.bigint();
  await run(input, output);
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  process.stdout.write(JSON.stringify({ ms, loadedRssMb, peakRssMb: process.resourceUsage().maxRSS / 1024 }));
}

export function runChild(script, name, input, output) {
  const result = spawnSync(process.execPath, [script, '--child', name, input, output], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${name} failed: ${result.stderr}`);
  return JSON.parse(result.stdout);
}

/** Best of 2 per case; `inputFor(name)` picks the case's input (e.g. a labeled file for a read case). */
export function measure(script, cases, inputFor, output) {
  return Object.keys(cases).map((name) => {
    const runs = [0, 1].map(() => {
      const r = runChild(script, name, inputFor(name), output);
      rmSync(output, { force: true });
      return r;
    });
    return {
      name,
      ms: Math.min(...runs.map((r) => r.ms)),
      loadedRssMb: Math.max(...runs.map((r) => r.loadedRssMb)),
      peakRssMb: Math.max(...runs.map((r) => r.peakRssMb)),
    };
  });
}

/** Prints the table and the verdict for the label row; returns whether the targets were met. */
export function report(title, sizeMb, rows) {
  const copy = rows.find((r) => r.name === 'streamed copy').ms;
  const kernel = rows.find((r) => r.name === 'kernel copyFile').ms;
  console.log(`${title}, ${sizeMb} MiB file (best of 2, each case in its own process)\n`);
  console.log('| case | time (ms) | MiB/s | vs streamed copy | vs copyFile | RSS after loading (MB) | peak RSS (MB) |');
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    const rate = r.name.startsWith('read') ? '—' : (sizeMb / (r.ms / 1000)).toFixed(0);
    console.log(
      `| ${r.name} | ${r.ms.toFixed(r.ms < 100 ? 1 : 0)} | ${rate} | ${(r.ms / copy).toFixed(2)}x | ${(r.ms / kernel).toFixed(2)}x | ${r.loadedRssMb.toFixed(0)} | ${r.peakRssMb.toFixed(0)} |`,
    );
  }
  const label = rows.find((r) => r.name === 'label (facade labelFile)');
  const timeOk = label.ms <= 1.5 * copy;
  const memoryOk = label.peakRssMb < 100;
  console.log(
    `\ntargets (module loading not timed): label ≤ 1.5x streamed copy ${timeOk ? 'met' : 'MISSED'} (${(label.ms / copy).toFixed(2)}x); ` +
      `peak RSS < 100 MB ${memoryOk ? 'met' : 'MISSED'} (${label.peakRssMb.toFixed(0)} MB)`,
  );
  return timeOk && memoryOk;
}
