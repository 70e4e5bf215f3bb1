import { describe, expect, it } from 'vitest';
import {
  ascii,
  buildXmpPacket,
  c2paEvidence,
  createLabel,
  encodeBare,
  findAigcInXmp,
  findDigitalSourceTypes,
  InvalidLabelError,
  labelXmpPacket,
  propagateLabel,
  xmpEvidence,
} from '../src/index.js';

const IPTC = 'http://iptc.org/std/Iptc4xmpExt/2008-02-29/';

describe('IPTC DigitalSourceType', () => {
  it('reads the element, rdf:resource and attribute forms under any prefix', () => {
    const xml = `<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
      <rdf:Description rdf:about="" xmlns:Iptc4xmpExt="${IPTC}"><Iptc4xmpExt:DigitalSourceType>http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia</Iptc4xmpExt:DigitalSourceType></rdf:Description>
      <rdf:Description rdf:about="" xmlns:ie="${IPTC}"><ie:DigitalSourceType rdf:resource="http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture"/></rdf:Description>
      <rdf:Description rdf:about="" xmlns:i="${IPTC}" i:DigitalSourceType="http://cv.iptc.org/newscodes/digitalsourcetype/compositeSynthetic"/>
      </rdf:RDF></x:xmpmeta>`;
    expect(findDigitalSourceTypes(xml)).toEqual(['trainedAlgorithmicMedia', 'digitalCapture', 'compositeSynthetic']);
    expect(xmpEvidence(xml, 'xmp').map((e) => [e.detail, e.aiTrace])).toEqual([
      ['trainedAlgorithmicMedia', true],
      ['digitalCapture', false],
      ['compositeSynthetic', true],
    ]);
  });

  it('writes trainedAlgorithmicMedia beside TC260:AIGC in the same packet when asked', () => {
    const json = encodeBare(createLabel({ producer: 'p', produceId: 'i' }));
    const dual = labelXmpPacket(null, json, { iptc: true });
    expect(findDigitalSourceTypes(dual)).toEqual(['trainedAlgorithmicMedia']);
    expect(findAigcInXmp(dual)[0].value).toBe(json);
    expect(findDigitalSourceTypes(labelXmpPacket(null, json))).toEqual([]);
    // idempotent: a second write adds no second property
    expect(findDigitalSourceTypes(labelXmpPacket(dual, json, { iptc: true }))).toEqual(['trainedAlgorithmicMedia']);
    expect(buildXmpPacket(json)).not.toContain('Iptc4xmpExt');
  });
});

describe('c2paEvidence', () => {
  it('reads the digital source type from a manifest store without decoding CBOR', () => {
    const store = ascii(
      '....jumb....c2pa....c2pa.actions....digitalSourceType..http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia...',
    );
    const e = c2paEvidence(store, 'APP11');
    expect(e.aiTrace).toBe(true);
    expect(e.detail).toContain('trainedAlgorithmicMedia');
    expect(c2paEvidence(ascii('....jumb....c2pa....'), 'APP11').aiTrace).toBe(false);
  });
});

describe('propagateLabel (Measures Art. 6)', () => {
  const producer = createLabel({ producer: '001191440300708461136T1XGW3', produceId: 'p-1', reservedCode1: 'sig' });
  const platform = { propagator: '001191110108MA01XXXX0X20001', propagateId: 'plat-9' };

  it('keeps every producer element of confirmed content exactly', () => {
    const out = propagateLabel(producer, 'confirmed', { ...platform, reservedCode2: 'psig' });
    expect(out).toEqual({ ...producer, ContentPropagator: platform.propagator, PropagateID: 'plat-9', ReservedCode2: 'psig' });
  });

  it('writes Label 2 or 3 with the platform elements when there was no label', () => {
    expect(propagateLabel(null, 'possible', platform)).toMatchObject({
      Label: '2',
      ContentProducer: '',
      ContentPropagator: platform.propagator,
    });
    expect(propagateLabel(null, 'suspected', platform).Label).toBe('3');
  });

  it('refuses when there is nothing to propagate', () => {
    expect(() => propagateLabel(null, 'none', platform)).toThrow(InvalidLabelError);
    expect(() => propagateLabel(producer, 'confirmed', { propagator: '', propagateId: 'x' })).toThrow(InvalidLabelError);
  });
});
