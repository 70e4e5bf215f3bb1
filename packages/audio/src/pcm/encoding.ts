/**
 * Chooses ffmpeg output options that re-create the source's format: same container, codec,
 * sample rate and channel layout; lossless stays lossless at the same bit depth; lossy codecs
 * get a bit rate no lower than the source's.
 */
import { UnsupportedFormatError } from '@aigc-label/core';
import type { AudioStreamInfo } from './ffmpeg.js';

interface LossyCodec {
  readonly encoder: string;
  /** Used when the source's bit rate is unknown (bit/s). */
  readonly fallbackBitRate: number;
  /** Extra encoder options (name, value pairs) that make it honour the bit rate as a floor rather than an average. */
  readonly rateOptions: readonly string[];
}

const LOSSY: Readonly<Record<string, LossyCodec>> = {
  mp3: { encoder: 'libmp3lame', fallbackBitRate: 192_000, rateOptions: [] },
  aac: { encoder: 'aac', fallbackBitRate: 192_000, rateOptions: [] },
  // Hard CBR: Opus' default VBR spends far fewer bits on a tone than the target.
  opus: { encoder: 'libopus', fallbackBitRate: 128_000, rateOptions: ['-vbr', 'off'] },
  vorbis: { encoder: 'libvorbis', fallbackBitRate: 160_000, rateOptions: [] },
};

const LOSSLESS = new Set(['flac', 'alac', 'wavpack', 'tta']);

/** The muxer for a probed container; ISO-BMFF keeps its M4A brand. */
export function muxerFor(info: AudioStreamInfo): string {
  const container = info.container.split(',')[0] ?? '';
  if (container === 'mov') return info.majorBrand?.trim() === 'M4A' ? 'ipod' : 'mp4';
  if (container === 'matroska') return info.codec === 'opus' || info.codec === 'vorbis' ? 'webm' : 'matroska';
  if (['wav', 'mp3', 'flac', 'ogg', 'aiff', 'w64', 'caf', 'adts', 'wv', 'tta'].includes(container)) return container;
  if (container === 'aac') return 'adts';
  throw new UnsupportedFormatError(`container ${info.container} is not supported for explicit audio labels`);
}

/** Rounds a bit rate up to whole kbit/s so the encoder is never asked for less than the source. */
const kbitCeil = (bitsPerSecond: number): string => `${Math.ceil(bitsPerSecond / 1000)}k`;

/**
 * ffmpeg output options (codec, rate, layout, muxer) that reproduce the probed source's format,
 * for the new audio stream at output index `stream` (other streams are copied).
 */
export function outputOptionsFor(info: AudioStreamInfo, stream = 0): string[] {
  const muxer = muxerFor(info);
  const s = `:${stream}`;
  const options = [`-ar${s}`, String(info.sampleRate), `-ac${s}`, String(info.channels)];
  if (info.channelLayout) options.push(`-channel_layout${s}`, info.channelLayout);
  const lossy = LOSSY[info.codec];
  if (lossy) {
    options.push(`-c${s}`, lossy.encoder, `-b${s}`, kbitCeil(info.bitRate ?? lossy.fallbackBitRate));
    for (let i = 0; i < lossy.rateOptions.length; i += 2) options.push(`${lossy.rateOptions[i]}${s}`, lossy.rateOptions[i + 1]!);
  } else if (info.codec.startsWith('pcm_')) {
    options.push(`-c${s}`, info.codec);
  } else if (info.codec === 'flac') {
    // The FLAC encoder writes 24-bit samples from s32 input only when told the raw depth.
    const bits = info.bitsPerSample ?? 16;
    options.push(`-c${s}`, 'flac', `-sample_fmt${s}`, bits > 16 ? 's32' : 's16');
    if (bits > 16) options.push(`-bits_per_raw_sample${s}`, String(bits));
  } else if (LOSSLESS.has(info.codec)) {
    options.push(`-c${s}`, info.codec);
    if (info.sampleFormat) options.push(`-sample_fmt${s}`, info.sampleFormat);
  } else {
    throw new UnsupportedFormatError(`audio codec ${info.codec} is not supported for explicit audio labels`);
  }
  // Keep custom ISO-BMFF metadata keys (the mdta `AIGC` key) when metadata is copied.
  if (muxer === 'mp4' || muxer === 'ipod') options.push('-movflags', 'use_metadata_tags');
  // Past 4 GB a RIFF size no longer fits; the muxer then writes RF64 (EBU Tech 3306) instead.
  if (muxer === 'wav') options.push('-rf64', 'auto');
  options.push('-f', muxer);
  return options;
}
