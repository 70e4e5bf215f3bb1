#!/usr/bin/env node
/**
 * Batch throughput: a generated folder of ≥2,000 mixed files (every sample format
 * that has a handler, copied round-robin), `verify` and `label` (metadata only)
 * through the CLI (metadata only: --no-rhythm, --no-explicit) with 1 and 2 workers, files per second and peak RSS; ExifTool
 * reading the same folder (`exiftool -j -r`) beside it when installed.
 * Targets (2-core machine): verify ≥ 1,000 files/s, label ≥ 500 files/s.
 * "workers" is -j: with -j 2 this thread runs files while one worker thread loads, then both do.
 * On a 2-core VM one thread already keeps about 1.4 cores busy (V8's compiler and GC
 * threads, and the kernel creating and renaming files), so a second adds little; the CPU
 * column shows it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mixedFolder } from './lib/mixed-folder.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const count = Number(process.env.BENCH_FILES ?? 2000);
const { work, folder, formats } = await mixedFolder('aigc-bench-batch-', count);

/** Runs the CLI in a fresh process and reports wall time and that process's peak RSS. */
function cli(args) {
  const script = `
    const { run } = await import(${JSON.stringify(join(root, 'packages', 'cli', 'dist', 'index.js'))});
    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    const code = await run(${JSON.stringify(args)}, { out: () => {}, err: () => {} });
    const ms = performance.now() - started;
    const cpu = process.cpuUsage(cpuBefore);
    console.log(JSON.stringify({ code, ms, cpuMs: (cpu.user + cpu.system) / 1000, rss: process.resourceUsage().maxRSS * 1024 }));`;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(result.stderr);
  return JSON.parse(result.stdout.trim().split('\n').pop());
}

const rows = [];
for (const workers of [1, 2]) {
  const verify = cli(['verify', folder, '-j', String(workers), '--no-progress', '--no-rhythm']);
  rows.push(['verify', workers, verify]);
  const out = join(work, `out-${workers}`);
  const label = cli([
    'label',
    folder,
    '--producer',
    '001191440300708461136T1XGW3',
    '--no-explicit',
    '-o',
    out,
    '-j',
    String(workers),
    '--no-progress',
  ]);
  rows.push(['label', workers, label]);
  rmSync(out, { recursive: true, force: true });
}

let exiftool = null;
if (existsSync('/usr/bin/exiftool')) {
  const started = performance.now();
  spawnSync('/usr/bin/exiftool', ['-j', '-r', '-q', '-q', folder], { maxBuffer: 1 << 30 });
  exiftool = performance.now() - started;
}

console.log(`${count} files (${formats}) in ${folder}\n`);
// CPU is the whole process's (every thread) over the wall time: 100% is one core's worth.
console.log('verb    workers  files/s  ms total  CPU %  peak RSS MB  target');
for (const [verb, workers, r] of rows) {
  const rate = (count / r.ms) * 1000;
  const target = verb === 'verify' ? 1000 : 500;
  console.log(
    `${verb.padEnd(8)}${String(workers).padStart(7)}  ${rate.toFixed(0).padStart(7)}  ${r.ms.toFixed(0).padStart(8)}  ${((100 * r.cpuMs) / r.ms).toFixed(0).padStart(5)}  ${(r.rss / 1e6).toFixed(0).padStart(11)}  ≥${target} ${rate >= target ? 'met' : 'MISSED'}`,
  );
}
if (exiftool !== null) {
  const verify2 = rows.find(([v, w]) => v === 'verify' && w === 2)[2];
  console.log(
    `\nexiftool -j -r: ${((count / exiftool) * 1000).toFixed(0)} files/s (${exiftool.toFixed(0)} ms); aigc-label verify (2 workers) is ${(exiftool / verify2.ms).toFixed(1)}x faster`,
  );
} else {
  console.log('\nexiftool not installed: no comparison');
}
rmSync(work, { recursive: true, force: true });
