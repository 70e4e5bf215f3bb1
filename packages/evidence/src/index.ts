/**
 * @aigc-label/evidence: traces of AI generation beyond the GB 45438 label (Measures Art. 6(3)),
 * as evidence readers the facade runs on every file: C2PA manifests validated with the official
 * SDK, vendors' own markers and IPTC digital source types, and the wording of marks found in
 * the content. It depends on core only and takes a ByteSource, never a path.
 */
export { type C2paReaderOptions, c2paReader, defaultMaximumValidatedFileInBytes } from './c2pa/reader.js';
export { vendorMarkerReader } from './markers/reader.js';
export { FIELD_MARKERS, type FieldMarker, SEI_MARKERS, type SeiMarker } from './markers/table.js';
export { type LabelGrammar, type MarkMatch, markWordingReader } from './marks.js';
export * from './rules.js';
