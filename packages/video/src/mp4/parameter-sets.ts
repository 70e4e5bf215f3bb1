import {
  type ByteSource,
  bytesEqual,
  concat,
  isobmff,
  MalformedInputError,
  mp4Meta,
  putU16be,
  u16be,
  u32be,
  type WritePlan,
} from '@aigc-label/core';
import { h264PpsId, h264SpsId } from '../explicit/bitstream.js';

/** H.264 parameter sets (NAL units without start codes) to add to an `avc1` sample entry. */
export interface AvcParameterSets {
  readonly sps: readonly Uint8Array[];
  readonly pps: readonly Uint8Array[];
}

/** VisualSampleEntry fields before the child boxes (ISO/IEC 14496-12 §12.1.3). */
const VISUAL_SAMPLE_ENTRY_FIELDS = 78;
/** AVCDecoderConfigurationRecord counts (ISO/IEC 14496-15 §5.3.3.1): 5 bits of SPS, 8 bits of PPS. */
const MAXIMUM_SPS = 31;
const MAXIMUM_PPS = 255;

const fail = (message: string) => new MalformedInputError('mp4', message);

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
      if (at + 2 > payload.length) throw fail('avcC is truncated');
      const length = u16be(payload, at);
      if (at + 2 + length > payload.length) throw fail('an avcC parameter set runs past the box');
      list.push(payload.subarray(at + 2, at + 2 + length));
      at += 2 + length;
    }
    return [list, at];
  };
  if (payload.length < 7 || payload[0] !== 1) throw fail('avcC is not an AVCDecoderConfigurationRecord version 1');
  const [sps, afterSps] = units(payload[5] & 0x1f, 6);
  if (afterSps >= payload.length) throw fail('avcC is truncated');
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

function withSets(avcC: Uint8Array, sets: AvcParameterSets): Uint8Array {
  const box = isobmff.parseBoxHeader(avcC, 0, 0, avcC.length, 'mp4');
  const config = parseAvcConfig(avcC.subarray(box.headerSize));
  const sps = mergeUnits(config.sps, sets.sps, spsId, 'SPS');
  const pps = mergeUnits(config.pps, sets.pps, ppsId, 'PPS');
  if (sps.length > MAXIMUM_SPS || pps.length > MAXIMUM_PPS) throw fail('too many parameter sets for one avcC');
  // The level the record announces must cover every SPS it carries.
  const head = Uint8Array.from(config.head);
  for (const unit of sps) head[3] = Math.max(head[3], unit[3]);
  return isobmff.makeBox('avcC', serializeAvcConfig({ ...config, head, sps, pps }));
}

/** An `avc1` sample entry whose avcC also carries `sets`. */
function withSetsInEntry(entry: Uint8Array, sets: AvcParameterSets): Uint8Array {
  const box = isobmff.parseBoxHeader(entry, 0, 0, entry.length, 'mp4');
  const childrenStart = box.headerSize + VISUAL_SAMPLE_ENTRY_FIELDS;
  const children = isobmff.listBoxesIn(entry, childrenStart, entry.length, 'mp4');
  if (!children.some((child) => child.type === 'avcC')) throw fail('an avc1 sample entry without avcC');
  return isobmff.makeBox('avc1', [
    entry.subarray(box.headerSize, childrenStart),
    ...children.map((child) => {
      const bytes = entry.subarray(child.offset, child.end);
      return child.type === 'avcC' ? withSets(bytes, sets) : bytes;
    }),
  ]);
}

/** A `moov` whose every `avc1` sample entry (stsd, ISO/IEC 14496-12 §8.5.2) also carries `sets`. */
export function withAvcParameterSets(moov: Uint8Array, sets: AvcParameterSets): Uint8Array {
  return isobmff.rewriteBoxTree(moov, 'mp4', (box, bytes) => {
    if (box.type !== 'stsd') return undefined;
    const fullBoxEnd = box.headerSize + 8; // version, flags, entry_count
    if (bytes.length < fullBoxEnd) throw fail('stsd is truncated');
    const entries = isobmff.listBoxesIn(bytes, fullBoxEnd, bytes.length, 'mp4');
    if (entries.length !== u32be(bytes, box.headerSize + 4)) throw fail('stsd entry count does not match its entries');
    if (!entries.some((entry) => entry.type === 'avc1')) return undefined;
    const rebuilt = entries.map((entry) => {
      const entryBytes = bytes.subarray(entry.offset, entry.end);
      return entry.type === 'avc1' ? withSetsInEntry(entryBytes, sets) : entryBytes;
    });
    return isobmff.makeBox('stsd', [bytes.subarray(box.headerSize, fullBoxEnd), ...rebuilt]);
  });
}

/**
 * The plan that adds H.264 parameter sets to the avc1 sample entries of an MP4/MOV,
 * so that every set the samples refer to is in the sample entry, as an `avc1` track
 * requires (ISO/IEC 14496-15 §5.3.2); copies of them in the samples stay allowed.
 */
export function planAvcParameterSets(source: ByteSource, sets: AvcParameterSets): Promise<WritePlan> {
  return mp4Meta.planMoovRewrite(source, 'mp4', (moov) => withAvcParameterSets(moov, sets));
}
