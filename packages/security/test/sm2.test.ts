import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromHex, sm3, toHex, utf8 } from '@aigc-label/core';
import { afterAll, describe, expect, it } from 'vitest';
import { withTool } from '../../../test/oracles.js';
import { generateSm2KeyPair, loadPrivateKey, loadPublicKey, Sm2PrivateKey } from '../src/index.js';
import { decodeSignature, publicPointOf, signWithNonce, sm2Verify, sm2Z } from '../src/sm2.js';

// GB/T 32918.5-2017 Annex A.2 (also GM/T 0003.5-2012 A.2, OpenSSL test/sm2_internal_test.c).
const A2 = {
  d: 0x3945208f7b2144b13f36e38ac6d39f95889393692860b51a42fb81ef4df7c5b8n,
  publicKey:
    '0409f9df311e5421a150dd7d161e4bc5c672179fad1833fc076bb08ff356f35020ccea490ce26775a52dc6ea718cc1aa600aed05fbf35e084a6632f6072da9ad13',
  k: 0x59276e27d506861a16680f3ad9c02dccef3cc1fa3cdbe4ce6d54b80deac1bc21n,
  z: 'b2e14c5c79c6df5b85f4fe7ed8db7a262b9da7e07ccb0ea9f4747b8ccda8a4f3',
  e: 'f0b43e94ba45accaace692ed534382eb17e6ab5a19ce7b31f4486fdfc0d28640',
  r: 0xf5a03b0648d2c4630eeac513e1bb81a15944da3827d5b74143ac7eaceee720b3n,
  s: 0xb1b6aa29df212fd8763182bc0d421ca1bb9038fd1f7f42d4840b69c485bbc1aan,
  message: utf8('message digest'),
};

describe('SM2 (GB/T 32918.2) with the distinguishing ID', () => {
  it('reproduces the GB/T 32918.5-2017 A.2 vector: public key, Z, e, r and s', () => {
    const point = publicPointOf(A2.d);
    expect(point.toHex(false)).toBe(A2.publicKey);
    const z = sm2Z(point, '1234567812345678');
    expect(toHex(z)).toBe(A2.z);
    expect(toHex(sm3(z, A2.message))).toBe(A2.e);
    const signature = signWithNonce(A2.d, A2.message, {}, () => A2.k);
    expect(decodeSignature(signature)).toEqual({ r: A2.r, s: A2.s });
    expect(sm2Verify(point, A2.message, signature)).toBe(true);
  });

  it('refuses the vector under another ID, message or signature', () => {
    const point = publicPointOf(A2.d);
    const signature = signWithNonce(A2.d, A2.message, {}, () => A2.k);
    expect(sm2Verify(point, A2.message, signature, '')).toBe(false);
    expect(sm2Verify(point, utf8('message digesT'), signature)).toBe(false);
    const flipped = signature.slice();
    flipped[flipped.length - 1] ^= 1;
    expect(sm2Verify(point, A2.message, flipped)).toBe(false);
    expect(sm2Verify(point, A2.message, new Uint8Array(3))).toBe(false);
    expect(sm2Verify(point, A2.message, new Uint8Array(64))).toBe(false);
  });

  it('accepts the raw 64-byte r ‖ s form some vendors write', () => {
    const raw = fromHex(A2.r.toString(16) + A2.s.toString(16))!;
    expect(sm2Verify(publicPointOf(A2.d), A2.message, raw)).toBe(true);
  });

  it('signs with fresh nonces that verify', () => {
    const key = Sm2PrivateKey.generate();
    const a = key.sign(A2.message);
    const b = key.sign(A2.message);
    expect(toHex(a)).not.toBe(toHex(b));
    expect(key.publicKey.verify(A2.message, a)).toBe(true);
    expect(key.publicKey.verify(A2.message, b)).toBe(true);
    expect(key.publicKey.verify(A2.message, a, 'ALICE123@YAHOO.COM')).toBe(false);
  });

  it('agrees with the SM3 examples of GB/T 32905-2016', () => {
    expect(toHex(sm3(utf8('abc')))).toBe('66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0');
    expect(toHex(sm3(utf8('abcd'.repeat(16))))).toBe('debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732');
  });
});

describe('OpenSSL 3 cross-checks (pkeyutl -rawin -digest sm3 -pkeyopt distid:1234567812345678)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aigc-sm2-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const distid = ['-rawin', '-digest', 'sm3', '-pkeyopt', 'distid:1234567812345678'];
  const message = utf8('"Label":"1","ContentProducer":"001191440300708461136T1XGW3","ProduceID":"0195f3a2-0000-7000-8000-000000000001"');

  withTool('openssl')('verifies our signatures', () => {
    const { privateKey, publicKeyPem } = generateSm2KeyPair();
    writeFileSync(join(dir, 'ours.pub.pem'), publicKeyPem);
    writeFileSync(join(dir, 'msg'), message);
    for (let i = 0; i < 5; i++) {
      writeFileSync(join(dir, 'ours.sig'), privateKey.sign(message));
      const out = execFileSync('openssl', [
        'pkeyutl',
        '-verify',
        '-pubin',
        '-inkey',
        join(dir, 'ours.pub.pem'),
        ...distid,
        '-in',
        join(dir, 'msg'),
        '-sigfile',
        join(dir, 'ours.sig'),
      ]);
      expect(out.toString()).toContain('Signature Verified Successfully');
    }
    // The same signature with OpenSSL's own default (empty) ID fails: the ID really is in Z.
    const wrongId = () =>
      execFileSync(
        'openssl',
        [
          'pkeyutl',
          '-verify',
          '-pubin',
          '-inkey',
          join(dir, 'ours.pub.pem'),
          '-rawin',
          '-digest',
          'sm3',
          '-in',
          join(dir, 'msg'),
          '-sigfile',
          join(dir, 'ours.sig'),
        ],
        { stdio: 'pipe' },
      );
    expect(wrongId).toThrow();
  });

  withTool('openssl')('verifies OpenSSL signatures with keys OpenSSL generated', () => {
    const keyPath = join(dir, 'openssl.key.pem');
    execFileSync('openssl', ['genpkey', '-algorithm', 'SM2', '-out', keyPath]);
    const publicPem = execFileSync('openssl', ['pkey', '-in', keyPath, '-pubout']).toString();
    writeFileSync(join(dir, 'msg'), message);
    const publicKey = loadPublicKey(publicPem);
    expect(publicKey.algorithm).toBe('sm2');
    expect(loadPrivateKey(readFileSync(keyPath, 'utf8')).keyId).toBe(publicKey.keyId);
    for (let i = 0; i < 5; i++) {
      const signature = execFileSync('openssl', ['pkeyutl', '-sign', '-inkey', keyPath, ...distid, '-in', join(dir, 'msg')]);
      expect(publicKey.algorithm === 'sm2' && publicKey.sm2.verify(message, new Uint8Array(signature))).toBe(true);
      expect(publicKey.algorithm === 'sm2' && publicKey.sm2.verify(utf8('other'), new Uint8Array(signature))).toBe(false);
    }
  });
});
