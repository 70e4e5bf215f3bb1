import { checkWording, type Evidence, type EvidenceReader, type Finding, finding, noEvidence, normaliseLabelText } from '@aigc-label/core';
import type { evidenceRules } from './rules.js';
import { shown } from './shown.js';

/** What a label grammar says of a text: the part of the text that is a label, and whether its wording is complete. */
export interface MarkMatch {
  readonly text: string;
  /** Both elements of GB 45438 §5 b): the AI element and the generation element. */
  readonly compliant: boolean;
  readonly level: 'confirmed' | 'possible' | 'suspected';
}

/** A label grammar: the text package's `findExplicitLabels`, passed in by the facade (this package imports core only). */
export type LabelGrammar = (text: string) => readonly MarkMatch[];

const WORDING_RULES: Readonly<Record<'5.2' | '5.4', keyof typeof evidenceRules>> = {
  '5.2': 'gb45438/5.2-wording',
  '5.4': 'gb45438/5.4-wording',
};

/**
 * The wording of marks OCR read (GB 45438 §5.2 b), §5.4): a line with one element of the wording
 * but not the other, such as 即梦AI or 可灵AI 3.0 (no generation element), is a vendor's mark: evidence, and a wording
 * finding at the same time. The line is read as a self-contained mark (in 【】), the way a corner
 * mark stands on a picture, after mending OCR's usual "Al" for "AI"; text the grammar does not take
 * for a label (MAIL, a lone AI) is neither.
 */
export function markWordingReader(grammar: LabelGrammar): EvidenceReader {
  return {
    name: 'mark-wording',
    async read({ marks }) {
      if (marks.length === 0) return noEvidence;
      const evidence: Evidence[] = [];
      const findings: Finding[] = [];
      for (const mark of marks) {
        const text = normaliseLabelText(mark.text, { ocr: true });
        // A logo drawn before a mark (★ 即梦AI) reads as a stray glyph or two (文即梦AI): try without them.
        const tries = [text, text.slice(1), text.slice(2)].filter((t) => t.length >= 2);
        const matches = tries.map((t) => grammar(`【${t}】`)).find((found) => found.length > 0) ?? [];
        for (const match of matches.filter((m) => !m.compliant)) {
          const read = shown(match.text.replace(/^【|】$/g, ''), 60);
          const wording = checkWording(read);
          const missing = [
            wording.aiElement ? null : 'the AI element (人工智能 or AI)',
            wording.generationElement ? null : 'the generation element (生成 or 合成)',
          ].filter((m) => m !== null);
          evidence.push({
            kind: mark.kind,
            scheme: 'explicit',
            detail: `mark "${read}" (OCR read "${shown(mark.text, 60)}")`,
            where: mark.where,
            aiTrace: true,
            level: match.level,
            reason: `a mark naming AI without the full wording of GB 45438 §${mark.clause}: a trace under Measures Art. 6(3)`,
          });
          findings.push(
            finding(
              WORDING_RULES[mark.clause],
              'warning',
              `mark "${read}" lacks ${missing.join(' and ')} that GB 45438 §${mark.clause} b) requires`,
              mark.where,
            ),
          );
        }
      }
      return { evidence, findings };
    },
  };
}
