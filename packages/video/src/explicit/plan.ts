import type { VideoPacket, VideoStreamInfo } from './probe.js';

export type LabelPosition = 'start' | 'middle' | 'end' | 'whole';

/** Seconds from the first frame; the label is visible for frames with start ≤ t < end. */
export interface LabelInterval {
  readonly start: number;
  readonly end: number;
}

/** Packets [first, end) in decode order are re-encoded; `end === packets.length` runs to the end of the stream. */
export interface ReencodeSpan {
  readonly first: number;
  readonly end: number;
}

export type SmartPlan = { readonly ok: true; readonly spans: readonly ReencodeSpan[] } | { readonly ok: false; readonly reason: string };

/** A keyframe this long after the label ends is not "soon": the stream has too few keyframes to cut. */
const MAX_KEYFRAME_WAIT_SECONDS = 10;
/** Re-encoding more than this share of the video saves little over re-encoding all of it. */
const MAX_REENCODED_SHARE = 0.8;

/** Where the label shows (GB 45438 §5.4: start frames; optionally end and middle). Overlapping spans are merged. */
export function labelIntervals(videoSeconds: number, seconds: number, at: readonly LabelPosition[]): LabelInterval[] {
  const shown = Math.min(seconds, videoSeconds);
  const spans: Record<LabelPosition, LabelInterval> = {
    start: { start: 0, end: shown },
    end: { start: videoSeconds - shown, end: videoSeconds },
    middle: { start: (videoSeconds - shown) / 2, end: (videoSeconds + shown) / 2 },
    whole: { start: 0, end: videoSeconds },
  };
  const raw = at.map((position) => spans[position]);
  raw.sort((a, b) => a.start - b.start);
  const merged: LabelInterval[] = [];
  for (const interval of raw) {
    const last = merged[merged.length - 1];
    if (last && interval.start <= last.end) merged[merged.length - 1] = { start: last.start, end: Math.max(last.end, interval.end) };
    else merged.push(interval);
  }
  return merged;
}

/** Packet timing in seconds relative to the first frame. */
export class PacketClock {
  readonly firstPts: number;
  constructor(
    readonly packets: readonly VideoPacket[],
    readonly info: VideoStreamInfo,
  ) {
    this.firstPts = packets.reduce((min, packet) => Math.min(min, packet.pts), Number.POSITIVE_INFINITY);
  }
  get tick(): number {
    return this.info.timeBase[0] / this.info.timeBase[1];
  }
  /** Presentation time of packet `index` from the first frame; the stream's end for `index === packets.length`. */
  relative(index: number): number {
    const packet = this.packets[index];
    return packet ? (packet.pts - this.firstPts) * this.tick : this.info.duration;
  }
  /** Presentation time of packet `index` as the container stores it. */
  absolute(index: number): number {
    return this.packets[index]!.pts * this.tick;
  }
  absoluteDts(index: number): number {
    return this.packets[index]!.dts * this.tick;
  }
  get frameSeconds(): number {
    return this.info.frameRate[1] / this.info.frameRate[0];
  }
}

/**
 * Chooses the GOPs to re-encode: from the keyframe at or before each label interval to the first
 * keyframe at or after its end. A cut is clean only when no packet on one side is shown on the
 * other (a closed GOP); IDR checks need the packet bytes and are done by the caller.
 */
export function planSmartRender(info: VideoStreamInfo, clock: PacketClock, intervals: readonly LabelInterval[]): SmartPlan {
  if (info.codec !== 'h264' && info.codec !== 'hevc')
    return { ok: false, reason: `smart render handles H.264 and H.265, not ${info.codec}` };
  if (!/mp4|mov|matroska/.test(info.formatName))
    return { ok: false, reason: `smart render handles MP4, MOV and MKV, not ${info.formatName}` };
  if (info.fieldOrder && info.fieldOrder !== 'progressive')
    return { ok: false, reason: `interlaced video (${info.fieldOrder}) is not cut` };
  const { packets } = clock;
  const count = packets.length;
  if (count === 0) return { ok: false, reason: 'the video stream has no packets' };
  const cleanCut = cleanCutTable(packets);
  const epsilon = clock.frameSeconds / 4;
  const spans: ReencodeSpan[] = [];
  for (const interval of intervals) {
    let first = 0;
    for (let index = 0; index < count; index++) {
      if (clock.relative(index) > interval.start + epsilon) break;
      if (packets[index]!.keyframe && cleanCut[index]) first = index;
    }
    let end = count;
    for (let index = first + 1; index < count; index++) {
      if (!packets[index]!.keyframe || clock.relative(index) < interval.end - epsilon) continue;
      if (!cleanCut[index]) {
        return { ok: false, reason: `open GOP: frames after the keyframe at ${clock.relative(index).toFixed(3)} s are shown before it` };
      }
      end = index;
      break;
    }
    const wait = clock.relative(end) - interval.end;
    if (end < count && wait > MAX_KEYFRAME_WAIT_SECONDS) {
      return { ok: false, reason: `no keyframe soon enough: the first one after the label is ${wait.toFixed(2)} s after it ends` };
    }
    const last = spans[spans.length - 1];
    if (last && first <= last.end) spans[spans.length - 1] = { first: last.first, end: Math.max(last.end, end) };
    else spans.push({ first, end });
  }
  const reencoded = reencodedSeconds(clock, spans);
  if (reencoded > info.duration * MAX_REENCODED_SHARE) {
    return {
      ok: false,
      reason: `the label's GOPs span ${reencoded.toFixed(2)} s of ${info.duration.toFixed(2)} s, so the whole video is re-encoded`,
    };
  }
  return { ok: true, spans };
}

export function reencodedSeconds(clock: PacketClock, spans: readonly ReencodeSpan[]): number {
  return spans.reduce((sum, span) => sum + clock.relative(span.end) - clock.relative(span.first), 0);
}

/** cut[i]: every packet before i in decode order is shown before every packet from i on. */
function cleanCutTable(packets: readonly VideoPacket[]): boolean[] {
  const count = packets.length;
  const suffixMin = new Array<number>(count + 1).fill(Number.POSITIVE_INFINITY);
  for (let index = count - 1; index >= 0; index--) suffixMin[index] = Math.min(suffixMin[index + 1]!, packets[index]!.pts);
  const cut: boolean[] = [];
  let prefixMax = Number.NEGATIVE_INFINITY;
  for (let index = 0; index < count; index++) {
    cut.push(prefixMax < suffixMin[index]!);
    prefixMax = Math.max(prefixMax, packets[index]!.pts);
  }
  return cut;
}
