/**
 * What signs a label: a local key, or anything else (a KMS, an HSM, a signing service)
 * behind the same small interface. The private key never leaves the signer.
 */
import { X509Certificate } from 'node:crypto';
import { MalformedInputError, UsageError } from '@aigc-label/core';
import type { Sm2PrivateKey, Sm2PublicKey } from './keys.js';
import { verificationKeyFromSpki } from './keys.js';
import { derSignature } from './sm2.js';

export interface Signer {
  /** `keyIdOf(publicKey SPKI)`: 32 hex digits; written as `KeyID` and into the operations log. */
  readonly keyId: string;
  readonly publicKey: Sm2PublicKey;
  /** X.509 certificate (DER) for the key, carried in SecurityData instead of the bare key when set. */
  readonly certificate?: Uint8Array | undefined;
  /**
   * SM3withSM2 over `message` with the distinguishing ID `1234567812345678`
   * (GB/T 32918.2; Z is computed by the signer). DER `SEQUENCE { r, s }` or raw 64-byte r ‖ s.
   */
  sign(message: Uint8Array): Promise<Uint8Array>;
}

export interface SignerOptions {
  /** An X.509 certificate for the key, PEM text or DER bytes; its public key must be the signer's. */
  certificate?: string | Uint8Array | undefined;
}

/** Signers whose signatures come from this package's own SM2, so need no check. */
const ownSigners = new WeakSet<Signer>();

/** A signer over a key held in this process. */
export function localSigner(key: Sm2PrivateKey, options: SignerOptions = {}): Signer {
  const signer: Signer = {
    keyId: key.keyId,
    publicKey: key.publicKey,
    certificate: certificateFor(key.publicKey, options.certificate),
    sign: async (message) => key.sign(message),
  };
  ownSigners.add(signer);
  return signer;
}

/**
 * A signer whose key is elsewhere: `sign` is called with the bytes to sign and must return an
 * SM3withSM2 signature made with the default distinguishing ID. Every signature is checked
 * against `publicKey` before it is used, so a KMS configured with another ID or key fails loudly.
 */
export function externalSigner(options: {
  publicKey: Sm2PublicKey;
  sign: (message: Uint8Array) => Promise<Uint8Array>;
  certificate?: string | Uint8Array | undefined;
}): Signer {
  return {
    keyId: options.publicKey.keyId,
    publicKey: options.publicKey,
    certificate: certificateFor(options.publicKey, options.certificate),
    sign: options.sign,
  };
}

/** The certificate's DER after checking it holds `publicKey`. */
function certificateFor(publicKey: Sm2PublicKey, certificate: string | Uint8Array | undefined): Uint8Array | undefined {
  if (certificate === undefined) return undefined;
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(typeof certificate === 'string' ? certificate : Buffer.from(certificate));
  } catch {
    throw new MalformedInputError('certificate', 'not a PEM or DER X.509 certificate');
  }
  const key = verificationKeyFromSpki(new Uint8Array(x509.publicKey.export({ type: 'spki', format: 'der' })));
  if (key.algorithm !== 'sm2' || !key.sm2.equals(publicKey)) {
    throw new UsageError('the certificate is for another key than the signing key');
  }
  return new Uint8Array(x509.raw);
}

/**
 * Calls the signer and checks what it returned, so a misconfigured KMS never writes a bad
 * signature; returns the signature as DER.
 */
export async function signChecked(signer: Signer, message: Uint8Array): Promise<Uint8Array> {
  const signature = await signer.sign(message);
  const der = derSignature(signature);
  if (!der || (!ownSigners.has(signer) && !signer.publicKey.verify(message, der))) {
    throw new UsageError(
      `signer ${signer.keyId} returned a signature that does not verify as SM3withSM2 with ID 1234567812345678 under its public key`,
    );
  }
  return der;
}
