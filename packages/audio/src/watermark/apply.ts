import { resolve } from 'node:path';
import { UsageError } from '@aigc-label/core';
import { timeoutForMedia } from '@aigc-label/ffmpeg';
import { muxerFor } from '../pcm/encoding.js';
import { type AudioStreamInfo, probeAudio } from '../pcm/ffmpeg.js';
import { type ExplicitLabelPaths, reencodeAudio } from '../pcm/relabel.js';
import type { WatermarkEmbedOptions } from './embed.js';
import { watermarkPcm } from './stream.js';

export interface AudioWatermarkResult {
  /** The source's probed format, which the output reproduces (codec, rate, layout, bit rate). */
  readonly source: AudioStreamInfo;
}

/**
 * Marks an audio file: decoded at its own rate and layout, marked, and encoded back to the same
 * codec, rate, channel layout and bit rate through the same path as the audible labels, with its
 * metadata and cover art copied.
 */
export async function applyAudioWatermark(
  paths: ExplicitLabelPaths,
  payload: Uint8Array,
  options: WatermarkEmbedOptions = {},
): Promise<AudioWatermarkResult> {
  if (resolve(paths.input) === resolve(paths.output)) throw new UsageError('the output must be a different file from the input');
  const source = await probeAudio(paths.input);
  muxerFor(source); // refuses unsupported formats before any work
  const format = { sampleRate: source.sampleRate, channels: source.channels };
  const timeoutMs = timeoutForMedia(source.durationSeconds ?? 0, 2_000);
  await reencodeAudio(paths, source, timeoutMs, (pcm) => watermarkPcm(pcm, format, payload, options));
  return { source };
}
