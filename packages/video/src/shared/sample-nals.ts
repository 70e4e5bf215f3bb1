import { H264_IDR, H264_PPS, H264_SPS, type NalUnit, nalUnit, splitLengthPrefixed } from '../explicit/bitstream.js';
import { avcConfigUnits } from './avc-config.js';
import { hevcConfigUnits } from './hevc-config.js';

/** A decoder configuration record (MP4 avcC/hvcC, Matroska CodecPrivate) and its codec. */
export interface DecoderConfig {
  readonly codec: 'h264' | 'hevc';
  readonly record: Uint8Array;
}

/**
 * The NAL units of one stored sample as ffmpeg's mp4toannexb filters hand them on: the record's
 * parameter sets go in front of the first IDR slice when the sample carries neither its own SPS
 * nor PPS (only the PPS when it has an SPS alone; H.264), or in front of the first IRAP picture
 * (H.265).
 */
export function sampleNals(sample: Uint8Array, config: DecoderConfig): NalUnit[] {
  const { lengthSize, units } = config.codec === 'h264' ? avcConfigUnits(config.record) : hevcConfigUnits(config.record);
  const sets = units.map((unit) => nalUnit(unit, config.codec));
  const out: NalUnit[] = [];
  let sps = false;
  let pps = false;
  let added = false;
  for (const nal of splitLengthPrefixed(sample, lengthSize, config.codec)) {
    if (!added && config.codec === 'hevc' && nal.type >= 16 && nal.type <= 23) {
      out.push(...sets);
      added = true;
    } else if (!added && config.codec === 'h264' && nal.type === H264_IDR && !pps) {
      out.push(...(sps ? sets.filter((set) => set.type === H264_PPS) : sets));
      added = true;
    }
    if (config.codec === 'h264') {
      sps ||= nal.type === H264_SPS;
      pps ||= nal.type === H264_PPS;
    }
    out.push(nal);
  }
  return out;
}
