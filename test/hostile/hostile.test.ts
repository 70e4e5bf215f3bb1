/**
 * Hostile input at platform scale (issue 15): every generated worst case, at 1×, 10× and 100×
 * its element count, through detect and label in a child process of its own. Each run must end
 * in a result or a toolkit error (never a RangeError, a hang or an out-of-memory kill), leave the
 * input unchanged and no temporary file behind, stay under 256 MB RSS, and take time that grows
 * at most linearly with the size. Case modules: test/hostile/*.mjs (README.md).
 */
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const here = import.meta.dirname;
const modules = readdirSync(here).filter((f) => f.endsWith('.mjs') && !['build.mjs', 'run-case.mjs'].includes(f));
const PEAK_RSS_MB = 256;
/** A metadata parse has this long, whatever the file; the default `--timeout` (issue 15). */
const BUDGET_MS = 30_000;
// Linear growth: 10× the elements may take up to 25× the time (noise, caches, GC), plus a fixed slack.
const GROWTH = 25;
const SLACK_MS = 300;

interface Step {
  readonly ms: number;
  readonly outcome: string;
  readonly message: string;
}
interface CaseRun {
  readonly results: { n: number; bytes: number; detect: Step; label: Step; unchanged: boolean; temporaryLeft: boolean }[];
  readonly maxRssMb: number;
}

const run = promisify(execFile);

for (const module of modules) {
  const { cases } = (await import(join(here, module))) as { cases: { id: string }[] };
  describe(`hostile ${module}`, () => {
    it.each(cases.map((c) => [c.id]))('%s', async (id) => {
      const { stdout } = await run(process.execPath, [join(here, 'run-case.mjs'), join(here, module), id], {
        timeout: 4 * BUDGET_MS,
        maxBuffer: 1024 * 1024,
      });
      const result = JSON.parse(stdout) as CaseRun;
      const described = JSON.stringify(result.results.map((r) => ({ n: r.n, detect: r.detect, label: r.label })));
      expect(result.maxRssMb, described).toBeLessThan(PEAK_RSS_MB);
      for (const r of result.results) {
        for (const step of [r.detect, r.label]) {
          expect(step.outcome, `${r.n}: ${step.message}`).not.toMatch(/^crash/);
          expect(step.ms, `${r.n}`).toBeLessThan(BUDGET_MS);
        }
        expect(r.unchanged, `${r.n}: input changed`).toBe(true);
        expect(r.temporaryLeft, `${r.n}: temporary file left`).toBe(false);
      }
      const [, ten, hundred] = result.results;
      if (ten && hundred) {
        for (const step of ['detect', 'label'] as const) {
          expect(hundred[step].ms, `${step}: ${described}`).toBeLessThan(GROWTH * ten[step].ms + SLACK_MS);
        }
      }
    });
  });
}
