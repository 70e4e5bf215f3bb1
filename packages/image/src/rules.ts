/** Findings of the image package's visible labels (GB 45438 §5.2) and their detection, with their meaning. */
export const imageRules = {
  'gb45438/5.2e-text-height': 'a visible label whose text is below 5% of the shortest side (GB 45438 §5.2 e))',
  'gb45438/5.2e-noncompliant-fit': 'a visible label drawn below the 5% rule because `allowNoncompliant` asked for it',
  'explicit/reencode-changed':
    'drawing a visible label re-encoded the image and could not keep something of the source as it was (named: a coding setting or a chunk that described the old pixels)',
  'ocr/failed': 'the OCR engine could not run, which is not the same as "no label"',
} as const;

/** Evidence the image package reports, with its meaning. */
export const imageEvidence = {
  'explicit-image-label': 'a visible label read by OCR in an image (GB 45438 §5.2); a trace under Measures Art. 6(3)',
} as const;

declare module '@aigc-label/core' {
  interface RuleIdsByPackage {
    image: keyof typeof imageRules;
  }
  interface EvidenceKindsByPackage {
    image: keyof typeof imageEvidence;
  }
}
