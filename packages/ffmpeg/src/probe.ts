import { ExternalToolError } from '@aigc-label/core';
import { type FailureOptions, runToolOrThrow, type ToolInputs } from './run.js';

/**
 * One stream as `ffprobe -of json -show_streams` prints it. ffprobe prints rates, bit rates,
 * durations and times as strings, counts and sizes as numbers; fields it does not know are absent.
 */
export interface FfprobeStream {
  readonly index?: number;
  readonly codec_type?: string;
  readonly codec_name?: string;
  /** The container's FourCC for the codec, e.g. `XVID`, `avc1`, `[0][0][0][0]` when it has none. */
  readonly codec_tag_string?: string;
  readonly profile?: string;
  /** 40 for H.264 level 4.0, 120 for H.265 level 4.0. */
  readonly level?: number;
  readonly width?: number;
  readonly height?: number;
  readonly pix_fmt?: string;
  readonly sample_aspect_ratio?: string;
  readonly color_range?: string;
  readonly color_space?: string;
  readonly color_transfer?: string;
  readonly color_primaries?: string;
  readonly field_order?: string;
  readonly has_b_frames?: number;
  readonly avg_frame_rate?: string;
  readonly r_frame_rate?: string;
  readonly time_base?: string;
  readonly sample_fmt?: string;
  readonly sample_rate?: string;
  readonly channels?: number;
  readonly channel_layout?: string;
  readonly bits_per_sample?: number;
  readonly bits_per_raw_sample?: string;
  readonly bit_rate?: string;
  readonly start_time?: string;
  readonly duration?: string;
  readonly disposition?: Readonly<Record<string, number>>;
  readonly tags?: Readonly<Record<string, string>>;
  readonly side_data_list?: readonly { readonly side_data_type?: string; readonly rotation?: number }[];
}

/** The container as `ffprobe -of json -show_format` prints it. */
export interface FfprobeFormat {
  /** e.g. `wav`, `mov,mp4,m4a,3gp,3g2,mj2`, `matroska,webm`. */
  readonly format_name?: string;
  readonly start_time?: string;
  readonly duration?: string;
  readonly bit_rate?: string;
  readonly tags?: Readonly<Record<string, string>>;
}

/** One packet as `-show_entries packet=…` prints it; timestamps in the stream's time base, absent when unknown. */
export interface FfprobePacket {
  readonly stream_index?: number;
  readonly pts?: number;
  readonly dts?: number;
  readonly duration?: number;
  /** `K` keyframe, `D` discard (outside the edit list), `C` corrupt; `_` where a flag is unset. */
  readonly flags?: string;
  /** With `-show_data_hash CRC32`: `CRC32:0568d1f4`. */
  readonly data_hash?: string;
}

export interface FfprobeOutput {
  readonly streams: readonly FfprobeStream[];
  readonly format: FfprobeFormat;
  /** Only when the arguments ask for packets. */
  readonly packets: readonly FfprobePacket[];
}

/**
 * Runs ffprobe with `-v error -of json` and the given arguments (sections to show, then the
 * input) and returns its output typed; sections not asked for are empty.
 */
export async function ffprobeJson(
  ffprobe: string,
  args: readonly string[],
  options: ToolInputs & FailureOptions = {},
): Promise<FfprobeOutput> {
  const { stdout } = await runToolOrThrow(ffprobe, ['-v', 'error', '-of', 'json', ...args], options);
  let json: { streams?: FfprobeStream[]; format?: FfprobeFormat; packets?: FfprobePacket[] };
  try {
    json = JSON.parse(new TextDecoder().decode(stdout)) as typeof json;
  } catch {
    throw new ExternalToolError('ffprobe printed no JSON');
  }
  return { streams: json.streams ?? [], format: json.format ?? {}, packets: json.packets ?? [] };
}
