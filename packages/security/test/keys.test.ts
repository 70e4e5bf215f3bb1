import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { sm3, toHex, utf8 } from '@aigc-label/core';
import { afterAll, describe, expect, it } from 'vitest';
import { withTool } from '../../../test/oracles.js';
import {
  externalSigner,
  generateSm2KeyPair,
  keyIdOf,
  loadPrivateKey,
  loadPublicKey,
  loadSm2PublicKey,
  localSigner,
  Sm2PrivateKey,
  signChecked,
} from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'aigc-keys-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('SM2 keys', () => {
  it('round-trips PKCS#8 and SPKI, PEM and DER, and the key id is SM3 of the SPKI', () => {
    const { privateKey, privateKeyPem, publicKeyPem, keyId } = generateSm2KeyPair();
    expect(privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(publicKeyPem).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
    expect(loadPrivateKey(privateKeyPem).keyId).toBe(keyId);
    expect(loadPrivateKey(privateKey.exportPkcs8()).keyId).toBe(keyId);
    const publicKey = loadPublicKey(publicKeyPem);
    expect(publicKey.keyId).toBe(keyId);
    expect(loadPublicKey(publicKey.spki).keyId).toBe(keyId);
    expect(keyId).toBe(toHex(sm3(publicKey.spki)).slice(0, 32));
    expect(keyIdOf(publicKey.spki)).toBe(keyId);
  });

  withTool('openssl')('writes keys OpenSSL 3 reads as SM2, and reads SEC1 and encrypted PKCS#8 from OpenSSL', () => {
    const { privateKey, privateKeyPem, publicKeyPem } = generateSm2KeyPair();
    writeFileSync(join(dir, 'k.pem'), privateKeyPem);
    writeFileSync(join(dir, 'p.pem'), publicKeyPem);
    const text = execFileSync('openssl', ['pkey', '-in', join(dir, 'k.pem'), '-text', '-noout']).toString();
    expect(text).toContain('ASN1 OID: SM2');
    expect(execFileSync('openssl', ['pkey', '-pubin', '-in', join(dir, 'p.pem'), '-text', '-noout']).toString()).toContain('ASN1 OID: SM2');
    // OpenSSL re-encoding our key gives back the same bytes: we write exactly its form.
    expect(execFileSync('openssl', ['pkey', '-in', join(dir, 'k.pem')]).toString()).toBe(privateKeyPem);
    const sec1 = execFileSync('openssl', ['ec', '-in', join(dir, 'k.pem')], { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
    expect(loadPrivateKey(sec1).keyId).toBe(privateKey.keyId);
    const encrypted = execFileSync('openssl', [
      'pkcs8',
      '-topk8',
      '-in',
      join(dir, 'k.pem'),
      '-passout',
      'pass:s3cret',
      '-v2',
      'aes-256-cbc',
    ]).toString();
    expect(loadPrivateKey(encrypted, { passphrase: 's3cret' }).keyId).toBe(privateKey.keyId);
    expect(() => loadPrivateKey(encrypted)).toThrow(/encrypted; give its passphrase/);
    expect(() => loadPrivateKey(encrypted, { passphrase: 'wrong' })).toThrow(/passphrase is wrong/);
  });

  it('refuses keys on other curves by name instead of signing with another algorithm', () => {
    const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pem = p256.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(() => loadPrivateKey(pem)).toThrow(/a P-256 \(prime256v1\) EC key cannot make SM2 signatures/);
    expect(() => loadPrivateKey(pem)).toThrow(expect.objectContaining({ name: 'UsageError' }));
    const publicPem = p256.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    expect(() => loadPublicKey(publicPem)).toThrow(/P-256/);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    expect(() => loadPrivateKey(rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString())).toThrow(/an RSA key cannot make SM2/);
    // RSA public keys load for verification only (vendors' RSA signatures).
    expect(loadPublicKey(rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString()).algorithm).toBe('rsa');
    expect(() => loadSm2PublicKey(rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString())).toThrow(/an RSA key cannot make SM2/);
  });

  it('uses a key Node made as plain EC on the SM2 curve with SM2, never ECDSA', () => {
    const node = generateKeyPairSync('ec', { namedCurve: 'SM2' });
    expect(node.privateKey.asymmetricKeyType).toBe('ec');
    const key = loadPrivateKey(node.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
    const message = utf8('message digest');
    expect(key.publicKey.verify(message, key.sign(message))).toBe(true);
  });

  it('never shows private key material in inspect, JSON, strings or errors', () => {
    const { privateKey, privateKeyPem } = generateSm2KeyPair();
    const der = privateKey.exportPkcs8();
    const scalarHex = toHex(der.subarray(36, 68));
    const body = privateKeyPem.split('\n').slice(1, -2).join('');
    const leaks = (text: string) => text.toLowerCase().includes(scalarHex) || text.includes(body.slice(20, 60));
    const signer = localSigner(privateKey);
    for (const shown of [
      inspect(privateKey, { showHidden: true, depth: 5 }),
      JSON.stringify(privateKey),
      String(privateKey),
      `${privateKey}`,
      inspect(signer, { showHidden: true, depth: 5 }),
      JSON.stringify(signer),
      inspect({ key: privateKey }),
    ]) {
      expect(leaks(shown), shown).toBe(false);
      expect(shown.includes(privateKey.keyId) || shown.includes('sign')).toBe(true);
    }
    // A damaged key file: the error names the problem, never the bytes.
    const damaged = privateKeyPem.replace(body.slice(40, 48), 'AAAAAAAA');
    const truncated = `-----BEGIN PRIVATE KEY-----\n${body.slice(0, 60)}\n-----END PRIVATE KEY-----\n`;
    for (const input of [
      damaged,
      truncated,
      der.subarray(0, 70),
      `${privateKeyPem}garbage`.replace('PRIVATE KEY-----\n', 'PRIVATE KEY-----\n!'),
    ]) {
      let message = '';
      try {
        loadPrivateKey(input);
      } catch (error) {
        message = `${(error as Error).name}: ${(error as Error).message} ${inspect(error)}`;
      }
      if (message) expect(leaks(message), message).toBe(false);
    }
    // A key stored with a public key that does not match its scalar is refused.
    const other = Sm2PrivateKey.generate().exportPkcs8();
    const spliced = der.slice();
    spliced.set(other.subarray(73), 73);
    expect(() => loadPrivateKey(spliced)).toThrow(/does not match its private scalar/);
  });

  it('plugs in an external signer (KMS/HSM) and refuses one that signs with another ID', async () => {
    const key = Sm2PrivateKey.generate();
    const message = utf8('"Label":"1"');
    const good = externalSigner({ publicKey: loadSm2PublicKey(key.publicKey.pem()), sign: async (bytes) => key.sign(bytes) });
    expect(good.keyId).toBe(key.keyId);
    expect(key.publicKey.verify(message, await signChecked(good, message))).toBe(true);
    const emptyId = externalSigner({ publicKey: key.publicKey, sign: async (bytes) => key.sign(bytes, '') });
    await expect(signChecked(emptyId, message)).rejects.toThrow(/does not verify as SM3withSM2 with ID 1234567812345678/);
  });
});
