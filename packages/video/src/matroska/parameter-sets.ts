import {
  type ByteSource,
  concat,
  ebml,
  fromUtf8,
  LimitExceededError,
  readExact,
  splicePlan,
  trimTrailingNuls,
  type WritePlan,
} from '@aigc-label/core';
import { type AvcParameterSets, avcConfigWithSets } from '../shared/avc-config.js';
import { Id, readLayout, roomAt } from './layout.js';
import { planSegmentEdits } from './positions.js';

const AVC_CODEC_ID = 'V_MPEG4/ISO/AVC';
const maximumTracksInBytes = 1024 * 1024;

/** Tracks data whose H.264 tracks' CodecPrivate also carries `sets`; null when there is no H.264 track. */
function tracksWithSets(tracks: Uint8Array, sets: AvcParameterSets, format: string): Uint8Array | null {
  const header = ebml.parseElementHeader(tracks, 0, 0, tracks.length, format);
  let changed = false;
  let hadCrc = false;
  const entries: Uint8Array[] = [];
  for (const entry of ebml.listElementsIn(tracks, header.dataOffset, header.end, format)) {
    if (entry.id === ebml.CRC32_ID) {
      hadCrc = true;
      continue;
    }
    const fields = entry.id === Id.trackEntry ? ebml.listElementsIn(tracks, entry.dataOffset, entry.end, format) : [];
    const codec = fields.find((f) => f.id === Id.codecId);
    const isAvc = codec !== undefined && trimTrailingNuls(fromUtf8(tracks.subarray(codec.dataOffset, codec.end))) === AVC_CODEC_ID;
    const config = fields.find((f) => f.id === Id.codecPrivate);
    if (!isAvc || !config) {
      entries.push(tracks.subarray(entry.offset, entry.end));
      continue;
    }
    changed = true;
    let entryCrc = false;
    const rebuilt: Uint8Array[] = [];
    for (const field of fields) {
      if (field.id === ebml.CRC32_ID) entryCrc = true;
      else if (field === config)
        rebuilt.push(ebml.makeElement(Id.codecPrivate, avcConfigWithSets(tracks.subarray(field.dataOffset, field.end), sets)));
      else rebuilt.push(tracks.subarray(field.offset, field.end));
    }
    const body = concat(rebuilt);
    entries.push(ebml.makeElement(Id.trackEntry, entryCrc ? ebml.withCrc32(body) : body));
  }
  if (!changed) return null;
  const body = concat(entries);
  return hadCrc ? ebml.withCrc32(body) : body;
}

/**
 * The plan that adds H.264 parameter sets to the CodecPrivate of a Matroska file's AVC
 * tracks, or null when the file has no track to change. The grown Tracks element takes
 * the Voids after it; without enough of them it grows where it is, and what follows moves
 * with every position pointing past it fixed (`planSegmentEdits`).
 */
export async function planMatroskaAvcParameterSets(source: ByteSource, sets: AvcParameterSets): Promise<WritePlan | null> {
  const layout = await readLayout(source);
  const { format, children } = layout;
  const index = children.findIndex((c) => c.id === Id.tracks);
  if (index < 0) return null;
  const tracks = children[index];
  if (tracks.end - tracks.offset > maximumTracksInBytes)
    throw new LimitExceededError(`${format}: Tracks element at offset ${tracks.offset} is over ${maximumTracksInBytes} bytes`);
  const data = tracksWithSets(await readExact(source, tracks.offset, tracks.end - tracks.offset, format, 'Tracks'), sets, format);
  if (data === null) return null;
  const room = roomAt(children, index);
  const used = new Set<number>();
  for (let i = index + 1; children[i] && children[i].offset < tracks.offset + room; i++) used.add(i);
  const insert = ebml.elementFilling(Id.tracks, data, room) ?? ebml.makeElement(Id.tracks, data);
  const edits = await planSegmentEdits(source, layout, [{ start: tracks.offset, end: tracks.offset + room, insert }], null, used);
  return splicePlan(source.size, edits);
}
