import { generateKeyPairSync } from 'node:crypto';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { generateSm2KeyPair, parseTrustStore, TrustStore } from '../src/index.js';

describe('trust store (PEM blocks with Name/Producers lines)', () => {
  const a = generateSm2KeyPair();
  const b = generateSm2KeyPair();
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();

  it('ties each key to the codes it may sign for', () => {
    const store = parseTrustStore(
      `# our keys\nName: producer A\nProducers: 001191440300708461136T1XGW3, MiniMax\n${a.publicKeyPem}\nProducers: *\n${b.publicKeyPem}\nName: Honor RSA\nProducers: 001191440300MA5G49LC9K1YO01\n${rsa}`,
      'keys.pem',
    );
    expect(store.entries.map((e) => [e.name, e.producers, e.key.algorithm])).toEqual([
      ['producer A', ['001191440300708461136T1XGW3', 'MiniMax'], 'sm2'],
      [`key ${b.keyId}`, ['*'], 'sm2'],
      ['Honor RSA', ['001191440300MA5G49LC9K1YO01'], 'rsa'],
    ]);
    expect(store.trusts(a.keyId, 'MiniMax')?.name).toBe('producer A');
    expect(store.trusts(a.keyId, 'someone-else')).toBeNull();
    expect(store.trusts(b.keyId, 'anyone')?.origin).toBe('keys.pem entry 2');
    expect(store.keysFor('MiniMax').map((k) => k.keyId)).toEqual([a.keyId, b.keyId]);
    const merged = TrustStore.merge(store, parseTrustStore(`Producers: X\n${a.publicKeyPem}`));
    expect(merged.entries).toHaveLength(4);
  });

  it('refuses entries without producers, private keys (without echoing them), and cut blocks', () => {
    expect(() => parseTrustStore(a.publicKeyPem, 'k.pem')).toThrow(/k.pem entry 1 names no producers/);
    let message = '';
    try {
      parseTrustStore(`Producers: *\n${a.privateKeyPem}`);
    } catch (error) {
      message = `${(error as Error).message} ${inspect(error)}`;
    }
    expect(message).toMatch(/holds only PUBLIC KEY and CERTIFICATE blocks/);
    expect(message).not.toContain(a.privateKeyPem.split('\n')[1].slice(0, 30));
    expect(() => parseTrustStore(`Producers: *\n${a.publicKeyPem.split('\n').slice(0, 2).join('\n')}`)).toThrow(/without its END line/);
  });
});
