import { ascii, fromLatin1, indexOfBytes } from './binary/bytes.js';
import { addXmpDescription, escapeXml, findXmpProperties } from './containers/xmp.js';
import type { Evidence } from './format.js';

/**
 * Evidence from other labeling schemes (Measures Art. 6(3) "other traces"):
 * IPTC DigitalSourceType in XMP, and C2PA manifest stores.
 */
export const IPTC_EXT_NAMESPACE = 'http://iptc.org/std/Iptc4xmpExt/2008-02-29/';
export const DIGITAL_SOURCE_TYPE_BASE = 'http://cv.iptc.org/newscodes/digitalsourcetype/';

/**
 * The IPTC Digital Source Type vocabulary (http://cv.iptc.org/newscodes/digitalsourcetype/) and
 * the C2PA additions, each with whether it is a trace of AI generation under Measures Art. 6(3).
 * Trained-model and synthetic terms are traces; `algorithmicMedia` ("created purely by an
 * algorithm not based on any sampled training data", IPTC) and the capture and editing terms
 * are reported but are not.
 */
export const DIGITAL_SOURCE_TYPES = {
  trainedAlgorithmicMedia: { aiTrace: true, meaning: 'created by a model trained on sampled content (generative AI)' },
  compositeWithTrainedAlgorithmicMedia: { aiTrace: true, meaning: 'a composite that includes generative-AI elements (e.g. inpainting)' },
  compositeSynthetic: { aiTrace: true, meaning: 'a composite that includes synthetic elements' },
  trainedAlgorithmicData: { aiTrace: true, meaning: 'data created by a trained model (C2PA term)' },
  algorithmicMedia: { aiTrace: false, meaning: 'created purely by an algorithm not trained on sampled content' },
  algorithmicallyEnhanced: { aiTrace: false, meaning: 'minor algorithmic enhancement of a capture' },
  digitalCapture: { aiTrace: false, meaning: 'a digital capture of a real scene' },
  computationalCapture: { aiTrace: false, meaning: 'a computational capture of a real scene' },
  negativeFilm: { aiTrace: false, meaning: 'a scan of negative film' },
  positiveFilm: { aiTrace: false, meaning: 'a scan of positive film' },
  print: { aiTrace: false, meaning: 'a scan of a print' },
  minorHumanEdits: { aiTrace: false, meaning: 'a capture with minor human edits' },
  humanEdits: { aiTrace: false, meaning: 'a capture with human edits' },
  compositeCapture: { aiTrace: false, meaning: 'a composite of captured elements' },
  composite: { aiTrace: false, meaning: 'a composite of elements' },
  dataDrivenMedia: { aiTrace: false, meaning: 'made from data (a chart, a visualisation)' },
  digitalArt: { aiTrace: false, meaning: 'digital art made by a person with software' },
  digitalCreation: { aiTrace: false, meaning: 'digital art made by a person with software (older term)' },
  softwareImage: { aiTrace: false, meaning: 'an image made by software (deprecated term)' },
  virtualRecording: { aiTrace: false, meaning: 'a recording of a virtual event' },
  screenCapture: { aiTrace: false, meaning: 'a screen capture' },
  empty: { aiTrace: false, meaning: 'no source content (C2PA term)' },
} as const satisfies Readonly<Record<string, { readonly aiTrace: boolean; readonly meaning: string }>>;

/** IPTC digital source types that mean the content was made by generative AI or is synthetic. */
export const AI_DIGITAL_SOURCE_TYPES: readonly string[] = Object.entries(DIGITAL_SOURCE_TYPES)
  .filter(([, v]) => v.aiTrace)
  .map(([term]) => term);

/** A digital source type (full URI or bare term) classified: its term, whether it is an AI trace, and why. */
export function classifyDigitalSourceType(value: string): { term: string; aiTrace: boolean; reason: string } {
  const term = value.trim().replace(/^.*\//, '');
  const known = Object.hasOwn(DIGITAL_SOURCE_TYPES, term) ? DIGITAL_SOURCE_TYPES[term as keyof typeof DIGITAL_SOURCE_TYPES] : null;
  if (!known) return { term, aiTrace: false, reason: `"${term}" is not a term of the IPTC or C2PA digital source type vocabulary` };
  return { term, aiTrace: known.aiTrace, reason: `IPTC ${term}: ${known.meaning}${known.aiTrace ? '' : ', not an AI trace'}` };
}

/** The short names of every DigitalSourceType value in an XMP packet (element, attribute or rdf:resource form). */
export function findDigitalSourceTypes(xml: string): string[] {
  return findXmpProperties(xml, 'DigitalSourceType')
    .filter((p) => p.namespace === IPTC_EXT_NAMESPACE && p.broken === null)
    .map((p) => (/resource\s*=\s*["']([^"']*)["']/.exec(p.attributes)?.[1] ?? p.value).trim())
    .filter((v) => v !== '')
    .map((v) => v.replace(DIGITAL_SOURCE_TYPE_BASE, '').replace(/^.*\//, ''));
}

/** Evidence entries for an XMP packet: IPTC DigitalSourceType values, AI ones flagged as traces. */
export function xmpEvidence(xml: string, where: string): Evidence[] {
  return findDigitalSourceTypes(xml).map((type) => {
    const { aiTrace, reason } = classifyDigitalSourceType(type);
    return { kind: 'iptc-digital-source-type', scheme: 'iptc', detail: type, where, aiTrace, reason };
  });
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
