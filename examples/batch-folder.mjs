#!/usr/bin/env node
/**
 * An operator's batch run over a folder: verify everything, write a JSON Lines
 * report, and run again with --resume (nothing is redone). Uses the CLI exactly
 * as `aigc-label verify DIR --report r.jsonl` would.
 * Run after `pnpm samples`: node examples/batch-folder.mjs [folder]
 */
import { rm } from 'node:fs/promises';
import { run } from '@aigc-label/cli';

const folder = process.argv[2] ?? 'samples';
const report = 'out/batch-report.jsonl';
await rm(report, { force: true });
const io = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) };

console.log(`== aigc-label verify ${folder} --report ${report} ==`);
await run(['verify', folder, '--report', report, '--exclude', 'README.md'], io);
console.log(`\n== again with --resume ==`);
await run(['verify', folder, '--report', report, '--resume', '--exclude', 'README.md'], io);
