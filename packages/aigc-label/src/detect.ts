import {
  type ByteSource,
  type Evidence,
  type Finding,
  type FormatModule,
  finding,
  isExplicitCapability,
  Rules,
  readAll,
  searchEnabled,
  sniffLengthInBytes,
  summarizeCarriers,
  UsageError,
  withDeadline,
} from '@aigc-label/core';
import { type CommonOptions, type DetectOptions, deadlineOf, normalizeDetectOptions } from './options.js';
import { defaultRegistry } from './registry.js';
import { carrierReport, type DetectReport, REPORT_SCHEMA_VERSION } from './reports.js';

/** A file's bytes, and where it lives on disk when it does. */
export interface Input {
  readonly source: ByteSource;
  /** The file on disk; searches and renderers that run ffmpeg read it directly. */
  readonly path?: string | undefined;
  /** The name used in reports (the path, or null for bytes in memory). */
  readonly file: string | null;
}

/** Picks the format module for a source (magic bytes first, extension second), with any extension-mismatch findings. */
export async function resolveHandler(
  source: ByteSource,
  options: CommonOptions,
): Promise<{ handler: FormatModule; findings: readonly Finding[] }> {
  const registry = options.registry ?? defaultRegistry;
  if (options.format) {
    const handler = registry.get(options.format);
    if (!handler) throw new UsageError(`unknown format "${options.format}"; run \`aigc-label formats\` for the list`);
    return { handler, findings: [] };
  }
  const head = await source.read(0, Math.min(sniffLengthInBytes, source.size));
  return registry.resolve(head, options.filename);
}

/**
 * Reads every label carrier, then runs the format's explicit-label searches the options turn
 * on (OCR of images and video frames, the audible labels of audio and sound tracks). Text
 * formats report their prompts through `read`.
 */
export async function detectInput(input: Input, options: DetectOptions): Promise<DetectReport> {
  const detectOptions = normalizeDetectOptions(options);
  const { handler, findings } = await resolveHandler(input.source, { ...detectOptions, filename: options.filename ?? input.path });
  const deadline = deadlineOf(options);
  const read = await handler.read(withDeadline(input.source, deadline.at, deadline.budgetMs));
  const summary = summarizeCarriers(read);
  const evidence: Evidence[] = [...(read.evidence ?? [])];
  const all: Finding[] = [...findings, ...summary.findings];
  const capability = handler.explicit && isExplicitCapability(handler.explicit) ? handler.explicit : null;
  const searches = capability?.searches ?? [];
  for (const search of searches.filter((s) => searchEnabled(s, detectOptions))) {
    const result = await search.run({ path: input.path, bytes: () => readAll(input.source, handler.id) });
    evidence.push(...result.evidence);
    all.push(...result.findings);
  }
  // Every form of the modality was looked for (Measures Art. 4 asks for an explicit label; Art. 9 allows exceptions, so a warning).
  const checked =
    capability !== null && (capability.inRead === true || (searches.length > 0 && searches.every((s) => searchEnabled(s, detectOptions))));
  if (checked && summary.label?.Label === '1' && !evidence.some((e) => e.scheme === 'explicit')) {
    all.push(
      finding(Rules.explicitMissing, 'warning', 'the metadata label says AI-generated, but no explicit label was found (Measures Art. 4)'),
    );
  }
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    file: input.file,
    format: handler.id,
    kind: handler.kind,
    label: summary.label,
    carriers: read.carriers.map(carrierReport),
    evidence,
    findings: all,
  };
}
