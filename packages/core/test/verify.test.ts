import { describe, expect, it } from 'vitest';
import { classifyDigitalSourceType, decideOutcome, type Evidence, strongestTrace } from '../src/index.js';

const trace = (scheme: Evidence['scheme'], extra: Partial<Evidence> = {}): Evidence => ({
  kind: scheme === 'c2pa' ? 'c2pa-manifest' : 'iptc-digital-source-type',
  scheme,
  detail: scheme,
  where: `${scheme} place`,
  aiTrace: true,
  ...extra,
});

describe('the basis cites the strongest trace', () => {
  it('a validated C2PA assertion beats IPTC and vendor markers; an invalid one is weakest', () => {
    const valid = trace('c2pa', { validation: { state: 'Valid', failures: [] } });
    const invalid = trace('c2pa', { validation: { state: 'Invalid', failures: ['claimSignature.mismatch'] } });
    expect(strongestTrace([trace('vendor'), trace('iptc'), valid])).toBe(valid);
    expect(strongestTrace([invalid, trace('vendor')])?.scheme).toBe('vendor');
    expect(strongestTrace([trace('explicit'), trace('iptc', { aiTrace: false }), trace('tc260')])?.scheme).toBe('tc260');
    expect(strongestTrace([trace('iptc', { aiTrace: false })])).toBeUndefined();
  });

  it('says which trace decided and how many there were', () => {
    const decision = decideOutcome({
      label: null,
      traces: [trace('iptc'), trace('c2pa', { validation: { state: 'Valid', failures: [] } })],
    });
    expect(decision.outcome).toBe('suspected');
    expect(decision.basis).toBe(
      'no metadata label or declaration; strongest trace: c2pa-manifest (c2pa) at c2pa place; 2 traces in all (iptc-digital-source-type, c2pa-manifest), Measures Art. 6(3)',
    );
  });
});

describe('IPTC digital source types', () => {
  it('classifies full URIs and bare terms, and says why', () => {
    expect(classifyDigitalSourceType('http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia')).toMatchObject({
      term: 'trainedAlgorithmicMedia',
      aiTrace: true,
    });
    expect(classifyDigitalSourceType('http://c2pa.org/digitalsourcetype/trainedAlgorithmicData').aiTrace).toBe(true);
    expect(classifyDigitalSourceType('algorithmicMedia')).toMatchObject({
      aiTrace: false,
      reason: expect.stringContaining('not an AI trace'),
    });
    expect(classifyDigitalSourceType('madeUpTerm')).toMatchObject({ aiTrace: false, reason: expect.stringContaining('not a term') });
  });
});
