/**
 * Signed labels in the facade (packages/security README): the signing key, the trust store
 * and the operations log as paths or objects, the content binding a format declares, and the
 * verdicts detect reports. Keys and trust stores named by path are read once per process (and
 * again when the file changes), so a batch thread pays for them once.
 */
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  type AigcLabel,
  type ByteSource,
  type CopyRange,
  type FormatModule,
  type FormatRegistry,
  isContentRegionsCapability,
  toHex,
  UnsupportedFormatError,
  UsageError,
} from '@aigc-label/core';
import {
  type ContentBinding,
  type ContentDigest,
  digestRegions,
  type FieldVerdict,
  generateSm2KeyPair,
  loadPrivateKey,
  localSigner,
  parseTrustStore,
  type ReservedField,
  type Signer,
  Sm2PrivateKey,
  signSecurityData,
  TrustStore,
  verifyLabelSecurity,
  wholeFile,
} from '@aigc-label/security';
import { FileError } from './file-io.js';
import { OperationsLog } from './operations-log.js';

/**
 * What signs a label: a `Signer` (`localSigner(key)`, or `externalSigner({ publicKey, sign })`
 * for a KMS or HSM), a loaded `Sm2PrivateKey`, or the path of a PEM or DER private key file.
 */
export type SignKey = Signer | Sm2PrivateKey | string;

/** Signing and logging for `label` and `propagate`. */
export interface SignOptions {
  /**
   * Sign the label: ReservedCode1 for `label`, ReservedCode2 for `propagate` (the producer's
   * ReservedCode1 is kept byte for byte). The signature is bound to the file's content
   * regions where the format declares them.
   */
  readonly signKey?: SignKey | undefined;
  /** Passphrase of an encrypted PKCS#8 key file. */
  readonly signKeyPassphrase?: string | undefined;
  /**
   * Append one hash-chained line per written file to this operations log (Measures Art. 9):
   * a path, or an `OperationsLog` shared by calls.
   */
  readonly log?: OperationsLog | string | undefined;
}

/** Whose keys a signature verdict trusts: a `TrustStore`, or trust-store files and folders. */
export interface TrustOptions {
  readonly trust?: TrustStore | string | readonly string[] | undefined;
}

/** Largest key or trust-store file read. */
const maximumKeyFileBytes = 64 * 1024;
const maximumTrustFileBytes = 16 * 1024 * 1024;
/** Most files read from a trust-store folder. */
const maximumTrustFiles = 10_000;

interface Cached<T> {
  readonly stamp: string;
  readonly value: Promise<T>;
}

/** Reads `path` through `load` once per change of its size or modification time. */
async function cachedByFile<T>(cache: Map<string, Cached<T>>, path: string, what: string, load: (path: string) => Promise<T>): Promise<T> {
  const absolute = resolve(path);
  const info = await stat(absolute).catch((error: Error) => {
    throw new FileError(path, `cannot read the ${what}: ${(error as NodeJS.ErrnoException).code ?? error.message}`);
  });
  const stamp = `${info.size} ${info.mtimeMs} ${info.isDirectory()}`;
  const hit = cache.get(absolute);
  if (hit?.stamp === stamp) return hit.value;
  const value = load(absolute);
  cache.set(absolute, { stamp, value });
  value.catch(() => cache.delete(absolute));
  return value;
}

const signers = new Map<string, Cached<Signer>>();

/** The signer `key` names. A key file's content never appears in an error (the security package's loaders promise it too). */
export async function signerOf(key: SignKey, passphrase?: string): Promise<Signer> {
  if (key instanceof Sm2PrivateKey) return localSigner(key);
  if (typeof key !== 'string') return key;
  return cachedByFile(signers, key, 'signing key', async (path) => {
    const bytes = new Uint8Array(await readFile(path));
    if (bytes.length > maximumKeyFileBytes) throw new FileError(key, `is ${bytes.length} bytes, too large for a private key file`);
    const isPem = new TextDecoder().decode(bytes.subarray(0, 64)).trimStart().startsWith('-----BEGIN');
    try {
      return localSigner(loadPrivateKey(isPem ? new TextDecoder().decode(bytes) : bytes, { passphrase }));
    } catch (error) {
      if (error instanceof Error) error.message = `${key}: ${error.message}`;
      throw error;
    }
  });
}

const trustStores = new Map<string, Cached<TrustStore>>();

/** One trust-store file, or every regular file of a folder (not hidden, not nested), merged. */
async function loadTrust(path: string): Promise<TrustStore> {
  const info = await stat(path);
  const files = info.isDirectory()
    ? (await readdir(path, { withFileTypes: true }))
        .filter((entry) => entry.isFile() && !entry.name.startsWith('.'))
        .map((entry) => join(path, entry.name))
        .sort()
    : [path];
  if (files.length > maximumTrustFiles) throw new FileError(path, `holds more than ${maximumTrustFiles} files; not a trust store`);
  const stores: TrustStore[] = [];
  for (const file of files) {
    const size = (await stat(file)).size;
    if (size > maximumTrustFileBytes) throw new FileError(file, `is ${size} bytes, too large for a trust store`);
    stores.push(parseTrustStore(await readFile(file, 'utf8'), file));
  }
  return TrustStore.merge(...stores);
}

/** The trust store the options name, or undefined when none is given. */
export async function trustStoreOf(trust: TrustOptions['trust']): Promise<TrustStore | undefined> {
  if (trust === undefined || trust instanceof TrustStore) return trust;
  const paths = typeof trust === 'string' ? [trust] : trust;
  if (paths.length === 0) return undefined;
  const stores = await Promise.all(paths.map((path) => cachedByFile(trustStores, path, 'trust store', loadTrust)));
  return stores.length === 1 ? stores[0] : TrustStore.merge(...stores);
}

/** A format's content binding for `source`, or why the format has none. */
export async function contentBindingOf(handler: FormatModule, source: ByteSource): Promise<ContentBinding | { unsupported: string }> {
  const declared = handler.contentRegions;
  if (!isContentRegionsCapability(declared)) {
    return { unsupported: declared?.unsupported ?? `${handler.name} declares no content regions yet` };
  }
  let ranges: readonly CopyRange[];
  try {
    ranges = await declared.regions(source);
  } catch (error) {
    if (error instanceof UnsupportedFormatError) return { unsupported: error.message };
    throw error;
  }
  return { scheme: declared.scheme, digest: await digestRegions(source, { scheme: declared.scheme, ranges }) };
}

/** `label` with `field` signed by `signer`, bound to `binding` when the format has one. */
export async function signedLabel(
  label: AigcLabel,
  field: ReservedField,
  signer: Signer,
  binding: ContentBinding | { unsupported: string },
): Promise<AigcLabel> {
  const value = await signSecurityData(label, { field, signer, binding: 'digest' in binding ? binding : undefined });
  return { ...label, [field]: value };
}

/**
 * The signature verdicts for a file's label. A binding is recomputed only when a signature
 * verifies and the binding names this format's scheme; a scheme another built-in format
 * declares means the label was moved onto this file.
 */
export async function signatureVerdicts(
  handler: FormatModule,
  source: ByteSource,
  label: AigcLabel,
  registry: FormatRegistry,
  options: TrustOptions,
): Promise<FieldVerdict[]> {
  const trust = await trustStoreOf(options.trust);
  let own: Promise<ContentBinding | { unsupported: string }> | null = null;
  const contentDigest = async (scheme: string): Promise<ContentDigest> => {
    const declared = handler.contentRegions;
    if (isContentRegionsCapability(declared) && declared.scheme === scheme) {
      own ??= contentBindingOf(handler, source);
      const binding = await own;
      return 'digest' in binding ? binding.digest : null;
    }
    const known = registry.list().some((h) => isContentRegionsCapability(h.contentRegions) && h.contentRegions.scheme === scheme);
    return known ? 'other-format' : null;
  };
  return verifyLabelSecurity(label, { trust, contentDigest });
}

/** SM3 of a whole source, hex (the operations log's input and output digests). */
export async function fileSm3(source: ByteSource): Promise<string> {
  return toHex(await digestRegions(source, wholeFile(source)));
}

const logs = new Map<string, OperationsLog>();

/** The operations log a path names, one writer per path in this thread (the lock file orders threads and processes). */
export function operationsLogOf(log: OperationsLog | string): OperationsLog {
  if (typeof log !== 'string') return log;
  const absolute = resolve(log);
  let writer = logs.get(absolute);
  if (!writer) {
    writer = new OperationsLog(absolute);
    logs.set(absolute, writer);
  }
  return writer;
}

/** Refuses a signature together with a hand-written value for the same field. */
export function checkSignOptions(field: ReservedField, handWritten: string | undefined): void {
  if (handWritten !== undefined) {
    const flag = field === 'ReservedCode1' ? '--reserved-code1 (reservedCode1)' : '--reserved-code2 (reservedCode2)';
    throw new UsageError(`${flag} and --sign-key (signKey) both set ${field}; give one of them`);
  }
}

export interface KeyFiles {
  readonly keyId: string;
  readonly privateKey: string;
  readonly publicKey: string;
  /** A trust-store entry for the public key, when producer codes were given. */
  readonly trust: string | null;
}

/**
 * Writes a new SM2 key pair into `dir` (made with mode 0700 when missing): `private-key.pem`
 * (PKCS#8, mode 0600), `public-key.pem` (SPKI), both as `openssl genpkey -algorithm SM2`
 * writes them, and with `producers` a `trust-entry.pem` for verifiers' trust stores. Existing
 * files are never overwritten. Returns the paths and the key id, never the key.
 */
export async function writeKeyFiles(dir: string, options: { producers?: readonly string[]; name?: string } = {}): Promise<KeyFiles> {
  if ([options.name ?? '', ...(options.producers ?? [])].some((text) => /[\x00-\x1f\x7f]/.test(text))) {
    throw new UsageError('a trust-store name or producer code cannot hold control characters or line breaks');
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const pair = generateSm2KeyPair();
  const paths = { privateKey: join(dir, 'private-key.pem'), publicKey: join(dir, 'public-key.pem'), trust: join(dir, 'trust-entry.pem') };
  const create = (path: string, text: string, mode: number) =>
    writeFile(path, text, { flag: 'wx', mode }).catch((error: NodeJS.ErrnoException) => {
      throw new FileError(
        path,
        error.code === 'EEXIST' ? 'exists already; a key file is never overwritten' : (error.code ?? error.message),
      );
    });
  await create(paths.privateKey, pair.privateKeyPem, 0o600);
  await create(paths.publicKey, pair.publicKeyPem, 0o644);
  const producers = options.producers ?? [];
  if (producers.length > 0) {
    const header = `# aigc-label signing key ${pair.keyId}\nName: ${options.name ?? `key ${pair.keyId}`}\nProducers: ${producers.join(' ')}\n`;
    await create(paths.trust, header + pair.publicKeyPem, 0o644);
  }
  return { keyId: pair.keyId, privateKey: paths.privateKey, publicKey: paths.publicKey, trust: producers.length > 0 ? paths.trust : null };
}
