#!/usr/bin/env node
/**
 * The demo: label every sample that has a handler into out/, then verify out/ and
 * print the tables. Uses the built CLI exactly as an operator would.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultRegistry, extensionOf } from '../packages/aigc-label/dist/index.js';
import { run } from '../packages/cli/dist/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const samples = readdirSync(join(root, 'samples'))
  .filter((name) => !name.startsWith('.') && name !== 'README.md')
  .sort()
  .map((name) => join('samples', name));
const handled = samples.filter((file) => defaultRegistry.byExtension(extensionOf(file)));
const skipped = samples.filter((file) => !handled.includes(file));
const io = { out: (text) => process.stdout.write(text), err: (text) => process.stderr.write(text) };
process.chdir(root);

console.log(`\n== label: ${handled.length} samples into out/ ==\n`);
const labeled = await run(['label', ...handled, '--producer', '001191440300708461136T1XGW3', '-o', 'out'], io);
console.log('\n== verify out/ ==\n');
const verified = await run(['verify', ...handled.map((file) => join('out', file.slice('samples/'.length)))], io);
if (skipped.length) console.log(`\nno handler yet for: ${skipped.map((f) => f.slice('samples/'.length)).join(', ')}`);
process.exitCode = Math.max(labeled, verified);
