/**
 * SM2 digital signatures (GB/T 32918.2-2016) on the recommended curve of GB/T 32918.5-2017,
 * with an explicit distinguishing ID. The curve arithmetic is @noble/curves' generic
 * short-Weierstrass code (audited; it has no SM2 preset, so the parameters are given here);
 * the signature scheme, Z and SM3 are this module's.
 *
 * Node's crypto cannot do this: an SM2 key imported from PEM signs with an empty ID, and
 * `generateKeyPairSync('ec', { namedCurve: 'SM2' })` signs plain ECDSA on the SM2 curve.
 * Nothing in this package signs through Node's crypto.
 */
import { randomBytes } from 'node:crypto';
import { createSm3, fromHex, toHex, utf8 } from '@aigc-label/core';
import { DER, type WeierstrassPoint, weierstrass } from '@noble/curves/abstract/weierstrass.js';

/** GB/T 32918.5-2017 Annex A: the recommended 256-bit curve (sm2p256v1). */
const CURVE: { p: bigint; a: bigint; b: bigint; n: bigint; h: bigint; Gx: bigint; Gy: bigint } = {
  p: 0xfffffffeffffffffffffffffffffffffffffffff00000000ffffffffffffffffn,
  a: 0xfffffffeffffffffffffffffffffffffffffffff00000000fffffffffffffffcn,
  b: 0x28e9fa9e9d9f5e344d5a9e4bcf6509a7f39789f515ab8f92ddbcbd414d940e93n,
  n: 0xfffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123n,
  h: 1n,
  Gx: 0x32c4ae2c1f1981195f9904466a39c9948fe30bbff2660be1715a4589334c74c7n,
  Gy: 0xbc3736a2f4f6779c59bdcee36b692153d0a9877cc62a474002df32e52139f0a0n,
};

export const Sm2Point = weierstrass(CURVE);
export type Sm2Point = WeierstrassPoint<bigint>;

/** The distinguishing ID every TC260 signature observed so far uses (GM/T 0009-2012 default user ID). */
export const DEFAULT_DISTINGUISHING_ID = '1234567812345678';

const { n } = CURVE;
const mod = (x: bigint): bigint => ((x % n) + n) % n;
const toBigInt = (bytes: Uint8Array): bigint => (bytes.length === 0 ? 0n : BigInt(`0x${toHex(bytes)}`));
const to32 = (x: bigint): Uint8Array => fromHex(x.toString(16).padStart(64, '0'))!;

function invert(x: bigint): bigint {
  // Extended Euclid; n is prime and x is in [1, n-1].
  let [a, b, u, v] = [mod(x), n, 1n, 0n];
  while (a !== 0n) {
    const q = b / a;
    [a, b] = [b - q * a, a];
    [u, v] = [v - q * u, u];
  }
  return mod(v);
}

const idBytes = (id: string | Uint8Array): Uint8Array => {
  const bytes = typeof id === 'string' ? utf8(id) : id;
  // ENTL is the ID length in bits, two bytes (GB/T 32918.2 §5.5).
  if (bytes.length > 8191) throw new RangeError(`an SM2 distinguishing ID is at most 8191 bytes, got ${bytes.length}`);
  return bytes;
};

/** Z = SM3(ENTL ‖ ID ‖ a ‖ b ‖ xG ‖ yG ‖ xA ‖ yA), GB/T 32918.2-2016 §5.5. */
export function sm2Z(publicKey: Sm2Point, id: string | Uint8Array = DEFAULT_DISTINGUISHING_ID): Uint8Array {
  const ident = idBytes(id);
  const point = publicKey.toAffine();
  const hash = createSm3();
  hash.update(Uint8Array.of((ident.length * 8) >> 8, (ident.length * 8) & 0xff));
  hash.update(ident);
  for (const value of [CURVE.a, CURVE.b, CURVE.Gx, CURVE.Gy, point.x, point.y]) hash.update(to32(value));
  return new Uint8Array(hash.digest());
}

/** e = SM3(Z ‖ M) as an integer. */
function messageScalar(publicKey: Sm2Point, message: Uint8Array, id: string | Uint8Array): bigint {
  const hash = createSm3();
  hash.update(sm2Z(publicKey, id));
  hash.update(message);
  return toBigInt(new Uint8Array(hash.digest()));
}

/** A private scalar must be in [1, n-2] so that 1 + d is invertible (GB/T 32918.1 §6.1). */
export const isValidPrivateScalar = (d: bigint): boolean => d >= 1n && d <= n - 2n;

/** A fresh private scalar from the system CSPRNG (64 extra bits make the modular bias negligible). */
export function randomPrivateScalar(): bigint {
  return (mod(toBigInt(randomBytes(40))) % (n - 2n)) + 1n;
}

export const publicPointOf = (d: bigint): Sm2Point => Sm2Point.BASE.multiply(d);

export interface Sm2SignOptions {
  id?: string | Uint8Array;
  /** The signer's public point, when known (saves one scalar multiplication). */
  publicKey?: Sm2Point;
}

/**
 * Signs `message` (GB/T 32918.2-2016 §6.1) and returns the DER `SEQUENCE { r, s }` that
 * OpenSSL and the TC260 guide's `Signature` fields use.
 */
export function sm2Sign(d: bigint, message: Uint8Array, options: Sm2SignOptions = {}): Uint8Array {
  return signWithNonce(d, message, options, randomPrivateScalar);
}

/** @internal The signing algorithm with the nonce source injected, so the GB/T 32918.5 A.2 vector can pin k. */
export function signWithNonce(d: bigint, message: Uint8Array, options: Sm2SignOptions, nonce: () => bigint): Uint8Array {
  if (!isValidPrivateScalar(d)) throw new RangeError('the SM2 private scalar is out of range');
  const publicKey = options.publicKey ?? publicPointOf(d);
  const e = messageScalar(publicKey, message, options.id ?? DEFAULT_DISTINGUISHING_ID);
  const inverse = invert(1n + d);
  for (;;) {
    const k = nonce();
    const r = mod(e + Sm2Point.BASE.multiply(k).toAffine().x);
    if (r === 0n || r + k === n) continue;
    const s = mod(inverse * (k - r * d));
    if (s === 0n) continue;
    return fromHex(DER.hexFromSig({ r, s }))!;
  }
}

/** r and s from a DER signature or a raw 64-byte r ‖ s; null when it is neither. */
export function decodeSignature(signature: Uint8Array): { r: bigint; s: bigint } | null {
  if (signature.length === 64) return { r: toBigInt(signature.subarray(0, 32)), s: toBigInt(signature.subarray(32)) };
  try {
    return DER.toSig(signature, 33);
  } catch {
    return null;
  }
}

/** A signature (DER or raw r ‖ s) as canonical DER; null when it is neither. */
export function derSignature(signature: Uint8Array): Uint8Array | null {
  const sig = decodeSignature(signature);
  return sig ? fromHex(DER.hexFromSig(sig))! : null;
}

/** Verifies an SM2 signature (GB/T 32918.2-2016 §7.1); false for any malformed input. */
export function sm2Verify(
  publicKey: Sm2Point,
  message: Uint8Array,
  signature: Uint8Array,
  id: string | Uint8Array = DEFAULT_DISTINGUISHING_ID,
): boolean {
  const sig = decodeSignature(signature);
  if (!sig) return false;
  const { r, s } = sig;
  if (r < 1n || r >= n || s < 1n || s >= n) return false;
  const t = mod(r + s);
  if (t === 0n) return false;
  const e = messageScalar(publicKey, message, id);
  // Two products rather than one Strauss-Shamir sum: the public key's own window table
  // (Sm2PublicKey precomputes it for keys that verify often) then serves t·P.
  const point = Sm2Point.BASE.multiplyUnsafe(s).add(publicKey.multiplyUnsafe(t));
  if (point.is0()) return false;
  return mod(e + point.toAffine().x) === r;
}

/**
 * A public point from SEC1 bytes: `04 ‖ x ‖ y`, or compressed `02|03 ‖ x`.
 * Throws when the bytes are not a point on the SM2 curve.
 */
export function decodeSm2Point(bytes: Uint8Array): Sm2Point {
  const point = Sm2Point.fromBytes(bytes);
  point.assertValidity();
  return point;
}
