/**
 * Trust store: which keys may sign for which producer (or propagator) codes.
 *
 * Format (README "Trust store"): PEM text, one or more `PUBLIC KEY` or `CERTIFICATE`
 * blocks, each preceded by header lines that apply to it:
 *
 *     # comments are ignored
 *     Name: MiniMax label key
 *     Producers: MiniMax 001191310104MACE0YX63918020
 *     -----BEGIN PUBLIC KEY-----
 *     …
 *     -----END PUBLIC KEY-----
 *
 * `Producers:` lists the codes (or names) the key may sign for, separated by spaces or
 * commas; `*` means any. Text outside blocks is allowed by RFC 7468, so OpenSSL still reads
 * the file. A directory is many such files; the caller reads them and merges the stores.
 */
import { X509Certificate } from 'node:crypto';
import { MalformedInputError, UsageError } from '@aigc-label/core';
import { loadPublicKey, type VerificationKey, verificationKeyFromSpki } from './keys.js';

export interface TrustEntry {
  readonly name: string;
  /** Codes this key may sign for; `*` for any. */
  readonly producers: readonly string[];
  readonly key: VerificationKey;
  /** Set when the entry came from a certificate (the pinned certificate's key is trusted; no chain is built). */
  readonly certificate?: { readonly subject: string; readonly validFrom: string; readonly validTo: string } | undefined;
  /** File (and block) it came from, for messages. */
  readonly origin: string;
}

export class TrustStore {
  readonly entries: readonly TrustEntry[];
  constructor(entries: readonly TrustEntry[] = []) {
    this.entries = entries;
  }

  static merge(...stores: readonly TrustStore[]): TrustStore {
    return new TrustStore(stores.flatMap((store) => store.entries));
  }

  /** The entry that trusts this key (by key id) for `code`, or null. */
  trusts(keyId: string, code: string): TrustEntry | null {
    return (
      this.entries.find((entry) => entry.key.keyId === keyId && (entry.producers.includes('*') || entry.producers.includes(code))) ?? null
    );
  }

  /** Keys trusted for `code`: candidates when a label carries no key of its own. */
  keysFor(code: string): VerificationKey[] {
    return this.entries.filter((entry) => entry.producers.includes('*') || entry.producers.includes(code)).map((entry) => entry.key);
  }
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;
const MAXIMUM_ENTRIES = 10_000;

/** Parses one trust-store file's text; `origin` names it in errors. */
export function parseTrustStore(text: string, origin = 'trust store'): TrustStore {
  const entries: TrustEntry[] = [];
  let cursor = 0;
  let index = 0;
  for (const match of text.matchAll(BLOCK)) {
    if (++index > MAXIMUM_ENTRIES) throw new MalformedInputError('trust store', `${origin} has more than ${MAXIMUM_ENTRIES} entries`);
    const headers = headerLines(text.slice(cursor, match.index));
    cursor = match.index + match[0].length;
    const where = `${origin} entry ${index}`;
    const producers = (headers.get('producers') ?? '').split(/[\s,]+/).filter(Boolean);
    if (producers.length === 0)
      throw new UsageError(`${where} names no producers; add a "Producers:" line before it (codes, or * for any)`);
    const entry = readBlock(match[1], match[0], where);
    entries.push({ ...entry, name: headers.get('name') ?? entry.name, producers, origin: where });
  }
  if (/-----BEGIN /.test(text.slice(cursor)))
    throw new MalformedInputError('trust store', `${origin} has a PEM block without its END line`);
  return new TrustStore(entries);
}

function headerLines(text: string): Map<string, string> {
  const headers = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const match = /^\s*([A-Za-z]+)\s*:\s*(.*?)\s*$/.exec(line);
    if (match && !line.trimStart().startsWith('#')) headers.set(match[1].toLowerCase(), match[2]);
  }
  return headers;
}

function readBlock(label: string, block: string, where: string): Omit<TrustEntry, 'producers' | 'origin'> {
  if (label === 'CERTIFICATE') {
    let certificate: X509Certificate;
    try {
      certificate = new X509Certificate(block);
    } catch {
      throw new MalformedInputError('trust store', `${where} is not a readable X.509 certificate`);
    }
    const key = verificationKeyFromSpki(new Uint8Array(certificate.publicKey.export({ type: 'spki', format: 'der' })));
    const subject = certificate.subject.replace(/\n/g, ', ');
    return { name: subject, key, certificate: { subject, validFrom: certificate.validFrom, validTo: certificate.validTo } };
  }
  if (label === 'PUBLIC KEY' || label === 'RSA PUBLIC KEY') {
    const key = loadPublicKey(block);
    return { name: `key ${key.keyId}`, key };
  }
  // Never echo the block: a private key pasted here by mistake must not reach a log.
  throw new UsageError(`${where} is a "${label.slice(0, 40)}" block; a trust store holds only PUBLIC KEY and CERTIFICATE blocks`);
}
