import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { bytesSource, type EvidenceReport, type FormatDescriptor, indexOfBytes } from '@aigc-label/core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { c2paReader } from '../src/index.js';
import { C2PA_JUMBF, readStructure } from '../src/structure.js';
import { type Sample, samples } from './media.js';
import { sdkVerdict, signC2pa } from './sign.js';

const fixture = (name: string) => new Uint8Array(readFileSync(fileURLToPath(new URL(`./fixtures/c2pa-rs/${name}`, import.meta.url))));

/** A format descriptor as the facade hands it over; only the MIME types matter to the reader. */
const formatOf = (mimeType: string): FormatDescriptor => ({
  id: 'test',
  kind: 'image',
  name: mimeType,
  extensions: [],
  mimeTypes: [mimeType],
  carrier: '',
  sniff: () => true,
});

const reader = c2paReader();
const readEvidence = (bytes: Uint8Array, mimeType: string, read = reader): Promise<EvidenceReport> =>
  read.read({ source: bytesSource(bytes), format: formatOf(mimeType), read: { format: 'test', carriers: [], findings: [] }, marks: [] });

/** Our reading, in the SDK's words: no manifest, a remote reference, or the validation state. */
async function ourVerdict(bytes: Uint8Array, mimeType: string): Promise<string> {
  const report = await readEvidence(bytes, mimeType);
  const manifest = report.evidence.find((e) => e.kind === 'c2pa-manifest');
  if (manifest) return manifest.validation?.state ?? `error: ${manifest.detail}`;
  return report.evidence.some((e) => e.kind === 'c2pa-remote-manifest') ? 'remote' : 'none';
}

/** The file with one media byte changed, away from the manifest store, so its hard binding no longer matches. */
function tamper(sample: Sample, signed: Uint8Array): Uint8Array {
  const out = signed.slice();
  if (sample.mimeType === 'application/pdf') {
    const at = indexOfBytes(out, new TextEncoder().encode('[0 0 200 100]'));
    out[at + 5] = 0x33; // the page is now 300 points wide
    return out;
  }
  const store = indexOfBytes(out, C2PA_JUMBF);
  const far = (at: number) => Math.abs(at - store) > 12_000;
  const at = [0.6, 0.3, 0.9].map((f) => Math.floor(out.length * f)).find(far) ?? out.length - 8;
  out[at] ^= 0x01;
  return out;
}

const fetchSpy = vi.fn(async () => {
  throw new Error('no network access is allowed');
});
beforeAll(() => {
  vi.stubGlobal('fetch', fetchSpy);
});
afterAll(() => {
  vi.unstubAllGlobals();
  expect(fetchSpy).not.toHaveBeenCalled();
});

describe('C2PA SDK test fixtures (c2pa-rs): our evidence agrees with the SDK', () => {
  it.each([
    ['CA.jpg', 'image/jpeg', 'Valid'],
    ['E-sig-CA.jpg', 'image/jpeg', 'Invalid'],
    ['XCA.jpg', 'image/jpeg', 'Invalid'],
    ['cloud.jpg', 'image/jpeg', 'remote'],
    ['libpng-test_with_url.png', 'image/png', 'remote'],
  ])('%s', async (name, mimeType, expected) => {
    const bytes = fixture(name);
    expect(await sdkVerdict(bytes, mimeType)).toBe(expected);
    expect(await ourVerdict(bytes, mimeType)).toBe(expected);
  });

  it('names the failure codes of an invalid manifest, as a finding too', async () => {
    const report = await readEvidence(fixture('E-sig-CA.jpg'), 'image/jpeg');
    expect(report.evidence[0]?.validation).toEqual({
      state: 'Invalid',
      failures: ['signingCredential.untrusted', 'claimSignature.mismatch'],
    });
    expect(report.findings.map((f) => [f.rule, f.severity])).toEqual([['c2pa/invalid', 'warning']]);
    expect(report.findings[0]?.message).toContain('claimSignature.mismatch');
    const edited = await readEvidence(fixture('XCA.jpg'), 'image/jpeg');
    expect(edited.evidence[0]?.validation?.failures).toContain('assertion.dataHash.mismatch');
  });

  it('reports a remote reference with its URL and never fetches it', async () => {
    const report = await readEvidence(fixture('cloud.jpg'), 'image/jpeg');
    expect(report.evidence).toHaveLength(1);
    expect(report.evidence[0]).toMatchObject({ kind: 'c2pa-remote-manifest', scheme: 'c2pa', aiTrace: false });
    expect(report.evidence[0]?.detail).toContain(
      'https://cai-manifests.adobe.com/manifests/adobe-urn-uuid-5f37e182-3687-462e-a7fb-573462780391',
    );
    expect(fetchSpy).not.toHaveBeenCalled();
  });

  it('reports the signer and the claim generator', async () => {
    const [evidence] = (await readEvidence(fixture('CA.jpg'), 'image/jpeg')).evidence;
    expect(evidence?.detail).toContain('signed by C2PA Test Signing Cert');
    expect(evidence?.detail).toMatch(/claim generator \S/);
  });

  it('says Trusted when the signer chains to a configured trust anchor', async () => {
    const anchors = readFileSync(fileURLToPath(new URL('./fixtures/c2pa-rs/test_cert_root_bundle.pem', import.meta.url)), 'utf8');
    const png = (await samples()).find((s) => s.mimeType === 'image/png')!;
    const report = await readEvidence(await signC2pa(png.bytes, png.mimeType), png.mimeType, c2paReader({ trustAnchors: anchors }));
    expect(report.evidence[0]?.validation).toEqual({ state: 'Trusted', failures: [] });
  });
});

describe('files signed here in every format the SDK reads', async () => {
  const all = await samples();
  it.each(all.map((s) => [s.name, s]))(
    '%s: no manifest, Valid when signed, Invalid when changed, as the SDK says',
    async (_name, sample) => {
      const signed = await signC2pa(sample.bytes, sample.mimeType);
      const changed = tamper(sample, signed);
      const verdicts = [];
      for (const bytes of [sample.bytes, signed, changed]) {
        verdicts.push([await sdkVerdict(bytes, sample.mimeType), await ourVerdict(bytes, sample.mimeType)]);
      }
      expect(verdicts).toEqual([
        ['none', 'none'],
        ['Valid', 'Valid'],
        ['Invalid', 'Invalid'],
      ]);
      const report = await readEvidence(signed, sample.mimeType);
      expect(report.evidence.map((e) => [e.kind, e.aiTrace])).toEqual([['c2pa-manifest', true]]);
      expect(report.replaces).toEqual(['c2pa-manifest']);
    },
  );

  it('finds no manifest store in an unsigned file without calling the SDK', async () => {
    for (const sample of all) expect((await readStructure(bytesSource(sample.bytes))).c2pa, sample.name).toBeNull();
  });
});

describe('ingredients', () => {
  it('an edit of an AI-generated parent is a trace through its ingredient', async () => {
    const jpeg = (await samples()).find((s) => s.mimeType === 'image/jpeg')!;
    const parent = await signC2pa(jpeg.bytes, jpeg.mimeType, 'trainedAlgorithmicMedia');
    const edit = await signC2pa(jpeg.bytes, jpeg.mimeType, 'unused', parent);
    const [evidence] = (await readEvidence(edit, jpeg.mimeType)).evidence;
    expect(evidence).toMatchObject({ kind: 'c2pa-manifest', aiTrace: true, validation: { state: 'Valid' } });
    expect(evidence?.detail).toContain('trainedAlgorithmicMedia (ingredient "parent" (parentOf), c2pa.created action)');
    expect(evidence?.reason).toMatch(/^ingredient "parent" \(parentOf\), c2pa.created action: IPTC trainedAlgorithmicMedia/);
  });
});

describe('damaged manifest stores', () => {
  it('a JUMBF signature on garbage is an unreadable store: evidence without a trace, and a finding', async () => {
    const jpeg = (await samples()).find((s) => s.mimeType === 'image/jpeg')!.bytes;
    const box = new TextEncoder().encode('JP\0\x01\0\0\0\x01\0\0\0\x1ejumdc2pa and then nothing a parser wants');
    const segment = new Uint8Array([0xff, 0xeb, 0, box.length + 2, ...box]);
    const damaged = new Uint8Array([...jpeg.subarray(0, 2), ...segment, ...jpeg.subarray(2)]);
    const report = await readEvidence(damaged, 'image/jpeg');
    expect(report.evidence.map((e) => [e.kind, e.aiTrace, e.validation])).toEqual([['c2pa-manifest', false, undefined]]);
    expect(report.findings.map((f) => f.rule)).toEqual(['c2pa/unreadable']);
  });
});

describe('digital source types follow the IPTC definitions', () => {
  it.each([
    ['trainedAlgorithmicMedia', true],
    ['compositeWithTrainedAlgorithmicMedia', true],
    ['compositeSynthetic', true],
    ['algorithmicMedia', false],
    ['digitalCapture', false],
  ])('%s: AI trace %s', async (term, aiTrace) => {
    const jpeg = (await samples()).find((s) => s.mimeType === 'image/jpeg')!;
    const [evidence] = (await readEvidence(await signC2pa(jpeg.bytes, jpeg.mimeType, term), jpeg.mimeType)).evidence;
    expect(evidence).toMatchObject({ kind: 'c2pa-manifest', aiTrace, validation: { state: 'Valid' } });
    expect(evidence?.detail).toContain(`digital source type ${term} (c2pa.created action)`);
    expect(evidence?.reason).toContain(term);
  });
});
