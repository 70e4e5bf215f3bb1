import { MalformedInputError } from '@aigc-label/core';
import { type FfmpegBinaries, streamTool } from '@aigc-label/ffmpeg';
import { probeMedia } from '../explicit/probe.js';
import type { VideoFrameReader, VideoWatermarkTools } from './capability.js';
import { wholeFrames } from './frames.js';

/** Frames are scaled (area averaging) so their shorter side is at most this: the image detector's working plane, so it resamples nothing. */
const READ_SHORT_SIDE = 320;
/** Frames read one by one when their average does not decode (first, middle and last seconds): each costs one image reading. */
const FRAMES_READ_ALONE = 3;
/** Keyframes read at most per window. */
const FRAMES_PER_WINDOW = 12;
/** Up to this length the whole clip's keyframes are read in one pass; longer clips are read at the start, the middle and the end. */
const ONE_PASS_SECONDS = 180;

/** Even dimensions no larger than the frame with the shorter side at most READ_SHORT_SIDE. */
function readSize(width: number, height: number): { width: number; height: number } {
  const scale = Math.min(1, READ_SHORT_SIDE / Math.min(width, height));
  const even = (n: number) => Math.max(2, 2 * Math.round((n * scale) / 2));
  return scale === 1 ? { width, height } : { width: even(width), height: even(height) };
}

/** Fewer keyframes than this (a piece cut between keyframes, a long GOP) and frames one second apart are decoded too. */
const MIN_KEYFRAMES = 3;
const SAMPLED_FRAMES = 8;

/**
 * Keyframes only (the demuxer drops the other packets, so they are never decoded), or with
 * `everySecond` one frame a second from the start (every frame decoded), in coded orientation, as
 * grey frames of `size`.
 */
function frameArgs(
  input: string,
  seek: number | undefined,
  frames: number,
  size: { width: number; height: number },
  everySecond = false,
): string[] {
  const scale = `scale=${size.width}:${size.height}:flags=area,format=gray`;
  return [
    '-v',
    'error',
    // `-discard nokey`: the demuxer drops what the container does not mark as a keyframe (the
    // decoder no longer parses every packet: 0.43 s instead of 0.71 s for a minute of 1080p), and
    // `-skip_frame nokey` skips what is not one after all. A container that marks none falls back
    // to frames one second apart (MIN_KEYFRAMES).
    ...(everySecond ? [] : ['-discard', 'nokey', '-skip_frame', 'nokey']),
    '-noautorotate',
    ...(seek === undefined ? [] : ['-ss', seek.toFixed(3)]),
    '-i',
    input,
    '-map',
    '0:v:0',
    '-vf',
    everySecond ? `select=isnan(prev_selected_t)+gte(t-prev_selected_t\\,1),${scale}` : scale,
    '-vsync',
    'passthrough',
    '-frames:v',
    String(frames),
    '-f',
    'rawvideo',
    'pipe:1',
  ];
}

/** Adds the window's frames to the reader; how many there were. */
async function readWindow(binaries: FfmpegBinaries, args: string[], size: { width: number; height: number }, reader: VideoFrameReader) {
  let frames = 0;
  for await (const frame of wholeFrames(streamTool(binaries.ffmpeg, args), size.width * size.height)) {
    reader.addFrame({ data: frame, width: size.width, height: size.height, channels: 1 });
    frames++;
  }
  return frames;
}

/**
 * Reads the video mark from keyframes: every keyframe of a clip up to three minutes (at most
 * 12), or 12 each from the start, the middle and the end of a longer one. Keyframes decode on
 * their own, so no other frame is decoded; they are also the frames an encoder spends most on.
 * With fewer than three keyframes, eight frames one second apart from the start are added.
 */
export async function detectVideoWatermark(binaries: FfmpegBinaries, tools: VideoWatermarkTools, input: string, key: string | undefined) {
  const { info } = await probeMedia(binaries, input, 'none');
  if (!(info.codedWidth > 0 && info.codedHeight > 0)) throw new MalformedInputError('video', 'the video stream has no frame size');
  const size = readSize(info.codedWidth, info.codedHeight);
  const reader = tools.frameReader(key, FRAMES_READ_ALONE);
  const starts =
    info.duration <= ONE_PASS_SECONDS ? [undefined] : [0, info.duration / 2, info.duration - 60].map((s) => info.startTime + s);
  let frames = 0;
  for (const start of starts) frames += await readWindow(binaries, frameArgs(input, start, FRAMES_PER_WINDOW, size), size, reader);
  // A piece cut by stream copy may hold no keyframe of its own (its first is pre-roll, hidden by an edit list).
  if (frames < MIN_KEYFRAMES) frames += await readWindow(binaries, frameArgs(input, undefined, SAMPLED_FRAMES, size, true), size, reader);
  return frames === 0 ? null : reader.result();
}
