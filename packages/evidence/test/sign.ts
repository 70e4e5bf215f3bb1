/**
 * Test helper: signs a file with a C2PA manifest through the official SDK's own builder
 * (`@contentauth/c2pa-wasm`), with the SDK's ES256 test key. The wasm signer hands us the claim
 * and expects a whole COSE_Sign1 back (c2pa-wasm `direct_cose_handling`), so this builds one:
 * protected header {alg: ES256, x5chain}, detached payload, padded to the reserved size.
 */
import { createPrivateKey, sign, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import init, { WasmBuilder, WasmReader } from '@contentauth/c2pa-wasm';

const require = createRequire(import.meta.url);
const fixture = (name: string) => readFileSync(fileURLToPath(new URL(`./fixtures/c2pa-rs/${name}`, import.meta.url)));

let ready: Promise<unknown> | undefined;
export const loadSdk = (): Promise<unknown> => {
  ready ??= init({ module_or_path: readFileSync(require.resolve('@contentauth/c2pa-wasm/c2pa.wasm')) });
  return ready;
};

// The builder reads its source through FileReaderSync, a browser worker API; Node has none, so the
// source is a Blob that keeps its bytes and a FileReaderSync that hands them back.
class BytesBlob extends Blob {
  constructor(readonly data: Uint8Array<ArrayBuffer>) {
    super([data]);
  }
  override slice(start = 0, end = this.data.length): BytesBlob {
    const at = (i: number) => (i < 0 ? this.data.length + i : i);
    return new BytesBlob(this.data.slice(at(start), at(end)));
  }
}
(globalThis as { FileReaderSync?: unknown }).FileReaderSync = class {
  readAsArrayBuffer(blob: BytesBlob): ArrayBuffer {
    return blob.data.slice().buffer;
  }
};

type Cbor = null | number | string | Uint8Array | Cbor[] | Map<Cbor, Cbor> | { tag: number; value: Cbor };

function head(major: number, n: number): number[] {
  if (n < 24) return [(major << 5) | n];
  if (n < 0x100) return [(major << 5) | 24, n];
  if (n < 0x10000) return [(major << 5) | 25, n >> 8, n & 0xff];
  return [(major << 5) | 26, (n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
}

/** Just enough CBOR (RFC 8949) for a COSE_Sign1. */
function cbor(value: Cbor): number[] {
  if (value === null) return [0xf6];
  if (typeof value === 'number') return value >= 0 ? head(0, value) : head(1, -1 - value);
  if (typeof value === 'string') {
    const bytes = new TextEncoder().encode(value);
    return [...head(3, bytes.length), ...bytes];
  }
  if (value instanceof Uint8Array) return [...head(2, value.length), ...value];
  if (Array.isArray(value)) return [...head(4, value.length), ...value.flatMap(cbor)];
  if (value instanceof Map) return [...head(5, value.size), ...[...value].flatMap(([k, v]) => [...cbor(k), ...cbor(v)])];
  return [...head(6, value.tag), ...cbor(value.value)];
}

const RESERVE_SIZE = 10_000;
const key = createPrivateKey(fixture('es256.pem'));
const chain = (
  fixture('es256.pub')
    .toString('utf8')
    .match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? []
).map((pem) => new Uint8Array(new X509Certificate(pem).raw));

const signer = {
  alg: 'es256',
  reserveSize: RESERVE_SIZE,
  async sign(claim: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
    const protectedHeader = new Uint8Array(
      cbor(
        new Map<Cbor, Cbor>([
          [1, -7],
          [33, chain],
        ]),
      ),
    );
    const toBeSigned = new Uint8Array(cbor(['Signature1', protectedHeader, new Uint8Array(0), claim]));
    const signature = new Uint8Array(sign('sha256', toBeSigned, { key, dsaEncoding: 'ieee-p1363' }));
    const cose = (pad: number) =>
      cbor({ tag: 18, value: [protectedHeader, new Map<Cbor, Cbor>([['pad', new Uint8Array(pad)]]), null, signature] });
    let pad = RESERVE_SIZE - cose(0).length;
    while (cose(pad).length > RESERVE_SIZE) pad--;
    return new Uint8Array(cose(pad));
  },
};

export const IPTC = 'http://cv.iptc.org/newscodes/digitalsourcetype/';

/**
 * Signs `bytes` (of `mimeType`) with one c2pa.created action naming `sourceType` (an IPTC term);
 * with `parent`, an edit instead: a c2pa.opened action and the parent (a signed file) as its
 * parentOf ingredient, whose own manifest comes along.
 */
export async function signC2pa(
  bytes: Uint8Array,
  mimeType: string,
  sourceType = 'trainedAlgorithmicMedia',
  parent?: Uint8Array,
): Promise<Uint8Array> {
  await loadSdk();
  const action = parent
    ? { action: 'c2pa.opened', parameters: { ingredientIds: ['parent-1'] } }
    : { action: 'c2pa.created', digitalSourceType: `${IPTC}${sourceType}` };
  const builder = WasmBuilder.fromJson(
    JSON.stringify({
      claim_generator_info: [{ name: 'aigc-label-test', version: '1.0' }],
      title: 'test asset',
      format: mimeType,
      assertions: [{ label: 'c2pa.actions.v2', data: { actions: [action] } }],
    }),
  );
  if (parent) {
    const ingredient = { title: 'parent', relationship: 'parentOf', instance_id: 'parent-1', label: 'parent-1' };
    await builder.addIngredientFromBlob(JSON.stringify(ingredient), mimeType, new BytesBlob(new Uint8Array(parent)));
  }
  try {
    return await builder.sign(signer, [], mimeType, new BytesBlob(new Uint8Array(bytes)));
  } finally {
    builder.free();
  }
}

/** What the SDK itself says of a file: no manifest, a remote one, or its validation state; with its default settings, offline. */
export async function sdkVerdict(bytes: Uint8Array, mimeType: string): Promise<string> {
  await loadSdk();
  try {
    const reader = await WasmReader.fromBytes(mimeType, bytes, JSON.stringify({ verify: { remote_manifest_fetch: false } }));
    const state = (JSON.parse(reader.json()) as { validation_state: string }).validation_state;
    reader.free();
    return state;
  } catch (error) {
    const message = String(error);
    return /JumbfNotFound/.test(message) ? 'none' : /RemoteManifestUrl/.test(message) ? 'remote' : `error: ${message}`;
  }
}
