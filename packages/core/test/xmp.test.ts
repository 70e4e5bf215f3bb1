import { describe, expect, it } from 'vitest';
import {
  buildXmpPacket,
  escapeXml,
  findAigcInXmp,
  RDF_NAMESPACE,
  setAigcInXmp,
  TC260_NAMESPACE,
  UnsafeXmlError,
  xmpCarriers,
} from '../src/index.js';

const JSON_VALUE =
  '{"Label":"1","ContentProducer":"p","ProduceID":"i","ReservedCode1":"","ContentPropagator":"p","PropagateID":"i","ReservedCode2":""}';

const packet = (body: string, extraNs = '') =>
  `<?xpacket begin="\uFEFF" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"${extraNs}>${body}</rdf:RDF></x:xmpmeta><?xpacket end="w"?>`;

describe('findAigcInXmp', () => {
  it('reads the element form with &quot; escapes', () => {
    const [v] = findAigcInXmp(buildXmpPacket(JSON_VALUE));
    expect(v.value).toBe(JSON_VALUE);
    expect(v.form).toBe('element');
    expect(v.namespace).toBe(TC260_NAMESPACE);
  });

  it('reads the attribute form and any prefix bound to the TC260 URI', () => {
    const xml = packet(`<rdf:Description rdf:about="" xmlns:aigc="${TC260_NAMESPACE}" aigc:AIGC='${JSON_VALUE}'/>`);
    const [v] = findAigcInXmp(xml);
    expect(v).toMatchObject({ value: JSON_VALUE, form: 'attribute', prefix: 'aigc' });
  });

  it('reads raw quotes in element text', () => {
    const xml = packet(
      `<rdf:Description rdf:about="" xmlns:tc260="${TC260_NAMESPACE}"><tc260:AIGC>${JSON_VALUE}</tc260:AIGC></rdf:Description>`,
    );
    expect(findAigcInXmp(xml)[0].value).toBe(JSON_VALUE);
  });

  it('reports TC260:AIGC bound to a wrong URI with that URI', () => {
    const xml = packet(`<rdf:Description rdf:about="" xmlns:TC260="http://ns.adobe.com/xap/1.0/tc/" TC260:AIGC="x"/>`);
    expect(findAigcInXmp(xml)[0].namespace).toBe('http://ns.adobe.com/xap/1.0/tc/');
  });

  it('ignores AIGC properties of other namespaces', () => {
    const xml = packet(`<rdf:Description rdf:about="" xmlns:foo="http://example.com/" foo:AIGC="x"/>`);
    expect(findAigcInXmp(xml)).toEqual([]);
  });

  it('refuses DOCTYPE and entity declarations', () => {
    expect(() => findAigcInXmp(`<!DOCTYPE x [<!ENTITY a "b">]>${buildXmpPacket('x')}`)).toThrow(UnsafeXmlError);
  });
});

describe('setAigcInXmp', () => {
  it('updates the property in place and keeps every other byte', () => {
    const original = packet(
      `<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator>Ann</dc:creator></rdf:Description>` +
        `<rdf:Description rdf:about="" xmlns:TC260="${TC260_NAMESPACE}"><TC260:AIGC>old</TC260:AIGC></rdf:Description>`,
    );
    const updated = setAigcInXmp(original, JSON_VALUE);
    expect(findAigcInXmp(updated).map((v) => v.value)).toEqual([JSON_VALUE]);
    expect(updated.replace(/<TC260:AIGC>.*<\/TC260:AIGC>/, '')).toBe(original.replace('<TC260:AIGC>old</TC260:AIGC>', ''));
  });

  it('adds a Description when the packet has none, keeping the rest', () => {
    const original = packet(
      `<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator>Ann</dc:creator></rdf:Description>`,
    );
    const updated = setAigcInXmp(original, JSON_VALUE);
    expect(findAigcInXmp(updated).map((v) => v.value)).toEqual([JSON_VALUE]);
    expect(updated).toContain('<dc:creator>Ann</dc:creator>');
    expect(updated.startsWith(original.slice(0, original.indexOf('</rdf:RDF>')))).toBe(true);
  });

  it('keeps the attribute form and removes a second copy (one label per file)', () => {
    const original = packet(
      `<rdf:Description rdf:about="" xmlns:TC260="${TC260_NAMESPACE}" TC260:AIGC="a"/>` +
        `<rdf:Description rdf:about="" xmlns:t="${TC260_NAMESPACE}"><t:AIGC>b</t:AIGC></rdf:Description>`,
    );
    const found = findAigcInXmp(setAigcInXmp(original, JSON_VALUE));
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ form: 'attribute', value: JSON_VALUE });
  });
});

describe('XMP as other tools write it', () => {
  const json =
    '{"Label":"1","ContentProducer":"p","ProduceID":"i","ReservedCode1":"","ContentPropagator":"p","PropagateID":"i","ReservedCode2":""}';
  const escaped = json.replace(/"/g, '&quot;');

  it('reads unqualified, default-namespace and foreign-namespace AIGC properties that hold a label, as non-canonical', () => {
    const packet = `<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="${RDF_NAMESPACE}">
      <rdf:Description rdf:about="" AIGC="${escaped}"/>
      <rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:AIGC>${escaped}</dc:AIGC><dc:title>AIGC</dc:title></rdf:Description>
      <rdf:Description rdf:about="" xmlns:v="http://vendor/"><v:AIGC>true</v:AIGC></rdf:Description>
    </rdf:RDF></x:xmpmeta>`;
    const found = findAigcInXmp(packet);
    expect(found.map((f) => [f.prefix, f.form, f.namespace])).toEqual([
      ['', 'attribute', ''],
      ['dc', 'element', 'http://purl.org/dc/elements/1.1/'],
    ]);
    expect(found.every((f) => f.value === json)).toBe(true);
  });

  it('labels a packet without rdf:RDF, or with RDF as the default namespace, keeping every other byte', () => {
    const bare = '<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"></x:xmpmeta><?xpacket end="w"?>';
    const labeled = setAigcInXmp(bare, json);
    expect(findAigcInXmp(labeled).map((f) => [f.namespace, f.value])).toEqual([[TC260_NAMESPACE, json]]);
    expect(labeled.startsWith('<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">')).toBe(true);
    const defaultNs = `<x:xmpmeta xmlns:x="adobe:ns:meta/"><RDF xmlns="${RDF_NAMESPACE}"><Description about=""/></RDF></x:xmpmeta>`;
    const relabeled = setAigcInXmp(defaultNs, json);
    expect(findAigcInXmp(relabeled).map((f) => f.namespace)).toEqual([TC260_NAMESPACE]);
    expect(relabeled).toContain(`<RDF xmlns="${RDF_NAMESPACE}"><Description about=""/> <rdf:Description xmlns:rdf="${RDF_NAMESPACE}"`);
  });

  it('finds 100,000 elements, unclosed elements or attributes in one pass', () => {
    const head = `<rdf:RDF xmlns:rdf="${RDF_NAMESPACE}" xmlns:TC260="${TC260_NAMESPACE}"><rdf:Description>`;
    const closed = `${head}${'<TC260:AIGC>x</TC260:AIGC>'.repeat(100_000)}</rdf:Description></rdf:RDF>`;
    expect(findAigcInXmp(closed)).toHaveLength(100_000);
    const unclosed = `${head}${'<TC260:AIGC>x'.repeat(100_000)}`;
    const broken = findAigcInXmp(unclosed);
    expect(broken).toHaveLength(100_000);
    expect(broken.every((f) => f.broken !== null && f.value === 'x')).toBe(true);
    expect(findAigcInXmp(setAigcInXmp(unclosed, json)).map((f) => [f.value, f.broken])).toEqual([[json, null]]);
    const attributes = `${head.replace('<rdf:Description>', '')}${'<rdf:Description TC260:AIGC="x"/>'.repeat(100_000)}</rdf:RDF>`;
    expect(findAigcInXmp(attributes)).toHaveLength(100_000);
    expect(findAigcInXmp(setAigcInXmp(closed, json))).toHaveLength(1);
  });
});

describe('a broken TC260:AIGC element (issue 15 fuzz finding)', () => {
  const json =
    '{"Label":"1","ContentProducer":"p","ProduceID":"new","ReservedCode1":"","ContentPropagator":"p","PropagateID":"new","ReservedCode2":""}';
  const description = (body: string) =>
    packet(
      `<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator>Ann</dc:creator></rdf:Description>` +
        `<rdf:Description rdf:about="" xmlns:TC260="${TC260_NAMESPACE}">${body}</rdf:Description>`,
    );
  // The shapes the fuzzer made: an end tag cut by a NUL or a stray letter, the value cut, no end tag at all.
  const broken = [
    `<TC260:AIGC>${JSON_VALUE}<\u0000/TC260:AIGC>`,
    `<TC260:AIGC>${JSON_VALUE}\u0000/TC260:AIGC>`,
    '<TC260:AIGC>\u0000\u0000\u0000\u0000260:AIGC>',
    `<TC260:AIGC>\u0000\u0000\u0000\u0000bel":"1"}<I/TC260:AIGC>`,
    `<TC260:AIGC>${JSON_VALUE}`,
    '<TC260:AIGC',
  ];

  it.each(broken)('is found as broken, with the text up to the next tag: %j', (body) => {
    const xml = description(body);
    const [found, ...more] = findAigcInXmp(xml);
    expect(more).toEqual([]);
    expect(found.broken).toMatch(/TC260:AIGC/);
    expect({ start: found.start, end: found.end }).toEqual({
      start: xml.indexOf('<TC260:AIGC'),
      end: xml.indexOf('</rdf:Description></rdf:RDF>'),
    });
  });

  it.each(broken)('is replaced in place by a correct element, every other character kept: %j', (body) => {
    const xml = description(body);
    const labeled = setAigcInXmp(xml, json);
    expect(findAigcInXmp(labeled).map((f) => [f.value, f.broken, f.namespace])).toEqual([[json, null, TC260_NAMESPACE]]);
    expect(labeled).toBe(xml.replace(body, `<TC260:AIGC>${escapeXml(json)}</TC260:AIGC>`));
  });

  it('never takes its end tag from a later element: the later one is found whole and kept', () => {
    const xml = description(`<TC260:AIGC>junk<TC260:AIGC>${JSON_VALUE}</TC260:AIGC>`);
    const found = findAigcInXmp(xml);
    expect(found.map((f) => [f.value, f.broken === null])).toEqual([
      ['junk', false],
      [JSON_VALUE, true],
    ]);
    const labeled = setAigcInXmp(xml, json);
    expect(labeled).toBe(
      xml.replace(`<TC260:AIGC>junk<TC260:AIGC>${JSON_VALUE}</TC260:AIGC>`, `<TC260:AIGC>${escapeXml(json)}</TC260:AIGC>`),
    );
  });

  it('is a damaged carrier when its text is a label, an unreadable one otherwise', () => {
    const salvaged = xmpCarriers(description(broken[0]), 'test', 0);
    expect(salvaged.map((c) => [c.label?.ProduceID, c.findings.map((f) => f.rule)])).toEqual([['i', ['format/damaged']]]);
    const unreadable = xmpCarriers(description(broken[2]), 'test', 0);
    expect(unreadable.map((c) => [c.label, c.findings.map((f) => f.rule)])).toEqual([[null, ['decode/not-json', 'carrier/unreadable']]]);
  });
});

describe('label elements as separate XMP properties (issue 25 item 6)', () => {
  const label = {
    Label: '1',
    ContentProducer: 'p',
    ProduceID: 'i',
    ReservedCode1: '',
    ContentPropagator: 'p',
    PropagateID: 'i',
    ReservedCode2: '',
  };
  const asAttributes = Object.entries(label)
    .map(([k, v]) => `${k}="${v}"`)
    .join(' ');
  const asElements = (prefix: string) =>
    Object.entries(label)
      .map(([k, v]) => `<${prefix}${k}>${v}</${prefix}${k}>`)
      .join('');

  it.each([
    ['unqualified attributes', `<rdf:Description rdf:about=""><AIGC ${asAttributes}/></rdf:Description>`],
    ['unqualified attributes', `<rdf:Description rdf:about="" ${asAttributes}/>`],
    ['foreign-namespace elements', `<rdf:Description rdf:about="" xmlns:v="http://vendor/">${asElements('v:')}</rdf:Description>`],
    ['TC260 elements', `<rdf:Description rdf:about="" xmlns:TC260="${TC260_NAMESPACE}">${asElements('TC260:')}</rdf:Description>`],
  ])('reads %s as a non-canonical carrier: %s', (form, body) => {
    const carriers = xmpCarriers(packet(body), 'test', 0);
    expect(carriers.map((c) => [c.location, c.label, c.canonical, c.findings.map((f) => f.rule)])).toEqual([
      [`test, label elements as ${form}`, label, false, ['carrier/non-canonical']],
    ]);
  });

  it('ignores an xmp:Label colour label and the keys of the JSON in TC260:AIGC', () => {
    const xml = packet(
      `<rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:Label="Red"/>` +
        `<rdf:Description rdf:about="" xmlns:TC260="${TC260_NAMESPACE}"><TC260:AIGC>${escapeXml(JSON_VALUE)}</TC260:AIGC></rdf:Description>`,
    );
    expect(xmpCarriers(xml, 'test', 0).map((c) => c.location)).toEqual(['test, TC260:AIGC element']);
  });
});
