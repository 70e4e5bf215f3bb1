/** Findings of the evidence readers, with their meaning. */
export const evidenceRules = {
  'c2pa/invalid':
    'a C2PA manifest failed validation (claim signature, hash binding, assertion hashes); the SDK failure codes are given; still evidence',
  'c2pa/unreadable': 'a C2PA manifest store the SDK could not read (unknown algorithm, pre-release format, damage); the reason is given',
  'c2pa/not-validated':
    'a C2PA manifest store that was not validated (the file is over the in-memory limit, or the SDK does not read this format)',
  'gb45438/5.2-wording':
    'a mark found in an image (OCR) lacks the AI element or the generation element of GB 45438 §5.2 b) (e.g. 即梦AI); still evidence',
  'gb45438/5.4-wording':
    'a mark found in video frames (OCR) lacks the AI element or the generation element GB 45438 §5.4 asks of a visible label; still evidence',
} as const;

/** Evidence the evidence readers report, with its meaning. */
export const evidenceKinds = {
  'c2pa-remote-manifest': 'a reference to a C2PA manifest stored elsewhere (XMP dcterms:provenance); reported with its URL, never fetched',
  'vendor-marker':
    "a generator's own marker (PNG generation parameters, a generator named in EXIF/XMP, a platform's AIGC JSON, an H.264/H.265 SEI); a trace under Measures Art. 6(3)",
} as const;

declare module '@aigc-label/core' {
  interface RuleIdsByPackage {
    evidence: keyof typeof evidenceRules;
  }
  interface EvidenceKindsByPackage {
    evidence: keyof typeof evidenceKinds;
  }
}
