/**
 * The ffmpeg bridge for explicit (audible) labels: decode any input to raw float PCM on a
 * pipe, encode raw float PCM from a pipe, and probe a file's streams, through the toolkit's one
 * process runner (@aigc-label/ffmpeg: no shell, a time limit per call, stderr tails in errors).
 * Files are handed to ffmpeg as paths; this package never opens them itself.
 */
import { MalformedInputError, UsageError } from '@aigc-label/core';
import {
  DEFAULT_TIMEOUT_MS,
  type FfprobeStream,
  ffmpegPath,
  ffprobeJson,
  ffprobePath,
  runToolOrThrow,
  streamTool,
} from '@aigc-label/ffmpeg';

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
  /** The index of the audio stream described here, among `streams`. */
  readonly audioIndex: number;
  /** Every stream of the file, as ffprobe lists them (cover art, other tracks, subtitles, data). */
  readonly streams: readonly FfprobeStream[];
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
    audioIndex: audio.index ?? data.streams.indexOf(audio),
    streams: data.streams,
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
  /** ffmpeg output options chosen by the caller for the new audio stream (codec, bit rate) and the muxer. */
  readonly outputOptions: readonly string[];
  /**
   * The source file: the new audio takes the place of its `source.audioIndex` stream, and every
   * other stream the muxer can hold (cover art, other audio tracks, subtitles, data) is copied
   * with its disposition and metadata, as are the file's global tags.
   */
  readonly keepFrom?: {
    readonly path: string;
    readonly source: AudioStreamInfo;
    readonly muxer: string;
    /** The source's tags are put back on the output afterwards (keep-tags.ts), cover art with them. */
    readonly tagsPutBack?: boolean;
  };
  /** Time limit of the encode; default the runner's. */
  readonly timeoutMs?: number;
}

/** Muxers that take audio streams only; attached pictures in such files live in their tags (ID3 chunk, METADATA_BLOCK_PICTURE). */
const AUDIO_ONLY_MUXERS = new Set(['wav', 'ogg', 'w64', 'aiff', 'caf', 'adts', 'wv', 'tta']);
/** Muxers whose files keep cover art in their tags (ISO-BMFF `covr`, FLAC PICTURE, ID3 APIC); the tags are put back whole after the encode (keep-tags.ts). */
const TAGGED_COVER_MUXERS = new Set(['mp4', 'ipod', 'flac', 'mp3']);

/** Whether `stream` is copied: not when the muxer cannot take it, nor cover art whose tags are put back afterwards. */
function copyable(stream: FfprobeStream, muxer: string, tagsPutBack: boolean): boolean {
  if (AUDIO_ONLY_MUXERS.has(muxer)) return stream.codec_type === 'audio';
  return !(tagsPutBack && TAGGED_COVER_MUXERS.has(muxer) && stream.disposition?.attached_pic === 1);
}

/**
 * The output streams in the source's order: `0:a:0` (the new audio, from the pipe) where the
 * replaced stream was, `1:<index>` for each stream kept. Returns the maps and the new audio's
 * output index.
 */
export function streamMaps(source: AudioStreamInfo, muxer: string, tagsPutBack = false): { maps: string[]; audioOutput: number } {
  const maps: string[] = [];
  let audioOutput = 0;
  let output = 0;
  for (const [position, stream] of source.streams.entries()) {
    const index = stream.index ?? position;
    if (index === source.audioIndex) {
      maps.push('-map', '0:a:0');
      audioOutput = output;
    } else if (copyable(stream, muxer, tagsPutBack)) maps.push('-map', `1:${index}`);
    else continue;
    // Naming any stream's metadata turns ffmpeg's automatic copy off for all of them: each is named.
    maps.push(`-map_metadata:s:${output}`, `1:s:${index}`);
    output++;
  }
  return { maps, audioOutput };
}

/** The disposition flags ffprobe reports set on a stream, as ffmpeg's `-disposition` value (`0` for none). */
const dispositionOf = (stream: FfprobeStream | undefined): string =>
  Object.entries(stream?.disposition ?? {})
    .filter(([, set]) => set === 1)
    .map(([flag]) => flag)
    .join('+') || '0';

/** Encodes interleaved float32 PCM, pulled from an async iterable as ffmpeg reads it, into a file through ffmpeg's stdin. */
export async function encodePcm(pcm: AsyncIterable<Float32Array>, target: EncodeTarget): Promise<void> {
  async function* bytes(): AsyncGenerator<Uint8Array> {
    for await (const samples of pcm) yield new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength);
  }
  const inputs = ['-f', 'f32le', '-ar', String(target.sampleRate), '-ac', String(target.channels)];
  if (target.channelLayout) inputs.push('-channel_layout', target.channelLayout);
  inputs.push('-i', 'pipe:0');
  let maps = ['-map', '0:a'];
  if (target.keepFrom) {
    const { path, source, muxer, tagsPutBack } = target.keepFrom;
    inputs.push('-i', path);
    const kept = streamMaps(source, muxer, tagsPutBack);
    const audio = source.streams.find((s, i) => (s.index ?? i) === source.audioIndex);
    // Streams are copied with their tags; global tags go along, and the replaced stream's tags
    // (Ogg and FLAC keep Vorbis comments there) and disposition go to the new audio stream.
    maps = [...kept.maps, '-c', 'copy', '-map_metadata', '1', `-disposition:${kept.audioOutput}`, dispositionOf(audio)];
  }
  await runToolOrThrow(ffmpegPath(), [...inputs, '-y', ...maps, ...target.outputOptions, target.output], {
    stdin: bytes(),
    timeoutMs: target.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    failure: (tail, code) => new MalformedInputError('audio', `ffmpeg cannot encode the output: ${tail || `exit code ${code}`}`),
  });
}
