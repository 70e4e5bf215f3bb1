/**
 * Signature verdicts for a label's reserved fields (README "Verdicts"):
 *
 * - `verified`: a signature over the label verifies, its key is trusted for the code it speaks
 *   for (ContentProducer for ReservedCode1, ContentPropagator for ReservedCode2), and the
 *   content binding, when there is one we can recompute, matches;
 * - `valid-untrusted`: the same, but the key is not in the trust store for that code;
 * - `binding-mismatch`: the signatures verify but the content changed or the label was moved;
 * - `failed`: a signature whose signed message is known does not verify;
 * - `unverifiable`: security data we cannot check (unknown signed message or algorithm, no
 *   key, opaque vendor strings);
 * - `absent`: the field is empty.
 */
import { constants, createHash, type KeyObject, publicDecrypt, X509Certificate } from 'node:crypto';
import { AIGC_FIELDS, type AigcLabel, bytesEqual, concat, fromHex, sm3, toHex, utf8 } from '@aigc-label/core';
import { Oid, Sm2PublicKey, type VerificationKey, verificationKeyFromSpki } from './keys.js';
import {
  labelMessage,
  type OpaqueKind,
  type ReservedField,
  readReservedValue,
  type SecurityData,
  SIGNED_ELEMENTS,
  type SignatureEntry,
  signingParty,
} from './security-data.js';
import type { TrustStore } from './trust.js';

export type SignatureVerdict = 'verified' | 'valid-untrusted' | 'binding-mismatch' | 'failed' | 'unverifiable' | 'absent';
export const SIGNATURE_VERDICTS: readonly SignatureVerdict[] = [
  'verified',
  'valid-untrusted',
  'binding-mismatch',
  'failed',
  'unverifiable',
  'absent',
];

/** `matches`/`mismatch`: recomputed; `unchecked`: present but not recomputable (no scheme, unknown scheme, unsigned); `absent`: none. */
export type BindingStatus = 'matches' | 'mismatch' | 'unchecked' | 'absent';

export interface SignatureEvidence {
  /** `label` signs the label elements, `binding` a Bindings entry, `other` something we cannot rebuild (e.g. `Content`). */
  readonly role: 'label' | 'binding' | 'other';
  /** `AlgID` as written (sanitised). */
  readonly algorithm: string;
  /** Base64 of the bytes the signature verified over; when none verified, of the first message tried; null when unknown. */
  readonly signedData: string | null;
  /** The signature, hex; empty when the file's value was not hex or base64. */
  readonly signature: string;
  /** Key id of the key that verified it (or of the only key tried). */
  readonly keyId: string | null;
  /** null: not checked (unknown message, algorithm or key). */
  readonly valid: boolean | null;
}

export interface FieldVerdict {
  readonly field: ReservedField;
  readonly verdict: SignatureVerdict;
  /** One printable line for people; values from the file appear quoted and cut short. */
  readonly detail: string;
  /** What the field holds. */
  readonly form: 'absent' | 'security-data' | OpaqueKind;
  /** Departures from the guide's spelling (`PubSd`, `LabelMataData`, a prehashed message, …). */
  readonly spellings: readonly string[];
  /** Key that verified the label signature. */
  readonly keyId: string | null;
  /** Name of the trust-store entry that trusts that key for this code. */
  readonly trustedAs: string | null;
  readonly binding: BindingStatus;
  readonly signatures: readonly SignatureEvidence[];
}

export interface VerifyOptions {
  trust?: TrustStore | undefined;
  /**
   * Recomputes this file's content digest for a binding's scheme (`digestRegions` over the
   * regions the format module declares for that scheme); null when the scheme does not apply
   * to this file's format.
   */
  contentDigest?: ((scheme: string) => Promise<ContentDigest> | ContentDigest) | undefined;
  /** Treat a valid signature without a recomputable binding as `unverifiable` (platform policy). */
  requireBinding?: boolean | undefined;
}

/**
 * A recomputed content digest; null when the scheme is unknown here (not checked); `other-format`
 * when the scheme is one this verifier knows for another format, so the label was moved.
 */
export type ContentDigest = Uint8Array | null | 'other-format';

/** Verdicts for both reserved fields. */
export async function verifyLabelSecurity(label: AigcLabel, options: VerifyOptions = {}): Promise<FieldVerdict[]> {
  return [await verifyReservedField(label, 'ReservedCode1', options), await verifyReservedField(label, 'ReservedCode2', options)];
}

const OPAQUE_DETAIL: Record<OpaqueKind, string> = {
  json: 'JSON that is not TC260PG SecurityData',
  'base64-digest': 'an opaque base64 value (a vendor digest or token), not SecurityData',
  'hex-digest': 'an opaque hex value (a vendor digest or id), not SecurityData',
  prefixed: 'an opaque vendor-prefixed value, not SecurityData',
  text: 'text that is not SecurityData',
};

/** The verdict for one reserved field of `label`. Never throws on what the file holds. */
export async function verifyReservedField(label: AigcLabel, field: ReservedField, options: VerifyOptions = {}): Promise<FieldVerdict> {
  const base = { field, spellings: [] as string[], keyId: null, trustedAs: null, binding: 'absent' as BindingStatus, signatures: [] };
  const read = readReservedValue(String(label[field] ?? ''));
  if (read.kind === 'absent') return { ...base, verdict: 'absent', form: 'absent', detail: `${field} is empty` };
  if (read.kind === 'opaque') {
    return { ...base, verdict: 'unverifiable', form: read.opaque, detail: `${field} holds ${OPAQUE_DETAIL[read.opaque]}` };
  }
  return checkSecurityData(label, field, read.data, options);
}

// ---------------------------------------------------------------------------------------------

const LABEL_TBS = new Set(['md', 'labelmatadata', 'labelmetadata', 'label', 'labeldata', 'metadata']);
const BINDING_TBS = new Set(['bnd', 'binding', 'bindings']);
const SM2_ALGORITHMS = new Set([Oid.sm3WithSm2, 'sm3withsm2', 'sm2', 'sm2sign', 'sm2-sm3']);
const RSA_ALGORITHMS = new Set([Oid.sha256WithRsa, Oid.rsaEncryption, 'sha256withrsa', 'rsa']);

type Algorithm = 'sm2' | 'rsa' | null;
const algorithmKind = (id: string): Algorithm =>
  SM2_ALGORITHMS.has(id.toLowerCase()) ? 'sm2' : RSA_ALGORITHMS.has(id.toLowerCase()) ? 'rsa' : null;

interface Candidate {
  readonly keyId: string | null;
  readonly key: VerificationKey;
}

interface Message {
  readonly bytes: Uint8Array;
  readonly note: string | null;
}

interface Checked {
  readonly entry: SignatureEntry;
  readonly evidence: SignatureEvidence;
  /** The signed message is known, so a signature that does not verify is a failure. */
  readonly known: boolean;
  readonly verifiedBy: VerificationKey | null;
  readonly message: Message | null;
  readonly keysTried: number;
}

async function checkSecurityData(
  label: AigcLabel,
  field: ReservedField,
  data: SecurityData,
  options: VerifyOptions,
): Promise<FieldVerdict> {
  const party = signingParty(label, field);
  const spellings = [...data.spellings];
  const embedded = data.keys.flatMap((entry) => keysOf(entry.value, entry.keyId));
  const checked = data.signatures.map((entry) => checkSignature(label, field, data, entry, embedded, options.trust?.keysFor(party) ?? []));
  for (const c of checked) if (c.message?.note && c.verifiedBy) spellings.push(c.message.note);
  for (const c of checked)
    if (c.entry.tbsType && !['Md', 'Bnd'].includes(c.entry.tbsType)) spellings.push(`TBSData.Type ${shown(c.entry.tbsType)}`);
  const signatures = checked.map((c) => c.evidence);
  const result = (verdict: SignatureVerdict, detail: string, extra: Partial<FieldVerdict> = {}): FieldVerdict => ({
    field,
    verdict,
    detail,
    form: 'security-data',
    spellings: [...new Set(spellings)],
    keyId: null,
    trustedAs: null,
    binding: data.bindings.length > 0 ? 'unchecked' : 'absent',
    signatures,
    ...extra,
  });

  const labelChecks = checked.filter((c) => c.evidence.role === 'label');
  const failures = checked.filter((c) => c.known && c.keysTried > 0 && c.evidence.valid === false);
  if (failures.length > 0) {
    const which = failures[0].evidence.role === 'binding' ? 'the binding signature' : 'the label signature';
    return result(
      'failed',
      `${field}: ${which} does not verify under ${describeKeys(failures[0].keysTried)}; the signed elements or the signature were changed`,
    );
  }
  const good = labelChecks.find((c) => c.verifiedBy);
  if (!good?.verifiedBy) return result('unverifiable', `${field}: ${whyUnverifiable(data, checked, party)}`);

  const key = good.verifiedBy;
  const signedLabel = labelMessage(label, good.entry.elements ?? SIGNED_ELEMENTS[field]);
  const binding = await bindingStatus(data, checked, key, signedLabel, options);
  const trusted = options.trust?.trusts(key.keyId, party) ?? null;
  const extra = { keyId: key.keyId, trustedAs: trusted?.name ?? null, binding: binding.status };
  const who = `${key.algorithm === 'sm2' ? 'SM3withSM2' : 'RSA'} key ${key.keyId}`;
  if (binding.status === 'mismatch') return result('binding-mismatch', `${field}: signed by ${who}, but ${binding.detail}`, extra);
  if (options.requireBinding && binding.status !== 'matches') {
    return result('unverifiable', `${field}: signed by ${who}, but ${binding.detail} and a binding is required`, extra);
  }
  const bound = binding.status === 'matches' ? 'content binding matches' : binding.detail;
  if (trusted)
    return result('verified', `${field}: verified, ${who} is trusted for ${shown(party)} as ${shown(trusted.name)}; ${bound}`, extra);
  const whyNot = options.trust ? `is not trusted for ${shown(party)}` : 'is not checked against a trust store';
  return result('valid-untrusted', `${field}: the signature is valid, but ${who} ${whyNot}; ${bound}`, extra);
}

function checkSignature(
  label: AigcLabel,
  field: ReservedField,
  data: SecurityData,
  entry: SignatureEntry,
  embedded: readonly Candidate[],
  trusted: readonly VerificationKey[],
): Checked {
  const tbs = entry.tbsType.toLowerCase();
  const role: SignatureEvidence['role'] = entry.elements || LABEL_TBS.has(tbs) ? 'label' : BINDING_TBS.has(tbs) ? 'binding' : 'other';
  const algorithm = algorithmKind(entry.algorithm);
  const signature = signatureBytes(entry.signature);
  const { messages, known } = messagesFor(label, field, data, role, entry);
  const keys = algorithm ? candidateKeys(entry, embedded, trusted).filter((key) => key.algorithm === algorithm) : [];
  const evidence = (valid: boolean | null, message: Message | null, keyId: string | null): SignatureEvidence => ({
    role,
    algorithm: shown(entry.algorithm, 40).replace(/^"|"$/g, ''),
    signedData: message ? Buffer.from(message.bytes).toString('base64') : null,
    signature: signature ? toHex(signature) : '',
    keyId,
    valid,
  });
  const base = { entry, known, keysTried: keys.length };
  if (!algorithm || messages.length === 0 || keys.length === 0) {
    return { ...base, keysTried: 0, evidence: evidence(null, messages[0] ?? null, null), verifiedBy: null, message: null };
  }
  for (const message of messages) {
    for (const key of keys) {
      if (signature && verifyWith(key, message.bytes, signature)) {
        return { ...base, evidence: evidence(true, message, key.keyId), verifiedBy: key, message };
      }
    }
  }
  return {
    ...base,
    evidence: evidence(known ? false : null, messages[0], keys.length === 1 ? keys[0].keyId : null),
    verifiedBy: null,
    message: null,
  };
}

/** The messages a signature may cover, and whether that message is known for certain. */
function messagesFor(label: AigcLabel, field: ReservedField, data: SecurityData, role: SignatureEvidence['role'], entry: SignatureEntry) {
  if (role === 'binding') {
    // MiniMax practice, and our writer: the compact JSON of the Bindings entry.
    const messages = data.bindings.map((binding) => ({ bytes: utf8(JSON.stringify(binding)), note: null }));
    return { messages, known: messages.length > 0 };
  }
  if (role !== 'label') return { messages: [] as Message[], known: false };
  const elements = entry.elements ?? SIGNED_ELEMENTS[field];
  if (!elements.every((element) => (AIGC_FIELDS as readonly string[]).includes(element))) return { messages: [], known: false };
  const plain = labelMessage(label, elements);
  return {
    // StepFun signs SM3(message) instead of the message: the same elements, hashed once more.
    messages: [
      { bytes: plain, note: null },
      { bytes: sm3(plain), note: 'label message hashed with SM3 before signing' },
    ],
    // A.1 fixes the producer's message; the propagator's is only known when the entry names it.
    known: entry.elements !== null || field === 'ReservedCode1',
  };
}

function candidateKeys(entry: SignatureEntry, embedded: readonly Candidate[], trusted: readonly VerificationKey[]): VerificationKey[] {
  const named = entry.keyId === null ? [] : embedded.filter((c) => c.keyId === entry.keyId);
  const own = (named.length > 0 ? named : embedded).map((c) => c.key);
  const all = [...own, ...trusted];
  return all.filter((key, i) => all.findIndex((other) => other.keyId === key.keyId) === i);
}

function verifyWith(key: VerificationKey, message: Uint8Array, signature: Uint8Array): boolean {
  return key.algorithm === 'sm2' ? key.sm2.verify(message, signature) : rsaVerify(key.rsa, message, signature);
}

// DigestInfo for SHA-256 (RFC 8017 §9.2 note 1).
const SHA256_DIGEST_INFO = fromHex('3031300d060960864801650304020105000420')!;

/** RSASSA-PKCS1-v1_5 with SHA-256, accepting the DigestInfo the RFC requires and the bare hash Honor signs. */
function rsaVerify(key: KeyObject, message: Uint8Array, signature: Uint8Array): boolean {
  let recovered: Uint8Array;
  try {
    recovered = new Uint8Array(publicDecrypt({ key, padding: constants.RSA_PKCS1_PADDING }, signature));
  } catch {
    return false;
  }
  const digest = new Uint8Array(createHash('sha256').update(message).digest());
  return bytesEqual(recovered, digest) || bytesEqual(recovered, concat([SHA256_DIGEST_INFO, digest]));
}

/** Every key a `KeyValue` can denote: SPKI DER, an X.509 certificate, a SEC1 point, or a bare x coordinate. */
function keysOf(hex: string, keyId: string | null): Candidate[] {
  const bytes = fromHex(hex.trim());
  if (!bytes || bytes.length === 0 || bytes.length > 8192) return [];
  const one = (key: VerificationKey): Candidate[] => [{ keyId, key }];
  const sm2Point = (point: Uint8Array): Candidate[] => {
    try {
      return one(sm2Key(Sm2PublicKey.fromPoint(point)));
    } catch {
      return [];
    }
  };
  if (bytes[0] === 0x30) {
    try {
      return one(verificationKeyFromSpki(bytes));
    } catch {
      try {
        const certificate = new X509Certificate(Buffer.from(bytes));
        return one(verificationKeyFromSpki(new Uint8Array(certificate.publicKey.export({ type: 'spki', format: 'der' }))));
      } catch {
        return [];
      }
    }
  }
  if (bytes.length === 65 && bytes[0] === 4) return sm2Point(bytes);
  if (bytes.length === 64) return sm2Point(concat([Uint8Array.of(4), bytes]));
  if (bytes.length === 33 && (bytes[0] === 2 || bytes[0] === 3)) return sm2Point(bytes);
  // MiniMax: the x coordinate padded with 00, meaning the point with even y.
  if (bytes.length === 33 && bytes[0] === 0) return sm2Point(concat([Uint8Array.of(2), bytes.subarray(1)]));
  if (bytes.length === 32) return [...sm2Point(concat([Uint8Array.of(2), bytes])), ...sm2Point(concat([Uint8Array.of(3), bytes]))];
  return [];
}

const sm2Key = (key: Sm2PublicKey): VerificationKey => ({ algorithm: 'sm2', keyId: key.keyId, spki: key.spki(), sm2: key });

function signatureBytes(value: string): Uint8Array | null {
  const hex = fromHex(value);
  if (hex && hex.length > 0) return hex;
  if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(value) && value.length <= 4096) {
    const bytes = new Uint8Array(Buffer.from(value, 'base64'));
    return bytes.length > 0 ? bytes : null;
  }
  return null;
}

async function bindingStatus(
  data: SecurityData,
  checked: readonly Checked[],
  key: VerificationKey,
  signedLabel: Uint8Array,
  options: VerifyOptions,
): Promise<{ status: BindingStatus; detail: string }> {
  if (data.bindings.length === 0)
    return { status: 'absent', detail: 'there is no content binding (the label could be copied onto other content)' };
  const signed = checked.find((c) => c.evidence.role === 'binding' && c.verifiedBy?.keyId === key.keyId);
  if (!signed?.message) return { status: 'unchecked', detail: 'the content binding is not signed by the label key' };
  const entry = data.bindings.find((binding) => bytesEqual(utf8(JSON.stringify(binding)), signed.message!.bytes))!;
  const md = typeof entry.Md === 'string' ? fromHex(entry.Md) : null;
  if (md && !bytesEqual(md, sm3(signedLabel))) {
    return { status: 'mismatch', detail: 'the content binding belongs to another label' };
  }
  const scheme = typeof entry.CntSel === 'string' ? entry.CntSel : '';
  if (!scheme)
    return { status: 'unchecked', detail: 'the content binding names no content selection (CntSel), so it cannot be recomputed' };
  const expected = fromHex(String(entry.Value ?? entry.Hash ?? entry.HashValue ?? ''));
  const algorithm = String(entry.AlgID ?? Oid.sm3);
  if (!expected || (algorithm !== Oid.sm3 && algorithm.toLowerCase() !== 'sm3')) {
    return { status: 'unchecked', detail: `the content binding uses ${shown(algorithm, 40)}, not SM3` };
  }
  const actual = options.contentDigest ? await options.contentDigest(scheme) : null;
  if (actual === 'other-format') {
    return {
      status: 'mismatch',
      detail: `the content binding is for ${shown(scheme)} content, not this file's format (the label was moved)`,
    };
  }
  if (!actual)
    return { status: 'unchecked', detail: `content selection ${shown(scheme)} does not apply to this file, or no digest was given` };
  return bytesEqual(actual, expected)
    ? { status: 'matches', detail: 'content binding matches' }
    : { status: 'mismatch', detail: `the content no longer matches its binding (${shown(scheme)})` };
}

function whyUnverifiable(data: SecurityData, checked: readonly Checked[], party: string): string {
  if (checked.length === 0) return 'SecurityData carries no signature (a digest alone proves nothing about who wrote it)';
  const label = checked.filter((c) => c.evidence.role === 'label');
  if (label.length === 0) {
    const types = [...new Set(checked.map((c) => shown(c.entry.tbsType || '(none)', 30)))].join(', ');
    return `the signature covers TBSData ${types}, whose selected bytes no public source defines`;
  }
  const first = label[0];
  if (!algorithmKind(first.entry.algorithm)) return `signature algorithm ${shown(first.entry.algorithm, 40)} is not supported`;
  if (first.keysTried === 0) {
    return `no public key in SecurityData${data.keys.length > 0 ? ' that can be read' : ''} and none in the trust store for ${shown(party)}`;
  }
  return 'the signature does not verify over any message we know this producer to sign (the signed bytes are not published)';
}

const describeKeys = (count: number): string => (count === 1 ? 'its key' : `any of ${count} keys`);

/** A value from a file, quoted, cut short and stripped of anything a terminal would act on. */
function shown(value: string, max = 60): string {
  const cut = value.length > max ? `${value.slice(0, max)}…` : value;
  return JSON.stringify(cut).replace(/[^\x20-\x7E]/g, '?');
}
