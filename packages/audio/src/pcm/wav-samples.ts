/**
 * The samples of a PCM WAV file, read and written directly: the `fmt ` chunk says how they are
 * stored (integer 8 to 32 bits, IEEE float 32 or 64, plain or WAVE_FORMAT_EXTENSIBLE), the
 * `data` chunk holds them interleaved. Used to search a WAV without ffmpeg and to splice an
 * audible label into one with every other byte kept.
 */
import { type ByteSource, readExact, riff, u16le, u32le } from '@aigc-label/core';

const WAVE_FORMAT_PCM = 1;
const WAVE_FORMAT_IEEE_FLOAT = 3;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;
/** More channels than this is no audio file a label is spliced into (WAVE_FORMAT_EXTENSIBLE names 18 speaker positions). */
const maximumChannels = 64;

export interface WavSamples {
  readonly file: riff.RiffFile;
  readonly data: riff.RiffChunk;
  readonly sampleRate: number;
  readonly channels: number;
  /** Bytes per sample of one channel (1 to 4, or 8 for 64-bit float). */
  readonly bytesPerSample: number;
  readonly float: boolean;
  /** Bytes per frame (all channels), from `fmt `. */
  readonly blockAlign: number;
  /** Whole frames in the data chunk. */
  readonly frames: number;
}

/**
 * The sample layout of a WAV file, or null when its samples are not plain PCM or IEEE float
 * (ADPCM, A-law, µ-law and other codecs go through ffmpeg).
 */
export async function readWavSamples(source: ByteSource): Promise<WavSamples | null> {
  const file = await riff.readRiffFile(source, 'wav', 'WAVE');
  const fmt = file.chunks.find((c) => c.id === 'fmt ');
  const data = file.chunks.find((c) => c.id === 'data');
  if (!fmt || !data || fmt.size < 16) return null;
  const body = await readExact(source, fmt.dataOffset, Math.min(fmt.size, 40), 'wav', '"fmt " chunk');
  let tag = u16le(body, 0);
  const channels = u16le(body, 2);
  const sampleRate = u32le(body, 4);
  const blockAlign = u16le(body, 12);
  const bits = u16le(body, 14);
  // WAVE_FORMAT_EXTENSIBLE: the sub-format GUID starts with the plain format tag.
  if (tag === WAVE_FORMAT_EXTENSIBLE && body.length >= 26) tag = u16le(body, 24);
  const float = tag === WAVE_FORMAT_IEEE_FLOAT;
  if (tag !== WAVE_FORMAT_PCM && !float) return null;
  const bytesPerSample = bits / 8;
  const valid = float ? bits === 32 || bits === 64 : Number.isInteger(bytesPerSample) && bytesPerSample >= 1 && bytesPerSample <= 4;
  if (!valid || channels < 1 || channels > maximumChannels || sampleRate < 1 || blockAlign !== channels * bytesPerSample) return null;
  return { file, data, sampleRate, channels, bytesPerSample, float, blockAlign, frames: Math.floor(data.size / blockAlign) };
}

/** Converts whole frames of stored samples to interleaved float (±1 full scale). */
export function samplesToFloat(bytes: Uint8Array, layout: Pick<WavSamples, 'bytesPerSample' | 'float'>): Float32Array {
  const { bytesPerSample, float } = layout;
  const count = Math.floor(bytes.length / bytesPerSample);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(count);
  if (float && bytesPerSample === 4) for (let i = 0; i < count; i++) out[i] = view.getFloat32(4 * i, true);
  else if (float) for (let i = 0; i < count; i++) out[i] = view.getFloat64(8 * i, true);
  else if (bytesPerSample === 1)
    for (let i = 0; i < count; i++) out[i] = (bytes[i]! - 128) / 128; // 8-bit is unsigned
  else if (bytesPerSample === 2) for (let i = 0; i < count; i++) out[i] = view.getInt16(2 * i, true) / 32768;
  else if (bytesPerSample === 3)
    for (let i = 0, o = 0; i < count; i++, o += 3) out[i] = ((bytes[o]! | (bytes[o + 1]! << 8) | (bytes[o + 2]! << 16)) << 8) / 2147483648;
  else for (let i = 0; i < count; i++) out[i] = view.getInt32(4 * i, true) / 2147483648;
  return out;
}

/** Stores interleaved float samples in the layout's format: rounded to the nearest step, clipped to full scale. */
export function floatToSamples(samples: Float32Array, layout: Pick<WavSamples, 'bytesPerSample' | 'float'>): Uint8Array {
  const { bytesPerSample, float } = layout;
  const out = new Uint8Array(samples.length * bytesPerSample);
  const view = new DataView(out.buffer);
  const integer = (value: number, scale: number) => Math.max(-scale, Math.min(scale - 1, Math.round(value * scale)));
  for (let i = 0; i < samples.length; i++) {
    const v = samples[i]!;
    if (float && bytesPerSample === 4) view.setFloat32(4 * i, v, true);
    else if (float) view.setFloat64(8 * i, v, true);
    else if (bytesPerSample === 1) out[i] = integer(v, 128) + 128;
    else if (bytesPerSample === 2) view.setInt16(2 * i, integer(v, 32768), true);
    else if (bytesPerSample === 3) {
      const s = integer(v, 8388608);
      out[3 * i] = s & 0xff;
      out[3 * i + 1] = (s >> 8) & 0xff;
      out[3 * i + 2] = (s >> 16) & 0xff;
    } else view.setInt32(4 * i, integer(v, 2147483648), true);
  }
  return out;
}

/** Reads the data chunk (or `span` of its frames) in blocks of whole frames, as interleaved float. Memory stays flat. */
export async function* wavFloatBlocks(
  source: ByteSource,
  layout: WavSamples,
  span: { readonly start: number; readonly frames: number } = { start: 0, frames: layout.frames },
  framesPerBlock = 16_384,
): AsyncGenerator<Float32Array> {
  const blockBytes = framesPerBlock * layout.blockAlign;
  const first = Math.min(span.start, layout.frames);
  const end = layout.data.dataOffset + Math.min(layout.frames, first + span.frames) * layout.blockAlign;
  for (let offset = layout.data.dataOffset + first * layout.blockAlign; offset < end; offset += blockBytes) {
    const bytes = await readExact(source, offset, Math.min(blockBytes, end - offset), 'wav', 'audio data');
    yield samplesToFloat(bytes, layout);
  }
}
