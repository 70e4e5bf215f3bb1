import { describe, expect, it } from 'vitest';
import {
  AIGC_FIELDS,
  createLabel,
  decodeLabel,
  encodeBare,
  encodeWrapped,
  InvalidLabelError,
  LabelValue,
  newProduceId,
  parseProviderCode,
  validateLabel,
} from '../src/index.js';

const PRODUCER = '001191440300708461136T1XGW3';

describe('createLabel', () => {
  it('applies the first-write rule (Annex E Note 1)', () => {
    const label = createLabel({ producer: PRODUCER, produceId: 'abc-1' });
    expect(label.ContentPropagator).toBe(PRODUCER);
    expect(label.PropagateID).toBe('abc-1');
    expect(label.Label).toBe(LabelValue.Confirmed);
    expect(label.ReservedCode1).toBe('');
  });

  it('refuses an empty producer', () => {
    expect(() => createLabel({ producer: '  ' })).toThrow(InvalidLabelError);
  });
});

describe('encode', () => {
  const label = createLabel({ producer: PRODUCER, produceId: 'id-1' });

  it('writes the seven fields in Annex E order, byte-stable', () => {
    const bare = encodeBare({ ...label, ReservedCode2: '', Label: '1' });
    expect(Object.keys(JSON.parse(bare))).toEqual([...AIGC_FIELDS]);
    expect(bare).toBe(
      '{"Label":"1","ContentProducer":"001191440300708461136T1XGW3","ProduceID":"id-1","ReservedCode1":"","ContentPropagator":"001191440300708461136T1XGW3","PropagateID":"id-1","ReservedCode2":""}',
    );
  });

  it('keeps Annex E order whatever order the object was built in', () => {
    const shuffled = Object.fromEntries([...AIGC_FIELDS].reverse().map((f) => [f, label[f]])) as unknown as typeof label;
    expect(encodeBare(shuffled)).toBe(encodeBare(label));
  });

  it('wraps as {"AIGC":{...}}', () => {
    expect(encodeWrapped(label)).toBe(`{"AIGC":${encodeBare(label)}}`);
  });
});

describe('decodeLabel', () => {
  const label = createLabel({ producer: PRODUCER, produceId: 'id-1' });

  it.each([
    ['bare', encodeBare(label), 'bare'],
    ['wrapped', encodeWrapped(label), 'wrapped'],
    ['XML-escaped', encodeBare(label).replace(/"/g, '&quot;'), 'bare'],
    ['padded with whitespace and NULs', `  \n${encodeBare(label)}\n\0\0`, 'bare'],
    ['an AIGC{...} blob', `AIGC${encodeBare(label)}`, 'bare'],
    ['a Vorbis AIGC= comment value', `AIGC=${encodeBare(label)}`, 'bare'],
    ['pretty-printed with a space after the wrapper', `{"AIGC": ${JSON.stringify(label, null, 2)}}`, 'wrapped'],
  ])('reads the %s form', (_name, text, form) => {
    const decoded = decodeLabel(text);
    expect(decoded.label).toEqual(label);
    expect(decoded.form).toBe(form);
  });

  it('reads a YAML mapping (Markdown front matter)', () => {
    const yaml = `AIGC:\n  ContentProducer: '${PRODUCER}'\n  ContentPropagator: '${PRODUCER}'\n  Label: '1'\n  ProduceID: 'id-1'\n  PropagateID: 'id-1'\n  ReservedCode1: ''\n  ReservedCode2: ''\n`;
    const decoded = decodeLabel(yaml);
    expect(decoded.form).toBe('yaml');
    expect(decoded.label).toEqual(label);
  });

  it('turns a numeric Label into a string with a finding', () => {
    const decoded = decodeLabel(encodeBare(label).replace('"Label":"1"', '"Label":1'));
    expect(decoded.label?.Label).toBe('1');
    expect(decoded.findings.map((f) => f.rule)).toContain('annex-e/field-type');
  });

  it('reports missing and unknown fields without throwing', () => {
    const decoded = decodeLabel('{"Label":"1","ContentProducer":"x","Extra":"y"}');
    expect(decoded.label?.ProduceID).toBe('');
    const rules = decoded.findings.map((f) => `${f.rule}:${f.where}`);
    expect(rules).toContain('annex-e/missing-field:ProduceID');
    expect(rules).toContain('annex-e/unknown-field:Extra');
  });

  it('returns null with a finding for text that is not a label', () => {
    for (const text of ['hello', '{not json', '[1,2]', '{"AIGC":7}']) {
      const decoded = decodeLabel(text);
      expect(decoded.label).toBeNull();
      expect(decoded.findings.some((f) => f.severity === 'error')).toBe(true);
    }
  });

  it('says plainly that an empty carrier is empty: a label may have been removed', () => {
    for (const text of ['', '   \n', '\0\0', '\uFEFF']) {
      const decoded = decodeLabel(text);
      expect(decoded.label).toBeNull();
      expect(decoded.findings.map((f) => [f.rule, f.severity])).toEqual([['carrier/empty', 'warning']]);
      expect(decoded.findings[0]?.message).toMatch(/Measures Art\. 10/);
    }
  });

  it('never expands entities other than the predefined five and character references', () => {
    const decoded = decodeLabel('{&quot;Label&quot;:&quot;&#49;&quot;,&quot;ContentProducer&quot;:&quot;&xxe;&quot;}');
    expect(decoded.label?.Label).toBe('1');
    expect(decoded.label?.ContentProducer).toBe('&xxe;');
  });
});

describe('validateLabel', () => {
  const ok = createLabel({ producer: PRODUCER, produceId: 'id-1' });
  const rules = (l: typeof ok, purpose: 'read' | 'write' = 'read') => validateLabel(l, purpose).map((f) => `${f.rule}/${f.severity}`);

  it('passes a well-formed label', () => {
    expect(validateLabel(ok, 'write').filter((f) => f.severity !== 'info')).toEqual([]);
  });

  it('flags Label outside 1-3', () => {
    expect(rules({ ...ok, Label: '4' as '1' })).toContain('annex-e/label-value/error');
  });

  it('applies the Annex E j) character set: a warning on read, an error on write', () => {
    const spaced = { ...ok, ContentProducer: 'Minimax Agent AI', ContentPropagator: 'Minimax Agent AI' };
    expect(rules(spaced)).toContain('annex-e/charset/warning');
    expect(rules(spaced, 'write')).toContain('annex-e/charset/error');
    expect(rules({ ...ok, ReservedCode1: '中文' })).toContain('annex-e/charset/warning');
    expect(rules({ ...ok, ReservedCode1: 'a\\b' })).toContain('annex-e/charset/warning');
    // a quote is allowed: it appears as the JSON escape \" (Annex E j))
    expect(rules({ ...ok, ReservedCode1: '{"SecurityData":{}}' })).not.toContain('annex-e/charset/warning');
  });

  it('requires producer and ProduceID of a generation service', () => {
    expect(rules({ ...ok, ContentProducer: '' }, 'write')).toContain('annex-e/empty-producer/error');
    expect(rules({ ...ok, ProduceID: '' }, 'write')).toContain('annex-e/empty-produce-id/error');
  });

  it('checks provider-code structure', () => {
    expect(rules({ ...ok, ContentProducer: '011191440300708461136T1XGW3' })).toContain('code/provider-structure/warning');
    expect(rules({ ...ok, ContentProducer: '001191440300708461136T2XGW3' })).toContain('code/provider-structure/warning');
    expect(rules({ ...ok, ContentProducer: 'doubao' })).toContain('code/provider-structure/info');
  });

  it('notes empty propagation elements (Annex E Note 1)', () => {
    expect(rules({ ...ok, ContentPropagator: '', PropagateID: '' })).toContain('annex-e/first-write/warning');
  });
});

describe('provider codes', () => {
  it('decodes the structure of a real code', () => {
    expect(parseProviderCode(PRODUCER)).toEqual({
      formatCode: '00',
      subjectType: '1',
      bindingType: '1',
      subjectId: '91440300708461136T',
      serviceType: '1',
      serviceCode: 'XGW3',
    });
    expect(parseProviderCode('too-short')).toBeNull();
  });
});

describe('newProduceId', () => {
  it('is a UUIDv7 that sorts by time and stays within the Annex E j) set', () => {
    const a = newProduceId(1_700_000_000_000);
    const b = newProduceId(1_700_000_000_001);
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a < b).toBe(true);
    const many = new Set(Array.from({ length: 10_000 }, () => newProduceId(1_700_000_000_000)));
    expect(many.size).toBe(10_000);
  });
});
