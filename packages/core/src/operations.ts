import { type ByteSource, bytesSource, materialize, type WritePlan } from './binary/source.js';
import { InvalidLabelError, LabelConflictError, UnsupportedFormatError, WriteVerificationError } from './errors.js';
import { type Finding, finding, Rules } from './findings.js';
import type { FormatModule, LabelCarrier, ReadResult, WriteOptions } from './format.js';
import { type AigcField, type AigcLabel, encodeBare, sameLabel } from './label.js';
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
  /**
   * Fields copied byte for byte from the file's own label (a platform keeps the producer's
   * elements, Measures Art. 6): checked as read, so a producer's non-conformance is a warning
   * and never stops the platform from adding its own elements, which are checked as written.
   */
  readonly keptFields?: readonly AigcField[] | undefined;
}

/**
 * The producer a damaged label value still names (`"ContentProducer":"x"` in JSON that does not
 * parse, `ContentProducer: x` in YAML), so that breaking a label's syntax does not make it ours.
 */
export function producerNamedIn(raw: string): string | null {
  return /["']?ContentProducer["']?\s*[:=]\s*["']?([^"',}\s]*)/i.exec(raw)?.[1] ?? null;
}

/** Whose label a carrier holds: its producer, or null when no one's can be told (an unreadable or empty carrier). */
function ownerOf(carrier: LabelCarrier): { producer: string } | 'unreadable' | null {
  if (carrier.label) return { producer: carrier.label.ContentProducer };
  const named = producerNamedIn(carrier.raw);
  if (named !== null) return { producer: named };
  return carrier.findings.some((f) => f.rule === Rules.unreadableCarrier) ? 'unreadable' : null;
}

/**
 * Labels in the file from a producer other than `label`'s, including a damaged value that still
 * names one and a carrier that cannot be read at all (an encrypted ID3 frame: it may be anyone's).
 * Throws LabelConflictError unless `force`: replacing another producer's label, or one we cannot
 * read, must be asked for; we never quietly write a second label beside it.
 */
export function otherProducers(before: LabelSummary, label: AigcLabel, force = false): LabelCarrier[] {
  const others = before.carriers.filter((c) => {
    const owner = ownerOf(c);
    return owner === 'unreadable' || (owner !== null && owner.producer !== label.ContentProducer);
  });
  const first = others[0];
  if (first && !force) {
    const owner = ownerOf(first);
    const whose =
      owner === 'unreadable' || owner === null ? 'a label carrier that cannot be read' : `producer ${owner.producer || '(empty)'}`;
    throw new LabelConflictError(`already labeled by ${whose} (${first.carrier}); pass --force (force: true) to replace that label`);
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
  const kept = new Set<string>(options.keptFields ?? []);
  const checks = validateLabel(label, 'write');
  const problems = checks.filter((f) => f.severity === 'error' && !(f.where !== undefined && kept.has(f.where)));
  if (problems.length > 0) throw new InvalidLabelError(problems.map((p) => p.message).join('; '));
  const keptProblems = checks
    .filter((f) => f.severity === 'error' && f.where !== undefined && kept.has(f.where))
    .map((f) => ({ ...f, severity: 'warning' as const, message: `${f.message} (kept as the producer wrote it)` }));
  const before = known ?? summarizeCarriers(await handler.read(source));
  const others = otherProducers(before, label, options.force);
  if (!handler.write) {
    throw new UnsupportedFormatError(
      `${handler.id}: ${handler.name} has no metadata carrier for an implicit label (${handler.carrier}); only an explicit label can be added`,
    );
  }
  const result = await handler.write(source, label, options);
  const findings = [...keptProblems, ...result.findings];
  if (others[0]) {
    const owner = ownerOf(others[0]);
    const whose = owner === 'unreadable' || owner === null ? 'an unreadable carrier' : `producer ${owner.producer}`;
    findings.push(finding(Rules.replacedOtherProducer, 'warning', `replaced a label from ${whose}`));
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
  if (read.carriers.every((c) => ownerOf(c) === 'unreadable')) throw new WriteVerificationError('the written file carries no label');
  for (const c of read.carriers) {
    // A carrier we cannot read (an encrypted frame) was copied unchanged: we never delete what we cannot read.
    // Writing beside it needed --force (otherProducers), so it is no surprise here.
    if (ownerOf(c) === 'unreadable') continue;
    if (!c.label || !sameLabel(c.label, label)) {
      // JSON-quoted: the raw value comes from the file and may hold any character; an error stays one line.
      throw new WriteVerificationError(`${c.carrier} reads back as ${JSON.stringify(c.raw.slice(0, 120))}, not the label written`);
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
