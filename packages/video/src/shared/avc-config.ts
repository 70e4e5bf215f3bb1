import { bytesEqual, concat, MalformedInputError, putU16be, u16be } from '@aigc-label/core';
import { h264PpsId, h264SpsId } from '../explicit/bitstream.js';

// The AVCDecoderConfigurationRecord (ISO/IEC 14496-15 §5.3.3.1): the H.264 set-up that an MP4
// avcC box and a Matroska V_MPEG4/ISO/AVC CodecPrivate both hold.

/** H.264 parameter sets (NAL units without start codes) to add to a decoder configuration record. */
export interface AvcParameterSets {
  readonly sps: readonly Uint8Array[];
  readonly pps: readonly Uint8Array[];
}

/** AVCDecoderConfigurationRecord counts (ISO/IEC 14496-15 §5.3.3.1): 5 bits of SPS, 8 bits of PPS. */
const MAXIMUM_SPS = 31;
const MAXIMUM_PPS = 255;

const fail = (message: string) => new MalformedInputError('video', message);

interface AvcConfig {
  readonly head: Uint8Array; // configurationVersion, profile, compatibility, level, lengthSizeMinusOne
  readonly sps: Uint8Array[];
  readonly pps: Uint8Array[];
  /** The High-profile extension (chroma format, bit depths, SPS extensions), kept as it was. */
  readonly tail: Uint8Array;
}

function parseAvcConfig(payload: Uint8Array): AvcConfig {
  const units = (count: number, at: number): [Uint8Array[], number] => {
    const list: Uint8Array[] = [];
    for (let i = 0; i < count; i++) {
      if (at + 2 > payload.length) throw fail('the AVC configuration record is truncated');
      const length = u16be(payload, at);
      if (at + 2 + length > payload.length) throw fail('an AVC configuration parameter set runs past the record');
      list.push(payload.subarray(at + 2, at + 2 + length));
      at += 2 + length;
    }
    return [list, at];
  };
  if (payload.length < 7 || payload[0] !== 1) throw fail('not an AVCDecoderConfigurationRecord version 1');
  const [sps, afterSps] = units(payload[5] & 0x1f, 6);
  if (afterSps >= payload.length) throw fail('the AVC configuration record is truncated');
  const [pps, afterPps] = units(payload[afterSps], afterSps + 1);
  return { head: payload.subarray(0, 5), sps, pps, tail: payload.subarray(afterPps) };
}

function serializeAvcConfig(config: AvcConfig): Uint8Array {
  const list = (units: readonly Uint8Array[]) =>
    units.flatMap((unit) => {
      const length = new Uint8Array(2);
      putU16be(length, 0, unit.length);
      return [length, unit];
    });
  return concat([
    config.head,
    Uint8Array.of(0xe0 | config.sps.length),
    ...list(config.sps),
    Uint8Array.of(config.pps.length),
    ...list(config.pps),
    config.tail,
  ]);
}

/**
 * `existing` plus the units of `added` it lacks, in ascending id order (ISO/IEC 14496-15
 * §5.3.3.1: "in order of ascending parameter set identifier with gaps being allowed").
 * The same id with different contents cannot be in one record: that is an error.
 */
function mergeUnits(existing: readonly Uint8Array[], added: readonly Uint8Array[], idOf: (unit: Uint8Array) => number, kind: string) {
  const byId = new Map(existing.map((unit) => [idOf(unit), unit]));
  for (const unit of added) {
    const same = byId.get(idOf(unit));
    if (same && !bytesEqual(same, unit)) throw fail(`two different ${kind}s with id ${idOf(unit)}`);
    byId.set(idOf(unit), unit);
  }
  return [...byId.entries()].sort(([a], [b]) => a - b).map(([, unit]) => unit);
}

const spsId = (unit: Uint8Array) => h264SpsId({ type: 7, payload: unit });
const ppsId = (unit: Uint8Array) => h264PpsId({ type: 8, payload: unit });

/**
 * The record with `sets` added: every SPS and PPS the stream refers to is then in the
 * sample entry or CodecPrivate, where a decoder may look for them only.
 */
export function avcConfigWithSets(payload: Uint8Array, sets: AvcParameterSets): Uint8Array {
  const config = parseAvcConfig(payload);
  const sps = mergeUnits(config.sps, sets.sps, spsId, 'SPS');
  const pps = mergeUnits(config.pps, sets.pps, ppsId, 'PPS');
  if (sps.length > MAXIMUM_SPS || pps.length > MAXIMUM_PPS) throw fail('too many parameter sets for one AVC configuration record');
  // The level the record announces must cover every SPS it carries.
  const head = Uint8Array.from(config.head);
  for (const unit of sps) head[3] = Math.max(head[3], unit[3]);
  return serializeAvcConfig({ ...config, head, sps, pps });
}

/** The record's SPS and PPS, and the byte length of the NAL unit sizes in samples (lengthSizeMinusOne + 1). */
export function avcConfigUnits(payload: Uint8Array): { lengthSize: number; units: Uint8Array[] } {
  const config = parseAvcConfig(payload);
  return { lengthSize: (config.head[4]! & 3) + 1, units: [...config.sps, ...config.pps] };
}
