import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type AigcLabel,
  type ByteSource,
  bytesEqual,
  bytesSource,
  type ExplicitCapability,
  type ExplicitSummary,
  type Finding,
  type FormatModule,
  finding,
  isExplicitCapability,
  materialize,
  otherProducers,
  planLabelWrite,
  planSource,
  Rules,
  readAll,
  summarizeCarriers,
  UsageError,
  verifyWritten,
  type WatermarkRequest,
  type WritePlan,
  WriteVerificationError,
  withDeadline,
} from '@aigc-label/core';
import type { ExplicitSkipReason, OperationRecord, ReservedField } from '@aigc-label/security';
import { type Input, resolveHandler } from './detect.js';
import { openFileSource } from './file-io.js';
import { deadlineOf, type LabelOptions, labelFromOptions, normalizeExplicitOptions } from './options.js';
import { type LabelReport, REPORT_SCHEMA_VERSION } from './reports.js';
import { checkSignOptions, contentBindingOf, fileSm3, operationsLogOf, signedLabel, signerOf } from './signing.js';
import { explicitStepMark, scratchPaths, type WatermarkStep, watermarkAfterExplicit, watermarkStep } from './watermark.js';

/**
 * Where a labeled file goes: a file (temporary file, read back, renamed into place) or memory.
 * The pipeline does not know which.
 */
export interface Sink {
  /** The output path for reports, or null for memory. */
  readonly output: string | null;
  /**
   * Writes `plan` over `source`, hands what was written to `check`, and keeps it only when the
   * check passes; a failure leaves nothing behind.
   */
  write(plan: WritePlan, source: ByteSource, check: (written: ByteSource) => Promise<void>): Promise<void>;
  /** A new private folder for files rendered on the way (explicit labels through ffmpeg); the pipeline removes it. */
  scratch(): Promise<string>;
}

/** A sink that keeps the labeled file in memory. */
export function memorySink(): Sink & { readonly bytes: () => Uint8Array } {
  let bytes: Uint8Array | null = null;
  return {
    output: null,
    async write(plan, source, check) {
      const out = await materialize(plan, source);
      await check(bytesSource(out));
      bytes = out;
    },
    scratch: () => mkdtemp(join(tmpdir(), 'aigc-label-')),
    bytes: () => {
      if (!bytes) throw new Error('nothing was written');
      return bytes;
    },
  };
}

/** Resources the pipeline opened, released whatever happens. */
class Resources {
  readonly #closers: (() => Promise<void>)[] = [];

  add(close: () => Promise<void>): void {
    this.#closers.push(close);
  }

  async release(): Promise<void> {
    for (const close of this.#closers.splice(0).reverse()) await close();
  }
}

/** Whose write this is: the producer's label (ReservedCode1 signed) or a platform's propagation (ReservedCode2). */
export interface WriteRole {
  readonly operation: 'label' | 'propagate';
  /** What the operations log says when the options turned the explicit label off. */
  readonly explicitOff: ExplicitSkipReason;
}

const producer: WriteRole = { operation: 'label', explicitOff: 'user-request' };

interface ExplicitStep {
  readonly source: ByteSource;
  readonly summary: ExplicitSummary | null;
  readonly findings: Finding[];
  /** What the step embedded of the mark it was offered (see explicitStepMark). */
  readonly watermarked?: string | undefined;
  readonly alreadyMarked?: boolean | undefined;
}

/**
 * Labels one file, whatever its format and wherever it goes: resolve the format module, read
 * what the file says, refuse another producer's label unless forced, add the explicit label the
 * module declares (unless the file is labeled already), then write the metadata label over the
 * result (so a re-encode never loses it) through the sink, which reads it back and checks it.
 */
export async function labelInput(input: Input, sink: Sink, rawOptions: LabelOptions, role = producer): Promise<LabelReport> {
  const options = normalizeExplicitOptions(rawOptions);
  const label = labelFromOptions(options);
  const field: ReservedField = role.operation === 'label' ? 'ReservedCode1' : 'ReservedCode2';
  if (options.signKey && role.operation === 'label') checkSignOptions(field, options.reservedCode1);
  // Loaded first: a wrong key or passphrase stops the file before any work.
  const signer = options.signKey ? await signerOf(options.signKey, options.signKeyPassphrase) : null;
  const log = options.log ? operationsLogOf(options.log) : null;
  const resources = new Resources();
  try {
    const resolved = await resolveHandler(input.source, { ...options, filename: options.filename ?? input.path });
    const handler = resolved.handler;
    if (resolved.alsoFits.length > 0) {
      const names = [handler, ...resolved.alsoFits].map((h) => `${h.name} (${h.id})`).join(' and ');
      throw new UsageError(
        `the bytes fit ${names}, a polyglot; a write could hide one reading's label, so pass --format to say which to label`,
      );
    }
    if (!handler.write && options.watermark !== true && !addsExplicitLabel(handler, options)) {
      // No metadata carrier, and neither an explicit label nor a watermark asked for: nothing can be
      // written, so refuse before reading the file (a text of a million lines takes seconds to scan).
      // Such a format reads no carriers, so nothing read could change the refusal.
      await planLabelWrite(handler, input.source, label, options, summarizeCarriers({ format: handler.id, carriers: [], findings: [] }));
    }
    const findings: Finding[] = [...resolved.findings];
    // Reading and planning each have a time budget; copying the bytes and rendering media do not.
    const budget = () => {
      const deadline = deadlineOf(options);
      return (source: ByteSource) => withDeadline(source, deadline.at, deadline.budgetMs);
    };
    const before = summarizeCarriers(await handler.read(budget()(input.source)));
    otherProducers(before, label, options.force); // refuse before any expensive explicit work
    // The mark goes in first (the explicit label is drawn over marked content), unless the explicit
    // step re-encodes with it in the same pass (audio); what that step did is checked after it.
    const labeled = before.label !== null;
    const markInExplicit = explicitStepMark(handler, options, explicitRuns(handler, options, labeled), label);
    let marked: WatermarkStep = markInExplicit
      ? { input, findings: [], detail: null }
      : await watermarkStep(handler, input, sink, options, label, resources);
    findings.push(...marked.findings);
    let explicit = await explicitStep(handler, marked.input, sink, options, labeled, resources, markInExplicit);
    findings.push(...explicit.findings);
    if (markInExplicit) {
      const labeledInput = { source: explicit.source, file: input.file };
      marked = await watermarkAfterExplicit(handler, labeledInput, explicit, markInExplicit, sink, options, label, resources);
      findings.push(...marked.findings);
      explicit = { ...explicit, source: marked.input.source };
    }
    const budgeted = budget();
    let outputSm3: string | null = null;
    const logged = async (written: AigcLabel, signerKeyId: string | null) => {
      if (!log || !outputSm3) return;
      const explicitRecord: OperationRecord['explicit'] = explicit.summary
        ? { added: true }
        : { added: false, reason: explicitSkipReason(handler, options, before.label !== null, role) };
      await log.append({
        operation: role.operation,
        ...(input.file === null ? {} : { input: input.file }),
        ...(sink.output === null ? {} : { output: sink.output }),
        inputSm3: await fileSm3(input.source),
        outputSm3,
        label: written,
        explicit: explicitRecord,
        signerKeyId,
      });
    };
    if (!handler.write) {
      // Plain text has no metadata carrier (TC260-PG-20258A names none): its explicit label and watermark are all it can carry.
      if (!explicit.summary && !marked.detail) await planLabelWrite(handler, budgeted(explicit.source), label, options, before); // throws the reason
      await sink.write({ segments: [{ from: 0, length: explicit.source.size }] }, explicit.source, async (written) => {
        if (log) outputSm3 = await fileSm3(written);
      });
      const unsigned = signer ? ' (so there is nothing to sign)' : '';
      findings.push(
        finding(Rules.nonNormativeCarrier, 'info', `${handler.name} has no metadata carrier; only the explicit label was added${unsigned}`),
      );
      await logged(label, null);
      return { ...report(input, sink, handler, label, before.label, findings, explicit.summary), watermark: marked.detail };
    }
    let written = label;
    let binding: Awaited<ReturnType<typeof contentBindingOf>> | null = null;
    if (signer) {
      // The binding covers the content as written, explicit label included, and not the carrier the label goes into.
      binding = await contentBindingOf(handler, explicit.source);
      if ('unsupported' in binding) {
        findings.push(finding(Rules.signatureUnbound, 'warning', `${field} is signed but bound to no content: ${binding.unsupported}`));
      }
      written = await signedLabel(label, field, signer, binding);
    }
    const known = explicit.source === input.source ? before : undefined;
    const planned = await planLabelWrite(handler, budgeted(explicit.source), written, options, known);
    await sink.write(planned.plan, explicit.source, async (output) => {
      await verifyWritten(handler, budgeted(output), written);
      if (binding && 'digest' in binding) await checkBindingKept(handler, output, binding.digest);
      if (log) outputSm3 = await fileSm3(output);
    });
    await logged(written, signer?.keyId ?? null);
    const signature = signer && binding ? { field, keyId: signer.keyId, binding: 'scheme' in binding ? binding.scheme : null } : null;
    return {
      ...report(input, sink, handler, written, before.label, [...findings, ...planned.findings], explicit.summary, signature),
      watermark: marked.detail,
    };
  } finally {
    await resources.release();
  }
}

/** Writing the label must leave the content regions as they were; otherwise the format's regions are wrong, and nothing is kept. */
async function checkBindingKept(handler: FormatModule, output: ByteSource, digest: Uint8Array): Promise<void> {
  const after = await contentBindingOf(handler, output);
  if (!('digest' in after) || !bytesEqual(after.digest, digest)) {
    throw new WriteVerificationError(`writing the label changed the ${handler.name} content regions the signature is bound to`);
  }
}

/** Whether the options and the format let an explicit label be added at all (the file may still turn out labeled already). */
const addsExplicitLabel = (handler: FormatModule, options: LabelOptions): boolean =>
  options.explicit !== false && handler.explicit !== undefined && isExplicitCapability(handler.explicit);

/** Why no explicit label was added, for the operations log. */
function explicitSkipReason(handler: FormatModule, options: LabelOptions, labeled: boolean, role: WriteRole): ExplicitSkipReason {
  if (options.explicit === false) return role.explicitOff;
  if (!handler.explicit || !isExplicitCapability(handler.explicit)) return 'not-supported';
  return labeled && !options.redraw ? 'already-present' : 'not-supported';
}

/** Whether explicitStep adds an explicit label (rather than returning its input with a reason). */
const explicitRuns = (handler: FormatModule, options: LabelOptions, labeled: boolean): boolean =>
  addsExplicitLabel(handler, options) && (!labeled || options.redraw === true);

async function explicitStep(
  handler: FormatModule,
  input: Input,
  sink: Sink,
  options: LabelOptions,
  labeled: boolean,
  resources: Resources,
  watermark: WatermarkRequest | null,
): Promise<ExplicitStep> {
  const none = (findings: Finding[] = []): ExplicitStep => ({ source: input.source, summary: null, findings });
  if (options.explicit === false || !handler.explicit) return none();
  if (!isExplicitCapability(handler.explicit)) {
    return none([finding(Rules.explicitUnsupported, 'info', `no explicit label added: ${handler.explicit.unsupported}`)]);
  }
  if (labeled && !options.redraw) {
    return none([finding(Rules.explicitSkipped, 'info', 'the file already carries a label, so the explicit label is not added again')]);
  }
  const capability: ExplicitCapability = handler.explicit;
  const labeler = capability.labeler;
  if (labeler.input === 'bytes') {
    const result = await labeler.apply(await readAll(input.source, handler.id), options);
    return { source: bytesSource(result.bytes), summary: result.summary, findings: result.findings };
  }
  // Rendered through files (ffmpeg): a private scratch folder holds the input when it is only in memory, and the rendered copy.
  const paths = await scratchPaths(handler, input, sink, resources, 'labeled');
  const result = await labeler.apply({ ...paths, source: input.source }, options, watermark ?? undefined);
  const { summary, watermarked, alreadyMarked } = result;
  if (result.spliced) return { source: planSource(result.spliced, input.source), summary, findings: result.findings, alreadyMarked };
  const rendered = await openFileSource(paths.output);
  resources.add(rendered.close);
  if (!result.finish) return { source: rendered.source, summary, findings: result.findings, watermarked, alreadyMarked };
  const finished = await result.finish(rendered.source);
  return { source: finished.source, summary, findings: [...result.findings, ...finished.findings], watermarked, alreadyMarked };
}

function report(
  input: Input,
  sink: Sink,
  handler: FormatModule,
  label: AigcLabel,
  previous: AigcLabel | null,
  findings: Finding[],
  explicit: ExplicitSummary | null,
  signature: NonNullable<LabelReport['signature']> | null = null,
): LabelReport {
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    file: input.file,
    output: sink.output,
    format: handler.id,
    label,
    previous,
    findings,
    explicit,
    ...(signature ? { signature } : {}),
  };
}
