import { bytesSource, isExplicitCapability, type PropagationElements, propagateLabel } from '@aigc-label/core';
import type { Input } from './detect.js';
import { fileSinkFor, inFile, type OutputOptions } from './file.js';
import { type FileIoOptions, openFileSource } from './file-io.js';
import type { LabelOptions, VerifyOptions } from './options.js';
import { labelInput, memorySink, type Sink, type WriteRole } from './pipeline.js';
import { defaultRegistry } from './registry.js';
import type { LabelReport, VerifyReport } from './reports.js';
import { checkSignOptions, type SignOptions } from './signing.js';
import { verifyInput } from './verify.js';

/**
 * `signKey` signs ReservedCode2 (the propagator's elements; the producer's ReservedCode1 is kept
 * byte for byte and still verifies, unless `visiblePrompt` changes the content it is bound to).
 */
export interface PropagateOptions extends PropagationElements, VerifyOptions, SignOptions {
  /** Also add the visible prompt for the outcome (人工智能生成, 可能为人工智能生成, 疑似人工智能生成) on images, video and text. */
  readonly visiblePrompt?: boolean | undefined;
}

export interface PropagateResult {
  readonly verify: VerifyReport;
  /** Null when there was nothing to propagate (outcome `none`). */
  readonly label: LabelReport | null;
}

function labelOptions(verify: VerifyReport, options: PropagateOptions): LabelOptions {
  // The producer's explicit label stays; a platform adds its own prompt only when asked, and
  // only where the format's explicit label can carry that wording (no spoken form of the three
  // prompts exists here, so audio gets none).
  const explicit = (options.registry ?? defaultRegistry).get(verify.format)?.explicit;
  const prompted = options.visiblePrompt && verify.prompt && explicit && isExplicitCapability(explicit) && explicit.customWording;
  return {
    label: propagateLabel(verify.label, verify.outcome, options),
    // The producer's elements are kept byte for byte (Measures Art. 10): only what the platform adds is checked as written.
    keptFields: verify.label
      ? [
          'Label',
          'ContentProducer',
          'ProduceID',
          'ReservedCode1',
          ...(options.reservedCode2 === undefined && !options.signKey ? (['ReservedCode2'] as const) : []),
        ]
      : [],
    ...(prompted ? { redraw: true, visible: { text: verify.prompt }, text: { wording: verify.prompt } } : { explicit: false }),
    format: verify.format,
    registry: options.registry,
    signKey: options.signKey,
    signKeyPassphrase: options.signKeyPassphrase,
    log: options.log,
  };
}

/** A platform that adds no prompt of its own was not asked to (`visiblePrompt`), or the format's label cannot carry its wording. */
const propagation: WriteRole = { operation: 'propagate', explicitOff: 'platform-prompt-not-added' };

/** Verify, then write the propagation elements through `sink`: the same steps for files and bytes. */
async function propagateInput(input: Input, sink: () => Promise<Sink> | Sink, options: PropagateOptions): Promise<PropagateResult> {
  if (options.signKey) checkSignOptions('ReservedCode2', options.reservedCode2);
  const verify = await verifyInput(input, options);
  if (verify.outcome === 'none') return { verify, label: null };
  return { verify, label: await labelInput(input, await sink(), labelOptions(verify, options), propagation) };
}

/**
 * What a platform does with an upload (Measures Art. 6): verify, then write the
 * propagation elements. A producer's Label, ContentProducer, ProduceID and
 * ReservedCode1 are kept exactly; content without a label gets Label 2 or 3.
 * Content with no label, declaration or trace is left alone.
 */
export async function propagateFile(path: string, options: PropagateOptions & OutputOptions & FileIoOptions): Promise<PropagateResult> {
  const { source, close } = await openFileSource(path, options);
  try {
    return await propagateInput({ source, path, file: path }, () => fileSinkFor(path, options), options);
  } catch (error) {
    throw inFile(path, error);
  } finally {
    await close();
  }
}

/** `propagateFile` for bytes in memory; `bytes` is null when nothing was written. */
export async function propagateBuffer(
  input: Uint8Array,
  options: PropagateOptions,
): Promise<PropagateResult & { bytes: Uint8Array | null }> {
  const sink = memorySink();
  const result = await propagateInput({ source: bytesSource(input), file: null }, () => sink, options);
  return { ...result, bytes: result.label ? sink.bytes() : null };
}
