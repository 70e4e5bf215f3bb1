import { bytesEqual, UnsupportedFormatError, UsageError, WriteVerificationError } from '@aigc-label/core';
import type { AvcParameterSets } from '../mp4/parameter-sets.js';
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
  splitAnnexB,
} from './bitstream.js';
import { type EncoderChoice, fullEncoderArgs, x264Args, x265Args } from './encoder.js';
import { defaultBinaries, type FfmpegBinaries, runToolOrThrow } from './ffmpeg-tools.js';
import {
  type LabelInterval,
  type LabelPosition,
  labelIntervals,
  PacketClock,
  planSmartRender,
  type ReencodeSpan,
  reencodedSeconds,
} from './plan.js';
import { displaySize, probePackets, probeVideo, type VideoStreamInfo } from './probe.js';
import { type OutputChecks, verifyOutput } from './verify.js';

/** GB 45438 §5.4: the label stays on the start frames for at least 2 s at normal speed. */
export const MIN_VISIBLE_SECONDS = 2;

export interface RhythmLabelMix {
  /** WAV bytes of the audio rhythm label for the track's sample rate and channel count; mixed in where each visible label starts. */
  wav(audio: { readonly sampleRate: number; readonly channels: number }): Promise<Uint8Array>;
}

export interface VisibleVideoLabelOptions {
  readonly input: string;
  readonly output: string;
  /** A directory the caller owns and removes afterwards; re-encoded heads are written there. */
  readonly workDir: string;
  /** Draws the label as a transparent PNG exactly the size of the displayed frame. */
  readonly overlay: (frame: { readonly width: number; readonly height: number }) => Promise<Uint8Array>;
  /** Seconds the label shows at each position; never below 2 (GB 45438 §5.4). */
  readonly duration?: number;
  readonly at?: readonly LabelPosition[];
  readonly audioLabel?: RhythmLabelMix;
  /** `smart` re-encodes only the labelled GOPs or throws; `full` re-encodes everything; `auto` tries smart first. */
  readonly mode?: 'auto' | 'smart' | 'full';
  /** x264/x265 speed preset for re-encoded frames (default: the encoder's own, `medium`). */
  readonly encoderPreset?: string;
  readonly binaries?: FfmpegBinaries;
}

export interface VisibleVideoLabelResult {
  readonly mode: 'smart' | 'full';
  /** Why this mode was used (for `full`, why smart render was not possible or not asked for). */
  readonly reason: string;
  readonly reencodedSeconds: number;
  readonly intervals: readonly LabelInterval[];
  readonly encoder: string;
  readonly checks: OutputChecks;
  /** Wall-clock seconds spent on the output checks (included in the call's time). */
  readonly verifySeconds: number;
  /**
   * H.264 smart render: the re-encoded GOPs' own SPS/PPS (numbered apart from the source's), which
   * they carry in-band. An `avc1` track should list them in its sample entry too; for MP4/MOV
   * output, `planAvcParameterSets` does that. Undefined when there are none.
   */
  readonly addedParameterSets?: AvcParameterSets;
}

interface RenderContext {
  readonly options: VisibleVideoLabelOptions;
  readonly tools: FfmpegBinaries;
  readonly info: VideoStreamInfo;
  readonly clock: PacketClock;
  readonly intervals: readonly LabelInterval[];
  readonly overlayPng: Uint8Array;
  readonly labelWav: Uint8Array | undefined;
  readonly sourceNals: readonly NalUnit[];
}

/**
 * Burns a visible label into a video (GB 45438 §5.4). Where the stream allows it, only the GOPs the label
 * spans are re-encoded and every other packet is copied byte for byte; otherwise the whole video is
 * re-encoded at the source's bit rate. The output is probed and decoded before this returns.
 */
export async function applyVisibleVideoLabel(options: VisibleVideoLabelOptions): Promise<VisibleVideoLabelResult> {
  const seconds = options.duration ?? 3;
  if (!(seconds >= MIN_VISIBLE_SECONDS))
    throw new UsageError(`the visible label must show for at least ${MIN_VISIBLE_SECONDS} s (GB 45438 §5.4), not ${seconds}`);
  const at = options.at ?? ['start'];
  if (at.length === 0) throw new UsageError('say where the label shows: start, middle, end or whole');
  if (options.output === options.input) throw new UsageError('the output must be a new file, not the input');
  const tools = options.binaries ?? defaultBinaries();
  const info = await probeVideo(tools, options.input);
  const packets = await probePackets(tools, options.input, true);
  const clock = new PacketClock(packets, info);
  const intervals = labelIntervals(info.duration, seconds, at);
  const frame = displaySize(info);
  const overlayPng = await options.overlay(frame);
  checkPngSize(overlayPng, frame);
  const labelWav = options.audioLabel && info.audio ? await options.audioLabel.wav(info.audio) : undefined;
  const sourceNals =
    info.codec === 'h264' || info.codec === 'hevc' ? await keyframeNals(tools, options.input, info, clock.absolute(0)) : [];
  const context: RenderContext = { options, tools, info, clock, intervals, overlayPng, labelWav, sourceNals };

  const mode = options.mode ?? 'auto';
  let reason = 'full re-encode requested';
  if (mode !== 'full') {
    const smart = await trySmartRender(context);
    if (smart.ok) return smart.result;
    if (mode === 'smart') throw new UnsupportedFormatError(`smart render not possible: ${smart.reason}`);
    reason = smart.reason;
  }
  return fullRender(context, reason);
}

type SmartOutcome = { readonly ok: true; readonly result: VisibleVideoLabelResult } | { readonly ok: false; readonly reason: string };

async function trySmartRender(context: RenderContext): Promise<SmartOutcome> {
  const { info, clock, intervals, tools, options } = context;
  if (coversWholeVideo(intervals, info)) return { ok: false, reason: 'the label covers the whole video' };
  const plan = planSmartRender(info, clock, intervals);
  if (!plan.ok) return plan;
  for (const span of plan.spans) {
    if (span.end === clock.packets.length) continue;
    const nals = await keyframeNals(tools, options.input, info, clock.absolute(span.end));
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
  const heads: string[] = [];
  for (const [index, span] of plan.spans.entries()) {
    const head = `${options.workDir}/head-${index}.mp4`;
    await encodeHead(context, span, encoder, head);
    heads.push(head);
  }
  if (info.codec === 'hevc') {
    // x265 cannot renumber its VPS/SPS/PPS, so the head must carry exactly the source's sets.
    const same = await Promise.all(
      heads.map(async (head) => sameParameterSets(context.sourceNals, await keyframeNals(tools, head, info, 0))),
    );
    if (!same.every(Boolean))
      return {
        ok: false,
        reason: 'the re-encoded H.265 head needs parameter sets different from the source and x265 cannot renumber them',
      };
  }
  await joinSegments(context, plan.spans, heads);
  const verifyStarted = performance.now();
  const checks = await verifyOutput({
    tools,
    output: options.output,
    source: info,
    sourceClock: clock,
    spans: plan.spans,
    audioReencoded: context.labelWav !== undefined,
    input: options.input,
  });
  if (!checks.ok) return { ok: false, reason: `smart render output failed its checks: ${failedChecks(checks)}` };
  const seconds = reencodedSeconds(clock, plan.spans);
  const addedParameterSets = info.codec === 'h264' ? await headParameterSets(tools, heads, info) : undefined;
  return {
    ok: true,
    result: {
      ...(addedParameterSets ? { addedParameterSets } : {}),
      mode: 'smart',
      reason: `re-encoded ${plan.spans.length} span(s), ${seconds.toFixed(2)} s of ${info.duration.toFixed(2)} s; other packets copied`,
      reencodedSeconds: seconds,
      verifySeconds: (performance.now() - verifyStarted) / 1000,
      intervals,
      encoder: encoder.description,
      checks,
    },
  };
}

/** The SPS and PPS the re-encoded heads use (one encoder setting, so normally one of each). */
async function headParameterSets(tools: FfmpegBinaries, heads: readonly string[], info: VideoStreamInfo): Promise<AvcParameterSets> {
  const sps: Uint8Array[] = [];
  const pps: Uint8Array[] = [];
  for (const head of heads) {
    for (const nal of await keyframeNals(tools, head, info, 0)) {
      const list = nal.type === H264_SPS ? sps : nal.type === H264_PPS ? pps : null;
      if (list && !list.some((unit) => bytesEqual(unit, nal.payload))) list.push(Uint8Array.from(nal.payload));
    }
  }
  return { sps, pps };
}

function coversWholeVideo(intervals: readonly LabelInterval[], info: VideoStreamInfo): boolean {
  return intervals.some((interval) => interval.start <= 0 && interval.end >= info.duration);
}

/** Filter graph drawing the display-sized PNG onto coded frames: undo the rotation and the pixel stretch first. */
function overlayGraph(info: VideoStreamInfo, enable: string, resetTimestamps: boolean): string {
  const unrotate =
    { 0: '', 90: 'transpose=cclock,', 180: 'hflip,vflip,', 270: 'transpose=clock,' }[info.rotation as 0 | 90 | 180 | 270] ?? '';
  const base = resetTimestamps ? '[0:v]setpts=PTS-STARTPTS[base]' : '[0:v]null[base]';
  return `${base};[1:v]format=rgba,${unrotate}scale=${info.codedWidth}:${info.codedHeight}[mark];[base][mark]overlay=0:0:eof_action=repeat:enable='${enable}'[labelled]`;
}

function enableExpression(intervals: readonly LabelInterval[], offset: number): string {
  const terms = intervals.map(
    (interval) => `gte(t,${(interval.start - offset - 1e-6).toFixed(6)})*lt(t,${(interval.end - offset - 1e-6).toFixed(6)})`,
  );
  return terms.length > 0 ? terms.join('+') : '0';
}

async function encodeHead(context: RenderContext, span: ReencodeSpan, encoder: EncoderChoice, head: string): Promise<void> {
  const { info, clock, intervals, tools, options } = context;
  const offset = clock.relative(span.first);
  const seek = span.first === 0 ? [] : ['-seek_timestamp', '1', '-ss', (clock.absolute(span.first) - clock.frameSeconds / 2).toFixed(6)];
  const args = [
    '-v',
    'error',
    '-y',
    '-noautorotate',
    ...seek,
    '-i',
    options.input,
    '-f',
    'png_pipe',
    '-i',
    'pipe:0',
    '-filter_complex',
    overlayGraph(info, enableExpression(intervals, offset), true),
    '-map',
    '[labelled]',
    '-frames:v',
    String(span.end - span.first),
    ...encoder.args,
    ...presetArgs(options),
    // x264 writes its SPS/PPS into the sample entry; dump_extra also puts them in front of each keyframe, so the head stays decodable after the join.
    ...(info.codec === 'h264' ? ['-bsf:v', 'dump_extra=freq=keyframe'] : []),
    '-vsync',
    'passthrough',
    // Encode in the source's time base so every frame keeps its exact time (ffmpeg would otherwise round to
    // 1/r_frame_rate); x264/x265 get the frame rate through their own `fps` option (see encoder.ts).
    '-enc_time_base',
    `${info.timeBase[0]}:${info.timeBase[1]}`,
    '-video_track_timescale',
    String(info.timeBase[1]),
    '-an',
    head,
  ];
  await runToolOrThrow(tools.ffmpeg, args, { stdin: context.overlayPng });
}

const presetArgs = (options: VisibleVideoLabelOptions) => (options.encoderPreset ? ['-preset', options.encoderPreset] : []);
const quote = (path: string) => `'${path.replace(/'/g, "'\\''")}'`;
const microseconds = (seconds: number) => (Math.round(seconds * 1e6) / 1e6).toFixed(6);

/**
 * Joins heads and copied source ranges with the concat demuxer. The output takes its codec parameters
 * (the sample entry with the source SPS/PPS) from the first entry, so that entry is a one-frame MP4 copy of
 * the source whose packets are all cut off by an outpoint before them (MP4 packets always have a dts,
 * which the outpoint test needs; Matroska's first B-frame packets have none).
 */
async function joinSegments(context: RenderContext, spans: readonly ReencodeSpan[], heads: readonly string[]): Promise<void> {
  const { info, clock, options, tools } = context;
  const count = clock.packets.length;
  const parameters = `${options.workDir}/parameters.mp4`;
  await runToolOrThrow(tools.ffmpeg, [
    '-v',
    'error',
    '-y',
    '-i',
    options.input,
    '-map',
    '0:v:0',
    '-c',
    'copy',
    '-frames:v',
    '1',
    '-video_track_timescale',
    String(info.timeBase[1]),
    parameters,
  ]);
  const lines = ['ffconcat version 1.0', `file ${quote(parameters)}`, 'outpoint -1000000'];
  lines.push(`duration ${microseconds(Math.max(0, clock.absolute(0)))}`);
  const copy = (first: number, end: number) => {
    if (first >= end) return;
    lines.push(`file ${quote(options.input)}`, `inpoint ${microseconds(clock.absolute(first))}`);
    if (end < count) lines.push(`outpoint ${(Math.floor(clock.absoluteDts(end) * 1e6) / 1e6).toFixed(6)}`);
    lines.push(`duration ${microseconds(clock.relative(end) - clock.relative(first))}`);
  };
  let next = 0;
  spans.forEach((span, index) => {
    copy(next, span.first);
    lines.push(`file ${quote(heads[index]!)}`, `duration ${microseconds(clock.relative(span.end) - clock.relative(span.first))}`);
    next = span.end;
  });
  copy(next, count);
  const audio = audioArgs(context, 1, 2);
  const args = [
    '-v',
    'error',
    '-y',
    '-f',
    'concat',
    '-safe',
    '0',
    // Keep the copied packets as they are: no in-band SPS/PPS inserted (byte identity with the source).
    '-auto_convert',
    '0',
    // A list read from a pipe may only open what the pipe protocol whitelists; the segments are local files.
    '-protocol_whitelist',
    'file,pipe',
    // ffmpeg reads a non-seekable input (the list on stdin) through a tiny non-blocking queue and sleeps 10 ms
    // whenever it runs dry: 25 s for 15,000 packets. A deep queue makes the join run at copy speed.
    '-thread_queue_size',
    '4096',
    '-i',
    'pipe:0',
    '-i',
    options.input,
    ...audio.inputs,
    '-map',
    '0:v:0',
    ...audio.maps,
    '-map',
    '1:s?',
    '-c',
    'copy',
    ...audio.codec,
    '-map_metadata',
    '1',
    '-map_metadata:s:v:0',
    '1:s:v:0',
    '-metadata:s:v:0',
    `rotate=${rotateOverride(info)}`,
    ...timescaleArgs(options.output, info),
    options.output,
  ];
  await runToolOrThrow(tools.ffmpeg, args, { stdin: new TextEncoder().encode(`${lines.join('\n')}\n`), extraPipes: audio.pipes });
}

/**
 * The value for `-metadata:s:v:0 rotate=` that reproduces the source's display matrix. When stream-copying,
 * the static ffmpeg 4.1 writes this override as a counter-clockwise angle (it then reads the file back as
 * `rotate: 270` for an override of 90), so the clockwise rotation is passed negated.
 */
function rotateOverride(info: VideoStreamInfo): number {
  return (360 - info.rotation) % 360;
}

function timescaleArgs(output: string, info: VideoStreamInfo): string[] {
  return /\.(mp4|m4v|mov)$/i.test(output) ? ['-video_track_timescale', String(info.timeBase[1])] : [];
}

/** Audio is copied, or re-encoded with the rhythm label added at each label start (samples summed, not averaged). */
function audioArgs(context: RenderContext, sourceInput: number, labelInput: number) {
  const { info, labelWav, intervals } = context;
  if (!labelWav || !info.audio) return { inputs: [], maps: ['-map', `${sourceInput}:a?`], codec: [], filter: undefined, pipes: [] };
  const audio = info.audio;
  const channels = audio.channels;
  const starts = intervals.map((interval) => Math.round(Math.max(0, interval.start + info.startTime - audio.startTime) * 1000));
  const split = starts.length > 1 ? `asplit=${starts.length}${starts.map((_, i) => `[l${i}]`).join('')};` : '';
  const labelFormat = `[${labelInput}:a]aresample=${audio.sampleRate},aformat=sample_fmts=fltp:channel_layouts=${audio.channelLayout},${split}`;
  const delayed = starts
    .map((ms, i) => `${starts.length > 1 ? `[l${i}]` : ''}adelay=${new Array(channels).fill(ms).join('|')},apad[d${i}]`)
    .join(';');
  const mixed =
    starts.length > 1 ? `${starts.map((_, i) => `[d${i}]`).join('')}amix=inputs=${starts.length},volume=${starts.length}[label];` : '';
  const label = starts.length > 1 ? '[label]' : '[d0]';
  const sum = new Array(channels)
    .fill(0)
    .map((_, c) => `c${c}=c${c}+c${c + channels}`)
    .join('|');
  const filter = `${labelFormat}${delayed};${mixed}[${sourceInput}:a:0]aformat=sample_fmts=fltp:channel_layouts=${audio.channelLayout}[src];[src]${label}amerge=inputs=2,pan=${audio.channelLayout}|${sum}[mixed]`;
  const encoder = { aac: 'aac', mp3: 'libmp3lame', opus: 'libopus', vorbis: 'libvorbis', flac: 'flac' }[audio.codec] ?? 'aac';
  return {
    inputs: ['-f', 'wav', '-i', 'pipe:3'],
    maps: ['-filter_complex', filter, '-map', '[mixed]'],
    codec: ['-c:a', encoder, ...(audio.bitRate ? ['-b:a', String(audio.bitRate)] : [])],
    filter,
    pipes: [labelWav],
  };
}

async function fullRender(context: RenderContext, reason: string): Promise<VisibleVideoLabelResult> {
  const { info, clock, intervals, tools, options } = context;
  const sourceEncoder = info.codec === 'h264' ? 'x264' : 'x265';
  const sourceOptions = info.codec === 'h264' || info.codec === 'hevc' ? encoderOptions(context.sourceNals, sourceEncoder) : undefined;
  const encoder = fullEncoderArgs(info, sourceOptions);
  const audio = audioArgs(context, 0, 2);
  const graph = overlayGraph(info, enableExpression(intervals, -clock.firstPts * clock.tick), false);
  const filter = audio.filter ? `${graph};${audio.filter}` : graph;
  const extension = /\.[^./]+$/.exec(options.output)?.[0] ?? '.mp4';
  const encoded = info.rotation === 0 ? options.output : `${options.workDir}/full-encode${extension}`;
  const args = [
    '-v',
    'error',
    '-y',
    '-noautorotate',
    '-i',
    options.input,
    '-f',
    'png_pipe',
    '-i',
    'pipe:0',
    ...audio.inputs,
    '-filter_complex',
    filter,
    '-map',
    '[labelled]',
    ...(audio.filter ? ['-map', '[mixed]', ...audio.codec] : ['-map', '0:a?', '-c:a', 'copy']),
    '-map',
    '0:s?',
    '-c:s',
    'copy',
    ...encoder.args,
    ...(/^lib(x264|x265)$/.test(encoder.args[1] ?? '') ? presetArgs(options) : []),
    '-vsync',
    'passthrough',
    // Encode in the source's time base so every frame keeps its exact time (ffmpeg would otherwise round to
    // 1/r_frame_rate); x264/x265 get the frame rate through their own `fps` option (see encoder.ts).
    '-enc_time_base',
    `${info.timeBase[0]}:${info.timeBase[1]}`,
    '-map_metadata',
    '0',
    ...timescaleArgs(options.output, info),
    encoded,
  ];
  await runToolOrThrow(tools.ffmpeg, args, { stdin: context.overlayPng, extraPipes: audio.pipes });
  if (encoded !== options.output) {
    // The static ffmpeg only turns `rotate` into a display matrix when stream-copying, so the rotation is set in a remux.
    await runToolOrThrow(tools.ffmpeg, [
      '-v',
      'error',
      '-y',
      '-i',
      encoded,
      '-map',
      '0',
      '-c',
      'copy',
      '-metadata:s:v:0',
      `rotate=${rotateOverride(info)}`,
      ...timescaleArgs(options.output, info),
      options.output,
    ]);
  }
  const verifyStarted = performance.now();
  const checks = await verifyOutput({
    tools,
    output: options.output,
    source: info,
    sourceClock: clock,
    spans: undefined,
    audioReencoded: context.labelWav !== undefined,
    input: options.input,
  });
  if (!checks.ok) throw new WriteVerificationError(`the labelled video failed its checks: ${failedChecks(checks)}`);
  const verifySeconds = (performance.now() - verifyStarted) / 1000;
  return { mode: 'full', reason, reencodedSeconds: info.duration, intervals, encoder: encoder.description, checks, verifySeconds };
}

function failedChecks(checks: OutputChecks): string {
  const failed = (['decode', 'duration', 'frames', 'sync', 'rotation', 'copiedPackets', 'copiedAudio'] as const).filter(
    (name) => checks[name] && !checks[name]!.ok,
  );
  const detail = checks.decode.errors.slice(0, 2).join('; ');
  return `${failed.join(', ')}${detail ? ` (${detail})` : ''}`;
}

/** NAL units of the keyframe at `seconds` (container time), as Annex B with its parameter sets in front. */
async function keyframeNals(tools: FfmpegBinaries, input: string, info: VideoStreamInfo, seconds: number): Promise<NalUnit[]> {
  const codec = info.codec === 'hevc' ? 'hevc' : 'h264';
  const frame = info.frameRate[1] / info.frameRate[0];
  const { stdout } = await runToolOrThrow(tools.ffmpeg, [
    '-v',
    'error',
    '-seek_timestamp',
    '1',
    '-ss',
    (seconds + frame / 4).toFixed(6),
    '-i',
    input,
    '-map',
    '0:v:0',
    '-c',
    'copy',
    '-frames:v',
    '1',
    '-f',
    codec,
    'pipe:1',
  ]);
  return splitAnnexB(stdout, codec);
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

/** The PNG must match the displayed frame, or the label would be stretched or cut (IHDR width and height). */
function checkPngSize(png: Uint8Array, frame: { width: number; height: number }): void {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const isPng = png.length > 24 && view.getUint32(0) === 0x89504e47 && view.getUint32(12) === 0x49484452;
  if (!isPng) throw new UsageError('the overlay is not a PNG');
  const width = view.getUint32(16);
  const height = view.getUint32(20);
  if (width !== frame.width || height !== frame.height) {
    throw new UsageError(`the overlay PNG is ${width}x${height}, the displayed frame is ${frame.width}x${frame.height}`);
  }
}
