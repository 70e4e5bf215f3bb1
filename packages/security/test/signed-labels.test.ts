import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type AigcLabel,
  bytesSource,
  decodeLabel,
  encodeBare,
  encodeWrapped,
  validateLabel,
  vendorFieldLengthLimit,
} from '@aigc-label/core';
import { afterAll, describe, expect, it } from 'vitest';
import { withTool } from '../../../test/oracles.js';
import {
  digestRegions,
  generateSm2KeyPair,
  localSigner,
  parseTrustStore,
  readReservedValue,
  type Signer,
  signSecurityData,
  verifyReservedField,
} from '../src/index.js';
import { contentDigestOf, fakeFile, newLabel, PLATFORM, PRODUCER, randomContent, regionsOf } from './helpers.js';

const producerKey = generateSm2KeyPair();
const platformKey = generateSm2KeyPair();
const strangerKey = generateSm2KeyPair();
const trust = parseTrustStore(
  `Name: producer key\nProducers: ${PRODUCER}\n${producerKey.publicKeyPem}\nName: platform key\nProducers: ${PLATFORM}\n${platformKey.publicKeyPem}`,
);

/** Labels `content` the way the facade will: regions of the output, digest, sign, write. */
async function produce(content: Uint8Array, signer: Signer = localSigner(producerKey.privateKey), label: AigcLabel = newLabel()) {
  const unsigned = fakeFile(content, null);
  const digest = await digestRegions(bytesSource(unsigned.bytes), regionsOf(unsigned));
  const signed = {
    ...label,
    ReservedCode1: await signSecurityData(label, {
      field: 'ReservedCode1',
      signer,
      binding: { scheme: regionsOf(unsigned).scheme, digest },
    }),
  };
  return { label: signed, file: fakeFile(content, signed) };
}

describe('our SecurityData, signed and verified', () => {
  it('verifies: valid signature, key trusted for the producer, binding matches', async () => {
    const { label, file } = await produce(randomContent());
    const verdict = await verifyReservedField(label, 'ReservedCode1', { trust, contentDigest: contentDigestOf(file) });
    expect(verdict).toMatchObject({
      verdict: 'verified',
      binding: 'matches',
      keyId: producerKey.keyId,
      trustedAs: 'producer key',
      form: 'security-data',
    });
    const labelSignature = verdict.signatures.find((s) => s.role === 'label')!;
    expect(Buffer.from(labelSignature.signedData!, 'base64').toString()).toBe(
      `"Label":"1","ContentProducer":"${PRODUCER}","ProduceID":"${label.ProduceID}"`,
    );
    expect(labelSignature).toMatchObject({ valid: true, keyId: producerKey.keyId });
    expect(labelSignature.signature).toMatch(/^30[0-9a-f]+$/);
    expect(verdict.spellings).toEqual([]);
    expect(verdict.detail).toContain('verified');
  });

  it('gives binding-mismatch when one content byte changes', async () => {
    const { label, file } = await produce(randomContent());
    const changed = file.bytes.slice();
    changed[1234] ^= 0x01;
    const verdict = await verifyReservedField(label, 'ReservedCode1', {
      trust,
      contentDigest: contentDigestOf({ ...file, bytes: changed }),
    });
    expect(verdict).toMatchObject({ verdict: 'binding-mismatch', binding: 'mismatch' });
    expect(verdict.detail).toMatch(/no longer matches its binding/);
  });

  it('gives binding-mismatch when the label is copied onto another file', async () => {
    const { label } = await produce(randomContent());
    const other = fakeFile(randomContent(), label);
    expect((await verifyReservedField(label, 'ReservedCode1', { trust, contentDigest: contentDigestOf(other) })).verdict).toBe(
      'binding-mismatch',
    );
  });

  it('gives binding-mismatch when a binding is paired with another label signed by the same key', async () => {
    const content = randomContent();
    const first = await produce(content, undefined, newLabel('id-1'));
    const second = await produce(randomContent(), undefined, newLabel('id-2'));
    // Keep the first label's signature but graft the second file's binding and binding signature on.
    const a = JSON.parse(first.label.ReservedCode1);
    const b = JSON.parse(second.label.ReservedCode1);
    a.SecurityData.Bindings = b.SecurityData.Bindings;
    a.SecurityData.PubSD[2] = b.SecurityData.PubSD[2];
    const grafted = { ...first.label, ReservedCode1: JSON.stringify(a) };
    const verdict = await verifyReservedField(grafted, 'ReservedCode1', {
      trust,
      contentDigest: contentDigestOf(fakeFile(content, grafted)),
    });
    expect(verdict).toMatchObject({ verdict: 'binding-mismatch', binding: 'mismatch' });
    expect(verdict.detail).toContain('belongs to another label');
  });

  it('gives failed when ProduceID (or another signed element) is edited', async () => {
    const { label, file } = await produce(randomContent());
    for (const edit of [
      { ProduceID: `${label.ProduceID}0` },
      { ContentProducer: '001191110102MACQD9K64010000' },
      { Label: '2' as const },
    ]) {
      const edited = { ...label, ...edit };
      const verdict = await verifyReservedField(edited, 'ReservedCode1', { trust, contentDigest: contentDigestOf(file) });
      expect(verdict.verdict, JSON.stringify(edit)).toBe('failed');
      expect(verdict.signatures.find((s) => s.role === 'label')?.valid).toBe(false);
    }
  });

  it('gives failed when the signature itself is changed', async () => {
    const { label, file } = await produce(randomContent());
    const data = JSON.parse(label.ReservedCode1);
    const ds = data.SecurityData.PubSD[1];
    ds.Signature = ds.Signature.slice(0, -2) + (ds.Signature.endsWith('00') ? '01' : '00');
    const verdict = await verifyReservedField({ ...label, ReservedCode1: JSON.stringify(data) }, 'ReservedCode1', {
      trust,
      contentDigest: contentDigestOf(file),
    });
    expect(verdict.verdict).toBe('failed');
  });

  it('gives valid-untrusted for an unknown key, a key trusted for another code, or no trust store', async () => {
    const stranger = await produce(randomContent(), localSigner(strangerKey.privateKey));
    expect(
      (await verifyReservedField(stranger.label, 'ReservedCode1', { trust, contentDigest: contentDigestOf(stranger.file) })).verdict,
    ).toBe('valid-untrusted');
    const platformSigned = await produce(randomContent(), localSigner(platformKey.privateKey));
    const verdict = await verifyReservedField(platformSigned.label, 'ReservedCode1', {
      trust,
      contentDigest: contentDigestOf(platformSigned.file),
    });
    expect(verdict).toMatchObject({ verdict: 'valid-untrusted', binding: 'matches' });
    expect(verdict.detail).toContain(`is not trusted for "${PRODUCER}"`);
    const own = await produce(randomContent());
    expect((await verifyReservedField(own.label, 'ReservedCode1', { contentDigest: contentDigestOf(own.file) })).verdict).toBe(
      'valid-untrusted',
    );
  });

  it('says what it could not check: no binding, or no digest for the scheme', async () => {
    const label = newLabel();
    const unbound = {
      ...label,
      ReservedCode1: await signSecurityData(label, { field: 'ReservedCode1', signer: localSigner(producerKey.privateKey) }),
    };
    expect(await verifyReservedField(unbound, 'ReservedCode1', { trust })).toMatchObject({ verdict: 'verified', binding: 'absent' });
    expect(await verifyReservedField(unbound, 'ReservedCode1', { trust, requireBinding: true })).toMatchObject({
      verdict: 'unverifiable',
      binding: 'absent',
    });
    const { label: bound } = await produce(randomContent());
    expect(await verifyReservedField(bound, 'ReservedCode1', { trust })).toMatchObject({ verdict: 'verified', binding: 'unchecked' });
    expect((await verifyReservedField(bound, 'ReservedCode1', { trust, requireBinding: true })).verdict).toBe('unverifiable');
  });

  it('is absent when the field is empty', async () => {
    expect(await verifyReservedField(newLabel(), 'ReservedCode1', { trust })).toMatchObject({
      verdict: 'absent',
      form: 'absent',
      signatures: [],
    });
  });

  it('verifies a key-id-only value against the trust store', async () => {
    const label = newLabel();
    const value = await signSecurityData(label, { field: 'ReservedCode1', signer: localSigner(producerKey.privateKey), embed: 'none' });
    expect(value).not.toContain('PubKey');
    expect((await verifyReservedField({ ...label, ReservedCode1: value }, 'ReservedCode1', { trust })).verdict).toBe('verified');
    expect((await verifyReservedField({ ...label, ReservedCode1: value }, 'ReservedCode1', {})).verdict).toBe('unverifiable');
  });

  it('stays in the Annex E j) character set and under the 2048 characters platforms keep, in every label form', async () => {
    const { label } = await produce(randomContent());
    expect(label.ReservedCode1.length).toBeLessThanOrEqual(vendorFieldLengthLimit);
    expect(validateLabel(label, 'write').filter((f) => f.severity === 'error')).toEqual([]);
    expect(validateLabel(label, 'write').filter((f) => f.rule === 'annex-e/charset')).toEqual([]);
    for (const encoded of [encodeBare(label), encodeWrapped(label)]) {
      // The nested JSON's quotes become \" in the label's JSON, the one escape j) allows; no other backslash.
      expect(encoded.replaceAll('\\"', '')).not.toContain('\\');
      expect(decodeLabel(encoded).label).toEqual(label);
    }
    expect(readReservedValue(label.ReservedCode1).kind).toBe('security-data');
  });
});

describe('propagation: ReservedCode2', () => {
  it('adds the platform signature and leaves the producer signature byte for byte', async () => {
    const { label, file } = await produce(randomContent());
    const propagated = { ...label, ContentPropagator: PLATFORM, PropagateID: 'post-123' };
    propagated.ReservedCode2 = await signSecurityData(propagated, { field: 'ReservedCode2', signer: localSigner(platformKey.privateKey) });
    expect(propagated.ReservedCode1).toBe(label.ReservedCode1);
    const options = { trust, contentDigest: contentDigestOf(fakeFile(file.bytes.subarray(0, file.contentLength), propagated)) };
    expect(await verifyReservedField(propagated, 'ReservedCode1', options)).toMatchObject({ verdict: 'verified', binding: 'matches' });
    const rc2 = await verifyReservedField(propagated, 'ReservedCode2', options);
    expect(rc2).toMatchObject({ verdict: 'verified', trustedAs: 'platform key', keyId: platformKey.keyId });
    expect(Buffer.from(rc2.signatures[0].signedData!, 'base64').toString()).toBe(
      `"Label":"1","ContentPropagator":"${PLATFORM}","PropagateID":"post-123"`,
    );
    // Editing the propagation id breaks the platform's signature, not the producer's.
    const edited = { ...propagated, PropagateID: 'post-124' };
    expect((await verifyReservedField(edited, 'ReservedCode2', options)).verdict).toBe('failed');
    expect((await verifyReservedField(edited, 'ReservedCode1', options)).verdict).toBe('verified');
  });
});

describe('certificates', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aigc-cert-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  withTool('openssl')('carries an SM2 X.509 certificate (DER) and trusts it through a certificate in the trust store', async () => {
    const key = generateSm2KeyPair();
    writeFileSync(join(dir, 'k.pem'), key.privateKeyPem);
    const certificate = execFileSync('openssl', [
      'req',
      '-x509',
      '-new',
      '-key',
      join(dir, 'k.pem'),
      '-sm3',
      '-sigopt',
      'distid:1234567812345678',
      '-subj',
      '/CN=aigc-label test producer',
      '-days',
      '30',
    ]).toString();
    const signer = localSigner(key.privateKey, { certificate });
    const label = newLabel();
    const value = await signSecurityData(label, { field: 'ReservedCode1', signer });
    expect(value).toContain('"Type":"Cert"');
    expect(value.length).toBeLessThanOrEqual(vendorFieldLengthLimit);
    const certTrust = parseTrustStore(`Producers: ${PRODUCER}\n${certificate}`);
    expect(certTrust.entries[0]).toMatchObject({ name: 'CN=aigc-label test producer', key: { keyId: key.keyId } });
    expect(await verifyReservedField({ ...label, ReservedCode1: value }, 'ReservedCode1', { trust: certTrust })).toMatchObject({
      verdict: 'verified',
      keyId: key.keyId,
    });
    // A certificate for another key is refused when making the signer.
    expect(() => localSigner(generateSm2KeyPair().privateKey, { certificate })).toThrow(/another key/);
  });
});
