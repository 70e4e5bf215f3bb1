import { decideOutcome } from '@aigc-label/core';
import type { DetectReport, VerifyReport } from './reports.js';

/** The Measures Art. 6 outcome for what detect found. */
export function verifyFromDetect(report: DetectReport, declared: boolean): VerifyReport {
  const decision = decideOutcome({ label: report.label, declared, traces: report.evidence });
  return { ...report, outcome: decision.outcome, basis: decision.basis, prompt: decision.prompt, declared };
}
