/**
 * Vendor shapes, built by hand from what people who checked real exported files reported
 * (field notes 2026-12, issue 17), except StepFun, whose values come from a public StepFun
 * (阶跃AI) Markdown export found through public code search.
 */
import { constants, createHash, generateKeyPairSync, privateEncrypt } from 'node:crypto';
import { type AigcLabel, createLabel, sm3, toHex, utf8 } from '@aigc-label/core';
import { describe, expect, it } from 'vitest';
import { labelMessage, parseTrustStore, Sm2PrivateKey, verifyReservedField } from '../src/index.js';

const SM3_WITH_SM2 = '1.2.156.10197.1.501';

describe('MiniMax video: A.1 message, bare-x KeyValue, LabelMataData, Binding/BType 0, no CntSel', () => {
  // MiniMax's KeyValue is the x coordinate padded with 00, meaning the point with even y.
  let key = Sm2PrivateKey.generate();
  while (key.publicKey.bytes(true)[0] !== 2) key = Sm2PrivateKey.generate();
  const label: AigcLabel = { ...createLabel({ producer: 'MiniMax', produceId: '385720912840536065' }) };
  const binding = { Type: 'Binding', BType: 0, AlgID: '1.2.156.10197.1.401', Value: toHex(sm3(utf8('some content'))) };
  const securityData = (signed: AigcLabel) =>
    JSON.stringify({
      SecurityData: {
        Type: 'TC260PG',
        Version: 1,
        PubSD: [
          {
            Type: 'DS',
            AlgID: SM3_WITH_SM2,
            TBSData: { Type: 'LabelMataData' },
            Signature: toHex(key.sign(labelMessage(signed, ['Label', 'ContentProducer', 'ProduceID']))),
          },
          { Type: 'DS', AlgID: SM3_WITH_SM2, TBSData: { Type: 'Binding' }, Signature: toHex(key.sign(utf8(JSON.stringify(binding)))) },
          { Type: 'PubKey', AlgID: SM3_WITH_SM2, KeyValue: `00${toHex(key.publicKey.bytes(true).subarray(1))}` },
        ],
        Bindings: [binding],
      },
    });
  const minimax = { ...label, ReservedCode1: securityData(label) };

  it('verifies the label signature with its own key (untrusted), and says the binding cannot be recomputed', async () => {
    const verdict = await verifyReservedField(minimax, 'ReservedCode1');
    expect(verdict).toMatchObject({ verdict: 'valid-untrusted', binding: 'unchecked', keyId: key.keyId });
    expect(verdict.detail).toContain('names no content selection (CntSel)');
    expect(verdict.spellings).toEqual(expect.arrayContaining(['TBSData.Type "LabelMataData"', 'TBSData.Type "Binding"']));
    expect(verdict.signatures.map((s) => [s.role, s.valid])).toEqual([
      ['label', true],
      ['binding', true],
    ]);
  });

  it('is verified against a pinned MiniMax key, and failed when ProduceID is edited', async () => {
    const trust = parseTrustStore(`Name: MiniMax\nProducers: MiniMax\n${key.publicKey.pem()}`);
    expect(await verifyReservedField(minimax, 'ReservedCode1', { trust })).toMatchObject({ verdict: 'verified', trustedAs: 'MiniMax' });
    expect((await verifyReservedField(minimax, 'ReservedCode1', { trust, requireBinding: true })).verdict).toBe('unverifiable');
    expect((await verifyReservedField({ ...minimax, ProduceID: '385720912840536066' }, 'ReservedCode1', { trust })).verdict).toBe('failed');
  });

  it('is failed when the Bindings entry is changed under its signature', async () => {
    const tampered = minimax.ReservedCode1.replace(binding.Value, toHex(sm3(utf8('other content'))));
    expect((await verifyReservedField({ ...minimax, ReservedCode1: tampered }, 'ReservedCode1')).verdict).toBe('failed');
  });
});

describe('Honor YOYO JPEG: nested TC260PG blocks spelt PubSd, RSA/SHA-256 PKCS#1 without DigestInfo', () => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const producer = '001191440300MA5G49LC9K1YO01';
  const label = createLabel({ producer, produceId: 'YOYO-20251101-0001' });
  // Honor pads the bare SHA-256 digest, not the DigestInfo the RFC requires.
  const rsaSign = (message: Uint8Array) =>
    toHex(privateEncrypt({ key: rsa.privateKey, padding: constants.RSA_PKCS1_PADDING }, createHash('sha256').update(message).digest()));
  const honor = (tbsType: string, message: Uint8Array, withKey: boolean) =>
    JSON.stringify({
      SecurityData: {
        Type: 'TC260PG',
        Version: 1,
        PubSd: [
          {
            Type: 'TC260PG',
            PubSd: [
              { Type: 'DS', AlgID: '1.2.840.113549.1.1.11', TBSData: { Type: tbsType }, Signature: rsaSign(message) },
              ...(withKey
                ? [
                    {
                      Type: 'PubKey',
                      AlgID: '1.2.840.113549.1.1.1',
                      KeyValue: toHex(rsa.publicKey.export({ type: 'spki', format: 'der' })),
                    },
                  ]
                : []),
            ],
          },
        ],
      },
    });
  const trust = parseTrustStore(`Name: Honor\nProducers: ${producer}\n${rsa.publicKey.export({ type: 'spki', format: 'pem' })}`);

  it('is unverifiable: it signs TBSData Content, whose selected bytes are not published (with or without the key)', async () => {
    const value = { ...label, ReservedCode1: honor('Content', utf8('jpeg scan data'), false) };
    for (const options of [{}, { trust }]) {
      const verdict = await verifyReservedField(value, 'ReservedCode1', options);
      expect(verdict.verdict).toBe('unverifiable');
      expect(verdict.detail).toContain('TBSData "Content"');
      expect(verdict.spellings).toEqual(expect.arrayContaining(['PubSd', 'nested TC260PG blocks']));
    }
  });

  it('checks the RSA signature when it covers the label and a key is at hand: unverifiable without, verified with a trusted key', async () => {
    const message = labelMessage(label, ['Label', 'ContentProducer', 'ProduceID']);
    const bare = { ...label, ReservedCode1: honor('Md', message, false) };
    expect((await verifyReservedField(bare, 'ReservedCode1')).verdict).toBe('unverifiable');
    expect((await verifyReservedField(bare, 'ReservedCode1')).detail).toContain('no public key');
    expect(await verifyReservedField(bare, 'ReservedCode1', { trust })).toMatchObject({ verdict: 'verified', trustedAs: 'Honor' });
    const embedded = { ...label, ReservedCode1: honor('Md', message, true) };
    expect((await verifyReservedField(embedded, 'ReservedCode1')).verdict).toBe('valid-untrusted');
    expect((await verifyReservedField({ ...embedded, ProduceID: 'YOYO-20251101-0002' }, 'ReservedCode1')).verdict).toBe('failed');
  });
});

describe('StepFun Markdown: DS and PubKey with the full SPKI in hex', () => {
  // From a public StepFun export (front matter AIGC mapping); the key signs both reserved fields.
  const spki =
    '3059301306072A8648CE3D020106082A811CCF5501822D034200045728F08C58D9C72150A705693EF7337859F8FF216E802630041AFAE5C036F0A67CB1FDF8C57F5F8B623284AE09E4E545464B7140B26BBDA51BAE965F854C57AA';
  const field = (signature: string) =>
    `{"SecurityData":{"Type":"TC260PG","Version":1,"PubSD":[{"Type":"DS","AlgID":"1.2.156.10197.1.501","TBSData":{"Type":"LabelMataData"},"Signature":"${signature}"},{"Type":"PubKey","AlgID":"1.2.156.10197.1.501","KeyValue":"${spki}"}]}}`;
  const label: AigcLabel = {
    Label: '1',
    ContentProducer: '001191310104MACE0YX63918020',
    ProduceID: '142569260085903360',
    ReservedCode1: field(
      '3046022100AE6B84B3342128AE301A597596FCD9EECF3EA0FC2DB6C250BAF234E167298E9002210097223ABB647B786A90D0A1B93CB9382EA879563B2C7F025FA006BE16AE926C14',
    ),
    ContentPropagator: '001191310104MACE0YX63918020',
    PropagateID: '142569260085903360',
    ReservedCode2: field(
      '3046022100CFB0BFFC83C97AA5B09493295A7A054C082BBBB0E007AC139ACAA3BCD23D62DF022100FFDF70599E0E5D7DC6727825C5717DE0A9726D9F3119611E5E303FADA8792A5C',
    ),
  };

  it('ReservedCode1 verifies over SM3 of the A.1 message (StepFun hashes once more before signing)', async () => {
    const verdict = await verifyReservedField(label, 'ReservedCode1');
    expect(verdict).toMatchObject({ verdict: 'valid-untrusted', binding: 'absent' });
    expect(verdict.spellings).toContain('label message hashed with SM3 before signing');
    const signed = Buffer.from(verdict.signatures[0].signedData!, 'base64');
    expect(toHex(signed)).toBe(toHex(sm3(labelMessage(label, ['Label', 'ContentProducer', 'ProduceID']))));
    expect((await verifyReservedField({ ...label, ProduceID: '142569260085903361' }, 'ReservedCode1')).verdict).toBe('failed');
  });

  it('ReservedCode2 is unverifiable, not failed: what StepFun signs there is not known', async () => {
    const verdict = await verifyReservedField(label, 'ReservedCode2');
    expect(verdict.verdict).toBe('unverifiable');
    expect(verdict.signatures[0].valid).toBeNull();
    expect(verdict.detail).toContain('does not verify over any message we know');
  });
});

describe('opaque vendor values', () => {
  const label = createLabel({ producer: 'vendor', produceId: 'x' });
  const cases: [string, string, string][] = [
    [
      'Tencent',
      '{"Type":" TC260PG","AlgID":"sm3","Value":"66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"}',
      'security-data',
    ],
    ['Qwen (base64 digest)', 'q3Bv0Jm8m2wF8m3b1mJx4bQm3Zf6Yk0u9m0o1tGk2xA=', 'base64-digest'],
    ['Vidu (32 hex digits)', '9f86d081884c7d659a2feaa0c55ad015', 'hex-digest'],
    ['Wan (L- prefix)', 'L-4e1b7c2a9d', 'prefixed'],
    ['HappyHorse (K- prefix)', 'K-20251101-77ab', 'prefixed'],
    ['Annex F.4 example', 'e862483430d978cbf828b8b24296ef9328d843a0', 'hex-digest'],
    ['JSON of another kind', '{"aigc_type":1}', 'json'],
  ];
  for (const [vendor, value, form] of cases) {
    it(`${vendor} is unverifiable and shown as ${form}`, async () => {
      const verdict = await verifyReservedField({ ...label, ReservedCode1: value }, 'ReservedCode1');
      expect(verdict).toMatchObject({ verdict: 'unverifiable', form });
    });
  }

  it('Tencent: the leading space and the missing signature are named', async () => {
    const verdict = await verifyReservedField({ ...label, ReservedCode1: cases[0][1] }, 'ReservedCode1');
    expect(verdict.spellings).toContain('Type " TC260PG"');
    expect(verdict.detail).toContain('carries no signature');
  });

  it('never prints control characters from the file', async () => {
    const hostile =
      '{"SecurityData":{"Type":"TC260PG","PubSD":[{"Type":"DS","AlgID":"\\u001b[31mevil","TBSData":{"Type":"\\u001b]0;x\\u0007Md2"},"Signature":"00"}]}}';
    const verdict = await verifyReservedField({ ...label, ReservedCode1: hostile }, 'ReservedCode1');
    expect(verdict.verdict).toBe('unverifiable');
    const texts = [verdict.detail, ...verdict.spellings, ...verdict.signatures.map((s) => s.algorithm)];
    for (const text of texts) expect(text).not.toMatch(/[\x00-\x1f\x7f-\x9f]/);
    expect(verdict.detail).toContain('\\u001b');
  });
});
