import { type PropagationElements, propagateLabel } from '@aigc-label/core';
import { type LabelOptions, labelBuffer, type VerifyOptions, verifyBuffer } from './buffer.js';
import type { ExplicitDetectOptions, ExplicitLabelOptions } from './explicit.js';
import { type LabelFileOptions, labelFile, verifyFile } from './file.js';
import type { LabelReport, VerifyReport } from './reports.js';

export interface PropagateOptions extends PropagationElements, VerifyOptions, ExplicitDetectOptions {
  /** Also add the visible prompt for the outcome (人工智能生成, 可能为人工智能生成, 疑似人工智能生成) on images, video and text. */
  readonly visiblePrompt?: boolean;
}

export interface PropagateResult {
  readonly verify: VerifyReport;
  /** Null when there was nothing to propagate (outcome `none`). */
  readonly label: LabelReport | null;
}

const labelOptions = (verify: VerifyReport, options: PropagateOptions): LabelOptions & ExplicitLabelOptions => ({
  label: propagateLabel(verify.label, verify.outcome, options),
  // The producer's explicit label stays; a platform adds its own prompt only when asked.
  // Audio has no spoken form of the three prompts here, so it gets none.
  ...(options.visiblePrompt && verify.prompt && verify.kind !== 'audio'
    ? { redraw: true, visible: { text: verify.prompt }, text: { wording: verify.prompt } }
    : { explicit: false }),
  ...(options.format === undefined ? {} : { format: options.format }),
  ...(options.registry === undefined ? {} : { registry: options.registry }),
});

/**
 * What a platform does with an upload (Measures Art. 6): verify, then write the
 * propagation elements. A producer's Label, ContentProducer, ProduceID and
 * ReservedCode1 are kept exactly; content without a label gets Label 2 or 3.
 * Content with no label, declaration or trace is left alone.
 */
export async function propagateFile(
  path: string,
  options: PropagateOptions & Omit<LabelFileOptions, keyof LabelOptions>,
): Promise<PropagateResult> {
  const verify = await verifyFile(path, options);
  if (verify.outcome === 'none') return { verify, label: null };
  const { output, outDir, inPlace, blockingIo } = options;
  return {
    verify,
    label: await labelFile(path, { ...labelOptions(verify, options), output, outDir, inPlace, blockingIo, filename: path }),
  };
}

/** `propagateFile` for bytes in memory; `bytes` is null when nothing was written. */
export async function propagateBuffer(
  input: Uint8Array,
  options: PropagateOptions,
): Promise<PropagateResult & { bytes: Uint8Array | null }> {
  const verify = await verifyBuffer(input, options);
  if (verify.outcome === 'none') return { verify, label: null, bytes: null };
  const { bytes, report } = await labelBuffer(input, {
    ...labelOptions(verify, options),
    ...(options.filename ? { filename: options.filename } : {}),
  });
  return { verify, label: report, bytes };
}
