#!/usr/bin/env node
/**
 * Runs one corpus file through the built library's `verifyFile` and compares what it reports
 * with the expectation: the outcome (or the error's name), the ProduceID of the label that
 * counts, and the set of warning and error rule ids (info findings are not compared).
 *
 *   node test/conformance/check.mjs     every file: met, or what differs (after `pnpm build`)
 */
import { join } from 'node:path';
import { verifyFile } from '../../packages/aigc-label/dist/index.js';

const filesDir = join(import.meta.dirname, 'files');

/** What the toolkit reports for a corpus file, in the shape of an expectation. */
export async function observe(name) {
  try {
    const report = await verifyFile(join(filesDir, name), { audible: false, ocr: false });
    const findings = [...new Set(report.findings.filter((f) => f.severity !== 'info').map((f) => f.rule))].sort();
    return { outcome: report.outcome, produceId: report.label?.ProduceID ?? null, findings };
  } catch (error) {
    return { error: error?.name ?? String(error), message: String(error?.message ?? '').slice(0, 200) };
  }
}

/** The differences between an observation and an expectation, as lines (none when it is met). */
export function compare(observed, expected) {
  if (expected.error || observed.error) {
    return observed.error === expected.error
      ? []
      : [`expected ${expected.error ?? expected.outcome}, got ${observed.error ?? observed.outcome} ${observed.message ?? ''}`.trim()];
  }
  const problems = [];
  if (observed.outcome !== expected.outcome) problems.push(`outcome ${observed.outcome}, expected ${expected.outcome}`);
  if (observed.produceId !== expected.produceId) problems.push(`ProduceID ${observed.produceId}, expected ${expected.produceId}`);
  const want = [...expected.findings].sort();
  const missing = want.filter((r) => !observed.findings.includes(r));
  const extra = observed.findings.filter((r) => !want.includes(r));
  if (missing.length) problems.push(`missing findings ${missing.join(' ')}`);
  if (extra.length) problems.push(`unexpected findings ${extra.join(' ')}`);
  return problems;
}

if (process.argv[1] === import.meta.filename) {
  const { cases } = await import('./corpus.mjs');
  let met = 0;
  for (const { name, expect, gap } of cases) {
    const problems = compare(await observe(name), expect);
    if (problems.length === 0) met++;
    const status = problems.length === 0 ? (gap ? 'MET (gap marked)' : 'met') : gap ? 'gap' : 'FAIL';
    console.log(`${status.padEnd(16)} ${name}${problems.length ? `: ${problems.join('; ')}` : ''}`);
  }
  console.log(`${met}/${cases.length} met`);
}
