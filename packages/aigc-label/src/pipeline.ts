import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type AigcLabel,
  type ByteSource,
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
  Rules,
  readAll,
  summarizeCarriers,
  UsageError,
  verifyWritten,
  type WritePlan,
  withDeadline,
} from '@aigc-label/core';
import { type Input, resolveHandler } from './detect.js';
import { openFileSource } from './file-io.js';
import { deadlineOf, type LabelOptions, labelFromOptions, normalizeExplicitOptions } from './options.js';
import { type LabelReport, REPORT_SCHEMA_VERSION } from './reports.js';
import { scratchPaths, watermarkStep } from './watermark.js';

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

interface ExplicitStep {
  readonly source: ByteSource;
  readonly summary: ExplicitSummary | null;
  readonly findings: Finding[];
}

/**
 * Labels one file, whatever its format and wherever it goes: resolve the format module, read
 * what the file says, refuse another producer's label unless forced, add the explicit label the
 * module declares (unless the file is labeled already), then write the metadata label over the
 * result (so a re-encode never loses it) through the sink, which reads it back and checks it.
 */
export async function labelInput(input: Input, sink: Sink, rawOptions: LabelOptions): Promise<LabelReport> {
  const options = normalizeExplicitOptions(rawOptions);
  const label = labelFromOptions(options);
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
    const findings: Finding[] = [...resolved.findings];
    // Reading and planning each have a time budget; copying the bytes and rendering media do not.
    const budget = () => {
      const deadline = deadlineOf(options);
      return (source: ByteSource) => withDeadline(source, deadline.at, deadline.budgetMs);
    };
    const before = summarizeCarriers(await handler.read(budget()(input.source)));
    otherProducers(before, label, options.force); // refuse before any expensive explicit work
    const marked = await watermarkStep(handler, input, sink, options, label, resources);
    findings.push(...marked.findings);
    const explicit = await explicitStep(handler, marked.input, sink, options, before.label !== null, resources);
    const budgeted = budget();
    findings.push(...explicit.findings);
    if (!handler.write) {
      // Plain text has no metadata carrier (TC260-PG-20258A names none): its explicit label and watermark are all it can carry.
      if (!explicit.summary && !marked.detail) await planLabelWrite(handler, budgeted(explicit.source), label, options, before); // throws the reason
      await sink.write({ segments: [{ from: 0, length: explicit.source.size }] }, explicit.source, async () => {});
      findings.push(
        finding(Rules.nonNormativeCarrier, 'info', `${handler.name} has no metadata carrier; only the explicit label was added`),
      );
      return { ...report(input, sink, handler, label, before.label, findings, explicit.summary), watermark: marked.detail };
    }
    const known = explicit.source === input.source ? before : undefined;
    const planned = await planLabelWrite(handler, budgeted(explicit.source), label, options, known);
    await sink.write(planned.plan, explicit.source, async (written) => {
      await verifyWritten(handler, budgeted(written), label);
    });
    return {
      ...report(input, sink, handler, label, before.label, [...findings, ...planned.findings], explicit.summary),
      watermark: marked.detail,
    };
  } finally {
    await resources.release();
  }
}

async function explicitStep(
  handler: FormatModule,
  input: Input,
  sink: Sink,
  options: LabelOptions,
  labeled: boolean,
  resources: Resources,
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
  const result = await labeler.apply(paths, options);
  const rendered = await openFileSource(paths.output);
  resources.add(rendered.close);
  if (!result.finish) return { source: rendered.source, summary: result.summary, findings: result.findings };
  const finished = await result.finish(rendered.source);
  return { source: finished.source, summary: result.summary, findings: [...result.findings, ...finished.findings] };
}

function report(
  input: Input,
  sink: Sink,
  handler: FormatModule,
  label: AigcLabel,
  previous: AigcLabel | null,
  findings: Finding[],
  explicit: ExplicitSummary | null,
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
  };
}
