/**
 * The ffmpeg bridge for explicit (audible) labels: decode any input to raw float PCM on a
 * pipe, encode raw float PCM from a pipe, and probe a file's streams, through the toolkit's one
 * process runner (@aigc-label/ffmpeg: no shell, a time limit per call, stderr tails in errors).
 * Files are handed to ffmpeg as paths; this package never opens them itself.
 */
import { MalformedInputError, UsageError } from '@aigc-label/core';
import { DEFAULT_TIMEOUT_MS, ffmpegPath, ffprobeJson, ffprobePath, runToolOrThrow, streamTool } from '@aigc-label/ffmpeg';

export { ffmpegPath, ffprobePath };

/** An audio (or audio-bearing) file: a path ffmpeg can open, or its bytes (piped to ffmpeg's stdin). */
export type AudioInput = { readonly path: string } | Uint8Array;

export interface AudioStreamInfo {
  /** The container as ffprobe names it, e.g. `wav`, `mp3`, `flac`, `ogg`, `mov,mp4,m4a,3gp,3g2,mj2`, `matroska,webm`. */
  readonly container: string;
  /** The file's major brand for ISO-BMFF (`M4A `, `isom`...), else undefined. */
  readonly majorBrand?: string | undefined;
  readonly codec: string;
  readonly sampleRate: number;
  readonly channels: number;
  /** ffmpeg's channel layout name (`mono`, `stereo`, `5.1`...), when known. */
  readonly channelLayout?: string | undefined;
  /** ffmpeg's sample format of the decoder output (`s16`, `s32`, `fltp`...). */
  readonly sampleFormat?: string | undefined;
  /** Bits per raw sample for lossless codecs (16, 24, 32), when known. */
  readonly bitsPerSample?: number | undefined;
  /** Stream bit rate in bit/s, or the container's when the stream has none; undefined when unknown. */
  readonly bitRate?: number | undefined;
  readonly durationSeconds?: number | undefined;
  /** Whether the file also holds a video stream (cover art counts). */
  readonly hasVideo: boolean;
}

const positive = (value: unknown): number | undefined => {
  const n = typeof value === 'string' ? Number(value) : typeof value === 'number' ? value : Number.NaN;
  return Number.isFinite(n) && n > 0 ? n : undefined;
};

/** Probes the first audio stream of a file with ffprobe. */
export async function probeAudio(path: string): Promise<AudioStreamInfo> {
  const data = await ffprobeJson(ffprobePath(), ['-show_streams', '-show_format', path], {
    failure: (tail) => new MalformedInputError('audio', `ffprobe cannot read the input: ${tail || 'unknown error'}`),
  });
  const audio = data.streams.find((stream) => stream.codec_type === 'audio');
  if (!audio?.codec_name || !audio.sample_rate || !audio.channels) {
    throw new MalformedInputError('audio', 'the input has no decodable audio stream');
  }
  const brand = data.format.tags?.major_brand;
  return {
    container: data.format.format_name ?? '',
    majorBrand: brand,
    codec: audio.codec_name,
    sampleRate: Number(audio.sample_rate),
    channels: audio.channels,
    channelLayout: audio.channel_layout && audio.channel_layout !== 'unknown' ? audio.channel_layout : undefined,
    sampleFormat: audio.sample_fmt,
    bitsPerSample: positive(audio.bits_per_raw_sample) ?? positive(audio.bits_per_sample),
    bitRate: positive(audio.bit_rate) ?? positive(data.format.bit_rate),
    durationSeconds: positive(audio.duration) ?? positive(data.format.duration),
    hasVideo: data.streams.some((stream) => stream.codec_type === 'video'),
  };
}

export interface PcmFormat {
  readonly sampleRate: number;
  readonly channels: number;
}

/** Reassembles float32 samples from byte chunks that may split a sample. */
export class Float32Assembler {
  private carry = new Uint8Array(0);

  push(chunk: Uint8Array): Float32Array {
    let bytes = chunk;
    if (this.carry.length > 0) {
      bytes = new Uint8Array(this.carry.length + chunk.length);
      bytes.set(this.carry);
      bytes.set(chunk, this.carry.length);
    }
    const usable = bytes.length - (bytes.length % 4);
    this.carry = bytes.slice(usable);
    // Copy into a fresh, aligned buffer: pipe chunks start at arbitrary byte offsets.
    const aligned = new Uint8Array(usable);
    aligned.set(bytes.subarray(0, usable));
    return new Float32Array(aligned.buffer);
  }
}

/**
 * Decodes the first audio stream to interleaved float32 PCM at the given rate and channel count,
 * streamed from ffmpeg's stdout: memory stays bounded whatever the input's length. ffmpeg is
 * killed when the consumer stops early.
 */
export function decodePcm(input: AudioInput, format: PcmFormat): AsyncGenerator<Float32Array> {
  return decodePcmWithin(input, format, DEFAULT_TIMEOUT_MS);
}

/** {@link decodePcm} with its own time limit, for a decode as long as the media (the relabel pipeline). */
export async function* decodePcmWithin(input: AudioInput, format: PcmFormat, timeoutMs: number): AsyncGenerator<Float32Array> {
  const bytes = input instanceof Uint8Array;
  const args = ['-i', bytes ? 'pipe:0' : input.path];
  args.push('-acodec', 'pcm_f32le', '-ar', String(format.sampleRate), '-ac', String(format.channels), '-vn', '-f', 'f32le', 'pipe:1');
  const assembler = new Float32Assembler();
  const stdout = streamTool(ffmpegPath(), args, {
    ...(bytes ? { stdin: input } : {}),
    timeoutMs,
    failure: (tail, code) => new MalformedInputError('audio', `ffmpeg cannot decode the input: ${tail || `exit code ${code}`}`),
  });
  for await (const chunk of stdout) {
    const samples = assembler.push(chunk);
    if (samples.length > 0) yield samples;
  }
}

/** Decodes a whole (short) input into one interleaved buffer. Only for clips such as voice prompts. */
export async function decodePcmWhole(input: AudioInput, format: PcmFormat, maxSeconds = 120): Promise<Float32Array> {
  const parts: Float32Array[] = [];
  let length = 0;
  const limit = Math.ceil(maxSeconds * format.sampleRate * format.channels);
  for await (const part of decodePcm(input, format)) {
    length += part.length;
    if (length > limit) throw new UsageError(`clip is longer than ${maxSeconds} s`);
    parts.push(part);
  }
  const whole = new Float32Array(length);
  let offset = 0;
  for (const part of parts) {
    whole.set(part, offset);
    offset += part.length;
  }
  return whole;
}

export interface EncodeTarget extends PcmFormat {
  readonly channelLayout?: string | undefined;
  readonly output: string;
  /** ffmpeg output options chosen by the caller (codec, bitrate, muxer). */
  readonly outputOptions: readonly string[];
  /** A file whose metadata (and cover art when `copyVideo` is set) is copied to the output. */
  readonly metadataFrom?: string;
  readonly copyVideo?: boolean;
  /** Time limit of the encode; default the runner's. */
  readonly timeoutMs?: number;
}

/** Encodes interleaved float32 PCM, pulled from an async iterable as ffmpeg reads it, into a file through ffmpeg's stdin. */
export async function encodePcm(pcm: AsyncIterable<Float32Array>, target: EncodeTarget): Promise<void> {
  async function* bytes(): AsyncGenerator<Uint8Array> {
    for await (const samples of pcm) yield new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength);
  }
  const inputs = ['-f', 'f32le', '-ar', String(target.sampleRate), '-ac', String(target.channels)];
  if (target.channelLayout) inputs.push('-channel_layout', target.channelLayout);
  inputs.push('-i', 'pipe:0');
  const maps = ['-map', '0:a'];
  if (target.metadataFrom !== undefined) {
    inputs.push('-i', target.metadataFrom);
    // Global tags, and the audio stream's own (Ogg and FLAC keep Vorbis comments there).
    maps.push('-map_metadata', '1', '-map_metadata:s:a:0', '1:s:a:0');
    if (target.copyVideo) maps.push('-map', '1:v?', '-c:v', 'copy');
  }
  await runToolOrThrow(ffmpegPath(), [...inputs, '-y', ...maps, ...target.outputOptions, target.output], {
    stdin: bytes(),
    timeoutMs: target.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    failure: (tail, code) => new MalformedInputError('audio', `ffmpeg cannot encode the output: ${tail || `exit code ${code}`}`),
  });
}
