import { decodeLabel, type Finding, finding, type LabelCarrier, maximumListedCarriers, Rules } from '@aigc-label/core';

export { xmpCarriers } from '@aigc-label/core';

/** A label stored as plain text outside XMP (EXIF UserComment, PNG tEXt, an APP segment blob). */
export function textCarrier(carrier: string, location: string, offset: number, raw: string): LabelCarrier {
  const decoded = decodeLabel(raw);
  return { carrier, location, offset, raw, label: decoded.label, form: decoded.form, canonical: false, findings: decoded.findings };
}

/**
 * The first `maximumListedCarriers` of the structures that may hold a label (XMP packets, label
 * chunks, items), so a file with 100,000 of them costs no more than one with 64 (issue 15); the
 * rest are counted in a finding.
 */
export function listedOnly<T>(structures: readonly T[], what: string, findings: Finding[]): readonly T[] {
  if (structures.length <= maximumListedCarriers) return structures;
  findings.push(
    finding(
      Rules.multipleLabels,
      'error',
      `${structures.length} ${what}; the first ${maximumListedCarriers} are read (GB 45438 §6.1 c) allows one label)`,
    ),
  );
  return structures.slice(0, maximumListedCarriers);
}

/** Does a text value look like an Annex E label at all (before decoding it)? */
export const looksLikeLabel = (text: string): boolean => /AIGC|ContentProducer/i.test(text);

/** Writers add this whenever the file they change carries a C2PA manifest. */
export const c2paInvalidatedFinding = (): Finding =>
  finding(
    Rules.c2paBindingInvalidated,
    'warning',
    "the file has a C2PA manifest; changing its bytes invalidates the manifest's hard binding",
  );

export interface ByteEdit {
  readonly start: number;
  readonly end: number;
  readonly insert: Uint8Array;
}

/** Joins insertions at one offset (in the order given) so `splicePlan` sees no overlap. */
export function mergeEdits(edits: readonly ByteEdit[]): ByteEdit[] {
  const sorted = edits.map((e, i) => ({ e, i })).sort((a, b) => a.e.start - b.e.start || a.e.end - b.e.end || a.i - b.i);
  const merged: ByteEdit[] = [];
  for (const { e } of sorted) {
    const last = merged[merged.length - 1];
    if (last && last.start === e.start && last.end === last.start) {
      const insert = new Uint8Array(last.insert.length + e.insert.length);
      insert.set(last.insert);
      insert.set(e.insert, last.insert.length);
      merged[merged.length - 1] = { start: e.start, end: e.end, insert };
    } else merged.push(e);
  }
  return merged;
}
