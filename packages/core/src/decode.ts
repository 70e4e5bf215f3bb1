import { trimTrailingNuls } from './binary/bytes.js';
import { type Finding, finding, Rules } from './findings.js';
import { AIGC_FIELDS, type AigcField, type AigcLabel, type LabelValue } from './label.js';

/** The shape a label was found in. */
export type DecodedForm = 'bare' | 'wrapped' | 'yaml' | 'object';

export interface DecodedLabel {
  /** The seven fields as found (missing ones as ""), or null when nothing label-like was found. */
  readonly label: AigcLabel | null;
  readonly form: DecodedForm | null;
  readonly findings: readonly Finding[];
}

/** Longest label text we try to parse; real labels are a few hundred bytes. */
export const maximumLabelTextInBytes = 1024 * 1024;

const XML_ENTITIES: Record<string, string> = { quot: '"', amp: '&', lt: '<', gt: '>', apos: "'" };

/** Decodes the five predefined XML entities and character references; never anything else. */
export function unescapeXml(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|quot|amp|lt|gt|apos);/g, (whole, ref: string) => {
    if (ref[0] !== '#') return XML_ENTITIES[ref] ?? whole;
    const code = ref[1] === 'x' ? Number.parseInt(ref.slice(2), 16) : Number.parseInt(ref.slice(1), 10);
    return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
  });
}

/**
 * Reads a label in any shape seen in the wild and never throws: bare or wrapped
 * JSON, XML-escaped JSON, a YAML mapping (Markdown front matter), an `AIGC{...}`
 * blob, a `AIGC=` comment, a NUL-terminated RIFF value, numeric `Label`, extra
 * whitespace. Problems come back as findings.
 */
export function decodeLabel(input: string | Readonly<Record<string, unknown>>): DecodedLabel {
  if (typeof input !== 'string') return fromObject(input, 'object', []);
  const findings: Finding[] = [];
  if (input.length > maximumLabelTextInBytes) {
    return { label: null, form: null, findings: [finding(Rules.notJson, 'error', 'label text is over 1 MiB')] };
  }
  // BOM, surrounding whitespace, RIFF NUL terminator and padding (TC260-PG-20257A Annex D).
  let text = trimTrailingNuls(input.replace(/^\uFEFF/, '')).trim();
  const prefixed = /^AIGC\s*[=:]?\s*(?=\{)/.exec(text);
  if (prefixed) text = text.slice(prefixed[0].length);
  if (text === '') {
    // What a wiped label leaves behind: the carrier is there, its value is gone.
    const message = 'the AIGC carrier is present but empty; a label may have been removed (Measures Art. 10)';
    return { label: null, form: null, findings: [...findings, finding(Rules.emptyCarrier, 'warning', message)] };
  }
  if (!text.includes('"') && text.includes('&quot;')) {
    text = unescapeXml(text);
    findings.push(finding(Rules.xmlEscaped, 'info', 'label text was XML-escaped'));
  }
  if (text.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      return {
        label: null,
        form: null,
        findings: [...findings, finding(Rules.notJson, 'error', `label text is not valid JSON (${(error as Error).message})`)],
      };
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      return { label: null, form: null, findings: [...findings, finding(Rules.notObject, 'error', 'label JSON is not an object')] };
    }
    const record = parsed as Record<string, unknown>;
    const wrapper = Object.keys(record).find((k) => k.toUpperCase() === 'AIGC');
    if (wrapper !== undefined) {
      const inner = record[wrapper];
      if (typeof inner === 'string') return withFindings(decodeLabel(inner), findings, 'wrapped');
      if (inner !== null && typeof inner === 'object' && !Array.isArray(inner)) {
        return fromObject(inner as Record<string, unknown>, 'wrapped', findings);
      }
      return { label: null, form: null, findings: [...findings, finding(Rules.notObject, 'error', 'the AIGC value is not an object')] };
    }
    return fromObject(record, 'bare', findings);
  }
  const yaml = parseFlatYamlMapping(text);
  if (yaml) return fromObject(yaml, 'yaml', findings);
  return {
    label: null,
    form: null,
    findings: [...findings, finding(Rules.notJson, 'error', 'label text is neither JSON nor a YAML mapping')],
  };
}

function withFindings(decoded: DecodedLabel, before: Finding[], form: DecodedForm): DecodedLabel {
  return { label: decoded.label, form: decoded.label ? form : null, findings: [...before, ...decoded.findings] };
}

function fromObject(record: Readonly<Record<string, unknown>>, form: DecodedForm, findings: Finding[]): DecodedLabel {
  const byLowerName = new Map(Object.keys(record).map((k) => [k.toLowerCase(), k]));
  const label = {} as Record<AigcField, string>;
  let known = 0;
  for (const field of AIGC_FIELDS) {
    const key = record[field] !== undefined ? field : byLowerName.get(field.toLowerCase());
    const value = key === undefined ? undefined : record[key];
    if (key !== undefined && key !== field) {
      findings.push(finding(Rules.unknownField, 'warning', `field "${key}" should be spelled "${field}"`, field));
    }
    if (value === null) {
      // Kling's MP4 labels write "ReservedCode1":null: the field is there, its value is not a string.
      findings.push(finding(Rules.nullField, 'warning', `field ${field} is null; Annex E values are strings (read as "")`, field));
      label[field] = '';
      continue;
    }
    if (value === undefined) {
      findings.push(finding(Rules.missingField, 'error', `field ${field} is missing`, field));
      label[field] = '';
      continue;
    }
    known++;
    if (typeof value === 'string') {
      label[field] = value;
    } else if (typeof value === 'number' || typeof value === 'boolean') {
      findings.push(finding(Rules.fieldType, 'warning', `field ${field} is a ${typeof value}, Annex E requires a string`, field));
      label[field] = String(value);
    } else {
      findings.push(finding(Rules.fieldType, 'error', `field ${field} is not a string`, field));
      label[field] = JSON.stringify(value);
    }
  }
  const knownLower = new Set(AIGC_FIELDS.map((f) => f.toLowerCase()));
  for (const key of Object.keys(record)) {
    if (!knownLower.has(key.toLowerCase())) {
      const meant = closestField(key);
      const hint = meant ? `; did you mean "${meant}"?` : '';
      findings.push(finding(Rules.unknownField, 'warning', `field "${key}" is not an Annex E element${hint}`, key));
    }
  }
  if (known === 0) return { label: null, form: null, findings };
  if (form === 'wrapped') findings.push(finding(Rules.wrapped, 'info', 'label uses the wrapped {"AIGC":{...}} form'));
  return { label: label as AigcLabel & { Label: LabelValue }, form, findings };
}

/**
 * The Annex E element a misspelt key most likely means (ReserveCode1, Propagator, PropatorID are
 * seen in vendors' files): the one it is the end of, else the nearest by edit distance within a
 * third of its length. Undefined when none is close.
 */
function closestField(key: string): AigcField | undefined {
  const lower = key.toLowerCase();
  // A key that is the end of an element's name (Propagator for ContentPropagator) means that element.
  const tail = lower.length >= 4 ? AIGC_FIELDS.find((f) => f.toLowerCase().endsWith(lower)) : undefined;
  if (tail !== undefined) return tail;
  let best: AigcField | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const field of AIGC_FIELDS) {
    const distance = editDistance(lower, field.toLowerCase());
    if (distance < bestDistance) [best, bestDistance] = [field, distance];
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.ceil(best.length / 3)) ? best : undefined;
}

/** Levenshtein distance; keys are short (the caller's object keys), so the quadratic table is small. */
function editDistance(a: string, b: string): number {
  if (a.length > 64 || b.length > 64) return Math.max(a.length, b.length);
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/**
 * Minimal reader for the flat or one-level-nested `Key: value` mapping of
 * Markdown front matter (TC260-PG-20258A §6.5). Full YAML parsing belongs to
 * the text package; this only has to recognise a label handed over as text.
 */
function parseFlatYamlMapping(text: string): Record<string, string> | null {
  const result: Record<string, string> = {};
  let count = 0;
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.replace(/\s+#.*$/, '');
    if (line.trim() === '' || line.trim() === '---') continue;
    const match = /^\s*([A-Za-z][A-Za-z0-9]*)\s*:\s*(.*)$/.exec(line);
    if (!match) return null;
    const key = match[1]!;
    const rawValue = match[2]!;
    if (key.toUpperCase() === 'AIGC' && rawValue.trim() === '') continue;
    result[key] = unquoteYamlScalar(rawValue.trim());
    count++;
  }
  return count > 0 ? result : null;
}

function unquoteYamlScalar(value: string): string {
  if (value.length >= 2 && value.startsWith("'") && value.endsWith("'")) return value.slice(1, -1).replace(/''/g, "'");
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
    try {
      return JSON.parse(value) as string;
    } catch {
      return value.slice(1, -1);
    }
  }
  return value;
}
