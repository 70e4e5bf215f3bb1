// biome-ignore lint/style/noRestrictedImports: the only file this package reads is the SDK's .wasm, shipped inside its npm package
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';

/**
 * The official C2PA SDK (c2pa-rs) compiled to WebAssembly, `@contentauth/c2pa-wasm`: it
 * installs from npm alone and runs on Node 20 (the native `@contentauth/c2pa-node` needs Node
 * 22 and downloads a binary at install). Loading it costs about half a second, so it is loaded
 * once per process, on the first file that has a manifest store.
 */
type Sdk = typeof import('@contentauth/c2pa-wasm');

const require = createRequire(import.meta.url);
let loading: Promise<Sdk> | undefined;

async function sdk(): Promise<Sdk> {
  loading ??= (async () => {
    const module = await import('@contentauth/c2pa-wasm');
    await module.default({ module_or_path: await readFile(require.resolve('@contentauth/c2pa-wasm/c2pa.wasm')) });
    return module;
  })();
  return loading;
}

/** The parts of the SDK's manifest-store JSON (c2pa-rs `Reader::json`) this package reads. */
export interface ManifestStoreJson {
  readonly active_manifest?: string;
  readonly manifests?: Readonly<Record<string, ManifestJson>>;
  readonly validation_state?: 'Invalid' | 'Valid' | 'Trusted';
  readonly validation_results?: {
    readonly activeManifest?: { readonly failure?: readonly { readonly code: string; readonly explanation?: string }[] };
  };
}

export interface ManifestJson {
  readonly claim_generator?: string;
  readonly claim_generator_info?: readonly { readonly name?: string; readonly version?: string }[];
  readonly title?: string;
  readonly assertions?: readonly { readonly label: string; readonly data?: unknown }[];
  readonly ingredients?: readonly {
    readonly title?: string;
    readonly relationship?: string;
    readonly active_manifest?: string;
  }[];
  readonly signature_info?: { readonly issuer?: string; readonly common_name?: string; readonly alg?: string; readonly time?: string };
}

export type SdkReading =
  | { readonly kind: 'store'; readonly store: ManifestStoreJson }
  | { readonly kind: 'remote'; readonly url: string }
  | { readonly kind: 'none' }
  | { readonly kind: 'error'; readonly message: string };

export interface SdkOptions {
  /**
   * PEM trust anchors: a manifest whose signer chains to one is `Trusted`. Without them the SDK
   * reports a sound manifest as `Valid` with `signingCredential.untrusted`.
   */
  readonly trustAnchors?: string | undefined;
}

/**
 * Reads and validates the manifest store of an asset in memory. Nothing is fetched over the
 * network: remote manifests and OCSP are off, and a remote reference comes back as its URL.
 */
export async function readWithSdk(bytes: Uint8Array, mimeType: string, options: SdkOptions = {}): Promise<SdkReading> {
  const { WasmReader } = await sdk();
  const settings = {
    verify: { remote_manifest_fetch: false, ocsp_fetch: false },
    ...(options.trustAnchors === undefined ? {} : { trust: { trust_anchors: options.trustAnchors } }),
  };
  let reader: Awaited<ReturnType<typeof WasmReader.fromBytes>> | undefined;
  try {
    reader = await WasmReader.fromBytes(mimeType, bytes, JSON.stringify(settings));
    return { kind: 'store', store: JSON.parse(reader.json()) as ManifestStoreJson };
  } catch (error) {
    const message = String(error instanceof Error ? error.message : error);
    if (/JumbfNotFound/.test(message)) return { kind: 'none' };
    const remote = /RemoteManifestUrl\("([^"]*)"\)/.exec(message);
    if (remote) return { kind: 'remote', url: remote[1]! };
    return { kind: 'error', message: message.replace(/^C2pa\(|\)$/g, '') };
  } finally {
    reader?.free();
  }
}

/** The MIME types the SDK's reader takes (c2pa-web `READER_SUPPORTED_FORMATS`, MIME entries). */
export const SDK_MIME_TYPES: ReadonlySet<string> = new Set([
  'image/jpeg',
  'image/png',
  'image/webp',
  'image/gif',
  'image/tiff',
  'image/heic',
  'image/heif',
  'image/avif',
  'image/dng',
  'image/svg+xml',
  'video/mp4',
  'video/quicktime',
  'video/x-msvideo',
  'video/avi',
  'audio/mp4',
  'audio/mpeg',
  'audio/wav',
  'audio/wave',
  'audio/vnd.wave',
  'audio/x-wav',
  'audio/flac',
  'application/mp4',
  'application/pdf',
]);
