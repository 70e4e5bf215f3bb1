import { type FfmpegBinaries, runToolOrThrow } from '@aigc-label/ffmpeg';
import type { VisibleVideoLabelOptions } from './apply-visible-label.js';
import { type NalUnit, splitAnnexB } from './bitstream.js';
import type { LabelInterval, PacketClock, ReencodeSpan } from './plan.js';
import type { VideoStreamInfo } from './probe.js';
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
}

// Time limits of the calls whose work grows with the video, per second of it, on top of the
// runner's default: an encode may run far below real time (x265 at 4K on two busy cores), a
// stream copy does not. They only stop a hung ffmpeg.
export const ENCODE_MS_PER_SECOND = 60_000;
export const COPY_MS_PER_SECOND = 1_000;

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
    output: context.options.output,
    source: context.info,
    sourceClock: context.clock,
    spans,
    audioReencoded: context.labelWav !== undefined,
    input: context.options.input,
  });
  return { checks, seconds: (performance.now() - started) / 1000 };
}

/** The names of the failed output checks, with the first decoder errors. */
export function failedChecks(checks: OutputChecks): string {
  const failed = (['decode', 'duration', 'frames', 'sync', 'rotation', 'copiedPackets', 'copiedAudio'] as const).filter(
    (name) => checks[name] && !checks[name]!.ok,
  );
  const detail = checks.decode.errors.slice(0, 2).join('; ');
  return `${failed.join(', ')}${detail ? ` (${detail})` : ''}`;
}
