/**
 * Non-fatal observations: a field that breaks a rule, two labels in one file,
 * an extension that does not match the content. They never throw; a verifier
 * decides what they mean.
 */
export type Severity = 'error' | 'warning' | 'info';

export interface Finding {
  /** Stable identifier, e.g. `annex-e/charset`; every id is typed and documented in the README. */
  readonly rule: RuleId;
  readonly severity: Severity;
  readonly message: string;
  /** Where it was seen: a carrier id, a byte offset, a field name. */
  readonly where?: string;
}

export const finding = (rule: RuleId, severity: Severity, message: string, where?: string): Finding =>
  where === undefined ? { rule, severity, message } : { rule, severity, message, where };

/**
 * Rule ids, one typed union across the toolkit. Each package keeps its own ids in an `as const`
 * table with a meaning for every id (`RuleMeanings` makes a missing meaning a type error; the
 * README's rule table is generated from the meanings), and adds them to this interface with
 * `declare module '@aigc-label/core' { interface RuleIdsByPackage { image: ImageRuleId } }`.
 */
export interface RuleIdsByPackage {
  core: CoreRuleId;
}
export type RuleId = RuleIdsByPackage[keyof RuleIdsByPackage];

/** A meaning, for the README and `--help`, of every id in a rules table. */
export type RuleMeanings<T extends Readonly<Record<string, string>>> = { readonly [K in T[keyof T]]: string };

/** Stable rule ids of the label model and the pipeline. Adding one is fine; renaming one breaks users' filters. */
export const Rules = {
  notJson: 'decode/not-json',
  notObject: 'decode/not-object',
  wrapped: 'decode/wrapped-form',
  xmlEscaped: 'decode/xml-escaped',
  missingField: 'annex-e/missing-field',
  nullField: 'annex-e/null-field',
  placeholder: 'annex-e/placeholder',
  unknownField: 'annex-e/unknown-field',
  fieldType: 'annex-e/field-type',
  labelValue: 'annex-e/label-value',
  charset: 'annex-e/charset',
  emptyProducer: 'annex-e/empty-producer',
  emptyProduceId: 'annex-e/empty-produce-id',
  firstWrite: 'annex-e/first-write',
  fieldLength: 'annex-e/field-length',
  providerCode: 'code/provider-structure',
  multipleLabels: 'gb45438/6.1c-one-label',
  carriersDisagree: 'carrier/disagree',
  nonCanonicalCarrier: 'carrier/non-canonical',
  nonNormativeCarrier: 'carrier/non-normative',
  extensionMismatch: 'format/extension-mismatch',
  damaged: 'format/damaged',
  c2paBindingInvalidated: 'c2pa/hard-binding-invalidated',
  replacedOtherProducer: 'label/replaced-other-producer',
  fragmentedMp4: 'mp4/fragmented',
  explicitSkipped: 'explicit/skipped',
  explicitUnsupported: 'explicit/unsupported',
  explicitNotReadBack: 'explicit/not-read-back',
  explicitMissing: 'gb45438/explicit-missing',
  unreadableCarrier: 'carrier/unreadable',
  ambiguousFormat: 'format/ambiguous',
  emptyCarrier: 'carrier/empty',
  searchSkipped: 'explicit/not-searched',
  signatureRequired: 'signature/required',
  signatureUnbound: 'signature/unbound',
  watermarkMismatch: 'watermark/mismatch',
  watermarkUnsupported: 'watermark/unsupported',
  watermarkUnavailable: 'watermark/unavailable',
  watermarkPresent: 'watermark/already-marked',
  watermarkNotReadBack: 'watermark/not-read-back',
  evidenceUnread: 'evidence/unread',
} as const;
export type CoreRuleId = (typeof Rules)[keyof typeof Rules];

export const coreRuleMeanings: RuleMeanings<typeof Rules> = {
  'decode/not-json': "the carrier's value is neither JSON nor a YAML mapping",
  'decode/not-object': 'the JSON is not an object',
  'decode/wrapped-form': 'the value uses the wrapped `{"AIGC":{...}}` form (info)',
  'decode/xml-escaped': 'the value was XML-escaped (info)',
  'annex-e/missing-field': 'one of the seven fields is missing',
  'annex-e/null-field': 'a field present as JSON null (read as an empty value)',
  'annex-e/placeholder':
    "a value that is a leftover of the writer's template (Go's %!s(MISSING), undefined, {{…}}): the writer lost the real value",
  'annex-e/unknown-field': 'a field that is not an Annex E element, or a misspelt one (with the element it most likely means)',
  'annex-e/field-type': 'a value that is not a string (e.g. numeric `Label`)',
  'annex-e/label-value': '`Label` is not `"1"`, `"2"` or `"3"`',
  'annex-e/charset': 'a value outside the Annex E j) character set',
  'annex-e/empty-producer': '`ContentProducer` empty on a Label 1 content',
  'annex-e/empty-produce-id': '`ProduceID` empty on a Label 1 content',
  'annex-e/first-write': 'propagation elements empty (Annex E Note 1)',
  'annex-e/field-length': 'a value longer than the 2048 characters some platforms keep',
  'code/provider-structure': 'a provider code that breaks the TC260 coding rules, or a name instead of a code (info)',
  'gb45438/6.1c-one-label': 'the same label stored more than once',
  'carrier/disagree': 'carriers hold different labels',
  'carrier/non-canonical': 'the label is not in the carrier the guide names (or a wrong namespace URI)',
  'carrier/non-normative': 'a carrier no guide clause names (e.g. HTML `<meta>`), used by convention',
  'format/extension-mismatch': 'the extension names another format than the content',
  'format/damaged': 'a damaged structure that could still be read (bad CRC, trailing bytes)',
  'c2pa/hard-binding-invalidated': 'writing changed a file that has a C2PA manifest',
  'label/replaced-other-producer': "`--force` replaced another producer's label",
  'mp4/fragmented': 'a fragmented MP4 (moof boxes) (info)',
  'explicit/skipped': 'the file already carries a label, so no second explicit label was added (info)',
  'explicit/unsupported': 'the format can carry no explicit label here; the reason is given',
  'explicit/not-read-back':
    "the explicit label just added was not found again in the output by this toolkit's own search (read back where the output's decode is read anyway)",
  'gb45438/explicit-missing': 'a metadata label says AI-generated but no explicit label was found (Measures Art. 4)',
  'carrier/empty': 'an AIGC carrier present but empty or only whitespace; a label may have been removed (Measures Art. 10)',
  'format/ambiguous':
    'the bytes fit more than one format (a polyglot); labels were looked for under each, and labeling refuses without --format',
  'carrier/unreadable': 'a label carrier that cannot be read (encrypted, compressed in an unknown way); labeling refuses without --force',
  'explicit/not-searched':
    'verify: the metadata label (or the declaration) settles the Art. 6 outcome, so the media was not searched for an explicit label; --audit searches it (info)',
  'signature/required':
    "a signature is required (`verify --require-signature`) and the producer's ReservedCode1 is not `verified`; the verdict is given",
  'signature/unbound': 'the label was signed without a content binding: the format declares no content regions yet (the reason is given)',
  'watermark/mismatch':
    "an invisible watermark whose payload is not the metadata label's: the label was replaced or the content reused from another generation",
  'watermark/unsupported': 'a watermark was asked for but the format carries none here; the reason is given',
  'watermark/unavailable': 'the watermark search could not run (e.g. the media could not be decoded), which is not the same as "no mark"',
  'watermark/already-marked':
    'the content already carries a mark under the key, so no second mark was embedded (marks are never removed, Measures Art. 10)',
  'watermark/not-read-back': 'the mark just embedded could not be read back from the output (too small, a palette, too short)',
  'evidence/unread':
    'an evidence reader (C2PA, vendor markers) failed on this file; its traces were not looked for, which is not the same as "none"',
};
