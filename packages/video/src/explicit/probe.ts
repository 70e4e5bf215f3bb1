import { LimitExceededError, MalformedInputError, readExact } from '@aigc-label/core';
import {
  type FfmpegBinaries,
  type FfprobeFormat,
  type FfprobePacket,
  type FfprobeStream,
  ffprobeJson,
  withFileSource,
} from '@aigc-label/ffmpeg';
import { isobmffBrand } from '../mp4/brand.js';
import { hashMp4Packets, type Mp4PacketIndex, type Mp4Track, readMp4Packets } from '../mp4/packets.js';
import { sampleNals } from '../shared/sample-nals.js';
import type { NalUnit } from './bitstream.js';

/** One stream of the file, in the file's order: everything but the labelled video is copied as it is. */
export interface StreamEntry {
  readonly index: number;
  readonly type: string;
  readonly codec: string;
  /** The disposition flags set (default, forced, attached_pic…), as ffmpeg's -disposition takes them. */
  readonly disposition: readonly string[];
}

/** What the label renderer and the encoder need to know about the first video stream. */
export interface VideoStreamInfo {
  readonly formatName: string;
  /** Index of the labelled stream among all streams (cover art, an attached picture, is never it). */
  readonly streamIndex: number;
  readonly streams: readonly StreamEntry[];
  readonly codec: string;
  /** The container's FourCC for the codec when it has a printable one (AVI `XVID`, `DIV3`…). */
  readonly codecTag: string | undefined;
  readonly profile: string | undefined;
  /** As ffprobe reports it: 40 for H.264 level 4.0, 120 for H.265 level 4.0. */
  readonly level: number | undefined;
  readonly pixelFormat: string;
  readonly codedWidth: number;
  readonly codedHeight: number;
  readonly sampleAspect: readonly [number, number];
  /** Clockwise rotation a player applies before display: 0, 90, 180 or 270. */
  readonly rotation: number;
  readonly frameRate: readonly [number, number];
  readonly timeBase: readonly [number, number];
  readonly bitRate: number | undefined;
  readonly colorRange: string | undefined;
  readonly colorSpace: string | undefined;
  readonly colorTransfer: string | undefined;
  readonly colorPrimaries: string | undefined;
  readonly fieldOrder: string | undefined;
  readonly reorderDelay: number;
  readonly duration: number;
  readonly startTime: number;
  readonly hasAudio: boolean;
  readonly audio: AudioStreamInfo | undefined;
}

export interface AudioStreamInfo {
  readonly codec: string;
  readonly sampleRate: number;
  readonly channels: number;
  readonly channelLayout: string;
  readonly bitRate: number | undefined;
  readonly startTime: number;
  readonly duration: number | undefined;
}

/** One packet of the video stream, in decode order; times in stream ticks. */
export interface VideoPacket {
  readonly pts: number;
  readonly dts: number;
  readonly duration: number;
  readonly keyframe: boolean;
  /** Decoded but not shown: outside the MP4 edit list (ffprobe flag D). */
  readonly discard: boolean;
}

/** CRC32s of a file's packets: the labelled stream's in decode order, and every other stream's by stream index. */
export interface PacketHashes {
  readonly video: readonly string[];
  readonly others: ReadonlyMap<number, readonly string[]>;
}

/**
 * Who listed the packets: the container's own index (MP4 and QuickTime, read here) or ffprobe's
 * packet scan. Both hash with CRC-32 and agree on H.264/H.265 packets, but other codecs' packets
 * may be split differently, so packets are only compared between listings by the same indexer.
 */
export type PacketIndexer = 'container' | 'ffprobe';

/** The packets of a file's labelled stream, and the hashes of every stream's. */
export interface PacketListing {
  /** The labelled stream's packets, in decode order. */
  readonly packets: readonly VideoPacket[];
  /**
   * With `hashes`: ffprobe's come with the packets; an MP4's are computed after its packets are
   * listed, so a render can start meanwhile (read once, in file order).
   */
  readonly hashes: Promise<PacketHashes>;
  /** Who listed the packets (with `hashes`). */
  readonly indexedBy: PacketIndexer | undefined;
  /** Reads the NAL units of one of `packets` (H.264/H.265) from the file, when the container index listed them. */
  readonly packetNals: ((index: number) => Promise<NalUnit[]>) | undefined;
}

/** A file's streams and packets. */
export interface MediaProbe extends PacketListing {
  readonly info: VideoStreamInfo;
}

const ratio = (value: unknown, fallback: readonly [number, number]): readonly [number, number] => {
  const match = /^(\d+)[/:](\d+)$/.exec(String(value ?? ''));
  if (!match || Number(match[1]) === 0 || Number(match[2]) === 0) return fallback;
  return [Number(match[1]), Number(match[2])];
};
const numberOr = (value: unknown): number | undefined => (value === undefined || Number.isNaN(Number(value)) ? undefined : Number(value));
const known = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== 'unknown' && value !== '' ? value : undefined;

/** Clockwise display rotation from the display matrix side data or the legacy `rotate` tag. */
function displayRotation(stream: FfprobeStream): number {
  const matrix = stream.side_data_list?.find((entry) => entry.side_data_type === 'Display Matrix');
  // ffprobe reports the matrix angle counter-clockwise; the legacy `rotate` tag is clockwise.
  const degrees = matrix?.rotation !== undefined ? -matrix.rotation : Number(stream.tags?.rotate ?? 0);
  const quarter = Math.round((((degrees % 360) + 360) % 360) / 90) * 90;
  return quarter % 360;
}

/** Packets as the clock needs them: a missing pts is the dts (AVI writes only one of them). */
function videoPacket(packet: FfprobePacket): VideoPacket {
  const dts = packet.dts ?? packet.pts ?? 0;
  return {
    pts: packet.pts ?? dts,
    dts,
    duration: packet.duration ?? 0,
    keyframe: packet.flags?.startsWith('K') ?? false,
    discard: packet.flags?.includes('D') ?? false,
  };
}

/**
 * Seconds from the first shown frame to the end of the last: its own duration when the container
 * stores one, else the gap before it (FLV and live WebM store none).
 */
export function shownSeconds(packets: readonly VideoPacket[], tick: number): number | undefined {
  const shown = packets.filter((p) => !p.discard).sort((a, b) => a.pts - b.pts);
  const first = shown[0];
  const last = shown[shown.length - 1];
  if (!first || !last) return undefined;
  const before = shown[shown.length - 2];
  const lastDuration = last.duration > 0 ? last.duration : before ? last.pts - before.pts : 0;
  return (last.pts + lastDuration - first.pts) * tick;
}

/**
 * What a probe reads besides streams and container: nothing (`none`, for steps that decode frames
 * anyway), or every packet's timing and CRC32 (`hashes`), so copied packets can be proven identical.
 */
export type PacketScan = 'none' | 'hashes';

const PACKET_SCAN_ARGS = ['-show_entries', 'packet=stream_index,pts,dts,duration,flags,data_hash', '-show_data_hash', 'CRC32'];

/**
 * Streams, container and packets. An MP4 or QuickTime file's packets come from its own sample
 * tables, read while ffprobe reads the streams (issue 16: no packet scan); other containers, and
 * MP4s whose timing ffmpeg derives in ways not reproduced here, get one ffprobe run with a packet
 * scan. `indexer: 'ffprobe'` asks for ffprobe's listing, to compare with another file's.
 */
export async function probeMedia(
  tools: FfmpegBinaries,
  input: string,
  scan: PacketScan,
  indexer: 'any' | 'ffprobe' = 'any',
): Promise<MediaProbe> {
  const { info, listing } = await probeInStages(tools, input, scan, indexer);
  return { info, ...(await listing) };
}

/** The streams as soon as ffprobe has read them, and the packets, which an MP4's index may list later. */
export interface StagedProbe {
  readonly info: VideoStreamInfo;
  readonly listing: Promise<PacketListing>;
}

/** `probeMedia` in two steps, so work that needs only the streams (drawing the overlay) runs while the packets are listed. */
export async function probeInStages(
  tools: FfmpegBinaries,
  input: string,
  scan: PacketScan,
  indexer: 'any' | 'ffprobe' = 'any',
): Promise<StagedProbe> {
  const own = scan === 'hashes' && indexer === 'any' && (await startsLikeMp4(input)) ? withFileSource(input, readMp4Packets) : undefined;
  own?.catch(() => {}); // awaited with the listing, after ffprobe, whose failure says more
  const failure = (tail: string, code: number | null) =>
    new MalformedInputError('video', `ffprobe cannot read the file (${tail || `exit code ${code}`})`);
  const scanWithStreams = scan === 'hashes' && !own;
  const probed = await ffprobeJson(tools.ffprobe, ['-show_streams', '-show_format', ...(scanWithStreams ? PACKET_SCAN_ARGS : []), input], {
    failure,
  });
  const { streams, format } = probed;
  const video = streams.find((stream) => stream.codec_type === 'video' && !stream.disposition?.attached_pic);
  if (!video) throw new MalformedInputError('video', 'the file has no video stream (only sound or pictures)');
  const streamIndex = video.index ?? 0;
  const list = async (): Promise<PacketListing> => {
    if (scan === 'none')
      return { packets: [], hashes: Promise.resolve({ video: [], others: new Map() }), indexedBy: undefined, packetNals: undefined };
    const listed = own && containerListing(input, await refusedAsUnsupported(own), streams, streamIndex);
    if (listed) return listed;
    const packets = scanWithStreams
      ? probed.packets
      : (await ffprobeJson(tools.ffprobe, [...PACKET_SCAN_ARGS, input], { failure })).packets;
    return ffprobeListing(packets, streamIndex);
  };
  const listing = list();
  listing.catch(() => {}); // the caller awaits it
  const audio = streams.find((stream) => stream.codec_type === 'audio');
  const timeBase = ratio(video.time_base, [1, 1000]);
  // Only formats that store no duration (FLV, live WebM) wait for their packets here.
  const duration =
    numberOr(video.duration) ?? numberOr(format.duration) ?? shownSeconds((await listing).packets, timeBase[0] / timeBase[1]);
  if (duration === undefined) throw new MalformedInputError('video', 'the video stream has no frames');
  const tag = video.codec_tag_string;
  const info: VideoStreamInfo = {
    formatName: String(format.format_name ?? ''),
    streamIndex,
    streams: streams.map((stream, index) => ({
      index: stream.index ?? index,
      type: String(stream.codec_type ?? 'data'),
      codec: String(stream.codec_name ?? ''),
      disposition: Object.entries(stream.disposition ?? {})
        .filter(([, set]) => set === 1)
        .map(([flag]) => flag),
    })),
    codec: String(video.codec_name ?? ''),
    codecTag: tag && /^[\x20-\x7e]{4}$/.test(tag) ? tag : undefined,
    profile: known(video.profile),
    level: numberOr(video.level),
    pixelFormat: String(video.pix_fmt ?? 'yuv420p'),
    codedWidth: Number(video.width),
    codedHeight: Number(video.height),
    sampleAspect: ratio(video.sample_aspect_ratio, [1, 1]),
    rotation: displayRotation(video),
    frameRate: ratio(video.avg_frame_rate, ratio(video.r_frame_rate, [25, 1])),
    timeBase,
    // Matroska stores no per-stream bit rate; the container's is a close upper bound.
    bitRate: numberOr(video.bit_rate) ?? estimateVideoBitRate(format, audio),
    colorRange: known(video.color_range),
    colorSpace: known(video.color_space),
    colorTransfer: known(video.color_transfer),
    colorPrimaries: known(video.color_primaries),
    fieldOrder: known(video.field_order),
    reorderDelay: Number(video.has_b_frames ?? 0),
    duration,
    startTime: numberOr(video.start_time) ?? 0,
    hasAudio: audio !== undefined,
    audio: audio && {
      codec: String(audio.codec_name),
      sampleRate: Number(audio.sample_rate),
      channels: Number(audio.channels),
      channelLayout: String(audio.channel_layout ?? (Number(audio.channels) === 1 ? 'mono' : 'stereo')),
      bitRate: numberOr(audio.bit_rate),
      startTime: numberOr(audio.start_time) ?? 0,
      duration: numberOr(audio.duration) ?? numberOr(format.duration),
    },
  };
  return { info, listing };
}

/** Reads a track's packet `index` from the file and splits it as ffmpeg's stream copy to Annex B would. */
function packetReader(input: string, track: Mp4Track): ((index: number) => Promise<NalUnit[]>) | undefined {
  const config = track.decoderConfig;
  if (!config) return undefined;
  return (index) => {
    const packet = track.packets[index];
    if (!packet) return Promise.reject(new RangeError(`Expected a packet index below ${track.packets.length} but received ${index}`));
    return withFileSource(input, async (source) =>
      sampleNals(await readExact(source, packet.offset, packet.size, 'video', 'a packet'), config),
    );
  };
}

/** The NAL units of the first packet of an MP4's first video track (a re-encoded head), or undefined when its index cannot be read here. */
export async function firstPacketNals(input: string): Promise<NalUnit[] | undefined> {
  const index = await refusedAsUnsupported(withFileSource(input, readMp4Packets));
  const video = index.ok ? index.tracks.find((track) => track.handler === 'vide') : undefined;
  return video && packetReader(input, video)?.(0);
}

/** An index that refuses a damaged or oversized file leaves it to ffprobe, which reads what it can, as before the index existed. */
async function refusedAsUnsupported(index: Promise<Mp4PacketIndex>): Promise<Mp4PacketIndex> {
  try {
    return await index;
  } catch (error) {
    if (error instanceof MalformedInputError || error instanceof LimitExceededError) return { ok: false, reason: error.message };
    throw error;
  }
}

const startsLikeMp4 = (input: string): Promise<boolean> =>
  withFileSource(input, async (source) => isobmffBrand(await source.read(0, 12)) !== null);

/** The container's packets when its tracks are ffprobe's streams, one for one, and the labelled video's samples are its packets. */
function containerListing(
  input: string,
  index: Mp4PacketIndex,
  streams: readonly FfprobeStream[],
  streamIndex: number,
): PacketListing | undefined {
  if (!index.ok || index.tracks.length !== streams.length) return undefined;
  const kinds: Record<string, string> = { vide: 'video', soun: 'audio' };
  const matches = index.tracks.every((track, i) => {
    const type = String(streams[i]!.codec_type);
    return kinds[track.handler] ? kinds[track.handler] === type : type !== 'video' && type !== 'audio';
  });
  const video = index.tracks[streamIndex];
  if (!matches || !video?.samplesArePackets) return undefined;
  const hashes = withFileSource(input, (source) => hashMp4Packets(source, index.tracks)).then((byTrack) => ({
    video: byTrack[streamIndex]!,
    others: new Map(byTrack.flatMap((list, i) => (i === streamIndex ? [] : [[i, list] as const]))),
  }));
  hashes.catch(() => {}); // awaited by the output checks, if the render gets that far
  return { packets: video.packets, hashes, indexedBy: 'container', packetNals: packetReader(input, video) };
}

function ffprobeListing(packets: readonly FfprobePacket[], streamIndex: number): PacketListing {
  const video: string[] = [];
  const others = new Map<number, string[]>();
  for (const packet of packets) {
    if (packet.stream_index === undefined) continue;
    const hash = packet.data_hash?.replace(/^CRC32:/, '') ?? '';
    if (packet.stream_index === streamIndex) {
      video.push(hash);
      continue;
    }
    const list = others.get(packet.stream_index) ?? [];
    list.push(hash);
    others.set(packet.stream_index, list);
  }
  return {
    packets: packets.filter((p) => p.stream_index === streamIndex).map(videoPacket),
    hashes: Promise.resolve({ video, others }),
    indexedBy: 'ffprobe',
    packetNals: undefined,
  };
}

function estimateVideoBitRate(format: FfprobeFormat, audio: FfprobeStream | undefined): number | undefined {
  const total = numberOr(format.bit_rate);
  if (total === undefined) return undefined;
  return Math.max(total - (numberOr(audio?.bit_rate) ?? (audio ? 128_000 : 0)), Math.round(total / 2));
}

/** Display size: coded size stretched by the sample aspect ratio, then turned by the rotation (GB 45438 §5.4 measures the shown picture). */
export function displaySize(info: VideoStreamInfo): { width: number; height: number } {
  const [num, den] = info.sampleAspect;
  const stretchedWidth = Math.round((info.codedWidth * num) / den / 2) * 2;
  const turned = info.rotation === 90 || info.rotation === 270;
  return turned ? { width: info.codedHeight, height: stretchedWidth } : { width: stretchedWidth, height: info.codedHeight };
}
