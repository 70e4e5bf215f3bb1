import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type AigcLabel,
  bytesSource,
  type CostClass,
  type Evidence,
  type ExplicitDetectOptions,
  type ExplicitSearch,
  type ExplicitSearchResult,
  type Finding,
  type FormatModule,
  finding,
  isExplicitCapability,
  isWatermarkCapability,
  Rules,
  readAll,
  samePayload,
  searchEnabled,
  toHex,
  type WatermarkCapability,
  type WatermarkDetectOptions,
  type WatermarkEmbedResult,
  type WatermarkLabelOptions,
  type WatermarkReading,
  type WatermarkRequest,
  watermarkPayload,
} from '@aigc-label/core';
import type { Input } from './detect.js';
import { openFileSource } from './file-io.js';
import type { DetectOptions } from './options.js';
import type { Sink } from './pipeline.js';

/**
 * Invisible watermarks in the one pipeline: `label --watermark` embeds the format's mark (before
 * the explicit label, so a text prompt stays unmarked and a rendered label is drawn over marked
 * pixels), and `detect`/`verify` report a mark found as evidence matched against the metadata
 * label. The format module declares the mark (`watermark` capability); nothing here knows formats.
 */

/** Resources a step opened, released by the pipeline whatever happens. */
export interface Releaser {
  add(close: () => Promise<void>): void;
}

/** Paths for a step that renders from file to file (ffmpeg) in a private scratch folder. */
export async function scratchPaths(
  handler: FormatModule,
  input: Input,
  sink: Sink,
  resources: Releaser,
  name: string,
): Promise<{ input: string; output: string; workDir: string }> {
  const scratch = await sink.scratch();
  resources.add(() => rm(scratch, { recursive: true, force: true }));
  const extension = `.${handler.extensions[0] ?? 'bin'}`;
  const extensionOfInput = input.path ? /\.[^./\\]+$/.exec(input.path)?.[0] : undefined;
  let path = input.path;
  if (!path) {
    path = join(scratch, `input${extension}`);
    await writeFile(path, await readAll(input.source, handler.id), { mode: 0o600 });
  }
  const workDir = join(scratch, 'work');
  await mkdir(workDir);
  return { input: path, output: join(scratch, `${name}${extensionOfInput ?? extension}`), workDir };
}

export interface WatermarkStep {
  /** The marked content (or the input, unchanged). */
  readonly input: Input;
  readonly findings: Finding[];
  /** What was embedded, or null. */
  readonly detail: string | null;
}

/** Marks found in `input` under the key by the capability's own search. */
async function readMarks(capability: WatermarkCapability, handler: FormatModule, input: Input, key: string | undefined) {
  return capability.detect({ path: input.path, bytes: () => readAll(input.source, handler.id), key });
}

/**
 * Embeds the format's mark when `watermark` asks for it. Content that already carries a mark
 * under the key is not marked again (two marks would garble each other, and no mark is ever
 * removed, Measures Art. 10). The mark is read back from the result.
 */
export async function watermarkStep(
  handler: FormatModule,
  input: Input,
  sink: Sink,
  options: WatermarkLabelOptions,
  label: AigcLabel,
  resources: Releaser,
): Promise<WatermarkStep> {
  const none = (findings: Finding[] = []): WatermarkStep => ({ input, findings, detail: null });
  if (options.watermark !== true) return none();
  const capability = handler.watermark;
  if (!capability || !isWatermarkCapability(capability)) {
    const why = capability ? capability.unsupported : `${handler.name} carries no invisible watermark here`;
    return none([finding(Rules.watermarkUnsupported, 'warning', `no watermark embedded: ${why}`)]);
  }
  const key = options.watermarkKey;
  const payload = watermarkPayload(label);
  const existing = (await readMarks(capability, handler, input, key)).readings;
  if (existing.length > 0) {
    const same = existing.some((r) => samePayload(r.payload, payload));
    const message = same
      ? "the content already carries this label's mark; it was not embedded again"
      : `the content already carries a mark (payload ${existing.map((r) => toHex(r.payload)).join(', ')}); no second mark was embedded`;
    return none([finding(Rules.watermarkPresent, same ? 'info' : 'warning', message)]);
  }
  const request = { payload, key };
  let marked: Input;
  let result: WatermarkEmbedResult;
  const embedder = capability.embedder;
  if (embedder.input === 'bytes') {
    const out = await embedder.embed(await readAll(input.source, handler.id), request);
    marked = { source: bytesSource(out.bytes), file: input.file };
    result = out;
  } else {
    const paths = await scratchPaths(handler, input, sink, resources, 'marked');
    result = await embedder.embed(paths, request);
    const opened = await openFileSource(paths.output);
    resources.add(opened.close);
    marked = { source: opened.source, path: paths.output, file: input.file };
  }
  if (result.skipped) return none([finding(Rules.watermarkUnsupported, 'warning', `no watermark embedded: ${result.skipped}`)]);
  const findings = [...result.findings, ...(await readBackFindings(capability, handler, marked, request))];
  return { input: marked, findings, detail: result.detail };
}

/** A finding when the mark just embedded in `marked` cannot be read back from it. */
async function readBackFindings(
  capability: WatermarkCapability,
  handler: FormatModule,
  marked: Input,
  request: WatermarkRequest,
): Promise<Finding[]> {
  return markReadBack((await readMarks(capability, handler, marked, request.key)).readings, request);
}

/** A finding when none of `readings` is the mark `request` just embedded. */
function markReadBack(readings: readonly WatermarkReading[], request: WatermarkRequest): Finding[] {
  if (readings.some((r) => samePayload(r.payload, request.payload))) return [];
  return [finding(Rules.watermarkNotReadBack, 'warning', 'the mark just embedded could not be read back from the output')];
}

/**
 * After an explicit step that re-encoded the content with the mark: the explicit-label search that
 * reads the mark in its own decode reads both back from the output, in that one decode. The step
 * added the label a moment ago, so a label its own search misses is a finding (a mark planned under
 * the label's masking once hid an element of the ·−·· rhythm from the search).
 */
async function readBackBoth(
  capability: WatermarkCapability,
  handler: FormatModule,
  marked: Input,
  request: WatermarkRequest,
): Promise<Finding[]> {
  const explicit = handler.explicit && isExplicitCapability(handler.explicit) ? handler.explicit : null;
  const search = explicit?.searches.find((s) => s.enabledBy === capability.readBy);
  if (!search) return readBackFindings(capability, handler, marked, request);
  const result = await search.run({
    path: marked.path,
    bytes: () => readAll(marked.source, handler.id),
    source: marked.source,
    watermark: { key: request.key },
  });
  const findings: Finding[] = [...result.findings];
  if (!result.evidence.some((e) => e.scheme === 'explicit'))
    findings.push(
      finding(
        Rules.explicitNotReadBack,
        'warning',
        "the explicit label just added was not found again in the output by this toolkit's own search",
      ),
    );
  return [...findings, ...markReadBack(result.watermarks ?? [], request)];
}

/**
 * The mark for the explicit step to embed in its own re-encode, or null when the watermark step
 * embeds it (or nothing does). A labeler that re-encodes anyway (`embedsWatermark`: audio) takes
 * it by default, since it costs no second generation of coding (issue 20); `watermark: false`
 * turns that off, and `watermark: true` marks the file either way (`watermarkAfterExplicit`).
 */
export function explicitStepMark(
  handler: FormatModule,
  options: WatermarkLabelOptions,
  explicitRuns: boolean,
  label: AigcLabel,
): WatermarkRequest | null {
  if (options.watermark === false || !explicitRuns) return null;
  const explicit = handler.explicit;
  if (!explicit || !isExplicitCapability(explicit) || explicit.labeler.input !== 'file' || !explicit.labeler.embedsWatermark) return null;
  if (!handler.watermark || !isWatermarkCapability(handler.watermark)) return null;
  return { payload: watermarkPayload(label), key: options.watermarkKey };
}

/**
 * After an explicit step that was offered the mark: its read-back when the step embedded it, the
 * watermark step on the step's output when it did not (it spliced) and `watermark: true` asks
 * for a mark, nothing otherwise.
 */
export async function watermarkAfterExplicit(
  handler: FormatModule,
  labeled: Input,
  explicit: { readonly watermarked?: string | undefined; readonly alreadyMarked?: boolean | undefined },
  request: WatermarkRequest,
  sink: Sink,
  options: WatermarkLabelOptions,
  label: AigcLabel,
  resources: Releaser,
): Promise<WatermarkStep> {
  const capability = handler.watermark;
  if (explicit.watermarked && capability && isWatermarkCapability(capability)) {
    return { input: labeled, findings: await readBackBoth(capability, handler, labeled, request), detail: explicit.watermarked };
  }
  if (explicit.alreadyMarked) return { input: labeled, findings: [], detail: null };
  return watermarkStep(handler, labeled, sink, options, label, resources);
}

/** Whether the watermark search runs for these options: asked for, or cheap (its cost class, or read in a search's own decode). */
function searchRuns(
  capability: WatermarkCapability,
  searches: readonly ExplicitSearch[],
  options: ExplicitDetectOptions & WatermarkDetectOptions,
) {
  if (options.watermark === false) return false;
  if (options.watermark === true || capability.detectCost === 'metadata') return true;
  return searches.some((s) => s.enabledBy === capability.readBy && searchEnabled(s, options));
}

/** What the watermark adds to a job's cost: embedding when `label` asks for it, a search of its own when `detect`/`verify` ask for one. */
export function watermarkCost(
  handler: FormatModule,
  job: { readonly verb: string; readonly options: WatermarkLabelOptions & WatermarkDetectOptions & ExplicitDetectOptions },
): CostClass {
  const capability = handler.watermark && isWatermarkCapability(handler.watermark) ? handler.watermark : null;
  if (!capability) return 'metadata';
  if (job.verb === 'label') return job.options.watermark === true ? capability.embedCost : 'metadata';
  if (job.verb !== 'detect' && job.verb !== 'verify') return 'metadata';
  const explicit = handler.explicit && isExplicitCapability(handler.explicit) ? handler.explicit.searches : [];
  return searchRuns(capability, explicit, job.options) ? capability.detectCost : 'metadata';
}

/**
 * One file's watermark search inside `detect`: the explicit-label search that reads the mark in
 * its own decode gets `watermark` in its input; otherwise the capability's own search runs beside
 * the explicit searches (`start`, after every `inputFor`).
 */
export class WatermarkSearch {
  readonly #capability: WatermarkCapability | null;
  readonly #key: string | undefined;
  readonly #readings: WatermarkReading[] = [];
  readonly #findings: Finding[] = [];
  #readBySearch = false;
  #ownSearch: Promise<{ readings: readonly WatermarkReading[]; findings: readonly Finding[] }> | null = null;

  constructor(handler: FormatModule, searches: readonly ExplicitSearch[], options: DetectOptions & WatermarkDetectOptions) {
    const capability = handler.watermark && isWatermarkCapability(handler.watermark) ? handler.watermark : null;
    this.#capability = capability && searchRuns(capability, searches, options) ? capability : null;
    this.#key = options.watermarkKey;
  }

  /** What `search` gets in its input besides the file. */
  inputFor(search: ExplicitSearch): { watermark?: { key: string | undefined } } {
    if (!this.#capability || this.#capability.readBy !== search.enabledBy) return {};
    this.#readBySearch = true;
    return { watermark: { key: this.#key } };
  }

  /** Starts the capability's own search when no explicit search reads the mark; a failure becomes a finding. */
  start(handler: FormatModule, input: Input): void {
    const capability = this.#capability;
    if (!capability || this.#readBySearch || this.#ownSearch) return;
    this.#ownSearch = readMarks(capability, handler, input, this.#key).catch((error: unknown) => {
      const why = error instanceof Error ? error.message : String(error);
      return { readings: [], findings: [finding(Rules.watermarkUnavailable, 'info', `the watermark search could not run: ${why}`)] };
    });
  }

  /** Takes the marks a search read in its decode. */
  collect(result: ExplicitSearchResult): void {
    this.#readings.push(...(result.watermarks ?? []));
  }

  /** Waits for the own search, then reports every mark read as evidence. */
  async finish(label: AigcLabel | null): Promise<{ evidence: Evidence[]; findings: Finding[] }> {
    const own = await this.#ownSearch;
    this.#ownSearch = null;
    if (own) {
      this.#readings.push(...own.readings);
      this.#findings.push(...own.findings);
    }
    return watermarkEvidence(this.#readings, label, this.#findings);
  }
}

/**
 * Marks as evidence, each matched against the metadata label's payload: a mark without a label is
 * a trace (Measures Art. 6(3)); a mark that disagrees with the label is a finding.
 */
export function watermarkEvidence(
  readings: readonly WatermarkReading[],
  label: AigcLabel | null,
  findings: Finding[] = [],
): { evidence: Evidence[]; findings: Finding[] } {
  // An SM3 hash: only worth it when there is a mark to match.
  const labelPayload = label && readings.length > 0 ? watermarkPayload(label) : null;
  const evidence: Evidence[] = [];
  const seen = new Set<string>();
  for (const reading of readings) {
    const payload = toHex(reading.payload);
    if (seen.has(payload)) continue;
    seen.add(payload);
    const matchesLabel = labelPayload === null ? null : samePayload(reading.payload, labelPayload);
    const match =
      matchesLabel === null ? '' : matchesLabel ? "; matches the metadata label's payload" : "; not the metadata label's payload";
    evidence.push({
      kind: 'watermark',
      scheme: 'watermark',
      aiTrace: true,
      detail: `${reading.detail}${match}`,
      ...(reading.where === undefined ? {} : { where: reading.where }),
      watermark: { payload, confidence: reading.confidence, falsePositiveBound: reading.falsePositiveBound, matchesLabel },
    });
    if (labelPayload && matchesLabel === false) {
      // Shown as long as the mark's payload (the audio mark carries the first 32 bits).
      const expected = toHex(labelPayload.subarray(0, reading.payload.length));
      findings.push(
        finding(
          Rules.watermarkMismatch,
          'warning',
          `the invisible watermark carries payload ${payload}, but the metadata label's is ${expected}: the label was replaced, or the content comes from another generation`,
        ),
      );
    }
  }
  return { evidence, findings };
}
