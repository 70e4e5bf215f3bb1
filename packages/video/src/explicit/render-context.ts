import { UnsupportedFormatError } from '@aigc-label/core';
import { type FfmpegBinaries, runToolOrThrow } from '@aigc-label/ffmpeg';
import type { VisibleVideoLabelOptions } from './apply-visible-label.js';
import { type NalUnit, splitAnnexB } from './bitstream.js';
import type { LabelInterval, PacketClock, ReencodeSpan } from './plan.js';
import { firstPacketNals, type PacketHashes, type PacketIndexer, type VideoStreamInfo } from './probe.js';
import { keyframeArgs } from './render-args.js';
import { type OutputChecks, verifyOutput } from './verify.js';

/** What the smart and the full render share: the request, the probed source and what was prepared from it. */
export interface RenderContext {
  readonly options: VisibleVideoLabelOptions;
  readonly tools: FfmpegBinaries;
  readonly info: VideoStreamInfo;
  readonly clock: PacketClock;
  readonly intervals: readonly LabelInterval[];
  readonly overlayPng: Uint8Array;
  readonly labelWav: Uint8Array | undefined;
  readonly sourceNals: readonly NalUnit[];
  /** CRC32s of the source's packets, for the copied-packets and copied-streams checks. */
  readonly hashes: Promise<PacketHashes>;
  /** Who listed the source's packets. */
  readonly indexedBy: PacketIndexer | undefined;
  /** Reads a source packet's NAL units from the file (container index only). */
  readonly packetNals: ((index: number) => Promise<NalUnit[]>) | undefined;
}

// Time limits of the calls whose work grows with the video, per second of it, on top of the
// runner's default: an encode may run far below real time (x265 at 4K on two busy cores), a
// stream copy does not. They only stop a hung ffmpeg.
export const ENCODE_MS_PER_SECOND = 60_000;
export const COPY_MS_PER_SECOND = 1_000;

/** NAL units of the source's keyframe `index`, its parameter sets in front: read from the file when it was indexed here, else by ffmpeg at its time. */
export function sourceKeyframeNals(context: RenderContext, index: number): Promise<NalUnit[]> {
  return context.packetNals?.(index) ?? keyframeNals(context.tools, context.options.input, context.info, context.clock.absolute(index));
}

/** NAL units of a re-encoded head's first keyframe, its parameter sets in front. */
export async function headKeyframeNals(context: RenderContext, head: string): Promise<NalUnit[]> {
  return (await firstPacketNals(head)) ?? keyframeNals(context.tools, head, context.info, 0);
}

/** NAL units of the keyframe at `seconds` (container time), as Annex B with its parameter sets in front. */
export async function keyframeNals(tools: FfmpegBinaries, input: string, info: VideoStreamInfo, seconds: number): Promise<NalUnit[]> {
  const { stdout } = await runToolOrThrow(tools.ffmpeg, keyframeArgs(info, input, seconds));
  return splitAnnexB(stdout, info.codec === 'hevc' ? 'hevc' : 'h264');
}

/** Checks the written output against the source (`spans` after a smart render), and how long that took. */
export async function checkOutput(
  context: RenderContext,
  spans: readonly ReencodeSpan[] | undefined,
): Promise<{ readonly checks: OutputChecks; readonly seconds: number }> {
  const started = performance.now();
  const checks = await verifyOutput({
    tools: context.tools,
    input: context.options.input,
    output: context.options.output,
    source: context.info,
    sourceClock: context.clock,
    spans,
    remixedStream: context.labelWav ? context.info.streams.find((s) => s.type === 'audio')?.index : undefined,
    sourceHashes: context.hashes,
    sourceIndexedBy: context.indexedBy,
  });
  return { checks, seconds: (performance.now() - started) / 1000 };
}

const seconds = (value: number) => `${value.toFixed(3)} s`;

/** What went wrong with the written file, in sentences a user can act on (or report). */
export function failedChecks(checks: OutputChecks): string {
  const problems: string[] = [];
  const { frames, duration, decode, sync, rotation, copiedPackets, copiedStreams } = checks;
  if (!frames.ok) {
    problems.push(
      frames.output === frames.source
        ? `its ${frames.output} frames are not shown at the source's times`
        : `it has ${frames.output} frames where the source has ${frames.source}`,
    );
  }
  if (!duration.ok) problems.push(`it lasts ${seconds(duration.output)} where the source lasts ${seconds(duration.source)}`);
  if (!decode.ok) problems.push(`it does not decode cleanly (${decode.errors.slice(0, 2).join('; ')})`);
  if (!sync.ok) problems.push('its sound no longer starts or ends with the picture');
  if (!rotation.ok) problems.push(`its display rotation became ${rotation.output}° instead of ${rotation.source}°`);
  if (copiedPackets && !copiedPackets.ok) problems.push(`${copiedPackets.different} of its copied video packets differ from the source's`);
  if (copiedStreams && !copiedStreams.ok) problems.push(`streams ${copiedStreams.different.join(', ')} were not copied unchanged`);
  return problems.join('; ');
}

/** ffmpeg failures that mean "this file cannot be written back", as sentences a user understands. */
const KNOWN_FAILURES: readonly [RegExp, string][] = [
  [
    /input is not a single packet/,
    'a sound track packs several frames into each sample (AMR in 3GP), which ffmpeg cannot copy into a new file',
  ],
  [/Could not find tag for codec (\S+)|codec not currently supported in container/, 'the container cannot hold one of the streams'],
  [/picture size \S+ is invalid|The specified picture size of \S+ is not valid/, 'the codec cannot code a picture of this size'],
];

/** Runs an ffmpeg step of the render; a known failure becomes an UnsupportedFormatError saying why no label was drawn. */
export async function runRenderStep(tools: FfmpegBinaries, args: string[], inputs: Parameters<typeof runToolOrThrow>[2] = {}) {
  try {
    return await runToolOrThrow(tools.ffmpeg, args, inputs);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const known = KNOWN_FAILURES.find(([pattern]) => pattern.test(message));
    if (known) throw new UnsupportedFormatError(`no visible label: ${known[1]}`);
    throw error;
  }
}
