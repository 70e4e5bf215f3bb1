import { type Evidence, type Finding, finding } from '@aigc-label/core';
import type { ExplicitLabelMatch } from './detect.js';

/** Rule ids of explicit-label findings. */
export const ExplicitRules = {
  englishOnly: 'explicit/english-only',
} as const;

/**
 * Explicit labels as `evidence` entries of a read result, plus a finding for each
 * English label: it has the AI element but not the generation element 生成/合成
 * that GB 45438 §5.1 b) requires.
 */
export function explicitLabelEvidence(matches: readonly ExplicitLabelMatch[]): { evidence: Evidence[]; findings: Finding[] } {
  const evidence: Evidence[] = [];
  const findings: Finding[] = [];
  for (const m of matches) {
    const where = `${m.position}, characters ${m.start}-${m.end}`;
    evidence.push({
      kind: 'explicit-text-label',
      scheme: 'explicit',
      aiTrace: true,
      detail: `${m.language === 'zh' ? 'explicit label' : 'English explicit label'} "${m.text}"`,
      where,
    });
    if (!m.compliant) {
      findings.push(
        finding(
          ExplicitRules.englishOnly,
          'warning',
          `explicit label "${m.text}" is English only; GB 45438 §5.1 b) needs the generation element 生成 or 合成 (e.g. "人工智能生成 AI-generated")`,
          where,
        ),
      );
    }
  }
  return { evidence, findings };
}
