import { ebml, fromLatin1, isobmff } from '@aigc-label/core';

/** The first samples of a file's first H.264 or H.265 track, located from its sample table, never decoded. */
export interface VideoSamples {
  readonly codec: 'h264' | 'h265';
  /** Bytes of the length before each NAL unit (avcC/hvcC lengthSizeMinusOne + 1). */
  readonly lengthSize: number;
  readonly samples: readonly { readonly offset: number; readonly size: number }[];
}

/** Samples read at most: a vendor writes its SEI in the first access unit, or at least in the first GOP. */
export const MAXIMUM_SAMPLES = 60;
/** Bytes of samples read at most, whatever their count. */
export const MAXIMUM_SAMPLE_BYTES = 8 * 1024 * 1024;

const SAMPLE_ENTRIES: Readonly<Record<string, VideoSamples['codec']>> = { avc1: 'h264', avc3: 'h264', hvc1: 'h265', hev1: 'h265' };
/** VisualSampleEntry fields before its child boxes (ISO/IEC 14496-12 §12.1.3): 8 of SampleEntry, 70 of the visual entry. */
const VISUAL_SAMPLE_ENTRY_FIELDS = 78;

/**
 * The first video track's first samples from a `moov` in memory (ISO/IEC 14496-12 §8.7: stsz,
 * stsc, stco/co64, located by core's `firstSamples` as far as the tables add up), or null when it
 * has no H.264/H.265 track or its tables locate no sample.
 */
export function firstVideoSamples(moov: Uint8Array, format = 'mp4'): VideoSamples | null {
  const root = isobmff.parseBoxHeader(moov, 0, 0, moov.length, format);
  for (const trak of isobmff.listBoxesIn(moov, root.headerSize, root.end, format).filter((b) => b.type === 'trak')) {
    if (isobmff.handlerOf(moov, trak, format) !== 'vide') continue;
    const stbl = isobmff.boxAt(moov, trak, ['mdia', 'minf', 'stbl'], format);
    const stsd = stbl && isobmff.childBox(moov, stbl, 'stsd', format);
    if (!stbl || !stsd) continue;
    const entry = isobmff.listBoxesIn(moov, stsd.offset + stsd.headerSize + 8, stsd.end, format)[0];
    const codec = entry ? SAMPLE_ENTRIES[entry.type] : undefined;
    if (!entry || !codec) continue;
    const config = isobmff
      .listBoxesIn(moov, entry.offset + VISUAL_SAMPLE_ENTRY_FIELDS + 8, entry.end, format)
      .find((b) => b.type === (codec === 'h264' ? 'avcC' : 'hvcC'));
    if (!config) continue;
    const configData = config.offset + config.headerSize;
    const lengthSize = ((moov[configData + (codec === 'h264' ? 4 : 21)] ?? 0) & 3) + 1;
    const samples = isobmff.firstSamples(moov, stbl, format, MAXIMUM_SAMPLES, MAXIMUM_SAMPLE_BYTES);
    return samples.length ? { codec, lengthSize, samples } : null;
  }
  return null;
}

const TRACK_ENTRY = 0xae;
const TRACK_NUMBER = 0xd7;
const TRACK_TYPE = 0x83;
const CODEC_ID = 0x86;
const CODEC_PRIVATE = 0x63a2;
const SIMPLE_BLOCK = 0xa3;
const BLOCK_GROUP = 0xa0;
const BLOCK = 0xa1;
const MATROSKA_CODECS: Readonly<Record<string, VideoSamples['codec']>> = {
  'V_MPEG4/ISO/AVC': 'h264',
  V_MPEGH: 'h265',
  'V_MPEGH/ISO/HEVC': 'h265',
};

/** The first H.264/H.265 video track of a Matroska Tracks element (Matroska §5.1.4): its number, codec and NAL length size. */
export function matroskaVideoTrack(tracks: Uint8Array): { number: number; codec: VideoSamples['codec']; lengthSize: number } | null {
  for (const entry of ebml.listElementsIn(tracks, 0, tracks.length).filter((e) => e.id === TRACK_ENTRY)) {
    const children = ebml.listElementsIn(tracks, entry.dataOffset, entry.end);
    const data = (id: number) => {
      const child = children.find((c) => c.id === id);
      return child ? tracks.subarray(child.dataOffset, child.end) : undefined;
    };
    const codec = MATROSKA_CODECS[fromLatin1(data(CODEC_ID) ?? new Uint8Array(0))];
    const priv = data(CODEC_PRIVATE);
    if (data(TRACK_TYPE)?.[0] !== 1 || !codec || !priv) continue;
    // CodecPrivate is the avcC/hvcC record itself (ISO/IEC 14496-15).
    const lengthSize = ((priv[codec === 'h264' ? 4 : 21] ?? 0) & 3) + 1;
    return { number: ebml.readUint(data(TRACK_NUMBER) ?? new Uint8Array([1])), codec, lengthSize };
  }
  return null;
}

/**
 * The frames of `track` in the start of a Cluster (`cluster`: its data, read from file offset
 * `at`), SimpleBlocks and Blocks without lacing (Matroska §10), as file ranges. Stops at the
 * first element cut off by the read.
 */
export function matroskaFrames(cluster: Uint8Array, at: number, track: number): { offset: number; size: number }[] {
  const frames: { offset: number; size: number }[] = [];
  const visit = (start: number, end: number, depth: number): void => {
    for (let offset = start; offset < end && frames.length < MAXIMUM_SAMPLES; ) {
      let element: ebml.EbmlElement;
      try {
        element = ebml.parseElementHeader(cluster, offset, offset, end);
      } catch {
        return; // cut off by the read, or damage: what came before stands
      }
      if (element.id === BLOCK_GROUP && depth === 0) visit(element.dataOffset, element.end, 1);
      if (element.id === SIMPLE_BLOCK || element.id === BLOCK) {
        const number = ebml.readVint(cluster, element.dataOffset);
        const flags = cluster[element.dataOffset + number.length + 2] ?? 0;
        const header = number.length + 3;
        if (number.value === track && (flags & 0x06) === 0 && element.size > header) {
          frames.push({ offset: at + element.dataOffset + header, size: element.size - header });
        }
      }
      offset = element.end;
    }
  };
  visit(0, cluster.length, 0);
  return frames;
}

/** One SEI user_data_unregistered message (H.264 §D.1.7, H.265 §D.2.7): a UUID and its payload. */
export interface UserDataUnregistered {
  readonly uuid: string;
  readonly payload: Uint8Array;
}

/** Most SEI messages kept from the samples read: a vendor writes one; more is repetition. */
const MAXIMUM_MESSAGES = 64;

/** The user_data_unregistered SEI messages of length-prefixed access units (ISO/IEC 14496-15 sample format). */
export function userDataMessages(samples: readonly Uint8Array[], codec: VideoSamples['codec'], lengthSize: number): UserDataUnregistered[] {
  const messages: UserDataUnregistered[] = [];
  for (const sample of samples) {
    for (let at = 0; at + lengthSize <= sample.length && messages.length < MAXIMUM_MESSAGES; ) {
      let length = 0;
      for (let i = 0; i < lengthSize; i++) length = length * 256 + sample[at + i]!;
      const nal = sample.subarray(at + lengthSize, Math.min(sample.length, at + lengthSize + length));
      at += lengthSize + length;
      const type = codec === 'h264' ? (nal[0] ?? 0) & 0x1f : ((nal[0] ?? 0) >> 1) & 0x3f;
      const isSei = codec === 'h264' ? type === 6 : type === 39 || type === 40;
      if (isSei) messages.push(...seiUserData(withoutEmulationPrevention(nal.subarray(codec === 'h264' ? 1 : 2))));
    }
  }
  return messages.slice(0, MAXIMUM_MESSAGES);
}

/** The RBSP of a NAL unit: every 0x000003 loses its 0x03 (H.264 §7.4.1). */
function withoutEmulationPrevention(nal: Uint8Array): Uint8Array {
  const out = new Uint8Array(nal.length);
  let n = 0;
  let zeros = 0;
  for (const byte of nal) {
    if (zeros >= 2 && byte === 3) {
      zeros = 0;
      continue;
    }
    zeros = byte === 0 ? zeros + 1 : 0;
    out[n++] = byte;
  }
  return out.subarray(0, n);
}

const USER_DATA_UNREGISTERED = 5;

/** The SEI messages of an RBSP (H.264 §7.3.2.3.1): type and size as runs of 0xFF plus a last byte. */
function seiUserData(rbsp: Uint8Array): UserDataUnregistered[] {
  const out: UserDataUnregistered[] = [];
  let at = 0;
  const varint = (): number => {
    let value = 0;
    while (at < rbsp.length && rbsp[at] === 0xff) {
      value += 255;
      at++;
    }
    return value + (rbsp[at++] ?? 0);
  };
  while (at < rbsp.length - 1 && rbsp[at] !== 0x80) {
    const type = varint();
    const size = varint();
    if (at + size > rbsp.length) break;
    if (type === USER_DATA_UNREGISTERED && size >= 16) {
      const uuid = Array.from(rbsp.subarray(at, at + 16), (b) => b.toString(16).padStart(2, '0')).join('');
      out.push({ uuid, payload: rbsp.slice(at + 16, at + size) });
    }
    at += size;
  }
  return out;
}
