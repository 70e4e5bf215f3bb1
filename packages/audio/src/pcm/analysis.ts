/**
 * Mono PCM at the rate a detector needs, from whatever the caller has: a ByteSource is decoded
 * in this process when its codec allows (WAV, MP3, FLAC, Ogg Vorbis, Ogg Opus: no process to
 * start, which is most of the cost for short clips); everything else, and a plain path or bytes,
 * goes through ffmpeg (AAC/M4A, video sound tracks, codecs with no decoder here).
 */
import { type ByteSource, readAll } from '@aigc-label/core';
import { type AudioInput, decodePcm } from './ffmpeg.js';
import { decodeMonoInProcess, inProcessCodec } from './in-process.js';

/** What a search reads: a path or bytes for ffmpeg, or a ByteSource (with its path when it is a file). */
export type AnalysisInput = AudioInput | { readonly source: ByteSource; readonly path?: string | undefined };

/** Streams mono float PCM at `sampleRate`. Memory stays flat whatever the input's length. */
export async function* analysisPcm(input: AnalysisInput, sampleRate: number): AsyncGenerator<Float32Array> {
  let fallback: AudioInput;
  if (input instanceof Uint8Array || !('source' in input)) fallback = input;
  else {
    const found = await inProcessCodec(input.source);
    if (found) {
      yield* decodeMonoInProcess(input.source, found, sampleRate);
      return;
    }
    fallback = input.path !== undefined ? { path: input.path } : await readAll(input.source, 'audio');
  }
  yield* decodePcm(fallback, { sampleRate, channels: 1 });
}
