import { ascii, fromLatin1, indexOfBytes } from './binary/bytes.js';
import { addXmpDescription, escapeXml, findXmpProperties } from './containers/xmp.js';
import type { Evidence } from './format.js';

/**
 * Evidence from other labeling schemes (Measures Art. 6(3) "other traces"):
 * IPTC DigitalSourceType in XMP, and C2PA manifest stores.
 */
export const IPTC_EXT_NAMESPACE = 'http://iptc.org/std/Iptc4xmpExt/2008-02-29/';
export const DIGITAL_SOURCE_TYPE_BASE = 'http://cv.iptc.org/newscodes/digitalsourcetype/';

/** IPTC digital source types that mean the content was made by generative AI or is synthetic. */
export const AI_DIGITAL_SOURCE_TYPES: readonly string[] = [
  'trainedAlgorithmicMedia',
  'compositeWithTrainedAlgorithmicMedia',
  'algorithmicMedia',
  'compositeSynthetic',
];

/** The short names of every DigitalSourceType value in an XMP packet (element, attribute or rdf:resource form). */
export function findDigitalSourceTypes(xml: string): string[] {
  return findXmpProperties(xml, 'DigitalSourceType')
    .filter((p) => p.namespace === IPTC_EXT_NAMESPACE)
    .map((p) => (/resource\s*=\s*["']([^"']*)["']/.exec(p.attributes)?.[1] ?? p.value).trim())
    .filter((v) => v !== '')
    .map((v) => v.replace(DIGITAL_SOURCE_TYPE_BASE, '').replace(/^.*\//, ''));
}

/** Evidence entries for an XMP packet: IPTC DigitalSourceType values, AI ones flagged as traces. */
export function xmpEvidence(xml: string, where: string): Evidence[] {
  return findDigitalSourceTypes(xml).map((type) => ({
    kind: 'iptc-digital-source-type',
    scheme: 'iptc',
    detail: type,
    where,
    aiTrace: AI_DIGITAL_SOURCE_TYPES.includes(type),
  }));
}

/**
 * Sets `Iptc4xmpExt:DigitalSourceType` to trainedAlgorithmicMedia in a packet
 * (dual labeling, so platforms that read IPTC see AI content too). An existing
 * value is left alone if it already says AI; otherwise a property is added.
 */
export function setTrainedAlgorithmicMedia(xml: string): string {
  if (findDigitalSourceTypes(xml).some((t) => AI_DIGITAL_SOURCE_TYPES.includes(t))) return xml;
  const value = escapeXml(`${DIGITAL_SOURCE_TYPE_BASE}trainedAlgorithmicMedia`);
  return addXmpDescription(
    xml,
    'Iptc4xmpExt',
    IPTC_EXT_NAMESPACE,
    `<Iptc4xmpExt:DigitalSourceType>${value}</Iptc4xmpExt:DigitalSourceType>`,
  );
}

const C2PA_LABEL = ascii('c2pa');
const SOURCE_TYPE_MARKER = ascii('digitalsourcetype/');

/**
 * Evidence for a C2PA manifest store (JUMBF). The digital source type of its
 * actions assertion is read when present: CBOR keeps text strings as raw UTF-8,
 * so the IPTC URI can be found without decoding the manifest or any network access.
 */
export function c2paEvidence(manifestStore: Uint8Array, where: string): Evidence {
  const types = new Set<string>();
  for (let at = indexOfBytes(manifestStore, SOURCE_TYPE_MARKER); at >= 0; at = indexOfBytes(manifestStore, SOURCE_TYPE_MARKER, at + 1)) {
    const tail = fromLatin1(manifestStore.subarray(at + SOURCE_TYPE_MARKER.length, at + SOURCE_TYPE_MARKER.length + 64));
    const name = /^[A-Za-z]+/.exec(tail)?.[0];
    if (name) types.add(name);
  }
  const ai = [...types].filter((t) => AI_DIGITAL_SOURCE_TYPES.includes(t));
  const hasStore = indexOfBytes(manifestStore, C2PA_LABEL) >= 0;
  return {
    kind: 'c2pa-manifest',
    scheme: 'c2pa',
    detail: `C2PA manifest store${hasStore ? '' : ' (unlabeled JUMBF)'}${types.size ? `, digital source type ${[...types].join(', ')}` : ''}`,
    where,
    aiTrace: ai.length > 0,
  };
}
