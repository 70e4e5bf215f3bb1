/**
 * Non-fatal observations: a field that breaks a rule, two labels in one file,
 * an extension that does not match the content. They never throw; a verifier
 * decides what they mean.
 */
export type Severity = 'error' | 'warning' | 'info';

export interface Finding {
  /** Stable identifier, e.g. `annex-e/charset`; documented in README. */
  readonly rule: string;
  readonly severity: Severity;
  readonly message: string;
  /** Where it was seen: a carrier id, a byte offset, a field name. */
  readonly where?: string;
}

export const finding = (rule: string, severity: Severity, message: string, where?: string): Finding =>
  where === undefined ? { rule, severity, message } : { rule, severity, message, where };

/** Stable rule ids. Adding one is fine; renaming one breaks users' filters. */
export const Rules = {
  notJson: 'decode/not-json',
  notObject: 'decode/not-object',
  wrapped: 'decode/wrapped-form',
  xmlEscaped: 'decode/xml-escaped',
  missingField: 'annex-e/missing-field',
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
} as const;
export type RuleId = (typeof Rules)[keyof typeof Rules];
