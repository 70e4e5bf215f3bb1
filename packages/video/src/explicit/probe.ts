import { MalformedInputError } from '@aigc-label/core';
import { type FfmpegBinaries, type FfprobeFormat, type FfprobeStream, ffprobeJson, runToolOrThrow } from '@aigc-label/ffmpeg';

/** What the label renderer and the encoder need to know about the first video stream. */
export interface VideoStreamInfo {
  readonly formatName: string;
  readonly codec: string;
  readonly profile: string | undefined;
  /** As ffprobe reports it: 40 for H.264 level 4.0, 120 for H.265 level 4.0. */
  readonly level: number | undefined;
  readonly pixelFormat: string;
  readonly codedWidth: number;
  readonly codedHeight: number;
  readonly sampleAspect: readonly [number, number];
  /** Clockwise rotation a player applies before display: 0, 90, 180 or 270. */
  readonly rotation: number;
  readonly frameRate: readonly [number, number];
  readonly timeBase: readonly [number, number];
  readonly bitRate: number | undefined;
  readonly colorRange: string | undefined;
  readonly colorSpace: string | undefined;
  readonly colorTransfer: string | undefined;
  readonly colorPrimaries: string | undefined;
  readonly fieldOrder: string | undefined;
  readonly reorderDelay: number;
  readonly duration: number;
  readonly startTime: number;
  readonly hasAudio: boolean;
  readonly audio: AudioStreamInfo | undefined;
}

export interface AudioStreamInfo {
  readonly codec: string;
  readonly sampleRate: number;
  readonly channels: number;
  readonly channelLayout: string;
  readonly bitRate: number | undefined;
  readonly startTime: number;
  readonly duration: number | undefined;
}

/** One packet of the video stream, in decode order; times in stream ticks. */
export interface VideoPacket {
  readonly pts: number;
  readonly dts: number;
  readonly duration: number;
  readonly keyframe: boolean;
  readonly hash: string | undefined;
}

const ratio = (value: unknown, fallback: readonly [number, number]): readonly [number, number] => {
  const match = /^(\d+)[/:](\d+)$/.exec(String(value ?? ''));
  if (!match || Number(match[1]) === 0 || Number(match[2]) === 0) return fallback;
  return [Number(match[1]), Number(match[2])];
};
const numberOr = (value: unknown): number | undefined => (value === undefined || Number.isNaN(Number(value)) ? undefined : Number(value));
const known = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== 'unknown' && value !== '' ? value : undefined;

/** Clockwise display rotation from the display matrix side data or the legacy `rotate` tag. */
function displayRotation(stream: FfprobeStream): number {
  const matrix = stream.side_data_list?.find((entry) => entry.side_data_type === 'Display Matrix');
  // ffprobe reports the matrix angle counter-clockwise; the legacy `rotate` tag is clockwise.
  const degrees = matrix?.rotation !== undefined ? -matrix.rotation : Number(stream.tags?.rotate ?? 0);
  const quarter = Math.round((((degrees % 360) + 360) % 360) / 90) * 90;
  return quarter % 360;
}

export async function probeVideo(tools: FfmpegBinaries, input: string): Promise<VideoStreamInfo> {
  const { streams, format } = await ffprobeJson(tools.ffprobe, ['-show_streams', '-show_format', input], {
    failure: (tail, code) => new MalformedInputError('video', `ffprobe cannot read the file (${tail || `exit code ${code}`})`),
  });
  const video = streams.find((stream) => stream.codec_type === 'video' && !stream.disposition?.attached_pic);
  if (!video) throw new MalformedInputError('video', 'no video stream');
  const audio = streams.find((stream) => stream.codec_type === 'audio');
  const duration = numberOr(video.duration) ?? numberOr(format.duration);
  if (duration === undefined) throw new MalformedInputError('video', 'the video stream has no duration');
  return {
    formatName: String(format.format_name ?? ''),
    codec: String(video.codec_name ?? ''),
    profile: known(video.profile),
    level: numberOr(video.level),
    pixelFormat: String(video.pix_fmt ?? 'yuv420p'),
    codedWidth: Number(video.width),
    codedHeight: Number(video.height),
    sampleAspect: ratio(video.sample_aspect_ratio, [1, 1]),
    rotation: displayRotation(video),
    frameRate: ratio(video.avg_frame_rate, ratio(video.r_frame_rate, [25, 1])),
    timeBase: ratio(video.time_base, [1, 1000]),
    // Matroska stores no per-stream bit rate; the container's is a close upper bound.
    bitRate: numberOr(video.bit_rate) ?? estimateVideoBitRate(format, audio),
    colorRange: known(video.color_range),
    colorSpace: known(video.color_space),
    colorTransfer: known(video.color_transfer),
    colorPrimaries: known(video.color_primaries),
    fieldOrder: known(video.field_order),
    reorderDelay: Number(video.has_b_frames ?? 0),
    duration,
    startTime: numberOr(video.start_time) ?? 0,
    hasAudio: audio !== undefined,
    audio: audio && {
      codec: String(audio.codec_name),
      sampleRate: Number(audio.sample_rate),
      channels: Number(audio.channels),
      channelLayout: String(audio.channel_layout ?? (Number(audio.channels) === 1 ? 'mono' : 'stereo')),
      bitRate: numberOr(audio.bit_rate),
      startTime: numberOr(audio.start_time) ?? 0,
      duration: numberOr(audio.duration) ?? numberOr(format.duration),
    },
  };
}

function estimateVideoBitRate(format: FfprobeFormat, audio: FfprobeStream | undefined): number | undefined {
  const total = numberOr(format.bit_rate);
  if (total === undefined) return undefined;
  return Math.max(total - (numberOr(audio?.bit_rate) ?? (audio ? 128_000 : 0)), Math.round(total / 2));
}

/** Video packets in decode order; with `hashes`, a CRC32 of each packet's bytes. */
export async function probePackets(tools: FfmpegBinaries, input: string, hashes: boolean): Promise<VideoPacket[]> {
  const entries = hashes ? 'packet=pts,dts,duration,flags,data_hash' : 'packet=pts,dts,duration,flags';
  const args = ['-v', 'error', '-select_streams', 'v:0', '-show_entries', entries, '-of', 'csv=p=0'];
  if (hashes) args.push('-show_data_hash', 'CRC32');
  const { stdout } = await runToolOrThrow(tools.ffprobe, [...args, input]);
  const packets: VideoPacket[] = [];
  for (const line of new TextDecoder().decode(stdout).split('\n')) {
    if (line.trim() === '') continue;
    const [pts, dts, duration, flags, hash] = line.split(',');
    packets.push({
      pts: Number(pts),
      dts: dts === 'N/A' ? Number(pts) : Number(dts),
      duration: Number(duration) || 0,
      keyframe: flags?.startsWith('K') ?? false,
      hash,
    });
  }
  return packets;
}

/** Display size: coded size stretched by the sample aspect ratio, then turned by the rotation (GB 45438 §5.4 measures the shown picture). */
export function displaySize(info: VideoStreamInfo): { width: number; height: number } {
  const [num, den] = info.sampleAspect;
  const stretchedWidth = Math.round((info.codedWidth * num) / den / 2) * 2;
  const turned = info.rotation === 90 || info.rotation === 270;
  return turned ? { width: info.codedHeight, height: stretchedWidth } : { width: stretchedWidth, height: info.codedHeight };
}
