/**
 * Decoding in this process, without starting ffmpeg: WAV samples are read directly, MP3 goes
 * through mpg123, FLAC through libFLAC, Ogg Vorbis through libvorbis and Ogg Opus through libopus,
 * each compiled to WebAssembly (the MIT-licensed wasm-audio-decoders packages, loaded on first
 * use). Read from a ByteSource in blocks, so memory stays flat. Other codecs and containers
 * (AAC/M4A, ADPCM, video sound tracks, Ogg with several streams) are left to ffmpeg.
 */
import { type ByteSource, MalformedInputError, readExact, startsWith, utf8 } from '@aigc-label/core';
import { afterLeadingId3Tags, readLeadingId3Tags } from '../id3/leading.js';
import { MonoDownsampler } from './downsample.js';
import { readWavSamples, type WavSamples, wavFloatBlocks } from './wav-samples.js';

/** What the WebAssembly decoders return for each block of input. */
interface DecodedBlock {
  readonly channelData: Float32Array[];
  readonly samplesDecoded: number;
  readonly sampleRate: number;
}

/** The part of the wasm-audio-decoders API used here (every decoder has it). */
interface StreamDecoder {
  readonly ready: Promise<void>;
  decode(bytes: Uint8Array): DecodedBlock | Promise<DecodedBlock>;
  flush?: () => Promise<DecodedBlock>;
  free(): void;
}

export type InProcessCodec =
  | { readonly codec: 'pcm'; readonly wav: WavSamples }
  | {
      readonly codec: 'mp3' | 'flac' | 'vorbis' | 'opus';
      readonly start: number;
      /** mpg123 always returns two channels; a mono MP3 (channel mode 3 in its first frame) is read from the first. */
      readonly mono?: boolean;
    };

/** Input read per decode call. */
const BLOCK_BYTES = 256 * 1024;
const FLAC_MAGIC = utf8('fLaC');
const OGG_MAGIC = utf8('OggS');

/** An MPEG audio frame sync (11 set bits) with a valid layer: the start of MP3 frames. */
const mpegSync = (b: Uint8Array, at: number): boolean => b[at] === 0xff && (b[at + 1]! & 0xe0) === 0xe0 && ((b[at + 1]! >> 1) & 3) !== 0;

/**
 * The codec of a file this process can decode itself, from its first bytes, or null (ffmpeg
 * then decodes it). Never throws on a file it does not understand.
 */
export async function inProcessCodec(source: ByteSource): Promise<InProcessCodec | null> {
  try {
    const head = await source.read(0, Math.min(source.size, 4096));
    if (head.length < 12) return null;
    if (['RIFF', 'RF64', 'BW64'].some((magic) => startsWith(head, utf8(magic))) && startsWith(head, utf8('WAVE'), 8)) {
      const wav = await readWavSamples(source);
      return wav ? { codec: 'pcm', wav } : null;
    }
    if (startsWith(head, OGG_MAGIC)) return await oggCodec(source, head);
    const start = afterLeadingId3Tags(await readLeadingId3Tags(source, 'mp3'));
    if (start + 4 > source.size) return null;
    const next = await source.read(start, 4);
    if (startsWith(next, FLAC_MAGIC)) return { codec: 'flac', start };
    // Only a frame right where the tags end (or the file starts): anything else is left to ffmpeg's resync.
    return mpegSync(next, 0) ? { codec: 'mp3', start, mono: next[3]! >> 6 === 3 } : null;
  } catch (error) {
    if (error instanceof MalformedInputError) return null;
    throw error;
  }
}

/** Ogg Vorbis or Opus with a single logical stream (RFC 3533 §4: every stream's first page comes first). */
async function oggCodec(source: ByteSource, head: Uint8Array): Promise<InProcessCodec | null> {
  const segments = head[26]!;
  let length = 0;
  for (let i = 0; i < segments; i++) length += head[27 + i]!;
  const dataStart = 27 + segments;
  const first = await readExact(source, dataStart, Math.min(length, 16), 'ogg', 'first Ogg packet');
  const codec = startsWith(first, [1, ...utf8('vorbis')]) ? 'vorbis' : startsWith(first, utf8('OpusHead')) ? 'opus' : null;
  const nextPage = dataStart + length;
  if (!codec || nextPage + 6 > source.size) return null;
  const next = await source.read(nextPage, 6);
  // A second beginning-of-stream page: a multiplexed file (video, or several tracks).
  if (!startsWith(next, OGG_MAGIC) || (next[5]! & 0x02) !== 0) return null;
  return { codec, start: 0 };
}

/**
 * libopus decodes at 8, 12, 16, 24 or 48 kHz itself (RFC 6716 §2), so an Opus stream is decoded
 * straight at the analysis rate when that is one of them (an option ogg-opus-decoder documents,
 * though its type declarations omit it).
 */
const OPUS_RATES = [8000, 12_000, 16_000, 24_000, 48_000];

/**
 * Runs a decoder call with console.error and console.warn silenced: the decoders print every
 * damaged frame there (and return it in `errors` as well), which would reach the terminal raw.
 * Their decode methods do all their work synchronously (even the async ones), so only that
 * stretch is silenced and nothing else in the process can log inside it.
 */
function quietly<T>(call: () => T): T {
  const { error, warn } = console;
  console.error = () => {};
  console.warn = () => {};
  try {
    return call();
  } finally {
    console.error = error;
    console.warn = warn;
  }
}

async function createDecoder(codec: 'mp3' | 'flac' | 'vorbis' | 'opus', sampleRate: number): Promise<StreamDecoder> {
  const options = { forceStereo: false, ...(OPUS_RATES.includes(sampleRate) ? { sampleRate } : {}) };
  switch (codec) {
    case 'mp3':
      return new (await import('mpg123-decoder')).MPEGDecoder();
    case 'flac':
      return new (await import('@wasm-audio-decoders/flac')).FLACDecoder();
    case 'vorbis':
      return new (await import('@wasm-audio-decoders/ogg-vorbis')).OggVorbisDecoder();
    case 'opus':
      return new (await import('ogg-opus-decoder')).OggOpusDecoder(options);
  }
}

/**
 * Decodes in this process to mono PCM at `sampleRate`, streamed in blocks. A frame the decoder
 * cannot read is skipped, as ffmpeg skips it; a file with no decodable audio at all is a
 * MalformedInputError.
 */
export async function* decodeMonoInProcess(source: ByteSource, found: InProcessCodec, sampleRate: number): AsyncGenerator<Float32Array> {
  if (found.codec === 'pcm') {
    const down = new MonoDownsampler(found.wav.sampleRate, sampleRate);
    for await (const block of wavFloatBlocks(source, found.wav)) {
      const out = down.push(block, found.wav.channels);
      if (out.length > 0) yield out;
    }
    const tail = down.finish();
    if (tail.length > 0) yield tail;
    return;
  }
  const decoder = await createDecoder(found.codec, sampleRate);
  try {
    await decoder.ready;
    let down: MonoDownsampler | null = null;
    const take = (block: DecodedBlock): Float32Array | null => {
      if (block.samplesDecoded === 0) return null;
      down ??= new MonoDownsampler(block.sampleRate, sampleRate);
      const out = down.pushPlanar(found.mono ? block.channelData.slice(0, 1) : block.channelData, block.samplesDecoded);
      return out.length > 0 ? out : null;
    };
    for (let offset = found.start; offset < source.size; offset += BLOCK_BYTES) {
      const bytes = await source.read(offset, Math.min(BLOCK_BYTES, source.size - offset));
      const out = take(await quietly(() => decoder.decode(bytes)));
      if (out) yield out;
    }
    const flush = decoder.flush?.bind(decoder);
    const flushed = flush ? take(await quietly(flush)) : null;
    if (flushed) yield flushed;
    if (!down) throw new MalformedInputError('audio', `the ${found.codec} decoder found no audio in the input`);
    const tail = (down as MonoDownsampler).finish();
    if (tail.length > 0) yield tail;
  } finally {
    decoder.free();
  }
}

/**
 * `frames` frames from `from` on of a decoder's planar output, interleaved over `channels` (a
 * channel the decoder did not give, as a mono decode of a stereo stream, repeats the first).
 */
export function interleaved(channelData: readonly Float32Array[], from: number, frames: number, channels: number): Float32Array {
  const out = new Float32Array(frames * channels);
  for (let c = 0; c < channels; c++) {
    const data = channelData[c] ?? channelData[0]!;
    for (let i = 0; i < frames; i++) out[i * channels + c] = data[from + i]!;
  }
  return out;
}

/**
 * Decodes MP3 frames held in `bytes` (whole frames, from any point of a stream) to interleaved
 * float with `channels` channels (mpg123 returns two for a mono stream; the first is taken).
 * The first `skipFrames` frames only fill the bit reservoir and the filter bank: their output is
 * dropped.
 */
export async function decodeMp3Frames(
  bytes: Uint8Array,
  channels: 1 | 2,
  samplesPerFrame: number,
  skipFrames: number,
): Promise<Float32Array> {
  const decoder = await createDecoder('mp3', 0);
  try {
    await decoder.ready;
    const block = await quietly(() => decoder.decode(bytes));
    const from = Math.min(block.samplesDecoded, skipFrames * samplesPerFrame);
    const frames = block.samplesDecoded - from;
    return interleaved(block.channelData, from, frames, channels);
  } finally {
    decoder.free();
  }
}

/** A FLAC stream decoder fed its bytes in pieces ("fLaC" and STREAMINFO first); `flush` decodes the last frame. */
export interface FlacPieceDecoder {
  decode(bytes: Uint8Array): Promise<{ channelData: Float32Array[]; samplesDecoded: number; errors: number }>;
  flush(): Promise<{ channelData: Float32Array[]; samplesDecoded: number; errors: number }>;
  free(): void;
}

/**
 * A libFLAC decoder for whole streams or any run of frames behind a STREAMINFO. Its float
 * samples are the integers over 2^(bits−1) − 1, so 16-bit (and, to within rounding, 24-bit)
 * samples come back exactly with `Math.round`.
 */
export async function openFlacDecoder(): Promise<FlacPieceDecoder> {
  const decoder = await createDecoder('flac', 0);
  await decoder.ready;
  type Block = DecodedBlock & { errors?: unknown[] };
  const result = (block: Block) => ({
    channelData: block.channelData,
    samplesDecoded: block.samplesDecoded,
    errors: block.errors?.length ?? 0,
  });
  return {
    decode: async (bytes) => result(await quietly(() => decoder.decode(bytes))),
    flush: async () => result(await quietly(() => decoder.flush!())),
    free: () => decoder.free(),
  };
}
