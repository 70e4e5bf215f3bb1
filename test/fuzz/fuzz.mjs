#!/usr/bin/env node
/**
 * Runs the fuzz targets (targets.mjs) with fast-check against the built packages.
 *
 *   pnpm fuzz                                   every target, 60 s each (a long local run)
 *   node test/fuzz/fuzz.mjs --seconds 5         every target, 5 s each
 *   node test/fuzz/fuzz.mjs --target read:png   the targets whose name starts with read:png
 *   node test/fuzz/fuzz.mjs --seed 42           a fixed seed (default: from the clock, printed)
 *   node test/fuzz/fuzz.mjs --strict            the known findings (targets.mjs KNOWN_FINDINGS) fail too
 *
 * A failure is shrunk to a small input, printed, and saved under test/fuzz/findings/ (not
 * committed) with the seed and path to replay it; fix it and add the input to regressions/.
 * Prints, per target, the executions and the time, and the totals.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describeInput, targets } from './targets.mjs';

const argument = (name, fallback) => {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? process.argv[at + 1] : fallback;
};

/**
 * Runs one target for `ms`: `{ name, runs, ms, failure }`, the failure being the shrunk
 * counterexample's description and the error, or null.
 */
export async function fuzzTarget(target, { ms, seed }) {
  const started = performance.now();
  const result = await fc.check(
    fc.asyncProperty(target.arbitrary, async (input) => {
      await target.run(input);
    }),
    { numRuns: Number.MAX_SAFE_INTEGER, interruptAfterTimeLimit: ms, markInterruptAsFailure: false, seed },
  );
  const failure = result.failed
    ? {
        input: result.counterexample?.[0],
        error: String(result.errorInstance?.message ?? result.errorInstance).split('\n')[0],
        seed: result.seed,
        path: result.counterexamplePath,
      }
    : null;
  return { name: target.name, runs: result.numRuns, ms: performance.now() - started, failure };
}

if (process.argv[1] === import.meta.filename) {
  const seconds = Number(argument('seconds', 60));
  const prefix = argument('target', '');
  const seed = Number(argument('seed', Date.now() % 2 ** 31));
  const soft = new Map();
  const onSoftFinding = (target, message, input) => {
    const entry = soft.get(target) ?? { count: 0, message, input };
    entry.count++;
    soft.set(target, entry);
  };
  const chosen = (await targets({ strict: process.argv.includes('--strict'), onSoftFinding })).filter((t) => t.name.startsWith(prefix));
  console.log(`${chosen.length} targets, ${seconds} s each, seed ${seed}`);
  const findingsDir = join(import.meta.dirname, 'findings');
  let runs = 0;
  let failures = 0;
  const started = performance.now();
  for (const target of chosen) {
    const result = await fuzzTarget(target, { ms: seconds * 1000, seed });
    runs += result.runs;
    const line = `${target.name.padEnd(22)} ${String(result.runs).padStart(8)} runs  ${(result.ms / 1000).toFixed(1).padStart(6)} s`;
    if (!result.failure) {
      console.log(line);
      continue;
    }
    failures++;
    console.log(`${line}  FINDING: ${result.failure.error}`);
    console.log(`  input: ${describeInput(result.failure.input)}`);
    console.log(`  replay: --target ${target.name} --seed ${result.failure.seed} (path ${result.failure.path})`);
    mkdirSync(findingsDir, { recursive: true });
    const base = join(findingsDir, `${target.name.replace(':', '-')}-${result.failure.seed}`);
    const input = result.failure.input;
    writeFileSync(`${base}.${typeof input === 'string' ? 'txt' : 'bin'}`, input ?? '');
    writeFileSync(`${base}.error.txt`, `${result.failure.error}\nseed ${result.failure.seed} path ${result.failure.path}\n`);
  }
  for (const [target, { count, message, input }] of soft) {
    console.log(`known finding ${target}: ${count}× ${message}; first input: ${describeInput(input).slice(0, 300)}`);
    mkdirSync(findingsDir, { recursive: true });
    writeFileSync(join(findingsDir, `known-${target.replace(':', '-')}-${seed}.${typeof input === 'string' ? 'txt' : 'bin'}`), input);
  }
  const total = (performance.now() - started) / 1000;
  console.log(`${runs} executions in ${total.toFixed(0)} s over ${chosen.length} targets; ${failures} with a finding`);
  process.exitCode = failures ? 1 : 0;
}
