import { isobmff, MalformedInputError } from '@aigc-label/core';
import { describe, expect, it } from 'vitest';
import { withAvcParameterSets } from '../../src/mp4/parameter-sets.js';

// SPS: NAL header, profile_idc, constraints, level_idc, then seq_parameter_set_id as ue(v); PPS: header, then its id.
const SPS0 = Uint8Array.of(0x67, 0x64, 0x00, 0x1e, 0xac, 0xd9); // id 0, level 3.0
const SPS1 = Uint8Array.of(0x67, 0x64, 0x00, 0x28, 0x4b, 0x36); // id 1, level 4.0
const PPS0 = Uint8Array.of(0x68, 0xeb, 0xe3);
const PPS1 = Uint8Array.of(0x68, 0x4a, 0xbe);
const HIGH_PROFILE_TAIL = Uint8Array.of(0xfd, 0xf8, 0xf8, 0x00); // chroma 4:2:0, 8-bit, no SPS extensions

const units = (list: Uint8Array[]) => list.flatMap((u) => [u.length >> 8, u.length & 0xff, ...u]);
const avcC = (sps: Uint8Array[], pps: Uint8Array[], level = 0x1e) =>
  isobmff.makeBox(
    'avcC',
    Uint8Array.of(1, 0x64, 0, level, 0xff, 0xe0 | sps.length, ...units(sps), pps.length, ...units(pps), ...HIGH_PROFILE_TAIL),
  );
const entryFields = Uint8Array.from({ length: 78 }, (_, i) => i); // VisualSampleEntry fields, kept byte for byte
const pasp = isobmff.makeBox('pasp', Uint8Array.of(0, 0, 0, 1, 0, 0, 0, 1));
const moovWith = (config: Uint8Array) => {
  const avc1 = isobmff.makeBox('avc1', [entryFields, config, pasp]);
  const stsd = isobmff.makeBox('stsd', [Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 1), avc1]);
  const nest = (type: string, child: Uint8Array) => isobmff.makeBox(type, child);
  return nest('moov', nest('trak', nest('mdia', nest('minf', nest('stbl', stsd)))));
};

describe('withAvcParameterSets', () => {
  it('adds the sets in ascending id order, raises the record level to cover them, and keeps the rest', () => {
    const before = moovWith(avcC([SPS0], [PPS0]));
    const after = withAvcParameterSets(before, { sps: [SPS1], pps: [PPS1] });
    // Only avcC changed: the boxes around it grow by exactly the added units.
    expect(after.length - before.length).toBe(2 + SPS1.length + 2 + PPS1.length);
    expect(after).toEqual(moovWith(avcC([SPS0, SPS1], [PPS0, PPS1], 0x28)));
    // Adding them again changes nothing.
    expect(withAvcParameterSets(after, { sps: [SPS1], pps: [PPS1] })).toEqual(after);
  });

  it('refuses two different parameter sets with the same id', () => {
    const other = Uint8Array.of(0x67, 0x42, 0x00, 0x1e, 0xac); // id 0, different contents
    expect(() => withAvcParameterSets(moovWith(avcC([SPS0], [PPS0])), { sps: [other], pps: [] })).toThrow(MalformedInputError);
  });

  it('leaves a moov without avc1 entries as it was', () => {
    const stsd = isobmff.makeBox('stsd', [Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 1), isobmff.makeBox('mp4a', new Uint8Array(28))]);
    const moov = isobmff.makeBox(
      'moov',
      isobmff.makeBox('trak', isobmff.makeBox('mdia', isobmff.makeBox('minf', isobmff.makeBox('stbl', stsd)))),
    );
    expect(withAvcParameterSets(moov, { sps: [SPS1], pps: [PPS1] })).toBe(moov);
  });
});
