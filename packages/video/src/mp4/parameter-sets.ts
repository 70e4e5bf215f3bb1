import { type ByteSource, isobmff, MalformedInputError, mp4Meta, type WritePlan } from '@aigc-label/core';
import { type AvcParameterSets, avcConfigWithSets } from '../shared/avc-config.js';

export type { AvcParameterSets } from '../shared/avc-config.js';

/** VisualSampleEntry fields before the child boxes (ISO/IEC 14496-12 §12.1.3). */
const VISUAL_SAMPLE_ENTRY_FIELDS = 78;
const fail = (message: string) => new MalformedInputError('mp4', message);

function withSets(avcC: Uint8Array, sets: AvcParameterSets): Uint8Array {
  const box = isobmff.parseBoxHeader(avcC, 0, 0, avcC.length, 'mp4');
  return isobmff.makeBox('avcC', avcConfigWithSets(avcC.subarray(box.headerSize), sets));
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
    const entries = isobmff.sampleEntries(bytes, { ...box, offset: 0, end: bytes.length }, 'mp4');
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
