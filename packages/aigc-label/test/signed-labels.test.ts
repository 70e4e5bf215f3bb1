/**
 * Signed labels through the facade (issue 17, "Done when"): a label we sign verifies; one
 * content byte flipped or the label copied onto another file is `binding-mismatch`; an edited
 * ProduceID is `failed`; an unknown key is `valid-untrusted`; vendor shapes get their
 * verdicts; propagate keeps the producer's signature valid; OpenSSL 3 and we check each other.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AigcLabel, bytesSource, concat, createLabel, isContentRegionsCapability, sm3, toHex, utf8 } from '@aigc-label/core';
import { digestRegions, labelMessage, SIGNED_ELEMENTS } from '@aigc-label/security';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTool } from '../../../test/oracles.js';
import {
  type DetectReport,
  defaultRegistry,
  detectBuffer,
  externalSigner,
  type FieldVerdict,
  generateSm2KeyPair,
  labelBuffer,
  labelFile,
  loadPrivateKey,
  loadSm2PublicKey,
  parseTrustStore,
  propagateBuffer,
  verifyBuffer,
} from '../src/index.js';

const PRODUCER = '001191440300708461136T1XGW3';
const PLATFORM = '001191110108MA01XXXX0X20001';
const ffmpeg: string = createRequire(import.meta.url)('@ffmpeg-installer/ffmpeg').path;

const producerKey = generateSm2KeyPair();
const platformKey = generateSm2KeyPair();
const strangerKey = generateSm2KeyPair();
const trustFor = (pem: string, code: string) => parseTrustStore(`Name: test key\nProducers: ${code}\n${pem}`);
const trust = trustFor(producerKey.publicKeyPem, PRODUCER);

let dir: string;
const samples: Record<string, Uint8Array> = {};

/** A picture with some texture, so two different pictures differ everywhere. */
const picture = (seed: number) => {
  const raw = new Uint8Array(64 * 48 * 3);
  for (let i = 0; i < raw.length; i++) raw[i] = (i * (37 + seed) + seed * 11) % 251;
  return sharp(raw, { raw: { width: 64, height: 48, channels: 3 } });
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aigc-signed-'));
  samples.png = new Uint8Array(await picture(1).png().toBuffer());
  samples.otherPng = new Uint8Array(await picture(2).png().toBuffer());
  // EXIF and an ICC profile: the EXIF segment is outside the binding, the profile inside.
  samples.jpeg = new Uint8Array(
    await picture(3)
      .jpeg()
      .withMetadata({ exif: { IFD0: { Copyright: 'test' } } })
      .toBuffer(),
  );
  samples.otherJpeg = new Uint8Array(await picture(4).jpeg().toBuffer());
  // A simple (VP8-only) WebP: writing the label adds a VP8X chunk in front and grows the RIFF size.
  samples.webp = new Uint8Array(await picture(5).webp().toBuffer());
  samples.gif = new Uint8Array(await picture(6).gif().toBuffer());
  const media = (name: string, args: string[]) => {
    const path = join(dir, name);
    execFileSync(ffmpeg, ['-v', 'error', ...args, path]);
    return readFile(path).then((b) => new Uint8Array(b));
  };
  samples.wav = await media('tone.wav', ['-f', 'lavfi', '-i', 'sine=f=440:d=0.5', '-ar', '8000']);
  // With a title in an ID3v2 tag: writing the label rewrites that tag whole.
  samples.mp3 = await media('tone.mp3', ['-f', 'lavfi', '-i', 'sine=f=440:d=1', '-c:a', 'libmp3lame', '-metadata', 'title=tone']);
  samples.flac = await media('tone.flac', ['-f', 'lavfi', '-i', 'sine=f=440:d=0.5', '-c:a', 'flac']);
  // moov in front of mdat: writing the label grows moov and shifts every chunk offset.
  samples.mp4 = await media('clip.mp4', [
    '-f',
    'lavfi',
    '-i',
    'testsrc=size=64x48:rate=10:d=1',
    '-pix_fmt',
    'yuv420p',
    '-c:v',
    'libx264',
    '-movflags',
    '+faststart',
  ]);
}, 60_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

const producerOf = (report: DetectReport): FieldVerdict => report.signatures!.find((v) => v.field === 'ReservedCode1')!;
const propagatorOf = (report: DetectReport): FieldVerdict => report.signatures!.find((v) => v.field === 'ReservedCode2')!;

/** Flips one byte of the media data (pixels, samples, frames): inside every format's content regions. */
function flipContentByte(format: string, bytes: Uint8Array): Uint8Array {
  const out = bytes.slice();
  const text = new TextDecoder('latin1').decode(bytes);
  const at = {
    png: text.indexOf('IDAT') + 12,
    jpeg: bytes.length - 20,
    wav: bytes.length - 3,
    mp4: text.indexOf('mdat') + 200,
    webp: text.indexOf('VP8 ') + 30,
    gif: bytes.length - 6,
    mp3: bytes.length - 100,
    flac: bytes.length - 10,
  }[format]!;
  out[at] ^= 0x01;
  return out;
}

const formats = ['png', 'jpeg', 'webp', 'gif', 'wav', 'mp3', 'flac', 'mp4'] as const;

describe.each(formats)('%s: a signed label', (format) => {
  const signAndDetect = async () => {
    const { bytes, report } = await labelBuffer(samples[format], {
      producer: PRODUCER,
      explicit: false,
      signKey: loadPrivateKey(producerKey.privateKeyPem),
    });
    return { bytes, report };
  };

  it('verifies against a trusted key, with the binding matching', async () => {
    const { bytes, report } = await signAndDetect();
    expect(report.signature).toEqual({ field: 'ReservedCode1', keyId: producerKey.keyId, binding: expect.stringMatching(/@1$/) });
    const verdict = producerOf(await detectBuffer(bytes, { trust }));
    expect(verdict).toMatchObject({ verdict: 'verified', binding: 'matches', keyId: producerKey.keyId, trustedAs: 'test key' });
    expect(propagatorOf(await detectBuffer(bytes, { trust })).verdict).toBe('absent');
  });

  it('is valid-untrusted without a trust store, or when the store trusts another key', async () => {
    const { bytes } = await signAndDetect();
    expect(producerOf(await detectBuffer(bytes)).verdict).toBe('valid-untrusted');
    const other = trustFor(strangerKey.publicKeyPem, PRODUCER);
    expect(producerOf(await detectBuffer(bytes, { trust: other }))).toMatchObject({ verdict: 'valid-untrusted', binding: 'matches' });
  });

  it('is binding-mismatch when one content byte is flipped', async () => {
    const { bytes } = await signAndDetect();
    const verdict = producerOf(await detectBuffer(flipContentByte(format, bytes), { trust }));
    expect(verdict).toMatchObject({ verdict: 'binding-mismatch', binding: 'mismatch' });
  });

  it('is failed when ProduceID is edited under the signature', async () => {
    const { report } = await signAndDetect();
    const id = report.label.ProduceID;
    // Change the last hex digit to another one (a random id may already end in 0).
    const edited: AigcLabel = { ...report.label, ProduceID: `${id.slice(0, -1)}${id.endsWith('0') ? '1' : '0'}` };
    const { bytes } = await labelBuffer(samples[format], { label: edited, explicit: false });
    expect(producerOf(await detectBuffer(bytes, { trust })).verdict).toBe('failed');
  });

  it('keeps the content digest when the label is written (the regions leave the carrier out)', async () => {
    const regions = defaultRegistry.get(format)!.contentRegions;
    if (!isContentRegionsCapability(regions)) throw new Error(`${format} declares no content regions`);
    const digest = async (bytes: Uint8Array) => {
      const source = bytesSource(bytes);
      return toHex(await digestRegions(source, { scheme: regions.scheme, ranges: await regions.regions(source) }));
    };
    const once = await signAndDetect();
    const twice = await labelBuffer(once.bytes, {
      producer: PRODUCER,
      explicit: false,
      signKey: loadPrivateKey(producerKey.privateKeyPem),
    });
    expect(await digest(once.bytes)).toBe(await digest(samples[format]));
    expect(await digest(twice.bytes)).toBe(await digest(samples[format]));
    expect(await digest(flipContentByte(format, samples[format]))).not.toBe(await digest(samples[format]));
  });
});

describe('content regions of every format', () => {
  it('are declared, or the module says why not; each scheme is documented in the security README', async () => {
    const readme = await readFile(join(import.meta.dirname, '..', '..', 'security', 'README.md'), 'utf8');
    for (const handler of defaultRegistry.list()) {
      const declared = handler.contentRegions;
      expect(declared, handler.id).toBeDefined();
      if (isContentRegionsCapability(declared)) expect(readme).toContain(`\`${declared.scheme}\``);
      else expect(declared?.unsupported.length, handler.id).toBeGreaterThan(20);
    }
  });
});

describe('a signed label moved to other content', () => {
  it('is binding-mismatch on another file of the same format', async () => {
    for (const [format, other] of [
      ['png', 'otherPng'],
      ['jpeg', 'otherJpeg'],
    ] as const) {
      const signed = await labelBuffer(samples[format], { producer: PRODUCER, explicit: false, signKey: producerKey.privateKey });
      const copied = await labelBuffer(samples[other], { label: signed.report.label, explicit: false });
      expect(producerOf(await detectBuffer(copied.bytes, { trust }))).toMatchObject({ verdict: 'binding-mismatch', binding: 'mismatch' });
    }
  });

  it('is binding-mismatch on a file of another format', async () => {
    const signed = await labelBuffer(samples.png, { producer: PRODUCER, explicit: false, signKey: producerKey.privateKey });
    const copied = await labelBuffer(samples.jpeg, { label: signed.report.label, explicit: false });
    const verdict = producerOf(await detectBuffer(copied.bytes, { trust }));
    expect(verdict).toMatchObject({ verdict: 'binding-mismatch' });
    expect(verdict.detail).toContain('not this file');
  });
});

describe('signing keys', () => {
  it('takes a key file path, a key object and an external sign(bytes) callback alike', async () => {
    const keyFile = join(dir, 'key.pem');
    await writeFile(keyFile, producerKey.privateKeyPem, { mode: 0o600 });
    let calls = 0;
    const kms = externalSigner({
      publicKey: producerKey.privateKey.publicKey,
      sign: async (message) => {
        calls++;
        return producerKey.privateKey.sign(message);
      },
    });
    for (const signKey of [keyFile, producerKey.privateKey, kms]) {
      const { bytes } = await labelBuffer(samples.png, { producer: PRODUCER, explicit: false, signKey });
      expect(producerOf(await detectBuffer(bytes, { trust })).verdict).toBe('verified');
    }
    expect(calls).toBe(2); // the label and the binding
  });

  it('refuses a KMS that signs with another key, and writes nothing', async () => {
    const wrong = externalSigner({
      publicKey: producerKey.privateKey.publicKey,
      sign: async (message) => strangerKey.privateKey.sign(message),
    });
    await expect(labelBuffer(samples.png, { producer: PRODUCER, explicit: false, signKey: wrong })).rejects.toThrow(/does not verify/);
  });

  it('refuses --reserved-code1 together with a signing key', async () => {
    await expect(labelBuffer(samples.png, { producer: PRODUCER, reservedCode1: 'x', signKey: producerKey.privateKey })).rejects.toThrow(
      /give one of them/,
    );
  });

  it('signs a format without content regions, says so, and the verdict says the label is unbound', async () => {
    const tiff = new Uint8Array(await picture(5).tiff().toBuffer());
    const { bytes, report } = await labelBuffer(tiff, { producer: PRODUCER, explicit: false, signKey: producerKey.privateKey });
    expect(report.findings).toContainEqual(expect.objectContaining({ rule: 'signature/unbound' }));
    expect(report.signature?.binding).toBeNull();
    const verdict = producerOf(await detectBuffer(bytes, { trust }));
    expect(verdict).toMatchObject({ verdict: 'verified', binding: 'absent' });
    expect(verdict.detail).toContain('no content binding');
  });

  it('binds FLAC behind an ID3v2 tag with the FLAC scheme; handed to the MP3 module, it signs it unbound', async () => {
    const frame = concat([utf8('TIT2'), Uint8Array.of(0, 0, 0, 5, 0, 0, 0), utf8('tone')]);
    const id3 = concat([utf8('ID3'), Uint8Array.of(3, 0, 0, 0, 0, 0, frame.length), frame]);
    const tagged = concat([id3, samples.flac!]);
    const signKey = producerKey.privateKey;
    const asFlac = await labelBuffer(tagged, { producer: PRODUCER, explicit: false, signKey });
    expect(asFlac.report.format).toBe('flac');
    expect(asFlac.report.signature?.binding).toBe('flac/blocks-but-label@1');
    expect(producerOf(await detectBuffer(asFlac.bytes, { trust }))).toMatchObject({ verdict: 'verified', binding: 'matches' });
    const asMp3 = await labelBuffer(tagged, { producer: PRODUCER, explicit: false, signKey, format: 'mp3' });
    expect(asMp3.report.signature?.binding).toBeNull();
    expect(asMp3.report.findings).toContainEqual(
      expect.objectContaining({ rule: 'signature/unbound', message: expect.stringContaining('FLAC') }),
    );
    expect(producerOf(await detectBuffer(asMp3.bytes, { trust, format: 'mp3' }))).toMatchObject({ verdict: 'verified', binding: 'absent' });
  });

  it('binds the explicit label too: the visible label is drawn before the content is hashed', async () => {
    const large = new Uint8Array(
      await sharp({ create: { width: 480, height: 320, channels: 3, background: '#6a8' } })
        .png()
        .toBuffer(),
    );
    const { bytes, report } = await labelBuffer(large, { producer: PRODUCER, signKey: producerKey.privateKey });
    expect(report.explicit?.kind).toBe('image');
    expect(producerOf(await detectBuffer(bytes, { trust })).verdict).toBe('verified');
  });
});

describe('verify --require-signature', () => {
  it('passes a verified label and turns anything else into an error finding, the outcome unchanged', async () => {
    const signed = await labelBuffer(samples.png, { producer: PRODUCER, explicit: false, signKey: producerKey.privateKey });
    const ok = await verifyBuffer(signed.bytes, { trust, requireSignature: true });
    expect(ok.findings.filter((f) => f.rule === 'signature/required')).toEqual([]);
    const untrusted = await verifyBuffer(signed.bytes, { requireSignature: true });
    expect(untrusted.outcome).toBe('confirmed');
    expect(untrusted.findings).toContainEqual(
      expect.objectContaining({ rule: 'signature/required', severity: 'error', message: expect.stringContaining('valid-untrusted') }),
    );
    const unsigned = await labelBuffer(samples.png, { producer: PRODUCER, explicit: false });
    const absent = await verifyBuffer(unsigned.bytes, { trust, requireSignature: true });
    expect(absent.findings).toContainEqual(
      expect.objectContaining({ rule: 'signature/required', message: expect.stringContaining('absent') }),
    );
  });
});

describe('propagate --sign-key', () => {
  it("signs ReservedCode2 and keeps the producer's ReservedCode1 byte for byte, still verifying", async () => {
    const signed = await labelBuffer(samples.mp4, { producer: PRODUCER, explicit: false, signKey: producerKey.privateKey });
    const propagated = await propagateBuffer(signed.bytes, {
      propagator: PLATFORM,
      propagateId: 'p-1',
      signKey: platformKey.privateKey,
      filename: 'clip.mp4',
    });
    expect(propagated.label?.label.ReservedCode1).toBe(signed.report.label.ReservedCode1);
    expect(propagated.label?.signature).toMatchObject({ field: 'ReservedCode2', keyId: platformKey.keyId });
    const both = parseTrustStore(
      `Name: producer\nProducers: ${PRODUCER}\n${producerKey.publicKeyPem}Name: platform\nProducers: ${PLATFORM}\n${platformKey.publicKeyPem}`,
    );
    const report = await detectBuffer(propagated.bytes!, { trust: both });
    expect(producerOf(report)).toMatchObject({ verdict: 'verified', binding: 'matches', trustedAs: 'producer' });
    expect(propagatorOf(report)).toMatchObject({ verdict: 'verified', binding: 'matches', trustedAs: 'platform' });
    // The producer's key is not trusted for the platform's code.
    expect(propagatorOf(await detectBuffer(propagated.bytes!, { trust })).verdict).toBe('valid-untrusted');
  });
});

describe('vendor shapes in a file', () => {
  const labelWith = async (reservedCode1: string, producer = 'MiniMax') => {
    const label = { ...createLabel({ producer, produceId: '385720912840536065' }), ReservedCode1: reservedCode1 };
    // Kept as the vendor wrote it (as propagate keeps a producer's fields), even where it breaks Annex E j).
    const { bytes } = await labelBuffer(samples.mp4, { label, explicit: false, keptFields: ['ReservedCode1'] });
    return producerOf(await detectBuffer(bytes));
  };

  it('MiniMax (A.1 message, bare x key, LabelMataData, Binding without CntSel): valid-untrusted, binding unchecked', async () => {
    let key = generateSm2KeyPair().privateKey;
    while (key.publicKey.bytes(true)[0] !== 2) key = generateSm2KeyPair().privateKey;
    const label = createLabel({ producer: 'MiniMax', produceId: '385720912840536065' });
    const binding = { Type: 'Binding', BType: 0, AlgID: '1.2.156.10197.1.401', Value: toHex(sm3(utf8('content'))) };
    const value = JSON.stringify({
      SecurityData: {
        Type: 'TC260PG',
        Version: 1,
        PubSD: [
          {
            Type: 'DS',
            AlgID: '1.2.156.10197.1.501',
            TBSData: { Type: 'LabelMataData' },
            Signature: toHex(key.sign(labelMessage(label, SIGNED_ELEMENTS.ReservedCode1))),
          },
          {
            Type: 'DS',
            AlgID: '1.2.156.10197.1.501',
            TBSData: { Type: 'Binding' },
            Signature: toHex(key.sign(utf8(JSON.stringify(binding)))),
          },
          { Type: 'PubKey', AlgID: '1.2.156.10197.1.501', KeyValue: `00${toHex(key.publicKey.bytes(true).subarray(1))}` },
        ],
        Bindings: [binding],
      },
    });
    expect(await labelWith(value)).toMatchObject({ verdict: 'valid-untrusted', binding: 'unchecked', keyId: key.keyId });
  });

  it.each([
    ['Tencent', JSON.stringify({ Type: ' TC260PG', AlgID: 'sm3', Value: toHex(sm3(utf8('x'))) })],
    ['Qwen', Buffer.from(sm3(utf8('x'))).toString('base64')],
    ['Vidu', '0123456789abcdef0123456789abcdef'],
    ['prefixed', 'L-0123456789abcdef'],
  ])('%s: unverifiable', async (_vendor, value) => {
    expect((await labelWith(value)).verdict).toBe('unverifiable');
  });
});

withTool('openssl', 'checks our SM2 signatures and signs labels we check')(
  'OpenSSL 3 verifies our signatures, and we verify its',
  async () => {
    const openssl = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    const sm2 = ['-rawin', '-digest', 'sm3', '-pkeyopt', 'distid:1234567812345678'];
    // Ours, checked by OpenSSL: the signed bytes and signatures exactly as detect's JSON gives them.
    await writeFile(join(dir, 'ours.pub.pem'), producerKey.publicKeyPem);
    const signed = await labelBuffer(samples.jpeg, { producer: PRODUCER, explicit: false, signKey: producerKey.privateKey });
    const evidence = producerOf(await detectBuffer(signed.bytes)).signatures;
    expect(evidence.map((s) => s.role)).toEqual(['label', 'binding']);
    for (const [i, s] of evidence.entries()) {
      await writeFile(join(dir, `msg${i}`), Buffer.from(s.signedData!, 'base64'));
      await writeFile(join(dir, `sig${i}`), Buffer.from(s.signature, 'hex'));
      const out = openssl(['pkeyutl', '-verify', '-pubin', '-inkey', 'ours.pub.pem', ...sm2, '-in', `msg${i}`, '-sigfile', `sig${i}`]);
      expect(out.toString()).toContain('Signature Verified Successfully');
    }

    // OpenSSL's key and signatures, checked by us: a label signed entirely by `openssl pkeyutl -sign`.
    openssl(['genpkey', '-algorithm', 'SM2', '-out', 'openssl.key.pem']);
    openssl(['pkey', '-in', 'openssl.key.pem', '-pubout', '-out', 'openssl.pub.pem']);
    const publicKey = loadSm2PublicKey(await readFile(join(dir, 'openssl.pub.pem'), 'utf8'));
    const viaOpenssl = externalSigner({
      publicKey,
      sign: async (message) => {
        await writeFile(join(dir, 'tbs'), message);
        return new Uint8Array(openssl(['pkeyutl', '-sign', '-inkey', 'openssl.key.pem', ...sm2, '-in', 'tbs']));
      },
    });
    const theirs = await labelBuffer(samples.jpeg, { producer: PRODUCER, explicit: false, signKey: viaOpenssl });
    const opensslTrust = trustFor(await readFile(join(dir, 'openssl.pub.pem'), 'utf8'), PRODUCER);
    expect(producerOf(await detectBuffer(theirs.bytes, { trust: opensslTrust }))).toMatchObject({
      verdict: 'verified',
      binding: 'matches',
      keyId: publicKey.keyId,
    });
  },
);

describe('private keys stay private', () => {
  it('never show in reports, verdicts, logs or errors', async () => {
    const keyFile = join(dir, 'secret.pem');
    await writeFile(keyFile, producerKey.privateKeyPem, { mode: 0o600 });
    const input = join(dir, 'secret-input.png');
    await writeFile(input, samples.png);
    const log = join(dir, 'secret.log');
    const report = await labelFile(input, { producer: PRODUCER, explicit: false, signKey: keyFile, log, outDir: join(dir, 'secret-out') });
    const detected = await detectBuffer(await readFile(report.output!));
    const body = producerKey.privateKeyPem.split('\n').slice(1, -2).join('');
    const scalar = toHex(Buffer.from(body, 'base64').subarray(36, 68));
    const errors: string[] = [];
    for (const bad of [join(dir, 'missing.pem'), producerKey.privateKeyPem.replace('PRIVATE KEY-----\n', 'PRIVATE KEY-----\nAA')]) {
      const path = bad.startsWith('/') ? bad : join(dir, 'bad.pem');
      if (!bad.startsWith('/')) await writeFile(path, bad);
      await labelBuffer(samples.png, { producer: PRODUCER, signKey: path }).catch((error: Error) =>
        errors.push(`${error.message}\n${error.stack}`),
      );
    }
    expect(errors).toHaveLength(2);
    const everything = [JSON.stringify(report), JSON.stringify(detected), await readFile(log, 'utf8'), ...errors].join('\n');
    for (const secret of [body.slice(0, 40), body.slice(-40), scalar]) expect(everything).not.toContain(secret);
    expect(everything).toContain(producerKey.keyId);
  });
});
