import { DEFAULT_TIMEOUT_MS, type FfmpegBinaries, runTool, timeoutForMedia } from '@aigc-label/ffmpeg';
import type { PacketClock, ReencodeSpan } from './plan.js';
import {
  type MediaProbe,
  type PacketHashes,
  type PacketIndexer,
  probeMedia,
  shownSeconds,
  type VideoPacket,
  type VideoStreamInfo,
} from './probe.js';

// A whole decode runs far faster than real time; the limit (per second of video, on top of the
// runner's default) only stops a hung ffmpeg.
const DECODE_MS_PER_SECOND = 10_000;

/** What was checked on the written file; `ok` is their conjunction. */
export interface OutputChecks {
  readonly ok: boolean;
  /** Decoder errors; in smart mode only the re-encoded spans and the GOP after each seam are decoded, the rest is proven by `copiedPackets`. */
  readonly decode: { readonly ok: boolean; readonly scope: 'whole' | 'seams'; readonly errors: readonly string[] };
  readonly duration: { readonly ok: boolean; readonly source: number; readonly output: number; readonly frameSeconds: number };
  readonly frames: { readonly ok: boolean; readonly source: number; readonly output: number; readonly timestampsMatch: boolean };
  /** Audio start and duration relative to the video, before and after. */
  readonly sync: { readonly ok: boolean; readonly sourceAudioOffset: number | undefined; readonly outputAudioOffset: number | undefined };
  readonly rotation: { readonly ok: boolean; readonly source: number; readonly output: number };
  /** Packets outside the re-encoded spans, compared by CRC32 with the source's; absent after a full re-encode. */
  readonly copiedPackets: { readonly ok: boolean; readonly compared: number; readonly different: number } | undefined;
  /**
   * Every stream but the labelled video (sound tracks, subtitles, data, attachments, cover art)
   * compared packet by packet (CRC32) with the source's; a sound track the rhythm label was mixed
   * into is left out. Absent when there is nothing else.
   */
  readonly copiedStreams:
    | { readonly ok: boolean; readonly streams: number; readonly packets: number; readonly different: readonly number[] }
    | undefined;
}

export interface VerifyRequest {
  readonly tools: FfmpegBinaries;
  readonly input: string;
  readonly output: string;
  readonly source: VideoStreamInfo;
  readonly sourceClock: PacketClock;
  /** The smart-render spans; undefined after a full re-encode. */
  readonly spans: readonly ReencodeSpan[] | undefined;
  /** The stream whose sound was re-encoded with the rhythm label mixed in, if any. */
  readonly remixedStream: number | undefined;
  /** CRC32s of the source's packets. */
  readonly sourceHashes: Promise<PacketHashes>;
  /** Who listed the source's packets: the output's are listed the same way. */
  readonly sourceIndexedBy: PacketIndexer | undefined;
}

export async function verifyOutput(request: VerifyRequest): Promise<OutputChecks> {
  const { tools, output, source, sourceClock, spans } = request;
  const probing = probeMedia(tools, output, 'hashes', request.sourceIndexedBy === 'ffprobe' ? 'ffprobe' : 'any');
  // The output is decoded while it is probed: the plan (the source's packets) says which frames, the probe only where to seek.
  const decoding = decodeCheck(tools, output, source, sourceClock.packets, spans, probing);
  const [probed, decoded] = await Promise.allSettled([probing, decoding]);
  if (probed.status === 'rejected') throw probed.reason;
  if (decoded.status === 'rejected') throw decoded.reason;
  const { info, packets, indexedBy } = probed.value;
  const decode = decoded.value;
  // An output whose container could not be indexed as the source's was is compared with ffprobe's listing of the source.
  const relisted = indexedBy === request.sourceIndexedBy ? undefined : await probeMedia(tools, request.input, 'hashes', 'ffprobe');
  const sourcePackets = relisted?.packets ?? sourceClock.packets;
  const [sourceHashes, outputHashes] = await Promise.all([relisted?.hashes ?? request.sourceHashes, probed.value.hashes]);
  const frameSeconds = sourceClock.frameSeconds;
  // The time from the first shown frame to the end of the last, from the packets: a container's own
  // duration may count a frame more or less (edit lists, formats that store no frame durations).
  const tick = (i: VideoStreamInfo) => i.timeBase[0] / i.timeBase[1];
  const sourceSeconds = shownSeconds(sourcePackets, tick(source)) ?? source.duration;
  const outputSeconds = shownSeconds(packets, tick(info)) ?? info.duration;
  const duration = {
    ok: Math.abs(outputSeconds - sourceSeconds) <= Math.max(tick(source), tick(info)) + 1e-6,
    source: sourceSeconds,
    output: outputSeconds,
    frameSeconds,
  };
  const sourceShown = sourcePackets.filter((p) => !p.discard);
  const outputShown = packets.filter((p) => !p.discard);
  const timestampsMatch = sameTimestamps(sourceShown, source, outputShown, info);
  const frames = {
    ok: outputShown.length === sourceShown.length && timestampsMatch,
    source: sourceShown.length,
    output: outputShown.length,
    timestampsMatch,
  };
  const sourceAudioOffset = source.audio && source.audio.startTime - source.startTime;
  const outputAudioOffset = info.audio && info.audio.startTime - info.startTime;
  const audioDurationOk =
    !source.audio?.duration || !info.audio?.duration || Math.abs(source.audio.duration - info.audio.duration) <= frameSeconds + 1e-6;
  const sync = {
    ok:
      (sourceAudioOffset === undefined) === (outputAudioOffset === undefined) &&
      (sourceAudioOffset === undefined || Math.abs(sourceAudioOffset - outputAudioOffset!) <= frameSeconds / 2) &&
      audioDurationOk,
    sourceAudioOffset,
    outputAudioOffset,
  };
  const rotation = { ok: info.rotation === source.rotation, source: source.rotation, output: info.rotation };
  const copiedPackets = spans && compareCopiedPackets(sourceHashes.video, outputHashes.video, spans);
  const copiedStreams = compareStreams(request, sourceHashes.others, info, outputHashes.others);
  const ok = decode.ok && duration.ok && frames.ok && sync.ok && rotation.ok && (copiedPackets?.ok ?? true) && (copiedStreams?.ok ?? true);
  return { ok, decode, duration, frames, sync, rotation, copiedPackets, copiedStreams };
}

/** The output keeps the source's streams in their order; each one not re-encoded must hold the same packets. */
function compareStreams(
  request: VerifyRequest,
  sourceHashes: ReadonlyMap<number, readonly string[]>,
  info: VideoStreamInfo,
  outputHashes: ReadonlyMap<number, readonly string[]>,
) {
  const { source } = request;
  const others = source.streams.filter((s) => s.index !== source.streamIndex);
  if (others.length === 0) return undefined;
  const different: number[] = [];
  let packets = 0;
  const sameLayout = info.streams.length === source.streams.length && info.streams.every((s, i) => s.type === source.streams[i]!.type);
  for (const stream of others) {
    if (stream.index === request.remixedStream) continue;
    const before = sourceHashes.get(stream.index) ?? [];
    const after = outputHashes.get(stream.index) ?? [];
    packets += before.length;
    if (!sameLayout || before.length !== after.length || before.some((hash, i) => hash !== after[i])) different.push(stream.index);
  }
  return { ok: sameLayout && different.length === 0, streams: others.length, packets, different };
}

/** Every frame keeps its presentation time (relative to the first frame, within a tick of either time base). */
function sameTimestamps(
  sourcePackets: readonly VideoPacket[],
  source: VideoStreamInfo,
  packets: readonly VideoPacket[],
  info: VideoStreamInfo,
): boolean {
  if (sourcePackets.length !== packets.length) return false;
  const seconds = (list: readonly VideoPacket[], tick: number) => {
    const pts = list.map((packet) => packet.pts).sort((a, b) => a - b);
    return pts.map((value) => (value - pts[0]!) * tick);
  };
  const sourceTick = source.timeBase[0] / source.timeBase[1];
  const outputTick = info.timeBase[0] / info.timeBase[1];
  const before = seconds(sourcePackets, sourceTick);
  const after = seconds(packets, outputTick);
  const tolerance = Math.max(sourceTick, outputTick) + 1e-6;
  return before.every((value, index) => Math.abs(value - after[index]!) <= tolerance);
}

/** The video packets outside the re-encoded spans, by CRC32, in decode order. */
function compareCopiedPackets(source: readonly string[], output: readonly string[], spans: readonly ReencodeSpan[]) {
  let compared = 0;
  let different = 0;
  let spanIndex = 0;
  for (let index = 0; index < source.length; index++) {
    while (spans[spanIndex] && index >= spans[spanIndex]!.end) spanIndex++;
    const span = spans[spanIndex];
    if (span && index >= span.first) continue;
    compared++;
    if (source[index] !== output[index]) different++;
  }
  return { ok: different === 0 && output.length === source.length, compared, different };
}

async function decodeCheck(
  tools: FfmpegBinaries,
  output: string,
  source: VideoStreamInfo,
  sourcePackets: readonly VideoPacket[],
  spans: readonly ReencodeSpan[] | undefined,
  probing: Promise<MediaProbe>,
): Promise<OutputChecks['decode']> {
  const errors: string[] = [];
  const decode = async (before: string[], after: string[], timeoutMs = DEFAULT_TIMEOUT_MS) => {
    // The labelled video (where the source has it: the output keeps the source's stream order) and the
    // sound; the other streams are proven by their packet hashes.
    const args = ['-v', 'error', ...before, '-i', output, '-map', `0:${source.streamIndex}`, '-map', '0:a?', ...after, '-f', 'null', '-'];
    const result = await runTool(tools.ffmpeg, args, { timeoutMs });
    // Lines from the null muxer are about container timestamps (Matroska's 1 ms ticks), not decoding.
    errors.push(...result.stderr.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('[null @')));
    if (result.code !== 0) errors.push(`ffmpeg exited with ${result.code}`);
  };
  if (!spans) {
    await decode([], [], timeoutForMedia(source.duration, DECODE_MS_PER_SECOND));
    return { ok: errors.length === 0, scope: 'whole', errors };
  }
  for (const span of spans) {
    // Decode from the span's first keyframe through the first GOP of copied packets after it.
    let stop = span.end;
    if (stop < sourcePackets.length) {
      stop++;
      while (stop < sourcePackets.length && !sourcePackets[stop]!.keyframe) stop++;
    }
    let seek: string[] = [];
    if (span.first > 0) {
      const { info, packets } = await probing;
      const first = packets[span.first];
      if (!first) continue;
      const tick = info.timeBase[0] / info.timeBase[1];
      seek = ['-seek_timestamp', '1', '-ss', (first.pts * tick - tick / 2).toFixed(6)];
    }
    await decode(seek, ['-frames:v', String(stop - span.first)]);
  }
  return { ok: errors.length === 0, scope: 'seams', errors };
}
