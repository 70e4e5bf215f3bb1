import { resolve } from 'node:path';
import { LimitExceededError, UsageError, type WatermarkRequest } from '@aigc-label/core';
import { type FfmpegBinaries, runToolOrThrow, streamTool, timeoutForMedia } from '@aigc-label/ffmpeg';
import { encoderOptions } from '../explicit/bitstream.js';
import { fullEncoderArgs } from '../explicit/encoder.js';
import { probeMedia, type VideoStreamInfo } from '../explicit/probe.js';
import { rotationRemuxArgs } from '../explicit/render-args.js';
import { COPY_MS_PER_SECOND, ENCODE_MS_PER_SECOND, keyframeNals } from '../explicit/render-context.js';
import type { VideoWatermarkTools } from './capability.js';
import { requirePlanarFrameBytes, wholeFrames } from './frames.js';

export interface VideoWatermarkPaths {
  readonly input: string;
  /** Same container as the input. */
  readonly output: string;
  /** A private folder for intermediate files; the caller removes it. */
  readonly workDir: string;
}

export interface VideoWatermarkResult {
  /** Why nothing was written (frames too small); set alone. */
  readonly skipped?: string;
  readonly frames?: number;
  /** The lowest PSNR of a marked frame's luma, dB. */
  readonly minPsnr?: number;
  readonly encoder?: string;
}

const SUPPORTED_CODECS = new Set(['h264', 'hevc', 'vp9', 'vp8', 'mpeg4']);
/** Frames larger than 8K UHD are refused: each frame is held in memory while it is marked. */
const MAX_FRAME_PIXELS = 7680 * 4320;

/** Decodes the first video stream in coded orientation to raw frames of its own pixel format, one per decoded frame. */
function decodeArgs(input: string, info: VideoStreamInfo): string[] {
  return [
    '-v',
    'error',
    '-noautorotate',
    '-i',
    input,
    '-map',
    '0:v:0',
    '-vsync',
    'passthrough',
    '-f',
    'rawvideo',
    '-pix_fmt',
    info.pixelFormat,
    'pipe:1',
  ];
}

/**
 * Encodes the marked frames (raw, on stdin) with the source's codec family, profile and bit rate
 * target, and copies every other stream and the metadata from the source. Raw frames carry no
 * times: they are laid at the source's average frame rate (a variable-rate source is made constant).
 */
function encodeArgs(input: string, info: VideoStreamInfo, encoder: readonly string[], output: string): string[] {
  const [num, den] = info.frameRate;
  return [
    '-v',
    'error',
    '-y',
    '-f',
    'rawvideo',
    '-pix_fmt',
    info.pixelFormat,
    '-s',
    `${info.codedWidth}x${info.codedHeight}`,
    '-framerate',
    `${num}/${den}`,
    '-i',
    'pipe:0',
    '-i',
    input,
    '-map',
    '0:v:0',
    '-map',
    '1:a?',
    '-map',
    '1:s?',
    '-c:a',
    'copy',
    '-c:s',
    'copy',
    ...encoder,
    // Raw frames have no sample aspect ratio: an anamorphic source keeps its display shape.
    ...(info.sampleAspect[0] === info.sampleAspect[1]
      ? []
      : ['-aspect', `${info.codedWidth * info.sampleAspect[0]}:${info.codedHeight * info.sampleAspect[1]}`]),
    '-map_metadata',
    '1',
    '-map_chapters',
    '1',
    output,
  ];
}

/**
 * Marks every frame of a video with the image mark on its luma (the chroma planes are copied as
 * decoded), and re-encodes the video stream; audio and subtitles are copied. The tiles sit at the
 * same place in every frame, so a reader can average frames.
 */
export async function embedVideoWatermark(
  binaries: FfmpegBinaries,
  tools: VideoWatermarkTools,
  paths: VideoWatermarkPaths,
  request: WatermarkRequest,
): Promise<VideoWatermarkResult> {
  if (resolve(paths.input) === resolve(paths.output)) throw new UsageError('the output must be a different file from the input');
  const { info } = await probeMedia(binaries, paths.input, 'none');
  if (!SUPPORTED_CODECS.has(info.codec)) {
    throw new UsageError(
      `video: no encoder here re-encodes ${info.codec || 'this codec'} to carry a mark (H.264, H.265, VP8, VP9, MPEG-4 part 2)`,
    );
  }
  const { codedWidth: width, codedHeight: height } = info;
  if (!(width > 0 && height > 0) || width * height > MAX_FRAME_PIXELS) {
    throw new LimitExceededError(`video: a ${width}×${height} frame is outside 1 to ${MAX_FRAME_PIXELS} pixels`);
  }
  const shorter = Math.min(width, height);
  if (shorter < tools.minSide)
    return { skipped: `frames with a shorter side of ${shorter} px cannot hold the mark (at least ${tools.minSide} px)` };
  const frameBytes = requirePlanarFrameBytes(info.pixelFormat, width, height);
  const sourceEncoder = info.codec === 'h264' ? 'x264' : 'x265';
  const sourceOptions =
    info.codec === 'h264' || info.codec === 'hevc'
      ? encoderOptions(await keyframeNals(binaries, paths.input, info, info.startTime), sourceEncoder)
      : undefined;
  const encoder = fullEncoderArgs(info, sourceOptions);
  let frames = 0;
  let minPsnr = Number.POSITIVE_INFINITY;
  const timeoutMs = timeoutForMedia(info.duration, ENCODE_MS_PER_SECOND);
  const decoded = streamTool(binaries.ffmpeg, decodeArgs(paths.input, info), { timeoutMs });
  async function* marked(): AsyncGenerator<Uint8Array> {
    for await (const frame of wholeFrames(decoded, frameBytes)) {
      const luma = frame.subarray(0, width * height);
      const result = tools.markFrame({ data: luma, width, height, channels: 1 }, request.payload, request.key);
      frame.set(result.data, 0);
      minPsnr = Math.min(minPsnr, result.psnr);
      frames++;
      yield frame;
    }
  }
  const extension = /\.[^./]+$/.exec(paths.output)?.[0] ?? '.mp4';
  const encoded = info.rotation === 0 ? paths.output : `${paths.workDir}/marked${extension}`;
  await runToolOrThrow(binaries.ffmpeg, encodeArgs(paths.input, info, encoder.args, encoded), { stdin: marked(), timeoutMs });
  if (encoded !== paths.output) {
    await runToolOrThrow(binaries.ffmpeg, rotationRemuxArgs(info, encoded, paths.output), {
      timeoutMs: timeoutForMedia(info.duration, COPY_MS_PER_SECOND),
    });
  }
  return { frames, minPsnr, encoder: encoder.description };
}
