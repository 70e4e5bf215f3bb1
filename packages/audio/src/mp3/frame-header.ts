/**
 * The MPEG audio Layer III frame header (ISO/IEC 11172-3 §2.4.2.3, ISO/IEC 13818-3 §2.4.2.3 and
 * the MPEG 2.5 extension): one parser, for the MP3 handler's sniffing and resynchronisation
 * (mp3/index.ts) and for the frame walk of the audio splicer (pcm/mpeg-frames.ts).
 */

const BITRATES_V1 = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320];
const BITRATES_V2 = [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160];
/** Sampling rates by version bits (0 MPEG 2.5, 2 MPEG 2, 3 MPEG 1). */
const SAMPLE_RATES: Record<number, readonly number[]> = { 0: [11025, 12000, 8000], 2: [22050, 24000, 16000], 3: [44100, 48000, 32000] };

export interface MpegFrameHeader {
  /** Version bits: 3 MPEG 1, 2 MPEG 2, 0 MPEG 2.5. */
  readonly version: number;
  readonly bitrateKbps: number;
  readonly sampleRate: number;
  /** Channel mode 3 is mono; the others carry two channels. */
  readonly channels: 1 | 2;
  readonly length: number;
  readonly samples: number;
  /** A CRC-16 follows the header. */
  readonly protected: boolean;
  /** Bytes of side information after the header (and its CRC). */
  readonly sideInfo: number;
}

/** The Layer III frame header at `at`, or null (free format, reserved values and other layers are not taken). */
export function mpegFrameHeader(bytes: Uint8Array, at: number): MpegFrameHeader | null {
  if (at + 4 > bytes.length || bytes[at] !== 0xff || (bytes[at + 1]! & 0xe0) !== 0xe0) return null;
  const version = (bytes[at + 1]! >> 3) & 3;
  if (version === 1 || ((bytes[at + 1]! >> 1) & 3) !== 1) return null;
  const bitrateKbps = (version === 3 ? BITRATES_V1 : BITRATES_V2)[bytes[at + 2]! >> 4];
  const sampleRate = SAMPLE_RATES[version]![(bytes[at + 2]! >> 2) & 3];
  if (!bitrateKbps || !sampleRate) return null;
  const padding = (bytes[at + 2]! >> 1) & 1;
  const channels = bytes[at + 3]! >> 6 === 3 ? 1 : 2;
  const mpeg1 = version === 3;
  return {
    version,
    bitrateKbps,
    sampleRate,
    channels,
    length: Math.floor(((mpeg1 ? 144 : 72) * bitrateKbps * 1000) / sampleRate) + padding,
    samples: mpeg1 ? 1152 : 576,
    protected: (bytes[at + 1]! & 1) === 0,
    sideInfo: mpeg1 ? (channels === 1 ? 17 : 32) : channels === 1 ? 9 : 17,
  };
}
