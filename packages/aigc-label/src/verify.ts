import { type AigcLabel, decideOutcome, finding, Rules } from '@aigc-label/core';
import { detectInput, type Input } from './detect.js';
import type { VerifyOptions } from './options.js';
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

/**
 * Metadata first (README, "How verify decides"): a metadata label, or the uploader's declaration,
 * decides the Art. 6 outcome whatever the media holds (`decideOutcome` looks at traces only
 * without either), so the explicit-label searches, which decode media, run only when they can
 * change the outcome, or when `audit` asks for the full compliance check.
 */
export const settlesOutcome =
  (options: VerifyOptions) =>
  (label: AigcLabel | null): boolean =>
    options.audit !== true && (label !== null || options.declared === true);

/** Decides what a platform must show for one input (Measures Art. 6). */
export async function verifyInput(input: Input, options: VerifyOptions): Promise<VerifyReport> {
  return verifyFromDetect(await detectInput(input, options, settlesOutcome(options)), options.declared ?? false, options.requireSignature);
}
