/**
 * The ffmpeg command lines of the visible video label: the filter graph that draws the overlay,
 * the re-encode of a labelled span, the concat join, the full re-encode and the rhythm mix.
 * Only argument building lives here; smart-render.ts and full-render.ts run them.
 */
import type { VisibleVideoLabelOptions } from './apply-visible-label.js';
import type { EncoderChoice } from './encoder.js';
import type { LabelInterval, PacketClock, ReencodeSpan } from './plan.js';
import type { VideoStreamInfo } from './probe.js';
import type { RenderContext } from './render-context.js';

/** Filter graph drawing the display-sized PNG onto coded frames: undo the rotation and the pixel stretch first. */
function overlayGraph(info: VideoStreamInfo, enable: string, resetTimestamps: boolean): string {
  const unrotate =
    { 0: '', 90: 'transpose=cclock,', 180: 'hflip,vflip,', 270: 'transpose=clock,' }[info.rotation as 0 | 90 | 180 | 270] ?? '';
  const video = `[0:${info.streamIndex}]`;
  const base = resetTimestamps ? `${video}setpts=PTS-STARTPTS[base]` : `${video}null[base]`;
  return `${base};[1:v]format=rgba,${unrotate}scale=${info.codedWidth}:${info.codedHeight}[mark];[base][mark]overlay=0:0:eof_action=repeat:enable='${enable}'[labelled]`;
}

function enableExpression(intervals: readonly LabelInterval[], offset: number): string {
  const terms = intervals.map(
    (interval) => `gte(t,${(interval.start - offset - 1e-6).toFixed(6)})*lt(t,${(interval.end - offset - 1e-6).toFixed(6)})`,
  );
  return terms.length > 0 ? terms.join('+') : '0';
}

const presetArgs = (options: VisibleVideoLabelOptions) => (options.encoderPreset ? ['-preset', options.encoderPreset] : []);
const quote = (path: string) => `'${path.replace(/'/g, "'\\''")}'`;
const microseconds = (seconds: number) => (Math.round(seconds * 1e6) / 1e6).toFixed(6);

/**
 * The value for `-metadata:s:v:0 rotate=` that reproduces the source's display matrix. When stream-copying,
 * the static ffmpeg 4.1 writes this override as a counter-clockwise angle (it then reads the file back as
 * `rotate: 270` for an override of 90), so the clockwise rotation is passed negated.
 */
function rotateOverride(info: VideoStreamInfo): number {
  return (360 - info.rotation) % 360;
}

/**
 * Every stream of input `input` in the source's order, the labelled video from `video` and a sound
 * track with the rhythm label mixed in from `[mixed]`; everything is copied except those two, which
 * get the encoder, their stream metadata and their disposition back (ffmpeg copies both only for
 * streams it maps from an input). Returns the maps and the per-stream codec options.
 */
function streamMaps(info: VideoStreamInfo, input: number, video: string, encoder: readonly string[], audio: AudioArgs): string[] {
  const maps: string[] = [];
  const mixed = audio.filter ? info.streams.find((s) => s.type === 'audio')?.index : undefined;
  const options: string[] = ['-c', 'copy'];
  info.streams.forEach((stream, output) => {
    const reencoded = stream.index === info.streamIndex || stream.index === mixed;
    maps.push('-map', stream.index === info.streamIndex ? video : stream.index === mixed ? '[mixed]' : `${input}:${stream.index}`);
    // Naming one stream's metadata turns off ffmpeg's copy of all the others', so every stream is named.
    options.push(`-map_metadata:s:${output}`, `${input}:s:${stream.index}`);
    if (!reencoded) return;
    const codec = stream.index === info.streamIndex ? encoder : audio.codec;
    options.push(...codec.map((arg) => (/^-(c|b|codec|tag):[va]$/.test(arg) ? `${arg.slice(0, -1)}${output}` : arg)));
    options.push(`-disposition:${output}`, stream.disposition.length > 0 ? stream.disposition.join('+') : '0');
  });
  return [...maps, ...options];
}

/** Output stream specifier of the labelled video (`v:1` when cover art or another video comes first). */
function labelledSpecifier(info: VideoStreamInfo): string {
  const before = info.streams.filter((s) => s.type === 'video' && s.index < info.streamIndex).length;
  return `v:${before}`;
}

/**
 * The output's container: ffmpeg's WebM muxer takes only VP8, VP9 and AV1, so H.264 or H.265 in a
 * .webm file (browser recordings) is written as Matroska and its DocType set back afterwards
 * (`webmDocTypePlan`).
 */
export function needsMatroskaMuxer(output: string, info: VideoStreamInfo): boolean {
  return /\.webm$/i.test(output) && !['vp8', 'vp9', 'av1'].includes(info.codec);
}
const muxerArgs = (output: string, info: VideoStreamInfo) => (needsMatroskaMuxer(output, info) ? ['-f', 'matroska'] : []);

function timescaleArgs(output: string, info: VideoStreamInfo): string[] {
  return /\.(mp4|m4v|mov)$/i.test(output) ? ['-video_track_timescale', String(info.timeBase[1])] : [];
}

/** The source (input 0, from `seek`) and the overlay PNG on stdin (input 1), as the overlay graph expects them. */
function overlayInputs(input: string, seek: readonly string[]): string[] {
  return ['-v', 'error', '-y', '-noautorotate', ...seek, '-i', input, '-f', 'png_pipe', '-i', 'pipe:0'];
}

/**
 * Encode in the source's time base so every frame keeps its exact time (ffmpeg would otherwise round to
 * 1/r_frame_rate); x264/x265 get the frame rate through their own `fps` option (see encoder.ts).
 */
function sourceTimingArgs(info: VideoStreamInfo): string[] {
  return ['-vsync', 'passthrough', '-enc_time_base', `${info.timeBase[0]}:${info.timeBase[1]}`];
}

/** Re-encodes one span (from its keyframe) with the overlay (PNG on stdin) into `head`. */
export function headEncodeArgs(context: RenderContext, span: ReencodeSpan, encoder: EncoderChoice, head: string): string[] {
  const { info, clock, intervals, options } = context;
  const offset = clock.relative(span.first);
  const seek = span.first === 0 ? [] : ['-seek_timestamp', '1', '-ss', (clock.absolute(span.first) - clock.frameSeconds / 2).toFixed(6)];
  return [
    ...overlayInputs(options.input, seek),
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
    ...sourceTimingArgs(info),
    '-video_track_timescale',
    String(info.timeBase[1]),
    '-an',
    head,
  ];
}

/** A one-frame MP4 copy of the source video track: the concat list's first entry, for its codec parameters. */
export function parameterSourceArgs(context: RenderContext, parameters: string): string[] {
  const { info, options } = context;
  return [
    '-v',
    'error',
    '-y',
    '-i',
    options.input,
    '-map',
    `0:${info.streamIndex}`,
    '-c',
    'copy',
    '-frames:v',
    '1',
    '-video_track_timescale',
    String(info.timeBase[1]),
    parameters,
  ];
}

/** The labelled stream alone, copied packet for packet into `file` (same container). */
export function videoOnlyArgs(context: RenderContext, file: string): string[] {
  return ['-v', 'error', '-y', '-i', context.options.input, '-map', `0:${context.info.streamIndex}`, '-c', 'copy', '-copyts', file];
}

/**
 * The concat demuxer's list: the parameter source cut off before its first packet, then copied
 * source ranges and re-encoded heads in turn. The output takes its codec parameters (the sample
 * entry with the source SPS/PPS) from the first entry; an MP4 copy is used there because MP4
 * packets always have a dts, which the outpoint test needs (Matroska's first B-frame packets have none).
 */
export function concatList(
  clock: PacketClock,
  input: string,
  parameters: string,
  spans: readonly ReencodeSpan[],
  heads: readonly string[],
): string {
  const count = clock.packets.length;
  const lines = ['ffconcat version 1.0', `file ${quote(parameters)}`, 'outpoint -1000000'];
  lines.push(`duration ${microseconds(Math.max(0, clock.absolute(0)))}`);
  const copy = (first: number, end: number) => {
    if (first >= end) return;
    lines.push(`file ${quote(input)}`, `inpoint ${microseconds(clock.absolute(first))}`);
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
  return `${lines.join('\n')}\n`;
}

/** Joins the concat list (on stdin) into the output, with every other stream of the source and its metadata. */
export function joinArgs(context: RenderContext, audio: AudioArgs): string[] {
  const { info, options } = context;
  return [
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
    ...(audio.filter ? ['-filter_complex', audio.filter] : []),
    ...streamMaps(info, 1, '0:v:0', [], audio),
    '-map_metadata',
    '1',
    `-metadata:s:${labelledSpecifier(info)}`,
    `rotate=${rotateOverride(info)}`,
    ...timescaleArgs(options.output, info),
    ...muxerArgs(options.output, info),
    options.output,
  ];
}

/**
 * A constant frame rate source is encoded at that rate: the frames keep their times and the
 * encoder knows each frame's duration (with -enc_time_base the static ffmpeg drops it, and the
 * last frame of an MP4 would last 0 s). A variable rate needs the source's time base for exact times.
 */
function constantRate(clock: PacketClock): boolean {
  const pts = clock.packets
    .filter((p) => !p.discard)
    .map((p) => p.pts)
    .sort((a, b) => a - b);
  const step = (pts[1] ?? 0) - (pts[0] ?? 0);
  return pts.every((value, i) => i === 0 || value - pts[i - 1]! === step);
}

/** The whole video re-encoded with the overlay (PNG on stdin) into `encoded`; every other stream copied (or the mixed sound). */
export function fullRenderArgs(context: RenderContext, encoder: EncoderChoice, audio: AudioArgs, encoded: string): string[] {
  const { info, clock, intervals, options } = context;
  const graph = overlayGraph(info, enableExpression(intervals, -clock.firstPts * clock.tick), false);
  const filter = audio.filter ? `${graph};${audio.filter}` : graph;
  return [
    ...overlayInputs(options.input, []),
    ...audio.inputs,
    '-filter_complex',
    filter,
    ...streamMaps(
      info,
      0,
      '[labelled]',
      [...encoder.args, ...(/^lib(x264|x265)$/.test(encoder.args[1] ?? '') ? presetArgs(options) : [])],
      audio,
    ),
    ...(constantRate(clock) ? ['-vsync', 'passthrough'] : sourceTimingArgs(info)),
    '-map_metadata',
    '0',
    ...timescaleArgs(options.output, info),
    ...muxerArgs(options.output, info),
    encoded,
  ];
}

/** The static ffmpeg only turns `rotate` into a display matrix when stream-copying, so a rotated full render is remuxed. */
export function rotationRemuxArgs(info: VideoStreamInfo, encoded: string, output: string): string[] {
  return [
    '-v',
    'error',
    '-y',
    '-i',
    encoded,
    '-map',
    '0',
    '-c',
    'copy',
    `-metadata:s:${labelledSpecifier(info)}`,
    `rotate=${rotateOverride(info)}`,
    ...timescaleArgs(output, info),
    ...muxerArgs(output, info),
    output,
  ];
}

/** The keyframe at `seconds` (container time), copied out as Annex B with its parameter sets in front. */
export function keyframeArgs(info: VideoStreamInfo, input: string, seconds: number): string[] {
  const codec = info.codec === 'hevc' ? 'hevc' : 'h264';
  const frame = info.frameRate[1] / info.frameRate[0];
  return [
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
  ];
}

/** How the audio gets into the output: copied, or re-encoded with the rhythm label mixed in. */
export interface AudioArgs {
  readonly inputs: readonly string[];
  readonly codec: readonly string[];
  /** The mixing filter, for a graph that also draws the overlay; undefined when the audio is copied. */
  readonly filter: string | undefined;
  /** The rhythm label's WAV bytes, read by ffmpeg from `pipe:3`. */
  readonly pipes: readonly Uint8Array[];
}

/** Audio is copied, or re-encoded with the rhythm label added at each label start (samples summed, not averaged). */
export function audioArgs(context: RenderContext, sourceInput: number, labelInput: number): AudioArgs {
  const { info, labelWav, intervals } = context;
  if (!labelWav || !info.audio) return { inputs: [], codec: [], filter: undefined, pipes: [] };
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
    codec: ['-c:a', encoder, ...(audio.bitRate ? ['-b:a', String(audio.bitRate)] : [])],
    filter,
    pipes: [labelWav],
  };
}
