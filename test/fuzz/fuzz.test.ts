/**
 * The short fuzz run (issue 15 item 3; `pnpm test:fuzz`, about a minute): every target of
 * targets.mjs for FUZZ_MS milliseconds (default 600) with a fixed seed (FUZZ_SEED to change
 * it), then every saved regression input (regressions/<target>/<file>) through its target.
 * A finding that is not in KNOWN_FINDINGS fails; the known ones are printed with their counts,
 * and their shrunk reproducers (known/<target>/<file>) run strictly as known bugs (`it.fails`):
 * when a fix lands, move the file to regressions/ and drop the KNOWN_FINDINGS entry.
 * The long local run is `pnpm fuzz` (fuzz.mjs).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fuzzTarget } from './fuzz.mjs';
import { describeInput, targets } from './targets.mjs';

interface Target {
  readonly name: string;
  readonly run: (input: unknown) => Promise<void>;
}

const MS = Number(process.env.FUZZ_MS ?? 600);
const SEED = Number(process.env.FUZZ_SEED ?? 2026);
const known = new Map<string, number>();
const list = (await targets({
  onSoftFinding: (target: string, message: string) => {
    const key = `${target}: ${message.slice(0, 120)}`;
    known.set(key, (known.get(key) ?? 0) + 1);
  },
})) as Target[];
const strictList = (await targets({ strict: true })) as Target[];
const regressionsDir = join(import.meta.dirname, 'regressions');
const knownDir = join(import.meta.dirname, 'known');
/** The saved inputs under `dir`: [target name, file name, input]. */
function saved(dir: string): [string, string, Uint8Array | string][] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((folder) =>
    readdirSync(join(dir, folder)).map((file): [string, string, Uint8Array | string] => {
      const bytes = readFileSync(join(dir, folder, file));
      return [folder.replace('-', ':'), file, file.endsWith('.txt') ? bytes.toString('utf8') : new Uint8Array(bytes)];
    }),
  );
}

describe('fuzz', () => {
  it(`every target for ${MS} ms, seed ${SEED}`, { timeout: 600_000 }, async () => {
    const findings: string[] = [];
    let runs = 0;
    const started = performance.now();
    for (const target of list) {
      const result = await fuzzTarget(target, { ms: MS, seed: SEED });
      runs += result.runs;
      if (result.failure) findings.push(`${target.name}: ${result.failure.error}\n  ${describeInput(result.failure.input).slice(0, 600)}`);
    }
    console.log(`${runs} executions in ${((performance.now() - started) / 1000).toFixed(0)} s over ${list.length} targets, seed ${SEED}`);
    for (const [what, count] of known) console.log(`known finding (${count}×) ${what}`);
    expect(findings).toEqual([]);
  });

  for (const [name, file, input] of saved(regressionsDir)) {
    it(`regression ${name} ${file}`, async () => {
      const target = strictList.find((t) => t.name === name);
      expect(target, `no target ${name}`).toBeDefined();
      await target?.run(input);
    });
  }
  for (const [name, file, input] of saved(knownDir)) {
    it.fails(`known bug (fuzz finding, KNOWN_FINDINGS) ${name} ${file}`, async () => {
      const target = strictList.find((t) => t.name === name);
      if (!target) return; // no such target: not a failure, so it.fails reports it
      await target.run(input);
    });
  }
});
