/**
 * Smart render: only the GOPs the label spans are re-encoded, every other packet is copied byte
 * for byte, and the pieces are joined with the concat demuxer. Returns why not when the stream
 * does not allow it (open GOPs, parameter sets that cannot be numbered apart, failed checks).
 */
import { bytesEqual } from '@aigc-label/core';
import { runToolOrThrow, timeoutForMedia } from '@aigc-label/ffmpeg';
import type { AvcParameterSets } from '../mp4/parameter-sets.js';
import type { RenderResult } from './apply-visible-label.js';
import {
  encoderOptions,
  H264_IDR,
  H264_PPS,
  H264_SPS,
  HEVC_IDR_TYPES,
  HEVC_PARAMETER_SET_TYPES,
  h264PpsId,
  h264SpsId,
  type NalUnit,
} from './bitstream.js';
import { type EncoderChoice, x264Args, x265Args } from './encoder.js';
import { type LabelInterval, planSmartRender, type ReencodeSpan, reencodedSeconds } from './plan.js';
import type { VideoStreamInfo } from './probe.js';
import { audioArgs, concatList, headEncodeArgs, joinArgs, parameterSourceArgs, videoOnlyArgs } from './render-args.js';
import {
  COPY_MS_PER_SECOND,
  checkOutput,
  ENCODE_MS_PER_SECOND,
  failedChecks,
  headKeyframeNals,
  type RenderContext,
  runRenderStep,
  sourceKeyframeNals,
} from './render-context.js';

type SmartOutcome = { readonly ok: true; readonly result: RenderResult } | { readonly ok: false; readonly reason: string };

export async function trySmartRender(context: RenderContext): Promise<SmartOutcome> {
  const { info, clock, intervals, tools, options } = context;
  if (coversWholeVideo(intervals, info)) return { ok: false, reason: 'the label covers the whole video' };
  const plan = planSmartRender(info, clock, intervals);
  if (!plan.ok) return plan;
  for (const span of plan.spans) {
    if (span.end === clock.packets.length) continue;
    const nals = await sourceKeyframeNals(context, span.end);
    const idr = info.codec === 'h264' ? nals.some((nal) => nal.type === H264_IDR) : nals.some((nal) => HEVC_IDR_TYPES.includes(nal.type));
    if (!idr) return { ok: false, reason: `open GOP: the keyframe at ${clock.relative(span.end).toFixed(3)} s is not an IDR picture` };
  }
  let encoder: EncoderChoice;
  if (info.codec === 'h264') {
    const ids = context.sourceNals.filter((nal) => nal.type === H264_SPS).map(h264SpsId);
    const ppsIds = context.sourceNals.filter((nal) => nal.type === H264_PPS).map(h264PpsId);
    // The head gets its own SPS/PPS ids, sent in-band at each keyframe; the copied packets keep using the source's sets from the sample entry.
    const headId = Math.max(0, ...ids, ...ppsIds) + 1;
    if (ids.length === 0 || headId > 31)
      return { ok: false, reason: 'cannot number the re-encoded head apart from the source parameter sets' };
    encoder = x264Args(info, encoderOptions(context.sourceNals, 'x264'), headId);
  } else {
    encoder = x265Args(info, encoderOptions(context.sourceNals, 'x265'));
  }
  // The join's parameter source is a stream copy of one frame: made while the heads encode.
  const parameters = writeParameterSource(context);
  const heads: string[] = [];
  try {
    for (const [index, span] of plan.spans.entries()) {
      const head = `${options.workDir}/head-${index}.mp4`;
      const spanSeconds = clock.relative(span.end) - clock.relative(span.first);
      await runToolOrThrow(tools.ffmpeg, headEncodeArgs(context, span, encoder, head), {
        stdin: context.overlayPng,
        timeoutMs: timeoutForMedia(spanSeconds, ENCODE_MS_PER_SECOND),
      });
      heads.push(head);
    }
  } finally {
    // Settled before this returns or throws, so nothing still writes into the work folder.
    await parameters.catch(() => {});
  }
  if (info.codec === 'hevc') {
    // x265 cannot renumber its VPS/SPS/PPS, so the head must carry exactly the source's sets.
    const same = await Promise.all(heads.map(async (head) => sameParameterSets(context.sourceNals, await headKeyframeNals(context, head))));
    if (!same.every(Boolean))
      return {
        ok: false,
        reason: 'the re-encoded H.265 head needs parameter sets different from the source and x265 cannot renumber them',
      };
  }
  await joinSegments(context, plan.spans, heads, await parameters);
  // The heads' parameter sets are read while the output is checked: neither needs the other.
  const [{ checks, seconds: verifySeconds }, addedParameterSets] = await Promise.all([
    checkOutput(context, plan.spans),
    info.codec === 'h264' ? headParameterSets(context, heads) : undefined,
  ]);
  if (!checks.ok) return { ok: false, reason: `smart render output failed its checks: ${failedChecks(checks)}` };
  const seconds = reencodedSeconds(clock, plan.spans);
  return {
    ok: true,
    result: {
      ...(addedParameterSets ? { addedParameterSets } : {}),
      mode: 'smart',
      reason: `re-encoded ${plan.spans.length} span(s), ${seconds.toFixed(2)} s of ${info.duration.toFixed(2)} s; other packets copied`,
      reencodedSeconds: seconds,
      verifySeconds,
      intervals,
      encoder: encoder.description,
      checks,
    },
  };
}

/** The SPS and PPS the re-encoded heads use (one encoder setting, so normally one of each). */
async function headParameterSets(context: RenderContext, heads: readonly string[]): Promise<AvcParameterSets> {
  const sps: Uint8Array[] = [];
  const pps: Uint8Array[] = [];
  for (const head of heads) {
    for (const nal of await headKeyframeNals(context, head)) {
      const list = nal.type === H264_SPS ? sps : nal.type === H264_PPS ? pps : null;
      if (list && !list.some((unit) => bytesEqual(unit, nal.payload))) list.push(Uint8Array.from(nal.payload));
    }
  }
  return { sps, pps };
}

function coversWholeVideo(intervals: readonly LabelInterval[], info: VideoStreamInfo): boolean {
  return intervals.some((interval) => interval.start <= 0 && interval.end >= info.duration);
}

/** The concat list's first entry: one frame of the source's video, for its codec parameters. Returns its path. */
async function writeParameterSource(context: RenderContext): Promise<string> {
  const parameters = `${context.options.workDir}/parameters.mp4`;
  await runToolOrThrow(context.tools.ffmpeg, parameterSourceArgs(context, parameters));
  return parameters;
}

/** Joins heads and copied source ranges: the parameter source first, then the concat list on stdin. */
async function joinSegments(
  context: RenderContext,
  spans: readonly ReencodeSpan[],
  heads: readonly string[],
  parameters: string,
): Promise<void> {
  const { clock, options, tools, info } = context;
  // The concat demuxer pairs streams by index, so a source whose video is not its first stream
  // (sound first, cover art) is read through a copy of its video stream alone.
  let videoSource = options.input;
  if (info.streamIndex !== 0) {
    videoSource = `${options.workDir}/video-only${/\.[^./]+$/.exec(options.input)?.[0] ?? '.mkv'}`;
    await runToolOrThrow(tools.ffmpeg, videoOnlyArgs(context, videoSource), {
      timeoutMs: timeoutForMedia(info.duration, COPY_MS_PER_SECOND),
    });
  }
  const list = concatList(clock, videoSource, parameters, spans, heads);
  const audio = audioArgs(context, 1, 2);
  await runRenderStep(tools, joinArgs(context, audio), {
    stdin: new TextEncoder().encode(list),
    extraPipes: audio.pipes,
    timeoutMs: timeoutForMedia(info.duration, COPY_MS_PER_SECOND),
  });
}

function sameParameterSets(source: readonly NalUnit[], head: readonly NalUnit[]): boolean {
  const sets = (nals: readonly NalUnit[]) =>
    nals
      .filter((nal) => HEVC_PARAMETER_SET_TYPES.includes(nal.type))
      .map((nal) => Array.from(nal.payload).join(','))
      .sort();
  const a = sets(source);
  const b = sets(head);
  return a.length > 0 && a.length === b.length && a.every((value, index) => value === b[index]);
}
