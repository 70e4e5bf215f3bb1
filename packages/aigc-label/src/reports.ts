import type { AigcLabel, DecodedForm, Evidence, Finding, LabelCarrier, MediaKind, Outcome } from '@aigc-label/core';
import type { FieldVerdict, ReservedField } from '@aigc-label/security';

/**
 * The machine-readable results. These shapes are the `--json` output of the CLI
 * and are kept stable: fields may be added, never renamed or removed
 * (`schemaVersion` changes if that ever has to happen).
 */
export const REPORT_SCHEMA_VERSION = 1;

export interface CarrierReport {
  readonly carrier: string;
  readonly location: string;
  readonly canonical: boolean;
  readonly form: DecodedForm | null;
  readonly label: AigcLabel | null;
  readonly raw: string;
}

export interface DetectReport {
  readonly schemaVersion: number;
  readonly file: string | null;
  readonly format: string;
  readonly kind: MediaKind;
  /** The label that counts (canonical carrier first), or null. */
  readonly label: AigcLabel | null;
  readonly carriers: readonly CarrierReport[];
  readonly evidence: readonly Evidence[];
  readonly findings: readonly Finding[];
  /**
   * The signature verdicts for ReservedCode1 and ReservedCode2 when the file has a label
   * (packages/security README "Verdicts"), with the signed bytes and signatures so a third
   * party can check them. The Art. 6 outcome does not depend on them.
   */
  readonly signatures?: readonly FieldVerdict[];
}

export interface VerifyReport extends DetectReport {
  readonly outcome: Outcome;
  readonly basis: string;
  /** The prompt a platform shows beside the content, or null. */
  readonly prompt: string | null;
  readonly declared: boolean;
}

export interface LabelReport {
  readonly schemaVersion: number;
  readonly file: string | null;
  /** Where the labeled file was written; null for buffer calls. */
  readonly output: string | null;
  readonly format: string;
  readonly label: AigcLabel;
  /** The label the file carried before, if any. */
  readonly previous: AigcLabel | null;
  readonly findings: readonly Finding[];
  /** The explicit label added before the metadata label, or null (none for this format, or not asked for). */
  readonly explicit: { readonly kind: string; readonly detail: string } | null;
  /** Present when the label was signed: the field signed, the key id, and the content scheme it is bound to (null: none). */
  readonly signature?: { readonly field: ReservedField; readonly keyId: string; readonly binding: string | null };
  /** The invisible watermark embedded (`watermark` option), or null. */
  readonly watermark?: string | null;
}

/** One failed file in a batch. */
export interface ErrorReport {
  readonly schemaVersion: number;
  readonly file: string | null;
  readonly error: { readonly name: string; readonly message: string };
}

export const carrierReport = (c: LabelCarrier): CarrierReport => ({
  carrier: c.carrier,
  location: c.location,
  canonical: c.canonical,
  form: c.form,
  label: c.label,
  raw: c.raw,
});
