import {
  classifyDigitalSourceType,
  type Evidence,
  type EvidenceReader,
  type EvidenceReport,
  type Finding,
  finding,
  findXmpProperties,
  noEvidence,
} from '@aigc-label/core';
import { structureOf } from '../cache.js';
import { shown } from '../shown.js';
import type { XmpPacket } from '../structure.js';
import { type ManifestJson, type ManifestStoreJson, readWithSdk, SDK_MIME_TYPES, type SdkOptions } from './sdk.js';

export interface C2paReaderOptions extends SdkOptions {
  /** Largest file validated in memory (the SDK reads the whole asset to check its hash bindings). Default 256 MiB. */
  readonly maximumFileInBytes?: number | undefined;
}

/** The whole asset is in memory twice while the SDK reads it (ours, and its copy in wasm memory). */
export const defaultMaximumValidatedFileInBytes = 256 * 1024 * 1024;

const DCTERMS_NAMESPACE = 'http://purl.org/dc/terms/';
/**
 * C2PA manifests, validated with the official SDK in every format it reads. A cheap walk of the
 * file's structure (structure.ts) decides whether to call the SDK: a file with no embedded store
 * and no remote reference never loads it, so plain uploads pay nothing.
 */
export function c2paReader(options: C2paReaderOptions = {}): EvidenceReader {
  const maximum = options.maximumFileInBytes ?? defaultMaximumValidatedFileInBytes;
  return {
    name: 'c2pa',
    async read({ source, format }): Promise<EvidenceReport> {
      const structure = await structureOf(source);
      const remote = remoteReferences(structure.xmp);
      if (structure.c2pa === null) return remote.length === 0 ? noEvidence : { evidence: remote, findings: [] };
      const where = structure.c2pa;
      const mimeType = format.mimeTypes.find((m) => SDK_MIME_TYPES.has(m));
      const notValidated = (why: string): EvidenceReport => ({
        evidence: [
          ...remote,
          { kind: 'c2pa-manifest', scheme: 'c2pa', detail: `C2PA manifest store, not validated: ${why}`, where, aiTrace: false },
        ],
        findings: [finding('c2pa/not-validated', 'info', `C2PA manifest store not validated: ${why}`, where)],
        replaces: ['c2pa-manifest'],
      });
      if (mimeType === undefined) return notValidated(`the C2PA SDK does not read ${format.name}`);
      if (source.size > maximum) return notValidated(`${source.size} bytes is over the ${maximum}-byte in-memory limit`);
      const reading = await readWithSdk(await source.read(0, source.size), mimeType, options);
      if (reading.kind === 'remote') return { evidence: [remoteEvidence(reading.url, where)], findings: [] };
      if (reading.kind !== 'store') {
        // A store the walk found but the SDK cannot parse (or does not even recognise) is damage, not absence.
        const why = reading.kind === 'none' ? 'the SDK finds no manifest store in it (JumbfNotFound)' : shown(reading.message);
        return {
          evidence: [
            ...remote,
            { kind: 'c2pa-manifest', scheme: 'c2pa', detail: `C2PA manifest store the SDK cannot read: ${why}`, where, aiTrace: false },
          ],
          findings: [finding('c2pa/unreadable', 'warning', `C2PA manifest store the SDK cannot read: ${why}`, where)],
          replaces: ['c2pa-manifest'],
        };
      }
      const { evidence, findings } = storeEvidence(reading.store, where);
      return { evidence: [...remote, ...evidence], findings, replaces: ['c2pa-manifest'] };
    },
  };
}

function remoteEvidence(url: string, where: string): Evidence {
  return {
    kind: 'c2pa-remote-manifest',
    scheme: 'c2pa',
    detail: `remote C2PA manifest at ${shown(url)} (not fetched: detection makes no network access)`,
    where,
    aiTrace: false,
    reason: 'what a remote manifest asserts is unknown until it is fetched and validated',
  };
}

/** Remote manifest references (C2PA §A.5: XMP `dcterms:provenance`). */
function remoteReferences(packets: readonly XmpPacket[]): Evidence[] {
  return packets.flatMap((packet) => {
    try {
      return (
        findXmpProperties(packet.xml, 'provenance')
          // `self#jumbf=…` names the embedded store itself; only a URL is a remote manifest.
          .filter((p) => p.namespace === DCTERMS_NAMESPACE && /^[a-z][a-z0-9+.-]*:\/\//i.test(p.value))
          .map((p) => remoteEvidence(p.value, `${packet.where}, dcterms:provenance`))
      );
    } catch {
      return []; // an unsafe or oversized packet: the format module reports it
    }
  });
}

interface SourceType {
  readonly term: string;
  readonly aiTrace: boolean;
  readonly reason: string;
  /** Where it was asserted: 'c2pa.created action', 'ingredient "x.jpg" (parentOf)'. */
  readonly where: string;
}

/** Digital source types of a manifest's actions (c2pa.actions and c2pa.actions.v2, any instance). */
function actionSourceTypes(manifest: ManifestJson | undefined, where: (action: string) => string): SourceType[] {
  const types: SourceType[] = [];
  for (const assertion of manifest?.assertions ?? []) {
    if (!/^c2pa\.actions(\.v\d+)?(__\d+)?$/.test(assertion.label)) continue;
    const actions = (assertion.data as { actions?: unknown } | undefined)?.actions;
    if (!Array.isArray(actions)) continue;
    for (const action of actions as { action?: unknown; digitalSourceType?: unknown }[]) {
      if (typeof action?.digitalSourceType !== 'string') continue;
      types.push({ ...classifyDigitalSourceType(action.digitalSourceType), where: where(shown(String(action.action ?? 'an'))) });
    }
  }
  return types;
}

/** The evidence of a manifest store the SDK read: its validation state, signer, generator and digital source types. */
export function storeEvidence(store: ManifestStoreJson, where: string): { evidence: Evidence[]; findings: Finding[] } {
  const manifests = store.manifests ?? {};
  const label = store.active_manifest ?? '';
  const active = Object.hasOwn(manifests, label) ? manifests[label] : undefined;
  const state = store.validation_state ?? 'Invalid';
  const failures = (store.validation_results?.activeManifest?.failure ?? []).map((f) => shown(f.code));
  const types = [
    ...actionSourceTypes(active, (action) => `${action} action`),
    ...(active?.ingredients ?? []).flatMap((ingredient) => {
      const own =
        ingredient.active_manifest && Object.hasOwn(manifests, ingredient.active_manifest)
          ? manifests[ingredient.active_manifest]
          : undefined;
      const name = `ingredient "${shown(ingredient.title)}" (${shown(ingredient.relationship ?? 'componentOf')})`;
      return actionSourceTypes(own, (action) => `${name}, ${action} action`);
    }),
  ];
  const ai = types.filter((t) => t.aiTrace);
  const signer = active?.signature_info;
  const generator =
    active?.claim_generator_info?.map((g) => [g.name, g.version].filter(Boolean).join(' ')).join(', ') || active?.claim_generator;
  const parts = [
    `C2PA manifest ${shown(label)}: ${state}${failures.length ? ` (${failures.join(', ')})` : ''}`,
    signer ? `signed by ${shown(signer.issuer)}${signer.common_name ? ` / ${shown(signer.common_name)}` : ''}` : 'no signature information',
    generator ? `claim generator ${shown(generator)}` : null,
    types.length ? `digital source type ${types.map((t) => `${t.term} (${t.where})`).join(', ')}` : 'no digital source type',
    ai.length ? 'asserts AI generation' : null,
  ].filter((p) => p !== null);
  const evidence: Evidence = {
    kind: 'c2pa-manifest',
    scheme: 'c2pa',
    detail: parts.join('; '),
    where,
    aiTrace: ai.length > 0,
    reason: ai.length
      ? `${ai[0]!.where}: ${ai[0]!.reason}${state === 'Invalid' ? '; the manifest is Invalid, so the assertion is not proven' : ''}`
      : types.length
        ? `no action names a trained-algorithm source (${types.map((t) => t.term).join(', ')})`
        : 'the manifest names no digital source type',
    validation: { state, failures },
  };
  const findings =
    state === 'Invalid'
      ? [
          finding(
            'c2pa/invalid',
            'warning',
            `C2PA manifest ${shown(label)} is Invalid: ${failures.join(', ') || 'no failure code given'}`,
            where,
          ),
        ]
      : [];
  return { evidence: [evidence], findings };
}
