/**
 * SM2 keys: generation, PEM/DER import and export in the forms OpenSSL 3 writes
 * (PKCS#8 and SPKI with id-ecPublicKey and the SM2 curve OID), and key ids.
 *
 * Node's crypto only decodes containers here (PEM, DER, SEC1, encrypted PKCS#8); the
 * curve is checked by this module and signing is ours (`sm2.ts`), so a key Node would
 * treat as plain EC is never used with ECDSA, and a P-256 key is refused by name.
 * Private scalars live in a private field: `util.inspect`, `JSON.stringify`, `String()`
 * and every error message show the key id only.
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { fromHex, MalformedInputError, sm3, toHex, UsageError } from '@aigc-label/core';
import { DerTag, oidText, readDer, sequence } from './der.js';
import { decodeSm2Point, isValidPrivateScalar, publicPointOf, randomPrivateScalar, type Sm2Point, sm2Sign, sm2Verify } from './sm2.js';

export const Oid = {
  ecPublicKey: '1.2.840.10045.2.1',
  sm2Curve: '1.2.156.10197.1.301',
  sm3: '1.2.156.10197.1.401',
  sm3WithSm2: '1.2.156.10197.1.501',
  rsaEncryption: '1.2.840.113549.1.1.1',
  sha256WithRsa: '1.2.840.113549.1.1.11',
} as const;

/** Names for keys someone might hand in by mistake, so the refusal says what the key is. */
const KNOWN_KEY_KINDS: Record<string, string> = {
  '1.2.840.10045.3.1.7': 'a P-256 (prime256v1) EC',
  '1.3.132.0.34': 'a P-384 EC',
  '1.3.132.0.35': 'a P-521 EC',
  '1.3.132.0.10': 'a secp256k1 EC',
  [Oid.rsaEncryption]: 'an RSA',
  '1.3.101.112': 'an Ed25519',
  '1.3.101.113': 'an Ed448',
};
const describeKind = (oid: string): string => KNOWN_KEY_KINDS[oid] ?? `an unsupported (OID ${oid})`;
const notSm2 = (oid: string, use: string) =>
  new UsageError(
    `${describeKind(oid)} key cannot ${use}: SM2 needs a key on the SM2 curve (OID ${Oid.sm2Curve}), ` +
      'e.g. from `aigc-label keys generate` or `openssl genpkey -algorithm SM2`',
  );

// The fixed DER around an SM2 key, byte for byte what OpenSSL 3 writes.
const SPKI_PREFIX = fromHex('3059301306072a8648ce3d020106082a811ccf5501822d034200')!;
const PKCS8_PREFIX = fromHex('308187020100301306072a8648ce3d020106082a811ccf5501822d046d306b0201010420')!;
const PKCS8_PUBLIC_TAG = fromHex('a144034200')!;

const pem = (label: string, der: Uint8Array): string =>
  `-----BEGIN ${label}-----\n${Buffer.from(der).toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '')}\n-----END ${label}-----\n`;

/** Key id: the first 16 bytes of SM3 over the key's SubjectPublicKeyInfo DER, as 32 lower-case hex digits. */
export const keyIdOf = (spki: Uint8Array): string => toHex(sm3(spki).subarray(0, 16));

/** The algorithm OID and curve (or null) of an AlgorithmIdentifier. */
function algorithmOf(element: Uint8Array): { algorithm: string; curve: string | null } {
  const [algorithm, parameters] = sequence(element, 'AlgorithmIdentifier');
  if (algorithm?.tag !== DerTag.oid) throw new MalformedInputError('key', 'AlgorithmIdentifier has no OID');
  return { algorithm: oidText(algorithm.value), curve: parameters?.tag === DerTag.oid ? oidText(parameters.value) : null };
}

/** An SM2 curve key is id-ecPublicKey with the SM2 curve; a few encoders put the SM2 OID as the algorithm itself. */
const isSm2Algorithm = ({ algorithm, curve }: { algorithm: string; curve: string | null }): boolean =>
  (algorithm === Oid.ecPublicKey && curve === Oid.sm2Curve) || algorithm === Oid.sm2Curve;

const INSPECT = Symbol.for('nodejs.util.inspect.custom');

/**
 * Keys seen recently, so that a key met in every file of a batch (a producer's embedded key,
 * a trust-store key) is parsed once and, once it has verified a few times, gets a window
 * table that makes each further verification about three times faster.
 */
const recentKeys = new Map<string, Sm2PublicKey>();
const RECENT_KEYS = 64;
const VERIFICATIONS_BEFORE_TABLE = 16;

export class Sm2PublicKey {
  readonly keyId: string;
  #verifications = 0;
  private constructor(readonly point: Sm2Point) {
    this.keyId = keyIdOf(this.spki());
  }

  /** From SEC1 point bytes (`04 ‖ x ‖ y` or compressed). */
  static fromPoint(bytes: Uint8Array): Sm2PublicKey {
    let point: Sm2Point;
    try {
      point = decodeSm2Point(bytes);
    } catch {
      throw new MalformedInputError('key', 'the public key is not a point on the SM2 curve');
    }
    return Sm2PublicKey.fromCurvePoint(point);
  }

  /** From SubjectPublicKeyInfo DER; refuses keys on other curves by name. */
  static fromSpki(der: Uint8Array): Sm2PublicKey {
    const [algorithm, key] = sequence(der, 'SubjectPublicKeyInfo');
    if (!algorithm) throw new MalformedInputError('key', 'SubjectPublicKeyInfo is empty');
    const kind = algorithmOf(algorithm.tlv);
    if (!isSm2Algorithm(kind)) throw notSm2(kind.curve ?? kind.algorithm, 'verify SM2 signatures');
    if (key?.tag !== DerTag.bitString || key.value[0] !== 0) throw new MalformedInputError('key', 'SubjectPublicKeyInfo has no key bits');
    return Sm2PublicKey.fromPoint(key.value.subarray(1));
  }

  /** @internal */
  static fromCurvePoint(point: Sm2Point): Sm2PublicKey {
    const id = point.toHex(true);
    const known = recentKeys.get(id);
    if (known) return known;
    const key = new Sm2PublicKey(point);
    if (recentKeys.size >= RECENT_KEYS) recentKeys.delete(recentKeys.keys().next().value!);
    recentKeys.set(id, key);
    return key;
  }

  /** SEC1 bytes, uncompressed unless asked. */
  bytes(compressed = false): Uint8Array {
    return this.point.toBytes(compressed);
  }

  /** SubjectPublicKeyInfo DER (id-ecPublicKey, SM2 curve, uncompressed point), as OpenSSL writes it. */
  spki(): Uint8Array {
    const out = new Uint8Array(SPKI_PREFIX.length + 65);
    out.set(SPKI_PREFIX);
    out.set(this.point.toBytes(false), SPKI_PREFIX.length);
    return out;
  }

  pem(): string {
    return pem('PUBLIC KEY', this.spki());
  }

  /** SM3withSM2 verification with the distinguishing ID (default `1234567812345678`). */
  verify(message: Uint8Array, signature: Uint8Array, id?: string | Uint8Array): boolean {
    // The table costs about 25 verifications' worth of work once; build it for keys in steady use.
    if (++this.#verifications === VERIFICATIONS_BEFORE_TABLE) this.point.precompute(8);
    return sm2Verify(this.point, message, signature, id);
  }

  equals(other: Sm2PublicKey): boolean {
    return this.point.equals(other.point);
  }

  toJSON(): { type: 'sm2-public-key'; keyId: string; spki: string } {
    return { type: 'sm2-public-key', keyId: this.keyId, spki: toHex(this.spki()) };
  }
  [INSPECT](): string {
    return `Sm2PublicKey { keyId: '${this.keyId}' }`;
  }
}

export class Sm2PrivateKey {
  readonly #d: bigint;
  readonly publicKey: Sm2PublicKey;

  private constructor(d: bigint) {
    if (!isValidPrivateScalar(d)) throw new MalformedInputError('key', 'the SM2 private scalar is out of range');
    this.#d = d;
    this.publicKey = Sm2PublicKey.fromCurvePoint(publicPointOf(d));
  }

  static generate(): Sm2PrivateKey {
    return new Sm2PrivateKey(randomPrivateScalar());
  }

  /** From the 32-byte big-endian private scalar. */
  static fromScalar(bytes: Uint8Array): Sm2PrivateKey {
    if (bytes.length !== 32) throw new MalformedInputError('key', `an SM2 private scalar is 32 bytes, got ${bytes.length}`);
    return new Sm2PrivateKey(BigInt(`0x${toHex(bytes)}`));
  }

  get keyId(): string {
    return this.publicKey.keyId;
  }

  /** SM3withSM2 signature (DER) with the distinguishing ID (default `1234567812345678`). */
  sign(message: Uint8Array, id?: string | Uint8Array): Uint8Array {
    return sm2Sign(this.#d, message, id === undefined ? { publicKey: this.publicKey.point } : { id, publicKey: this.publicKey.point });
  }

  /** PKCS#8 DER with the SM2 curve OID and the public key, byte for byte what `openssl genpkey -algorithm SM2` writes. */
  exportPkcs8(): Uint8Array {
    const scalar = fromHex(this.#d.toString(16).padStart(64, '0'))!;
    const publicPoint = this.publicKey.bytes();
    const out = new Uint8Array(PKCS8_PREFIX.length + 32 + PKCS8_PUBLIC_TAG.length + 65);
    out.set(PKCS8_PREFIX);
    out.set(scalar, PKCS8_PREFIX.length);
    out.set(PKCS8_PUBLIC_TAG, PKCS8_PREFIX.length + 32);
    out.set(publicPoint, PKCS8_PREFIX.length + 32 + PKCS8_PUBLIC_TAG.length);
    scalar.fill(0);
    return out;
  }

  exportPkcs8Pem(): string {
    const der = this.exportPkcs8();
    const text = pem('PRIVATE KEY', der);
    der.fill(0);
    return text;
  }

  toString(): string {
    return `[Sm2PrivateKey ${this.keyId}]`;
  }
  toJSON(): { type: 'sm2-private-key'; keyId: string } {
    return { type: 'sm2-private-key', keyId: this.keyId };
  }
  [INSPECT](): string {
    return `Sm2PrivateKey { keyId: '${this.keyId}', scalar: <redacted> }`;
  }

  /** @internal Parses PKCS#8 DER (already decrypted and normalised by Node). */
  static fromPkcs8(der: Uint8Array): Sm2PrivateKey {
    const [, algorithm, privateKey] = sequence(der, 'PrivateKeyInfo');
    if (!algorithm || privateKey?.tag !== DerTag.octetString) throw new MalformedInputError('key', 'PrivateKeyInfo is incomplete');
    const kind = algorithmOf(algorithm.tlv);
    if (!isSm2Algorithm(kind)) throw notSm2(kind.curve ?? kind.algorithm, 'make SM2 signatures');
    const [, scalar, ...rest] = sequence(privateKey.value, 'ECPrivateKey');
    if (scalar?.tag !== DerTag.octetString) throw new MalformedInputError('key', 'ECPrivateKey has no private scalar');
    const padded = new Uint8Array(32);
    if (scalar.value.length > 32) throw new MalformedInputError('key', 'the SM2 private scalar is longer than 32 bytes');
    padded.set(scalar.value, 32 - scalar.value.length);
    const key = Sm2PrivateKey.fromScalar(padded);
    padded.fill(0);
    // A stored public key that disagrees with the scalar means a damaged or spliced file.
    const stored = rest.find((element) => element.tag === 0xa1);
    if (stored) {
      const bits = readDer(stored.value);
      if (bits.tag !== DerTag.bitString || !key.publicKey.equals(Sm2PublicKey.fromPoint(bits.value.subarray(1)))) {
        throw new MalformedInputError('key', 'the public key stored in the private key file does not match its private scalar');
      }
    }
    return key;
  }
}

export interface LoadPrivateKeyOptions {
  /** For encrypted PKCS#8 (`-----BEGIN ENCRYPTED PRIVATE KEY-----`). */
  passphrase?: string | undefined;
}

/**
 * An SM2 private key from PEM text (PKCS#8, SEC1 `EC PRIVATE KEY`/`SM2 PRIVATE KEY`, encrypted
 * PKCS#8 with a passphrase) or DER bytes (PKCS#8 or SEC1). Keys on other curves are refused.
 */
export function loadPrivateKey(input: string | Uint8Array, options: LoadPrivateKeyOptions = {}): Sm2PrivateKey {
  const passphrase = options.passphrase;
  const attempts: Parameters<typeof createPrivateKey>[0][] =
    typeof input === 'string'
      ? [{ key: input, format: 'pem', ...(passphrase === undefined ? {} : { passphrase }) }]
      : (['pkcs8', 'sec1'] as const).map((type) => ({
          key: Buffer.from(input),
          format: 'der' as const,
          type,
          ...(passphrase === undefined ? {} : { passphrase }),
        }));
  let keyObject: KeyObject | null = null;
  let cause = 'it is not a PEM or DER private key (PKCS#8 or SEC1)';
  for (const attempt of attempts) {
    try {
      keyObject = createPrivateKey(attempt);
      break;
    } catch (error) {
      cause = decodeFailure(error, cause);
    }
  }
  if (!keyObject) throw cause.startsWith('the private key is') ? new UsageError(cause) : new MalformedInputError('key', cause);
  const der = new Uint8Array(keyObject.export({ type: 'pkcs8', format: 'der' }));
  try {
    return Sm2PrivateKey.fromPkcs8(der);
  } finally {
    der.fill(0);
  }
}

/** A one-line cause for a Node key-decoding failure; OpenSSL's text never contains key bytes but is cryptic. */
function decodeFailure(error: unknown, fallback: string): string {
  const code = (error as { code?: string }).code ?? '';
  if (code === 'ERR_MISSING_PASSPHRASE' || code === 'ERR_OSSL_CRYPTO_INTERRUPTED_OR_CANCELLED') {
    return 'the private key is encrypted; give its passphrase';
  }
  if (code === 'ERR_OSSL_BAD_DECRYPT') return 'the private key passphrase is wrong';
  return fallback;
}

/** A public key of a kind this package can verify: SM2 (SM3withSM2) or RSA (for vendors' RSA signatures). */
export type VerificationKey =
  | { readonly algorithm: 'sm2'; readonly keyId: string; readonly spki: Uint8Array; readonly sm2: Sm2PublicKey }
  | { readonly algorithm: 'rsa'; readonly keyId: string; readonly spki: Uint8Array; readonly rsa: KeyObject };

/** An SM2 or RSA public key from SubjectPublicKeyInfo DER. */
export function verificationKeyFromSpki(spki: Uint8Array): VerificationKey {
  const [algorithm] = sequence(spki, 'SubjectPublicKeyInfo');
  if (!algorithm) throw new MalformedInputError('key', 'SubjectPublicKeyInfo is empty');
  const kind = algorithmOf(algorithm.tlv);
  if (kind.algorithm === Oid.rsaEncryption) {
    const rsa = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
    const canonical = new Uint8Array(rsa.export({ type: 'spki', format: 'der' }));
    return { algorithm: 'rsa', keyId: keyIdOf(canonical), spki: canonical, rsa };
  }
  const sm2 = Sm2PublicKey.fromSpki(spki);
  return { algorithm: 'sm2', keyId: sm2.keyId, spki: sm2.spki(), sm2 };
}

/**
 * A public key from PEM text (`PUBLIC KEY`, `RSA PUBLIC KEY`, or a private key, whose public
 * half is taken) or SPKI DER bytes.
 */
export function loadPublicKey(input: string | Uint8Array): VerificationKey {
  let spki: Uint8Array;
  try {
    const key =
      typeof input === 'string' ? createPublicKey(input) : createPublicKey({ key: Buffer.from(input), format: 'der', type: 'spki' });
    spki = new Uint8Array(key.export({ type: 'spki', format: 'der' }));
  } catch {
    throw new MalformedInputError('key', 'it is not a PEM or DER public key (SubjectPublicKeyInfo)');
  }
  return verificationKeyFromSpki(spki);
}

/** An SM2 public key (for an external signer, or to pin one); RSA and other keys are refused by name. */
export function loadSm2PublicKey(input: string | Uint8Array): Sm2PublicKey {
  const key = loadPublicKey(input);
  if (key.algorithm !== 'sm2') throw notSm2(Oid.rsaEncryption, 'make SM2 signatures');
  return key.sm2;
}

/** A fresh SM2 key pair as OpenSSL-readable PEM: PKCS#8 private key and SPKI public key. */
export function generateSm2KeyPair(): { privateKey: Sm2PrivateKey; privateKeyPem: string; publicKeyPem: string; keyId: string } {
  const privateKey = Sm2PrivateKey.generate();
  return { privateKey, privateKeyPem: privateKey.exportPkcs8Pem(), publicKeyPem: privateKey.publicKey.pem(), keyId: privateKey.keyId };
}
