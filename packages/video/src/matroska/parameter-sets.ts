import { type ByteSource, concat, ebml, fromUtf8, LimitExceededError, readExact, splicePlan, type WritePlan } from '@aigc-label/core';
import { type AvcParameterSets, avcConfigWithSets } from '../shared/avc-config.js';
import { type Edit, Id, maximumSeekHeadInBytes, readLayout, readTags, roomAt, seekHeadData } from './layout.js';

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
    const isAvc = codec !== undefined && fromUtf8(tracks.subarray(codec.dataOffset, codec.end)).replace(/\0+$/, '') === AVC_CODEC_ID;
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
 * tracks, or null when it cannot be done without moving a Cluster. The grown Tracks
 * element takes the Voids after it; when a Tags element follows instead, the Tags move
 * to the end of the Segment (the SeekHead follows them) to make room.
 */
export async function planMatroskaAvcParameterSets(source: ByteSource, sets: AvcParameterSets): Promise<WritePlan | null> {
  const { format, segment, children } = await readLayout(source);
  const index = children.findIndex((c) => c.id === Id.tracks);
  if (index < 0) return null;
  const tracks = children[index];
  if (tracks.end - tracks.offset > maximumTracksInBytes)
    throw new LimitExceededError(`${format}: Tracks element at offset ${tracks.offset} is over ${maximumTracksInBytes} bytes`);
  const data = tracksWithSets(await readExact(source, tracks.offset, tracks.end - tracks.offset, format, 'Tracks'), sets, format);
  if (data === null) return null;
  const tracksRoom = roomAt(children, index);
  const inPlace = ebml.elementFilling(Id.tracks, data, tracksRoom);
  if (inPlace) return splicePlan(source.size, [{ start: tracks.offset, end: tracks.offset + tracksRoom, insert: inPlace }]);

  // Make room by moving the Tags that follow (and the Voids after them) to the end of the Segment.
  let next = index + 1;
  while (next < children.length && children[next].id === ebml.VOID_ID) next++;
  const tags = children[next];
  const seekHeadIndex = children.findIndex((c) => c.id === Id.seekHead);
  if (!tags || tags.id !== Id.tags || seekHeadIndex < 0 || segment.unknownSize) return null;
  const room = roomAt(children, next) + (tags.offset - tracks.offset);
  const grown = ebml.elementFilling(Id.tracks, data, room);
  if (!grown) return null;
  const moved = await readTags(source, tags, format);
  const sizeLength = segment.headerSize - 4;
  const newSize = segment.size + moved.length;
  if (newSize >= 2 ** (7 * sizeLength) - 1) return null;
  const seekHead = children[seekHeadIndex];
  if (seekHead.end - seekHead.offset > maximumSeekHeadInBytes)
    throw new LimitExceededError(`${format}: SeekHead is over ${maximumSeekHeadInBytes} bytes`);
  const seekBytes = await readExact(source, seekHead.offset, seekHead.end - seekHead.offset, format, 'SeekHead');
  const relative = (offset: number) => offset - segment.dataOffset;
  const seekRoom = roomAt(children, seekHeadIndex);
  const seek = ebml.elementFilling(Id.seekHead, seekHeadData(seekBytes, relative(segment.end), relative(tags.offset), format), seekRoom);
  if (!seek) return null;
  const edits: Edit[] = [
    { start: seekHead.offset, end: seekHead.offset + seekRoom, insert: seek },
    { start: segment.offset + 4, end: segment.dataOffset, insert: ebml.encodeVint(newSize, sizeLength) },
    { start: tracks.offset, end: tracks.offset + room, insert: grown },
    { start: segment.end, end: segment.end, insert: moved },
  ];
  return splicePlan(source.size, edits);
}
