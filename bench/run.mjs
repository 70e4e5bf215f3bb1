#!/usr/bin/env node
/**
 * `pnpm bench`: runs every bench/*.mjs in turn (or those named on the command line,
 * e.g. `pnpm bench image-metadata`). Each prints its own table of figures and
 * ratios. Targets live here, never in timed unit tests; run on a quiet machine.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2);
const benches = readdirSync(here)
  .filter((f) => f.endsWith('.mjs') && f !== 'run.mjs')
  .filter((f) => wanted.length === 0 || wanted.includes(f.replace(/\.mjs$/, '')))
  .sort();
let failed = 0;
for (const bench of benches) {
  console.log(`\n### ${bench.replace(/\.mjs$/, '')}\n`);
  const result = spawnSync(process.execPath, ['--expose-gc', join(here, bench)], { stdio: 'inherit' });
  if (result.status !== 0) failed++;
}
process.exitCode = failed ? 1 : 0;
