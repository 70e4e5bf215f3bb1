import {
  type AigcLabel,
  type ByteSource,
  bytesSource,
  createLabel,
  decideOutcome,
  type Evidence,
  type Finding,
  type FormatHandler,
  type FormatRegistry,
  finding,
  type LabelValue,
  labelBytes,
  otherProducers,
  Rules,
  sniffLengthInBytes,
  summarizeCarriers,
  UsageError,
  type WriteLabelOptions,
} from '@aigc-label/core';
import {
  applyExplicitBytes,
  detectExplicit,
  type ExplicitDetectOptions,
  type ExplicitLabelOptions,
  type ExplicitSummary,
  explicitSupport,
  mergeExplicit,
} from './explicit.js';
import { defaultRegistry } from './registry.js';
import { carrierReport, type DetectReport, type LabelReport, REPORT_SCHEMA_VERSION, type VerifyReport } from './reports.js';

export interface CommonOptions {
  /** A file name, used only for its extension when sniffing cannot decide. */
  readonly filename?: string;
  /** Force a format id instead of sniffing. */
  readonly format?: string;
  readonly registry?: FormatRegistry;
}

export interface LabelOptions extends CommonOptions, WriteLabelOptions {
  /** A complete label to write; otherwise one is built from `producer` etc. */
  readonly label?: AigcLabel;
  /** Provider name or 27-character code. */
  readonly producer?: string;
  /** Content id; a fresh UUIDv7 when omitted. */
  readonly produceId?: string;
  readonly labelValue?: LabelValue;
  readonly reservedCode1?: string;
  /** Also write IPTC DigitalSourceType trainedAlgorithmicMedia where the label goes into XMP (dual labeling). */
  readonly iptc?: boolean;
}

/** Handler write options from facade options (`iptc` travels as a format extra). */
export const writeOptionsFrom = (options: LabelOptions): LabelOptions =>
  options.iptc ? { ...options, extras: { ...options.extras, iptc: true } } : options;

export interface VerifyOptions extends CommonOptions {
  /** The uploader declared the content AI-generated (Measures Art. 6(2)). */
  readonly declared?: boolean;
}

/** Builds the label to write from options; exported for the CLI and file helpers. */
export function labelFromOptions(options: LabelOptions): AigcLabel {
  if (options.label) return options.label;
  if (!options.producer) throw new UsageError('a producer is required: pass --producer (producer) with your provider name or code');
  return createLabel({
    producer: options.producer,
    ...(options.produceId === undefined ? {} : { produceId: options.produceId }),
    ...(options.labelValue === undefined ? {} : { label: options.labelValue }),
    ...(options.reservedCode1 === undefined ? {} : { reservedCode1: options.reservedCode1 }),
  });
}

/** Picks the handler for a source, with any extension-mismatch findings. */
export async function resolveHandler(source: ByteSource, options: CommonOptions) {
  const registry = options.registry ?? defaultRegistry;
  if (options.format) {
    const handler = registry.get(options.format);
    if (!handler) throw new UsageError(`unknown format "${options.format}"; run \`aigc-label formats\` for the list`);
    return { handler, findings: [] };
  }
  const head = await source.read(0, Math.min(sniffLengthInBytes, source.size));
  return registry.resolve(head, options.filename);
}

/** Reads every carrier and summarises; shared by detect and verify. */
export async function detectSource(source: ByteSource, options: CommonOptions, file: string | null): Promise<DetectReport> {
  const { handler, findings } = await resolveHandler(source, options);
  return detectWith(handler, source, file, findings);
}

export async function detectWith(
  handler: FormatHandler,
  source: ByteSource,
  file: string | null,
  extra: DetectReport['findings'] = [],
): Promise<DetectReport> {
  const read = await handler.read(source);
  const summary = summarizeCarriers(read);
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    file,
    format: handler.id,
    kind: handler.kind,
    label: summary.label,
    carriers: read.carriers.map(carrierReport),
    evidence: read.evidence ?? [],
    findings: [...extra, ...summary.findings],
  };
}

export function verifyFromDetect(report: DetectReport, declared: boolean): VerifyReport {
  const traces: Evidence[] = [...report.evidence];
  const decision = decideOutcome({ label: report.label, declared, traces });
  return { ...report, outcome: decision.outcome, basis: decision.basis, prompt: decision.prompt, declared };
}

/**
 * Reads every label carrier in `bytes`, and explicit labels where that works on
 * bytes (text always, image OCR with `ocr: true`, audio rhythm unless `rhythm: false`).
 * @example
 * const report = await detectBuffer(bytes, { filename: 'photo.png' });
 * report.label?.ContentProducer;
 */
export async function detectBuffer(bytes: Uint8Array, options: CommonOptions & ExplicitDetectOptions = {}): Promise<DetectReport> {
  const source = bytesSource(bytes);
  const { handler, findings } = await resolveHandler(source, options);
  const report = await detectWith(handler, source, null, findings);
  return mergeExplicit(report, await detectExplicit(handler, { bytes: async () => bytes }, options));
}

/** Decides what a platform must show for `bytes` (Measures Art. 6). */
export async function verifyBuffer(bytes: Uint8Array, options: VerifyOptions & ExplicitDetectOptions = {}): Promise<VerifyReport> {
  return verifyFromDetect(await detectBuffer(bytes, options), options.declared ?? false);
}

/**
 * Writes the explicit label (images and text; audio and video need `labelFile`)
 * and then the implicit label into `bytes`, and returns new bytes; `bytes` is not
 * changed. The result has been read back and checked.
 * @throws LabelConflictError when another producer's label is present and `force` is not set.
 */
export async function labelBuffer(
  bytes: Uint8Array,
  options: LabelOptions & ExplicitLabelOptions,
): Promise<{ bytes: Uint8Array; report: LabelReport }> {
  const label = labelFromOptions(options);
  const resolved = await resolveHandler(bytesSource(bytes), options);
  const handler = resolved.handler;
  const findings: Finding[] = [...resolved.findings];
  const before = summarizeCarriers(await handler.read(bytesSource(bytes)));
  otherProducers(before, label, options.force);
  let working = bytes;
  let explicit: ExplicitSummary | null = null;
  const support = options.explicit === false ? 'none' : explicitSupport(handler);
  if (support !== 'none' && before.label !== null && !options.redraw) {
    findings.push(finding('explicit/skipped', 'info', 'the file already carries a label, so the explicit label is not added again'));
  } else if (support === 'bytes') {
    const result = await applyExplicitBytes(handler, bytes, options);
    working = result.bytes;
    explicit = result.summary;
    findings.push(...result.findings);
  } else if (support === 'file') {
    findings.push(
      finding('explicit/needs-file', 'info', `${handler.name} explicit labels are rendered through files; use labelFile to add one`),
    );
  }
  const report = (previous: AigcLabel | null, all: Finding[]): LabelReport => ({
    schemaVersion: REPORT_SCHEMA_VERSION,
    file: null,
    output: null,
    format: handler.id,
    label,
    previous,
    findings: all,
    explicit,
  });
  if (handler.id === 'txt' && explicit) {
    // Plain text has no metadata carrier (TC260-PG-20258A names none): the explicit label is all it can carry.
    return {
      bytes: working,
      report: report(before.label, [
        ...findings,
        finding(Rules.nonNormativeCarrier, 'info', 'plain text has no metadata carrier; only the explicit label was added'),
      ]),
    };
  }
  const result = await labelBytes(handler, working, label, { ...writeOptionsFrom(options), ...(working === bytes ? { before } : {}) });
  return { bytes: result.bytes, report: report(before.label, [...findings, ...result.findings]) };
}
