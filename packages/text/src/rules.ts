import type { markdownRules } from './markdown/index.js';
import type { ooxmlRules } from './ooxml/index.js';
import type { pdfRules } from './pdf/index.js';

/** Findings of the text package's explicit labels (GB 45438 §5.1), with their meaning. */
export const textRules = {
  'gb45438/5.1-wording':
    'an explicit text label lacks the AI element or the generation element of GB 45438 §5.1 b) (e.g. English alone, AI创作); still evidence',
  'explicit/many-labels': 'more explicit labels than are listed; the first and the last are (info)',
  'explicit/placement': 'a text prompt could not go exactly where asked (e.g. no paragraph boundary for the middle) (info)',
} as const;

/** Evidence the text package reports, with its meaning. */
export const textEvidence = {
  'explicit-text-label': 'an explicit text prompt found in the text (GB 45438 §5.1); a trace under Measures Art. 6(3)',
} as const;

declare module '@aigc-label/core' {
  interface RuleIdsByPackage {
    text: keyof typeof textRules | keyof typeof pdfRules | keyof typeof ooxmlRules | keyof typeof markdownRules;
  }
  interface EvidenceKindsByPackage {
    text: keyof typeof textEvidence;
  }
}
