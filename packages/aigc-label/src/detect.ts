import {
  type AigcLabel,
  type ByteSource,
  type Evidence,
  type EvidenceReader,
  type Finding,
  type FormatModule,
  type FoundMark,
  finding,
  isExplicitCapability,
  LimitExceededError,
  type ReadResult,
  type Resolution,
  Rules,
  readAll,
  searchEnabled,
  sniffLengthInBytes,
  summarizeCarriers,
  UsageError,
  withDeadline,
} from '@aigc-label/core';
import { type CommonOptions, type DetectOptions, deadlineOf, normalizeDetectOptions } from './options.js';
import { defaultEvidenceReaders, defaultRegistry, evidenceKindMeanings } from './registry.js';
import { carrierReport, type DetectReport, REPORT_SCHEMA_VERSION } from './reports.js';
import { signatureVerdicts } from './signing.js';
import { WatermarkSearch } from './watermark.js';

/** A file's bytes, and where it lives on disk when it does. */
export interface Input {
  readonly source: ByteSource;
  /** The file on disk; searches and renderers that run ffmpeg read it directly. */
  readonly path?: string | undefined;
  /** The name used in reports (the path, or null for bytes in memory). */
  readonly file: string | null;
}

/**
 * Picks the format module for a source (magic bytes first, extension second), with any
 * extension-mismatch finding, and the other formats the bytes also fit (a polyglot).
 */
export async function resolveHandler(source: ByteSource, options: CommonOptions): Promise<Resolution> {
  const registry = options.registry ?? defaultRegistry;
  if (options.format) {
    const handler = registry.get(options.format);
    if (!handler) throw new UsageError(`unknown format "${options.format}"; run \`aigc-label formats\` for the list`);
    return { handler, findings: [], alsoFits: [] };
  }
  const head = await source.read(0, Math.min(sniffLengthInBytes, source.size));
  const tailStart = Math.max(head.length, source.size - sniffLengthInBytes);
  const tail = tailStart < source.size ? await source.read(tailStart, source.size - tailStart) : undefined;
  return registry.resolve(head, options.filename, tail);
}

/**
 * Reads the carriers under the chosen format and, for a polyglot, under each other format the
 * bytes fit: a label hidden in the second reading must not be invisible. An error under one
 * reading is a finding when another reads; when none does, the first error stands.
 */
async function readEvery(resolution: Resolution, source: ByteSource): Promise<{ handler: FormatModule; read: ReadResult }> {
  if (resolution.alsoFits.length === 0) return { handler: resolution.handler, read: await resolution.handler.read(source) };
  const reads: { handler: FormatModule; read: ReadResult }[] = [];
  const failures: { handler: FormatModule; error: unknown }[] = [];
  for (const handler of [resolution.handler, ...resolution.alsoFits]) {
    try {
      reads.push({ handler, read: await handler.read(source) });
    } catch (error) {
      failures.push({ handler, error });
    }
  }
  const first = reads[0];
  if (!first) throw failures[0]?.error;
  const others = reads.slice(1);
  const failed = failures.map(({ handler, error }) =>
    finding(Rules.ambiguousFormat, 'info', `read as ${handler.name}: ${error instanceof Error ? error.message : String(error)}`),
  );
  return {
    handler: first.handler,
    read: {
      format: first.read.format,
      carriers: [
        ...first.read.carriers,
        ...others.flatMap((r) => r.read.carriers.map((c) => ({ ...c, location: `as ${r.handler.name}: ${c.location}` }))),
      ],
      findings: [...first.read.findings, ...others.flatMap((r) => r.read.findings), ...failed],
      evidence: [...(first.read.evidence ?? []), ...others.flatMap((r) => r.read.evidence ?? [])],
    },
  };
}

/**
 * Runs the evidence readers (a validated C2PA manifest, vendors' markers, the wording of marks
 * OCR read) in turn. A reader that fails is a finding, never the end of the file's report.
 */
async function readOtherTraces(
  readers: readonly EvidenceReader[],
  input: Parameters<EvidenceReader['read']>[0],
): Promise<{ evidence: Evidence[]; findings: Finding[]; replaces: Set<Evidence['kind']> }> {
  const evidence: Evidence[] = [];
  const findings: Finding[] = [];
  const replaces = new Set<Evidence['kind']>();
  for (const reader of readers) {
    try {
      const report = await reader.read(input);
      evidence.push(...report.evidence);
      findings.push(...report.findings);
      for (const kind of report.replaces ?? []) replaces.add(kind);
    } catch (error) {
      if (error instanceof LimitExceededError) throw error;
      findings.push(finding(Rules.evidenceUnread, 'warning', `${reader.name}: ${error instanceof Error ? error.message : String(error)}`));
    }
  }
  return { evidence, findings, replaces };
}

/**
 * Reads every label carrier, then runs the format's explicit-label searches the options turn
 * on (OCR of images and video frames, the audible labels of audio and sound tracks). Text
 * formats report their prompts through `read`. `settled` is verify's fast path: when it says
 * the label read from metadata already decides the outcome, no search runs (a finding says so).
 */
export async function detectInput(
  input: Input,
  options: DetectOptions,
  settled?: (label: AigcLabel | null) => boolean,
): Promise<DetectReport> {
  const detectOptions = normalizeDetectOptions(options);
  const resolution = await resolveHandler(input.source, { ...detectOptions, filename: options.filename ?? input.path });
  const deadline = deadlineOf(options);
  const { handler, read } = await readEvery(resolution, withDeadline(input.source, deadline.at, deadline.budgetMs));
  const findings = resolution.findings;
  const summary = summarizeCarriers(read);
  const evidence: Evidence[] = [...(read.evidence ?? [])];
  const all: Finding[] = [...findings, ...summary.findings];
  const capability = handler.explicit && isExplicitCapability(handler.explicit) ? handler.explicit : null;
  const searches = capability?.searches ?? [];
  const enabled = searches.filter((s) => searchEnabled(s, detectOptions));
  const skipped = enabled.length > 0 && settled?.(summary.label) === true;
  if (skipped) {
    const what = [...new Set(enabled.map((s) => (s.enabledBy === 'ocr' ? 'visible (OCR)' : 'audible')))].join(' and ');
    all.push(
      finding(
        Rules.searchSkipped,
        'info',
        `${summary.label ? 'the metadata label' : 'the declaration'} settles the outcome, so the ${what} label search did not run (--audit runs it)`,
      ),
    );
  }
  // A search skipped because the outcome is settled reads no mark either; an asked-for mark search still runs on its own.
  const watermarkSearch = new WatermarkSearch(handler, skipped ? [] : searches, detectOptions);
  // Each search decodes on its own (a video's sound track, its frames for OCR, its keyframes for
  // the mark), mostly in ffmpeg: they run side by side, and their results are taken in order.
  const runs = (skipped ? [] : enabled).map((search) =>
    search.run({
      path: input.path,
      bytes: () => readAll(input.source, handler.id),
      source: input.source,
      ...watermarkSearch.inputFor(search),
    }),
  );
  watermarkSearch.start(handler, input);
  // Every search ends before the first failure is thrown: nothing of this file runs on after it.
  const results = await Promise.allSettled(runs);
  const marks: FoundMark[] = [];
  for (const result of results) {
    if (result.status === 'rejected') {
      await watermarkSearch.finish(null);
      throw result.reason;
    }
    evidence.push(...result.value.evidence);
    all.push(...result.value.findings);
    watermarkSearch.collect(result.value);
    marks.push(...(result.value.marks ?? []));
  }
  const watermarks = await watermarkSearch.finish(summary.label);
  evidence.push(...watermarks.evidence);
  all.push(...watermarks.findings);
  const traces = await readOtherTraces(options.evidenceReaders ?? defaultEvidenceReaders, {
    source: withDeadline(input.source, deadline.at, deadline.budgetMs),
    format: handler,
    read,
    marks,
  });
  all.push(...traces.findings);
  evidence.splice(0, evidence.length, ...evidence.filter((e) => !traces.replaces.has(e.kind)), ...traces.evidence);
  // Every form of the modality was looked for (Measures Art. 4 asks for an explicit label; Art. 9 allows exceptions, so a warning).
  const checked =
    capability !== null && (capability.inRead === true || (!skipped && searches.length > 0 && enabled.length === searches.length));
  if (checked && summary.label?.Label === '1' && !evidence.some((e) => e.scheme === 'explicit')) {
    all.push(
      finding(Rules.explicitMissing, 'warning', 'the metadata label says AI-generated, but no explicit label was found (Measures Art. 4)'),
    );
  }
  // Not under the read budget: a binding is a digest over the whole content.
  const registry = options.registry ?? defaultRegistry;
  const signatures = summary.label ? await signatureVerdicts(handler, input.source, summary.label, registry, options) : null;
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    file: input.file,
    format: handler.id,
    kind: handler.kind,
    label: summary.label,
    carriers: read.carriers.map(carrierReport),
    // One evidence model: every entry says why it is, or is not, a trace.
    evidence: evidence.map((e) => (e.reason === undefined ? { ...e, reason: evidenceKindMeanings[e.kind] } : e)),
    findings: all,
    ...(signatures ? { signatures } : {}),
  };
}
