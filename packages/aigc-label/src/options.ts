import {
  type AigcLabel,
  createLabel,
  defaultTimeBudgetMs,
  type EvidenceReader,
  type ExplicitDetectOptions,
  type ExplicitLabelOptions,
  type FormatRegistry,
  type LabelValue,
  UsageError,
  type WatermarkDetectOptions,
  type WatermarkLabelOptions,
  type WriteLabelOptions,
} from '@aigc-label/core';
import type { SignOptions, TrustOptions } from './signing.js';

/** What every call takes: how to tell the format. */
export interface CommonOptions {
  /** A file name, used only for its extension when sniffing cannot decide. */
  readonly filename?: string | undefined;
  /** Force a format id instead of sniffing. */
  readonly format?: string | undefined;
  readonly registry?: FormatRegistry | undefined;
  /**
   * The time reading and planning one file may take, ms (default 30 s): a file that takes
   * longer is stopped with a LimitExceededError. Copying bytes and rendering media are not
   * counted (ffmpeg runs have their own limits).
   */
  readonly timeoutMs?: number | undefined;
}

/** A deadline for one file's reading and planning. */
export const deadlineOf = (options: CommonOptions): { at: number; budgetMs: number } => {
  const budgetMs = options.timeoutMs ?? defaultTimeBudgetMs;
  return { at: Date.now() + budgetMs, budgetMs };
};

/** `detect` and `verify`: which explicit-label searches run, and which readers look for other traces. */
export interface DetectOptions extends CommonOptions, ExplicitDetectOptions, TrustOptions, WatermarkDetectOptions {
  /**
   * The readers of traces other than the label (Measures Art. 6(3)): validated C2PA, vendors'
   * markers, the wording of marks OCR read. Default `defaultEvidenceReaders`; `[]` turns them off.
   */
  readonly evidenceReaders?: readonly EvidenceReader[] | undefined;
}

export interface VerifyOptions extends DetectOptions {
  /** The uploader declared the content AI-generated (Measures Art. 6(2)). */
  readonly declared?: boolean | undefined;
  /**
   * Full compliance check: run the explicit-label searches even when the metadata label (or the
   * declaration) already decides the outcome, and report a missing explicit label. Without it,
   * verify decodes no media for such files.
   */
  readonly audit?: boolean | undefined;
  /**
   * Platform policy: a producer's ReservedCode1 that is not `verified` (signed, key trusted for
   * the producer, binding matching) is a `signature/required` error finding. The outcome stays.
   */
  readonly requireSignature?: boolean | undefined;
}

/** `label`: the label to write, how, and the explicit label added before it. */
export interface LabelOptions extends CommonOptions, WriteLabelOptions, ExplicitLabelOptions, SignOptions, WatermarkLabelOptions {
  /** A complete label to write; otherwise one is built from `producer` etc. */
  readonly label?: AigcLabel | undefined;
  /** Provider name or 27-character code. */
  readonly producer?: string | undefined;
  /** Content id; a fresh UUIDv7 when omitted. */
  readonly produceId?: string | undefined;
  readonly labelValue?: LabelValue | undefined;
  readonly reservedCode1?: string | undefined;
}

/** Builds the label to write from options. */
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

const warned = new Set<string>();

function deprecated(old: string, replacement: string): void {
  if (warned.has(old)) return;
  warned.add(old);
  process.emitWarning(`the option ${old} is deprecated; use ${replacement} (it will be removed in 0.3)`, 'DeprecationWarning');
}

/**
 * Explicit-label options with the names of 0.1 mapped to one name per idea (`placement`,
 * `audible`), each old name warned about once per process.
 */
export function normalizeExplicitOptions<T extends ExplicitLabelOptions>(options: T): T {
  let { text, audio, video } = options;
  if (text?.positions !== undefined) {
    deprecated('text.positions', 'text.placement');
    const { positions, ...rest } = text;
    text = { ...rest, placement: text.placement ?? (typeof positions === 'string' ? [positions] : positions) };
  }
  if (audio?.positions !== undefined) {
    deprecated('audio.positions', 'audio.placement');
    const { positions, ...rest } = audio;
    audio = { ...rest, placement: audio.placement ?? positions };
  }
  if (video?.at !== undefined) {
    deprecated('video.at', 'video.placement');
    const { at, ...rest } = video;
    video = { ...rest, placement: video.placement ?? at };
  }
  if (text === options.text && audio === options.audio && video === options.video) return options;
  return { ...options, text, audio, video };
}

export function normalizeDetectOptions<T extends ExplicitDetectOptions>(options: T): T {
  if (options.rhythm === undefined) return options;
  deprecated('rhythm', 'audible');
  const { rhythm, ...rest } = options;
  return { ...rest, audible: options.audible ?? rhythm } as T;
}
