/**
 * The ffmpeg bridge for explicit (audible) labels: decode any input to raw float PCM on a
 * pipe, encode raw float PCM from a pipe, and probe a file's streams. ffmpeg and ffprobe come
 * from npm (@ffmpeg-installer, @ffprobe-installer) and are driven through fluent-ffmpeg.
 * Files are handed to ffmpeg as paths; this package never opens them itself.
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { PassThrough, Readable } from 'node:stream';
import { MalformedInputError, UsageError } from '@aigc-label/core';
import type Ffmpeg from 'fluent-ffmpeg';

// Loaded on first use: a metadata-only run (a batch worker labeling thousands of files) never
// starts ffmpeg and should not pay for loading its wrappers.
const require = createRequire(import.meta.url);
const ffmpeg = (...args: Parameters<typeof Ffmpeg>) => (require('fluent-ffmpeg') as typeof Ffmpeg)(...args);

/** An audio (or audio-bearing) file: a path ffmpeg can open, or its bytes (piped to ffmpeg's stdin). */
export type AudioInput = { readonly path: string } | Uint8Array;

/** The ffmpeg executable from npm (@ffmpeg-installer). */
export const ffmpegPath = (): string => (require('@ffmpeg-installer/ffmpeg') as { path: string }).path;
/** The ffprobe executable from npm (@ffprobe-installer). */
export const ffprobePath = (): string => (require('@ffprobe-installer/ffprobe') as { path: string }).path;

let probeReady = false;
/** @ffprobe-installer ships its binary as mode 0644 when its postinstall did not run; make it executable once. */
function ensureFfprobeExecutable(): void {
  if (probeReady) return;
  try {
    execFileSync(ffprobePath(), ['-version'], { stdio: 'ignore' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EACCES') throw error;
    execFileSync('chmod', ['u+x', ffprobePath()]);
  }
  probeReady = true;
}

/** The last meaningful line of ffmpeg's stderr: the cause, without the banner. */
function lastErrorLine(stderr: string | null | undefined, fallback: string): string {
  const lines = (stderr ?? '')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0 && !line.startsWith('Fontconfig'));
  return lines.at(-1) ?? fallback;
}

function inputFor(input: AudioInput): string | Readable {
  return input instanceof Uint8Array ? Readable.from([input], { objectMode: false }) : input.path;
}

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
export function probeAudio(path: string): Promise<AudioStreamInfo> {
  ensureFfprobeExecutable();
  return new Promise((resolve, reject) => {
    ffmpeg(path)
      .setFfprobePath(ffprobePath())
      .ffprobe((error, data) => {
        if (error) {
          reject(
            new MalformedInputError('audio', `ffprobe cannot read the input: ${lastErrorLine(String(error.message), 'unknown error')}`),
          );
          return;
        }
        const audio = data.streams.find((stream) => stream.codec_type === 'audio');
        if (!audio?.codec_name || !audio.sample_rate || !audio.channels) {
          reject(new MalformedInputError('audio', 'the input has no decodable audio stream'));
          return;
        }
        const tags = (data.format.tags ?? {}) as Record<string, unknown>;
        const brand = typeof tags.major_brand === 'string' ? tags.major_brand : undefined;
        resolve({
          container: String(data.format.format_name ?? ''),
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
        });
      });
  });
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
 * streamed from ffmpeg's stdout: memory stays bounded whatever the input's length.
 */
export async function* decodePcm(input: AudioInput, format: PcmFormat): AsyncGenerator<Float32Array> {
  const output = new PassThrough();
  let failure: Error | undefined;
  let finished = false;
  const command = ffmpeg(inputFor(input))
    .setFfmpegPath(ffmpegPath())
    .noVideo()
    .audioCodec('pcm_f32le')
    .audioFrequency(format.sampleRate)
    .audioChannels(format.channels)
    .format('f32le')
    .on('error', (error: Error, _stdout: string | null, stderr: string | null) => {
      if (finished) return;
      failure = new MalformedInputError('audio', `ffmpeg cannot decode the input: ${lastErrorLine(stderr, error.message)}`);
      output.destroy(failure);
    })
    .on('end', () => {
      finished = true;
    });
  command.pipe(output, { end: true });
  const assembler = new Float32Assembler();
  try {
    for await (const chunk of output) {
      const samples = assembler.push(chunk as Uint8Array);
      if (samples.length > 0) yield samples;
    }
  } catch (error) {
    throw failure ?? error;
  } finally {
    if (!finished) {
      finished = true;
      command.kill('SIGKILL');
    }
  }
  if (failure) throw failure;
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
  /** A file whose metadata (and cover art when `copyVideoFrom` is set) is copied to the output. */
  readonly metadataFrom?: string;
  readonly copyVideo?: boolean;
}

/** Encodes interleaved float32 PCM, pulled from an async iterable, into a file through ffmpeg's stdin. */
export function encodePcm(pcm: AsyncIterable<Float32Array>, target: EncodeTarget): Promise<void> {
  async function* bytes(): AsyncGenerator<Uint8Array> {
    for await (const samples of pcm) yield new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength);
  }
  const source = Readable.from(bytes(), { objectMode: false });
  return new Promise((resolve, reject) => {
    let settled = false;
    const inputOptions = ['-ar', String(target.sampleRate), '-ac', String(target.channels)];
    if (target.channelLayout) inputOptions.push('-channel_layout', target.channelLayout);
    const command = ffmpeg().setFfmpegPath(ffmpegPath()).input(source).inputFormat('f32le').inputOptions(inputOptions);
    const maps = ['-map', '0:a'];
    if (target.metadataFrom !== undefined) {
      command.input(target.metadataFrom);
      // Global tags, and the audio stream's own (Ogg and FLAC keep Vorbis comments there).
      maps.push('-map_metadata', '1', '-map_metadata:s:a:0', '1:s:a:0');
      if (target.copyVideo) maps.push('-map', '1:v?', '-c:v', 'copy');
    }
    source.on('error', (error) => {
      if (settled) return;
      settled = true;
      command.kill('SIGKILL');
      reject(error);
    });
    command
      .outputOptions([...maps, ...target.outputOptions])
      .output(target.output)
      .on('error', (error: Error, _stdout: string | null, stderr: string | null) => {
        if (settled) return;
        settled = true;
        reject(new MalformedInputError('audio', `ffmpeg cannot encode the output: ${lastErrorLine(stderr, error.message)}`));
      })
      .on('end', () => {
        if (settled) return;
        settled = true;
        resolve();
      })
      .run();
  });
}
