/** Just enough H.264/H.265 Annex B parsing to decide whether a stream can be cut and re-joined. */
import { MalformedInputError } from '@aigc-label/core';

export interface NalUnit {
  readonly type: number;
  readonly payload: Uint8Array;
}

/** Splits an Annex B byte stream at its start codes. */
export function splitAnnexB(bytes: Uint8Array, codec: 'h264' | 'hevc'): NalUnit[] {
  const starts: number[] = [];
  for (let i = 0; i + 2 < bytes.length; i++) {
    if (bytes[i] === 0 && bytes[i + 1] === 0 && bytes[i + 2] === 1) {
      starts.push(i + 3);
      i += 2;
    }
  }
  return starts.map((start, index) => {
    let end = index + 1 < starts.length ? starts[index + 1]! - 3 : bytes.length;
    while (end > start && bytes[end - 1] === 0) end--;
    return nalUnit(bytes.subarray(start, end), codec);
  });
}

export function nalUnit(payload: Uint8Array, codec: 'h264' | 'hevc'): NalUnit {
  const type = codec === 'h264' ? (payload[0] ?? 0) & 0x1f : ((payload[0] ?? 0) >> 1) & 0x3f;
  return { type, payload };
}

/** Splits a sample as MP4 and Matroska store it: each NAL unit after its size in `lengthSize` bytes. */
export function splitLengthPrefixed(bytes: Uint8Array, lengthSize: number, codec: 'h264' | 'hevc'): NalUnit[] {
  const units: NalUnit[] = [];
  for (let at = 0; at < bytes.length; ) {
    if (at + lengthSize > bytes.length) throw new MalformedInputError('video', 'a NAL unit size runs past its sample');
    let size = 0;
    for (let k = 0; k < lengthSize; k++) size = size * 256 + bytes[at + k]!;
    at += lengthSize;
    if (size > bytes.length - at) throw new MalformedInputError('video', 'a NAL unit runs past its sample');
    units.push(nalUnit(bytes.subarray(at, at + size), codec));
    at += size;
  }
  return units;
}

/** H.264 NAL types (ITU-T H.264 Table 7-1). */
export const H264_IDR = 5;
export const H264_SEI = 6;
export const H264_SPS = 7;
export const H264_PPS = 8;
/** H.265 IRAP types without leading pictures (ITU-T H.265 Table 7-1): IDR_W_RADL, IDR_N_LP. */
export const HEVC_IDR_TYPES: readonly number[] = [19, 20];
export const HEVC_PARAMETER_SET_TYPES: readonly number[] = [32, 33, 34];

/** Reads unsigned Exp-Golomb codes from an RBSP (emulation prevention bytes removed). */
class BitReader {
  private bit = 0;
  constructor(private readonly bytes: Uint8Array) {}
  readBits(count: number): number {
    let value = 0;
    for (let i = 0; i < count; i++) {
      const byte = this.bytes[this.bit >> 3] ?? 0;
      value = value * 2 + ((byte >> (7 - (this.bit & 7))) & 1);
      this.bit++;
    }
    return value;
  }
  readUe(): number {
    let zeros = 0;
    while (this.readBits(1) === 0 && zeros < 32) zeros++;
    return 2 ** zeros - 1 + this.readBits(zeros);
  }
}

function rbsp(payload: Uint8Array): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < payload.length; i++) {
    if (i >= 2 && payload[i] === 3 && payload[i - 1] === 0 && payload[i - 2] === 0) continue;
    out.push(payload[i]!);
  }
  return Uint8Array.from(out);
}

/** seq_parameter_set_id of an H.264 SPS (after profile_idc, constraint flags and level_idc). */
export function h264SpsId(sps: NalUnit): number {
  const reader = new BitReader(rbsp(sps.payload.subarray(4)));
  return reader.readUe();
}

/** pic_parameter_set_id of an H.264 PPS. */
export function h264PpsId(pps: NalUnit): number {
  return new BitReader(rbsp(pps.payload.subarray(1))).readUe();
}

/** H.265 prefix SEI NAL type. */
export const HEVC_PREFIX_SEI = 39;

/**
 * The option string x264 or x265 writes into an unregistered-user-data SEI
 * ("x264 - core … - options: cabac=1 ref=3 …", "x265 (build …) … - options: ref=3 no-open-gop …").
 * Flags without a value map to "1".
 */
export function encoderOptions(nals: readonly NalUnit[], encoder: 'x264' | 'x265'): Map<string, string> | undefined {
  const seiType = encoder === 'x264' ? H264_SEI : HEVC_PREFIX_SEI;
  for (const nal of nals) {
    if (nal.type !== seiType) continue;
    const text = new TextDecoder('latin1').decode(nal.payload);
    const at = text.indexOf(encoder === 'x264' ? 'x264 - core' : 'x265 (build');
    if (at < 0) continue;
    const options = text
      .slice(at)
      .split(' - options: ')[1]
      ?.replace(/\0[\s\S]*$/, '');
    if (!options) continue;
    const map = new Map<string, string>();
    for (const pair of options.trim().split(/\s+/)) {
      const eq = pair.indexOf('=');
      if (eq > 0) map.set(pair.slice(0, eq), pair.slice(eq + 1));
      else if (pair !== '') map.set(pair, '1');
    }
    return map;
  }
  return undefined;
}
