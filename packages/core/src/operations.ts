import { type ByteSource, bytesSource, materialize, type WritePlan } from './binary/source.js';
import { InvalidLabelError, LabelConflictError, UnsupportedFormatError, WriteVerificationError } from './errors.js';
import { type Finding, finding, Rules } from './findings.js';
import type { FormatModule, LabelCarrier, ReadResult, WriteOptions } from './format.js';
import { type AigcLabel, encodeBare, sameLabel } from './label.js';
import { validateLabel } from './validate.js';

/** What a file says, after looking at every carrier. */
export interface LabelSummary {
  /** The label that counts: the canonical carrier's, else the first readable one. */
  readonly label: AigcLabel | null;
  readonly carriers: readonly LabelCarrier[];
  /** Carrier, validation and cross-carrier findings together. */
  readonly findings: readonly Finding[];
}

/**
 * Picks the effective label and adds the findings that need every carrier:
 * two different labels (§6.1 c) one label per file), carriers that disagree, and
 * Annex E validation of the effective label.
 */
export function summarizeCarriers(read: ReadResult): LabelSummary {
  const findings: Finding[] = [...read.findings];
  for (const c of read.carriers) findings.push(...c.findings.map((f) => (f.where ? f : { ...f, where: c.carrier })));
  const readable = read.carriers.filter((c) => c.label !== null);
  const effective = readable.find((c) => c.canonical) ?? readable[0];
  const distinct = new Set(readable.map((c) => encodeBare(c.label as AigcLabel)));
  if (distinct.size > 1) {
    findings.push(
      finding(
        Rules.carriersDisagree,
        'error',
        `${distinct.size} different labels in ${readable.length} carriers (${readable.map((c) => c.carrier).join(', ')}); GB 45438 §6.1 c) allows one`,
      ),
    );
  } else if (readable.length > 1) {
    findings.push(
      finding(
        Rules.multipleLabels,
        'warning',
        `the same label is stored ${readable.length} times (${readable.map((c) => c.carrier).join(', ')}); GB 45438 §6.1 c) keeps one copy`,
      ),
    );
  }
  if (effective && !effective.canonical) {
    findings.push(
      finding(
        Rules.nonCanonicalCarrier,
        'info',
        `the label is in ${effective.carrier}, not the carrier the guide names for ${read.format}`,
      ),
    );
  }
  if (effective?.label) findings.push(...validateLabel(effective.label, 'read'));
  return { label: effective?.label ?? null, carriers: read.carriers, findings };
}

export interface WriteLabelOptions extends WriteOptions {
  /** Replace a label from another producer. Without it that is a LabelConflictError. */
  readonly force?: boolean | undefined;
}

/**
 * Labels in the file from a producer other than `label`'s. Throws LabelConflictError
 * unless `force`: replacing another producer's label must be asked for.
 */
export function otherProducers(before: LabelSummary, label: AigcLabel, force = false): LabelCarrier[] {
  const others = before.carriers.filter((c) => c.label && c.label.ContentProducer !== label.ContentProducer);
  const first = others[0];
  if (first && !force) {
    const producer = first.label?.ContentProducer || '(empty)';
    throw new LabelConflictError(
      `already labeled by producer ${producer} (${first.carrier}); pass --force (force: true) to replace that label`,
    );
  }
  return others;
}

export interface PlannedWrite {
  readonly plan: WritePlan;
  readonly findings: readonly Finding[];
  /** What the file said before. */
  readonly before: LabelSummary;
}

/**
 * Checks the label, refuses to overwrite another producer's label unless forced,
 * and asks the handler for a plan. The plan still has to be written and read back
 * (`verifyWritten`).
 */
export async function planLabelWrite(
  handler: FormatModule,
  source: ByteSource,
  label: AigcLabel,
  options: WriteLabelOptions = {},
  /** What the source already says, when the caller has just read it (saves a second read). */
  known?: LabelSummary,
): Promise<PlannedWrite> {
  const problems = validateLabel(label, 'write').filter((f) => f.severity === 'error');
  if (problems.length > 0) throw new InvalidLabelError(problems.map((p) => p.message).join('; '));
  const before = known ?? summarizeCarriers(await handler.read(source));
  const others = otherProducers(before, label, options.force);
  if (!handler.write) {
    throw new UnsupportedFormatError(
      `${handler.id}: ${handler.name} has no metadata carrier for an implicit label (${handler.carrier}); only an explicit label can be added`,
    );
  }
  const result = await handler.write(source, label, options);
  const findings = [...result.findings];
  if (others[0]) {
    findings.push(
      finding('label/replaced-other-producer', 'warning', `replaced a label from producer ${others[0].label?.ContentProducer}`),
    );
  }
  return { plan: { segments: result.segments }, findings, before };
}

/**
 * Reads a written file back and checks that every carrier holds exactly `label`.
 * Throws WriteVerificationError otherwise, so a bad write is never kept.
 */
export async function verifyWritten(handler: FormatModule, written: ByteSource, label: AigcLabel): Promise<LabelSummary> {
  let read: ReadResult;
  try {
    read = await handler.read(written);
  } catch (error) {
    throw new WriteVerificationError(`the written file does not read back: ${(error as Error).message}`);
  }
  const summary = summarizeCarriers(read);
  if (read.carriers.length === 0) throw new WriteVerificationError('the written file carries no label');
  for (const c of read.carriers) {
    if (!c.label || !sameLabel(c.label, label)) {
      throw new WriteVerificationError(`${c.carrier} reads back as ${c.raw.slice(0, 200)}, not the label written`);
    }
  }
  return summary;
}

export interface LabeledBytes {
  readonly bytes: Uint8Array;
  readonly findings: readonly Finding[];
  readonly before: LabelSummary;
  readonly after: LabelSummary;
}

/** In-memory label write: plan, assemble, read back. */
export async function labelBytes(
  handler: FormatModule,
  input: Uint8Array,
  label: AigcLabel,
  options: WriteLabelOptions = {},
): Promise<LabeledBytes> {
  const source = bytesSource(input);
  const planned = await planLabelWrite(handler, source, label, options);
  const bytes = await materialize(planned.plan, source);
  const after = await verifyWritten(handler, bytesSource(bytes), label);
  return { bytes, findings: planned.findings, before: planned.before, after };
}
