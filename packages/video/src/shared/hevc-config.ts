import { MalformedInputError, u16be } from '@aigc-label/core';

// The HEVCDecoderConfigurationRecord (ISO/IEC 14496-15 §8.3.3.1): the H.265 set-up that an MP4
// hvcC box and a Matroska V_MPEGH/ISO/HEVC CodecPrivate both hold.

const fail = (message: string) => new MalformedInputError('video', message);

/** Every NAL unit of the record's arrays (VPS, SPS, PPS, SEI…) in order, and the byte length of the NAL unit sizes in samples. */
export function hevcConfigUnits(payload: Uint8Array): { lengthSize: number; units: Uint8Array[] } {
  if (payload.length < 23 || payload[0] !== 1) throw fail('not an HEVCDecoderConfigurationRecord version 1');
  const units: Uint8Array[] = [];
  let at = 23;
  for (let array = 0; array < payload[22]!; array++) {
    if (at + 3 > payload.length) throw fail('the HEVC configuration record is truncated');
    const count = u16be(payload, at + 1);
    at += 3;
    for (let i = 0; i < count; i++) {
      if (at + 2 > payload.length) throw fail('the HEVC configuration record is truncated');
      const length = u16be(payload, at);
      if (at + 2 + length > payload.length) throw fail('an HEVC configuration NAL unit runs past the record');
      units.push(payload.subarray(at + 2, at + 2 + length));
      at += 2 + length;
    }
  }
  return { lengthSize: (payload[21]! & 3) + 1, units };
}
