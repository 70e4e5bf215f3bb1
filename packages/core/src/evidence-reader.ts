import type { ByteSource } from './binary/source.js';
import type { FoundMark } from './explicit.js';
import type { Finding } from './findings.js';
import type { Evidence, EvidenceKind, FormatDescriptor, ReadResult } from './format.js';

/**
 * Evidence readers: the signs of AI generation that are not a TC260 label carrier (Measures
 * Art. 6(3) "other traces") and that no single format owns, such as a validated C2PA manifest,
 * a vendor's own marker or the wording of a mark OCR read. `detect` runs every reader in its
 * list on every file after the format module's `read` and the explicit-label searches; a
 * reader decides from the bytes and the format's descriptor whether it has anything to do, so
 * the facade never names a format (CONTRIBUTING.md).
 */
export interface EvidenceInput {
  readonly source: ByteSource;
  /** The format the bytes were read as (its id, MIME types and kind). */
  readonly format: FormatDescriptor;
  /** What the format module found: carriers, findings and its own evidence. */
  readonly read: ReadResult;
  /** Text that explicit-label searches read (OCR lines) but did not judge a label. */
  readonly marks: readonly FoundMark[];
}

export interface EvidenceReport {
  readonly evidence: readonly Evidence[];
  readonly findings: readonly Finding[];
  /**
   * Evidence kinds of the format module's own that this report replaces: a validated C2PA
   * reading replaces the format's unvalidated notice of a manifest store.
   */
  readonly replaces?: readonly EvidenceKind[];
}

export interface EvidenceReader {
  /** Short name, for messages: 'c2pa', 'vendor-markers'. */
  readonly name: string;
  /** Never throws for damaged input: what cannot be read is a finding. */
  read(input: EvidenceInput): Promise<EvidenceReport>;
}

/** An empty report, for readers with nothing to say about a file. */
export const noEvidence: EvidenceReport = { evidence: [], findings: [] };
