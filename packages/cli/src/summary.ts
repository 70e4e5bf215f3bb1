import type { VerifyReport } from 'aigc-label';
import type { JobResult, Report } from './batch/jobs.js';
import { table } from './format.js';

/** Counts per outcome and per format, then failures with their reasons. */
export function summaryText(run: {
  readonly results: readonly JobResult[];
  readonly skipped: number;
  readonly notWalked: number;
  readonly seconds: number;
}): string {
  const { results, skipped, notWalked, seconds } = run;
  const byOutcome = new Map<string, number>();
  const byFormat = new Map<string, number>();
  const failures: string[][] = [];
  for (const r of results) {
    if (!r.ok) {
      failures.push([String(r.report.file), r.report.error.message.replace(`${r.report.file}: `, '')]);
      continue;
    }
    const report = 'verify' in r.report ? r.report.verify : r.report;
    if (isVerifyReport(report)) byOutcome.set(report.outcome, (byOutcome.get(report.outcome) ?? 0) + 1);
    const format = report.format;
    byFormat.set(format, (byFormat.get(format) ?? 0) + 1);
  }
  const ok = results.length - failures.length;
  const lines = [
    `${results.length} file${results.length === 1 ? '' : 's'} in ${seconds.toFixed(1)} s (${(results.length / Math.max(seconds, 0.001)).toFixed(0)} files/s): ${ok} ok, ${failures.length} failed${skipped ? `, ${skipped} skipped (already done)` : ''}${notWalked ? `, ${notWalked} not processed (symbolic links or the output folder; see above)` : ''}`,
  ];
  if (byOutcome.size) lines.push('', table([['OUTCOME', 'FILES'], ...[...byOutcome].sort().map(([k, v]) => [k, String(v)])]));
  if (byFormat.size) lines.push('', table([['FORMAT', 'FILES'], ...[...byFormat].sort().map(([k, v]) => [k, String(v)])]));
  if (failures.length) {
    lines.push('', table([['FAILED', 'REASON'], ...failures.slice(0, 50)]));
    if (failures.length > 50) lines.push(`… and ${failures.length - 50} more (see --report)`);
  }
  return lines.join('\n');
}

const isVerifyReport = (report: Exclude<Report, { verify: unknown }>): report is VerifyReport => 'outcome' in report;
