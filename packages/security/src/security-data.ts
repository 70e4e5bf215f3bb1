/**
 * TC260-PG-202511A SecurityData in ReservedCode1 (producer) and ReservedCode2 (propagator):
 * the writer (one strict form, see README "SecurityData format" for the source of each part)
 * and a tolerant reader for the shapes vendors ship.
 */
import { type AigcField, type AigcLabel, InvalidLabelError, sm3, toHex, utf8, vendorFieldLengthLimit } from '@aigc-label/core';
import { CONTENT_SCHEME } from './binding.js';
import { Oid } from './keys.js';
import { type Signer, signChecked } from './signer.js';

export type ReservedField = 'ReservedCode1' | 'ReservedCode2';

/**
 * The elements each field's label signature covers. ReservedCode1: guide Annex A.1
 * (Label, ContentProducer, ProduceID). ReservedCode2: the propagator's elements, built the
 * same way (our choice; the public sources do not give the guide's propagator message).
 */
export const SIGNED_ELEMENTS: Readonly<Record<ReservedField, readonly AigcField[]>> = {
  ReservedCode1: ['Label', 'ContentProducer', 'ProduceID'],
  ReservedCode2: ['Label', 'ContentPropagator', 'PropagateID'],
};

/** Whose code a field's signature speaks for: the producer's or the propagator's. */
export const signingParty = (label: AigcLabel, field: ReservedField): string =>
  field === 'ReservedCode1' ? label.ContentProducer : label.ContentPropagator;

/**
 * The to-be-signed label message of guide Annex A.1: each element as it appears in the
 * compact Annex E JSON, `"Label":"1","ContentProducer":"…","ProduceID":"…"`, joined by commas,
 * no braces, UTF-8.
 */
export const labelMessage = (label: AigcLabel, elements: readonly string[]): Uint8Array =>
  utf8(elements.map((element) => `${JSON.stringify(element)}:${JSON.stringify(String(label[element as AigcField] ?? ''))}`).join(','));

/** Type ids. `TC260PG`, `PubKey`, `DS`, `Md` are the guide's (seen in vendor files); `Bnd` per the guide as reported; `Cert` is ours. */
export const SecurityType = {
  root: 'TC260PG',
  publicKey: 'PubKey',
  certificate: 'Cert',
  signature: 'DS',
  labelData: 'Md',
  binding: 'Bnd',
} as const;

export interface ContentBinding {
  /** The scheme id of the regions hashed (`ContentRegions.scheme`). */
  readonly scheme: string;
  /** SM3 over the regions (`digestRegions`). */
  readonly digest: Uint8Array;
}

export interface SignLabelOptions {
  field: ReservedField;
  signer: Signer;
  /** Ties the signature to this file's content regions. */
  binding?: ContentBinding | undefined;
  /**
   * What to carry so a verifier finds the key: `key` (SPKI DER hex, default), `certificate`
   * (X.509 DER hex; the signer must have one), or `none` (KeyID only, for trust stores that
   * hold the key, when the value must stay short).
   */
  embed?: 'key' | 'certificate' | 'none' | undefined;
  /** Refuse values longer than this (default 2048, what some platforms keep). */
  maxLength?: number | undefined;
}

/**
 * The SecurityData string to put in `label[field]`. The label's signed elements must
 * already have their final values; the other reserved field is not touched, so a
 * propagator's signature leaves the producer's ReservedCode1 byte for byte.
 */
export async function signSecurityData(label: AigcLabel, options: SignLabelOptions): Promise<string> {
  const { signer, field } = options;
  const elements = SIGNED_ELEMENTS[field];
  const message = labelMessage(label, elements);
  const keyId = signer.keyId;
  const algorithm = Oid.sm3WithSm2;
  const entries: object[] = [];
  const embed = options.embed ?? (signer.certificate ? 'certificate' : 'key');
  if (embed === 'certificate') {
    if (!signer.certificate) throw new InvalidLabelError('embed "certificate" needs a signer with a certificate');
    entries.push({ Type: SecurityType.certificate, KeyID: keyId, AlgID: algorithm, KeyValue: toHex(signer.certificate) });
  } else if (embed === 'key') {
    entries.push({ Type: SecurityType.publicKey, KeyID: keyId, AlgID: algorithm, KeyValue: toHex(signer.publicKey.spki()) });
  }
  const labelSignature = await signChecked(signer, message);
  entries.push({
    Type: SecurityType.signature,
    KeyID: keyId,
    AlgID: algorithm,
    TBSData: { Type: SecurityType.labelData, Elements: elements },
    Signature: toHex(labelSignature),
  });
  const data: Record<string, unknown> = { Type: SecurityType.root, Version: 1, PubSD: entries };
  if (options.binding) {
    const entry = bindingEntry(options.binding, message);
    const bindingSignature = await signChecked(signer, utf8(JSON.stringify(entry)));
    entries.push({
      Type: SecurityType.signature,
      KeyID: keyId,
      AlgID: algorithm,
      TBSData: { Type: SecurityType.binding },
      Signature: toHex(bindingSignature),
    });
    data.Bindings = [entry];
  }
  const value = JSON.stringify({ SecurityData: data });
  checkWritable(value, options.maxLength ?? vendorFieldLengthLimit);
  return value;
}

/**
 * A binding entry. `Md` is SM3 of the label message it belongs to, so a binding signature
 * cannot be paired with another label's signature by the same key (our addition).
 */
export function bindingEntry(binding: ContentBinding, message: Uint8Array): Record<string, string> {
  if (!CONTENT_SCHEME.test(binding.scheme)) throw new InvalidLabelError(`content scheme id "${binding.scheme.slice(0, 80)}" is not valid`);
  if (binding.digest.length !== 32) throw new InvalidLabelError('a content digest is 32 bytes of SM3');
  return { Type: SecurityType.binding, CntSel: binding.scheme, AlgID: Oid.sm3, Md: toHex(sm3(message)), Value: toHex(binding.digest) };
}

// GB 45438 Annex E j): 0x21, 0x23-0x5B, 0x5D-0x7E, and `"` (which the label's JSON writes as \").
const ANNEX_E_VALUE = /^[\x21-\x5B\x5D-\x7E]*$/;

function checkWritable(value: string, maxLength: number): void {
  if (!ANNEX_E_VALUE.test(value)) throw new InvalidLabelError('SecurityData would break the Annex E j) character set');
  if (value.length > maxLength) {
    throw new InvalidLabelError(
      `SecurityData is ${value.length} characters, over the ${maxLength} some platforms keep; embed "none" (KeyID only) or a key instead of a certificate`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Reading, tolerantly.

export interface KeyEntry {
  /** `PubKey`, `Cert`, or what the file says. */
  readonly type: string;
  readonly keyId: string | null;
  readonly algorithm: string;
  /** Hex of the key bytes as written (SPKI, SEC1 point, bare x, or a certificate). */
  readonly value: string;
}

export interface SignatureEntry {
  readonly keyId: string | null;
  readonly algorithm: string;
  /** `TBSData.Type` as written (`Md`, `LabelMataData`, `Bnd`, `Content`, …). */
  readonly tbsType: string;
  /** `TBSData.Elements` when the entry names the elements it signs (our writer does). */
  readonly elements: readonly string[] | null;
  /** Hex as written. */
  readonly signature: string;
}

export interface SecurityData {
  /** `Type` as written (vendors add spaces). */
  readonly type: string;
  readonly version: unknown;
  readonly keys: readonly KeyEntry[];
  readonly signatures: readonly SignatureEntry[];
  readonly bindings: readonly Record<string, unknown>[];
  /** Departures from the guide's spelling, for the verdict detail (`PubSd`, nested blocks, …). */
  readonly spellings: readonly string[];
}

/** What a reserved field holds when it is not SecurityData. */
export type OpaqueKind = 'json' | 'base64-digest' | 'hex-digest' | 'prefixed' | 'text';

export type ReservedValue =
  | { readonly kind: 'absent' }
  | { readonly kind: 'security-data'; readonly data: SecurityData }
  | { readonly kind: 'opaque'; readonly opaque: OpaqueKind };

/** Largest reserved value parsed; larger ones are reported opaque. */
export const maximumSecurityDataInChars = 64 * 1024;
const MAXIMUM_ENTRIES = 64;
const MAXIMUM_NESTING = 4;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const text = (value: unknown): string => (typeof value === 'string' ? value : typeof value === 'number' ? String(value) : '');
const keyIdOfEntry = (entry: Record<string, unknown>): string | null => {
  const id = text(entry.KeyID ?? entry.KeyId ?? entry.KID);
  return id === '' ? null : id;
};

/** Classifies and parses a ReservedCode value; never throws. */
export function readReservedValue(raw: string): ReservedValue {
  const value = raw.trim();
  if (value === '' || value === 'null') return { kind: 'absent' };
  if (value.length > maximumSecurityDataInChars) return { kind: 'opaque', opaque: 'text' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return { kind: 'opaque', opaque: classifyText(value) };
  }
  const root =
    isObject(parsed) && isObject(parsed.SecurityData) ? parsed.SecurityData : isObject(parsed) && 'Type' in parsed ? parsed : null;
  if (!root || text(root.Type).trim().toUpperCase() !== SecurityType.root) return { kind: 'opaque', opaque: 'json' };
  return { kind: 'security-data', data: parseSecurityData(root, isObject(parsed) && isObject(parsed.SecurityData)) };
}

function classifyText(value: string): OpaqueKind {
  if (/^[0-9a-f]+$/i.test(value) && value.length % 2 === 0) return 'hex-digest';
  if (/^[A-Z]-/.test(value)) return 'prefixed';
  if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(value) && value.length >= 16) return 'base64-digest';
  return 'text';
}

function parseSecurityData(root: Record<string, unknown>, wrapped: boolean): SecurityData {
  const keys: KeyEntry[] = [];
  const signatures: SignatureEntry[] = [];
  const spellings = new Set<string>();
  if (!wrapped) spellings.add('no SecurityData wrapper');
  if (text(root.Type) !== SecurityType.root) spellings.add(`Type ${JSON.stringify(text(root.Type)).slice(0, 40)}`);
  let count = 0;
  const walk = (block: Record<string, unknown>, depth: number): void => {
    const listName = ['PubSD', 'PubSd', 'PubSDs', 'PubSdList'].find((name) => Array.isArray(block[name]));
    if (!listName) return;
    if (listName !== 'PubSD') spellings.add(listName);
    for (const entry of block[listName] as unknown[]) {
      if (!isObject(entry) || ++count > MAXIMUM_ENTRIES) continue;
      const type = text(entry.Type).trim();
      if (type.toUpperCase() === SecurityType.root || (!type && depth < MAXIMUM_NESTING)) {
        if (depth >= MAXIMUM_NESTING) continue;
        spellings.add('nested TC260PG blocks');
        walk(entry, depth + 1);
      } else if (type === SecurityType.signature) {
        const tbs = isObject(entry.TBSData) ? entry.TBSData : {};
        const elements = Array.isArray(tbs.Elements) ? tbs.Elements.filter((e): e is string => typeof e === 'string').slice(0, 8) : null;
        signatures.push({
          keyId: keyIdOfEntry(entry),
          algorithm: text(entry.AlgID).trim(),
          tbsType: text(tbs.Type).trim(),
          elements,
          signature: text(entry.Signature ?? entry.SignValue).trim(),
        });
      } else if (type) {
        const keyValue = text(entry.KeyValue ?? entry.Value ?? entry.Cert).trim();
        if (keyValue) keys.push({ type, keyId: keyIdOfEntry(entry), algorithm: text(entry.AlgID).trim(), value: keyValue });
      }
    }
  };
  walk(root, 0);
  const bindings = (Array.isArray(root.Bindings) ? root.Bindings : Array.isArray(root.Binding) ? root.Binding : [])
    .filter(isObject)
    .slice(0, MAXIMUM_ENTRIES);
  if (!Array.isArray(root.Bindings) && Array.isArray(root.Binding)) spellings.add('Binding');
  return { type: text(root.Type), version: root.Version, keys, signatures, bindings, spellings: [...spellings] };
}
