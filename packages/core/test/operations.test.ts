import { describe, expect, it } from 'vitest';
import {
  type AigcLabel,
  bytesSource,
  createLabel,
  encodeBare,
  type FormatHandler,
  finding,
  InvalidLabelError,
  type LabelCarrier,
  LabelConflictError,
  otherProducers,
  planLabelWrite,
  producerNamedIn,
  propagateLabel,
  summarizeCarriers,
  utf8,
} from '../src/index.js';

const ours = createLabel({ producer: 'our-service', produceId: 'id-1' });
const carrier = (overrides: Partial<LabelCarrier>): LabelCarrier => ({
  carrier: 'test',
  location: 'test',
  raw: '',
  label: null,
  form: null,
  canonical: true,
  findings: [],
  ...overrides,
});
const summary = (...carriers: LabelCarrier[]) => summarizeCarriers({ format: 'test', carriers, findings: [] });

describe('whose label a file carries (fail closed)', () => {
  it("refuses another producer's readable label unless forced", () => {
    const theirs = carrier({ label: createLabel({ producer: 'other', produceId: 'x' }) });
    expect(() => otherProducers(summary(theirs), ours)).toThrow(LabelConflictError);
    expect(otherProducers(summary(theirs), ours, true)).toHaveLength(1);
  });

  it('counts a damaged value that still names another producer as theirs', () => {
    const damaged = carrier({ raw: '{"Label":"1","ContentProducer":"other-co","ProduceID":"x"' });
    expect(producerNamedIn(damaged.raw)).toBe('other-co');
    expect(() => otherProducers(summary(damaged), ours)).toThrow(/producer other-co/);
    const mine = carrier({ raw: '{"Label":"1","ContentProducer":"our-service",' });
    expect(otherProducers(summary(mine), ours)).toEqual([]);
  });

  it('refuses to write beside a carrier it cannot read, unless forced', () => {
    const encrypted = carrier({ findings: [finding('carrier/unreadable', 'error', 'an encrypted TXXX frame')] });
    expect(() => otherProducers(summary(encrypted), ours)).toThrow(/cannot be read.*--force/);
    expect(otherProducers(summary(encrypted), ours, true)).toHaveLength(1);
  });
});

describe("a platform's propagation keeps the producer's elements", () => {
  const handler: FormatHandler = {
    id: 'test',
    kind: 'text',
    name: 'Test',
    extensions: ['test'],
    mimeTypes: [],
    carrier: 'whole file',
    sniff: () => true,
    read: async () => ({ format: 'test', carriers: [], findings: [] }),
    write: async (_source, label: AigcLabel) => ({ segments: [utf8(encodeBare(label))], findings: [] }),
  };
  const vendor: AigcLabel = { ...createLabel({ producer: 'x', produceId: 'id 1' }), ContentProducer: '抖音' };

  it('writes the platform elements over a producer label outside the Annex E charset, with a warning', async () => {
    const label = propagateLabel(vendor, 'confirmed', { propagator: 'platform', propagateId: 'p-1' });
    await expect(planLabelWrite(handler, bytesSource(new Uint8Array()), label)).rejects.toThrow(InvalidLabelError);
    const planned = await planLabelWrite(handler, bytesSource(new Uint8Array()), label, {
      keptFields: ['Label', 'ContentProducer', 'ProduceID', 'ReservedCode1', 'ReservedCode2'],
    });
    expect(planned.findings.map((f) => [f.rule, f.severity, f.where])).toEqual([
      ['annex-e/charset', 'warning', 'ContentProducer'],
      ['annex-e/charset', 'warning', 'ProduceID'],
    ]);
  });

  it('still checks what the platform adds', async () => {
    const label = propagateLabel(vendor, 'confirmed', { propagator: '平台', propagateId: 'p-1' });
    await expect(
      planLabelWrite(handler, bytesSource(new Uint8Array()), label, {
        keptFields: ['Label', 'ContentProducer', 'ProduceID', 'ReservedCode1'],
      }),
    ).rejects.toThrow(/ContentPropagator/);
  });
});
