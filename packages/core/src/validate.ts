import { type Finding, finding, Rules, type Severity } from './findings.js';
import { AIGC_FIELDS, type AigcLabel, LABEL_VALUES } from './label.js';
import { looksLikeProviderCode, providerCodeProblems } from './provider-code.js';

/**
 * `write`: the label is about to be written by a generation service; rule breaks
 * are errors. `read`: the label was found in a file; the same breaks are warnings,
 * because Annex E j) says values are "mainly" drawn from the character set.
 */
export type ValidationPurpose = 'write' | 'read';

// GB 45438 Annex E j): 0x21, 0x23-0x5B, 0x5D-0x7E, plus `"` (only as the JSON escape \").
const ANNEX_E_VALUE_CHARS = /^[\x21-\x5B\x5D-\x7E]*$/;
/**
 * What a writer's template leaves when it loses a value: Go's fmt error verbs (iFlytek's
 * `"PropagateID":"%!s(MISSING)"`), JavaScript's `undefined`/`NaN`, Python's `None`, an unfilled
 * `{{…}}` or `${…}`.
 */
const TEMPLATE_LEFTOVER =
  /%!\w?\((?:MISSING|EXTRA|BADINDEX|BADWIDTH|BADPREC|NOVERB)[^)]*\)|^(?:undefined|NaN|None|<nil>)$|\{\{[^}]*\}\}|\$\{[^}]*\}/;
/** Vendor limit seen in Tencent's SDK; the standard sets none. */
export const vendorFieldLengthLimit = 2048;

/** Why a value breaks Annex E j) (printable ASCII without space or backslash), or null when it does not. */
export function annexEValueProblem(value: string): string | null {
  if (ANNEX_E_VALUE_CHARS.test(value)) return null;
  const bad = [...value].find((c) => !ANNEX_E_VALUE_CHARS.test(c)) ?? '';
  const shown =
    bad === ' '
      ? 'a space'
      : bad === '\\'
        ? 'a backslash'
        : `"${bad}" (U+${bad.codePointAt(0)?.toString(16).toUpperCase().padStart(4, '0')})`;
  return `contains ${shown}; Annex E j) allows printable ASCII without space or backslash`;
}

export function validateLabel(label: AigcLabel, purpose: ValidationPurpose = 'read'): Finding[] {
  const findings: Finding[] = [];
  const strict: Severity = purpose === 'write' ? 'error' : 'warning';
  if (!LABEL_VALUES.includes(label.Label)) {
    findings.push(finding(Rules.labelValue, 'error', `Label is "${label.Label}", Annex E c) allows "1", "2" or "3"`, 'Label'));
  }
  for (const field of AIGC_FIELDS) {
    const value = label[field];
    const problem = annexEValueProblem(value);
    if (problem) findings.push(finding(Rules.charset, strict, `${field} ${problem}`, field));
    const placeholder = TEMPLATE_LEFTOVER.exec(value)?.[0];
    if (placeholder !== undefined) {
      findings.push(
        finding(Rules.placeholder, 'warning', `${field} holds "${placeholder}", a leftover of the writer's template, not a value`, field),
      );
    }
    if (value.length > vendorFieldLengthLimit) {
      findings.push(
        finding(
          Rules.fieldLength,
          'info',
          `${field} is ${value.length} characters; some platforms cut at ${vendorFieldLengthLimit}`,
          field,
        ),
      );
    }
  }
  if (label.Label === '1') {
    if (label.ContentProducer === '') {
      findings.push(
        finding(
          Rules.emptyProducer,
          strict,
          'ContentProducer is empty; a generation service must name itself (Measures Art. 5)',
          'ContentProducer',
        ),
      );
    }
    if (label.ProduceID === '') {
      findings.push(
        finding(
          Rules.emptyProduceId,
          strict,
          'ProduceID is empty; a generation service must number its content (Measures Art. 5)',
          'ProduceID',
        ),
      );
    }
  }
  if (label.ContentPropagator === '' && label.PropagateID === '' && label.ContentProducer !== '') {
    findings.push(
      finding(
        Rules.firstWrite,
        'warning',
        'propagation elements are empty; on first write they equal the production elements (Annex E Note 1)',
      ),
    );
  }
  if (looksLikeProviderCode(label.ContentProducer)) {
    for (const problem of providerCodeProblems(label.ContentProducer, 'producer')) {
      findings.push(finding(Rules.providerCode, 'warning', `ContentProducer code ${problem}`, 'ContentProducer'));
    }
  } else if (label.ContentProducer !== '') {
    findings.push(finding(Rules.providerCode, 'info', 'ContentProducer is a name, not a 27-character provider code', 'ContentProducer'));
  }
  if (looksLikeProviderCode(label.ContentPropagator) && label.ContentPropagator !== label.ContentProducer) {
    for (const problem of providerCodeProblems(label.ContentPropagator, 'propagator')) {
      findings.push(finding(Rules.providerCode, 'warning', `ContentPropagator code ${problem}`, 'ContentPropagator'));
    }
  }
  return findings;
}

/** True when no finding is an error. */
export const isWritable = (findings: readonly Finding[]): boolean => findings.every((f) => f.severity !== 'error');
