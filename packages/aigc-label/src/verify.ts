import { decideOutcome, finding, Rules } from '@aigc-label/core';
import type { DetectReport, VerifyReport } from './reports.js';

/** The Measures Art. 6 outcome for what detect found; with `requireSignature`, a producer label that is not `verified` is an error finding. */
export function verifyFromDetect(report: DetectReport, declared: boolean, requireSignature = false): VerifyReport {
  const decision = decideOutcome({ label: report.label, declared, traces: report.evidence });
  const producer = report.signatures?.find((v) => v.field === 'ReservedCode1');
  const findings =
    requireSignature && producer?.verdict !== 'verified'
      ? [
          ...report.findings,
          finding(
            Rules.signatureRequired,
            'error',
            producer
              ? `a verified producer signature is required; ${producer.verdict}: ${producer.detail}`
              : 'a verified producer signature is required, and the file has no label',
            'ReservedCode1',
          ),
        ]
      : report.findings;
  return { ...report, findings, outcome: decision.outcome, basis: decision.basis, prompt: decision.prompt, declared };
}
