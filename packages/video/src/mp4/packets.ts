/**
 * The packets of every track of an MP4/MOV as ffmpeg's mov demuxer hands them out
 * (libavformat/mov.c, mov_build_index and mov_fix_index): decode and presentation times after
 * the edit list and keyframe and discard flags from the moov, and each packet's CRC-32 from one
 * pass over the media data (a step of its own: a caller can plan with the timing while the bytes
 * are hashed). What ffmpeg times or splits another way (fragments, several edits, chunked PCM…)
 * is reported as unsupported, so the caller can ask ffprobe instead.
 */
import { type ByteSource, crc32, fromAscii, isobmff, LimitExceededError, MalformedInputError, mp4Meta } from '@aigc-label/core';

import type { DecoderConfig } from '../shared/sample-nals.js';

type Box = isobmff.Box;

const FORMAT = 'mp4';
/** Media data is hashed through one buffer of this size. */
const hashWindowInBytes = 4 * 1024 * 1024;
/** ffmpeg refuses larger samples (mov_build_index). */
const maximumSampleInBytes = 0x3fffffff;
/** A composition offset this far out makes ffmpeg drop the whole ctts (mov_read_ctts). */
const maximumCompositionOffset = 1 << 28;
/** Sample entries whose samples ffmpeg passes on as packets, unsplit by a parser, and the box holding their decoder configuration. */
const UNPARSED_VIDEO: ReadonlyMap<string, { codec: 'h264' | 'hevc'; config: string }> = new Map([
  ['avc1', { codec: 'h264', config: 'avcC' }],
  ['avc3', { codec: 'h264', config: 'avcC' }],
  ['hvc1', { codec: 'hevc', config: 'hvcC' }],
  ['hev1', { codec: 'hevc', config: 'hvcC' }],
]);
/** A VisualSampleEntry's fields before its child boxes (ISO/IEC 14496-12 §12.1.3). */
const VISUAL_SAMPLE_ENTRY_FIELDS = 78;

/** One packet, times in the track's timescale (ffmpeg's stream time base). */
export interface Mp4Packet {
  readonly pts: number;
  readonly dts: number;
  readonly duration: number;
  readonly keyframe: boolean;
  /** Outside the edit list: decoded, not shown (ffprobe flag D). */
  readonly discard: boolean;
  readonly offset: number;
  readonly size: number;
}

export interface Mp4Track {
  /** mdia/hdlr handler type: `vide`, `soun`, `text`… */
  readonly handler: string;
  readonly timescale: number;
  /** H.264/H.265 samples are ffmpeg's packets as they are; other codecs' packets may be re-split by its parsers. */
  readonly samplesArePackets: boolean;
  /** An H.264/H.265 track's decoder configuration record (avcC, hvcC), for reading its samples' NAL units. */
  readonly decoderConfig: DecoderConfig | undefined;
  readonly packets: readonly Mp4Packet[];
}

export type Mp4PacketIndex = { readonly ok: true; readonly tracks: readonly Mp4Track[] } | { readonly ok: false; readonly reason: string };

/** Every track's packets in decode order, or why ffmpeg's own reading is needed. */
export async function readMp4Packets(source: ByteSource): Promise<Mp4PacketIndex> {
  const top = await isobmff.listBoxes(source, 0, source.size, FORMAT);
  if (top.some((box) => box.type === 'moof')) return { ok: false, reason: 'the movie is fragmented' };
  const moovs = top.filter((box) => box.type === 'moov');
  if (moovs.length !== 1) return { ok: false, reason: `the file has ${moovs.length} moov boxes, not one` };
  const moov = await isobmff.readBox(source, moovs[0]!, FORMAT, mp4Meta.maximumMoovInBytes);
  const root = isobmff.parseBoxHeader(moov, 0, 0, moov.length, FORMAT);
  if (isobmff.childBox(moov, root, 'mvex', FORMAT)) return { ok: false, reason: 'the movie is fragmented' };
  const mvhd = isobmff.childBox(moov, root, 'mvhd', FORMAT);
  if (!mvhd) throw new MalformedInputError(FORMAT, 'the moov has no mvhd box');
  const movieTimescale = isobmff.timescaleOf(moov, mvhd, FORMAT);
  if (movieTimescale === 0) return { ok: false, reason: 'the movie timescale is 0' };
  const tracks: Mp4Track[] = [];
  for (const trak of isobmff.boxesIn(moov, root.headerSize, root.end, FORMAT)) {
    if (trak.type !== 'trak') continue;
    const track = readTrack(moov, trak, movieTimescale);
    if (typeof track === 'string') return { ok: false, reason: `track ${tracks.length + 1}: ${track}` };
    tracks.push(track);
  }
  let total = 0;
  for (const packet of tracks.flatMap((track) => track.packets)) {
    if (packet.offset + packet.size > source.size) {
      throw new MalformedInputError(FORMAT, `a sample at offset ${packet.offset} runs past the end of the file`);
    }
    total += packet.size;
  }
  // Real samples never overlap; hostile ones that all point at the same bytes would be hashed again and again.
  if (total > source.size) throw new MalformedInputError(FORMAT, 'the samples claim more bytes than the file holds');
  return { ok: true, tracks };
}

/** What mov_build_index reads of one trak, before the edit list. */
interface SampleTiming {
  readonly isAudio: boolean;
  readonly isVideo: boolean;
  readonly timescale: number;
  /** Media duration (mdhd), in the track's timescale. */
  readonly mediaDuration: number;
  readonly table: isobmff.SampleTable;
  readonly keyframes: Uint8Array;
  /** Per-sample composition offsets, or null without a ctts. */
  readonly ctts: Int32Array | null;
  /** How far negative composition offsets push decode times back (mov.c dts_shift). */
  readonly dtsShift: number;
}

function readTrack(moov: Uint8Array, trak: Box, movieTimescale: number): Mp4Track | string {
  if (isobmff.boxAt(moov, trak, ['tref', 'chap'], FORMAT)) return 'it names a chapter track, which ffmpeg hides';
  const mdhd = isobmff.boxAt(moov, trak, ['mdia', 'mdhd'], FORMAT);
  const minf = isobmff.boxAt(moov, trak, ['mdia', 'minf'], FORMAT);
  const stbl = minf && isobmff.childBox(moov, minf, 'stbl', FORMAT);
  const handler = isobmff.handlerOf(moov, trak, FORMAT);
  if (!mdhd || !stbl || !handler) throw new MalformedInputError(FORMAT, 'a track lacks its mdhd, hdlr or stbl box');
  if (isobmff.dataInSameFile(moov, minf!, FORMAT) === false) return 'its media data is in another file';
  const child = (type: string) => isobmff.childBox(moov, stbl, type, FORMAT);
  if (child('stz2')) return 'it stores compact sample sizes (stz2)';
  if (child('stps')) return 'it marks partial sync samples (stps)';
  for (const box of isobmff.boxesIn(moov, stbl.offset + stbl.headerSize, stbl.end, FORMAT)) {
    if (
      box.type === 'sbgp' &&
      box.size >= box.headerSize + 8 &&
      fromAscii(moov, box.offset + box.headerSize + 4, box.offset + box.headerSize + 8) === 'rap '
    )
      return 'it marks random access points by sample group';
  }
  const stsd = child('stsd');
  if (!stsd) throw new MalformedInputError(FORMAT, 'a track has no sample description');
  const entries = isobmff.sampleEntries(moov, stsd, FORMAT);
  const entry = entries[0];
  if (!entry || entries.length !== 1) return `it has ${entries.length} sample descriptions, not one`;
  const unparsed = UNPARSED_VIDEO.get(entry.type);
  const configBox = unparsed && isobmff.childBox(moov, entry, unparsed.config, FORMAT, VISUAL_SAMPLE_ENTRY_FIELDS);
  const timescale = isobmff.timescaleOf(moov, mdhd, FORMAT);
  if (timescale === 0) return 'its timescale is 0';

  const table = isobmff.readSampleTable(moov, stbl, FORMAT);
  const isAudio = handler === 'soun';
  for (let i = 0; i < table.count; i++) {
    if (table.sizes[i]! > maximumSampleInBytes) return `sample ${i} is ${table.sizes[i]} bytes`;
    // Zero or "negative" durations before the last sample make ffmpeg search an unsorted index.
    const duration = table.durations[i]!;
    if ((duration === 0 && i + 1 < table.count) || duration >= 0x80000000) return `sample ${i} lasts ${duration} ticks`;
  }
  // ffmpeg reads sound timed in single samples (PCM) by chunks, not samples.
  if (isAudio && table.count > 0 && table.durations.every((d) => d === 1)) return 'its sound is read by chunks';

  const stss = child('stss');
  const sync = stss && isobmff.readSyncSamples(moov, stss, FORMAT);
  if (sync?.length === 0) return 'its sync sample table is empty';
  const keyframes = syncFlags(table.count, sync);
  const cttsBox = child('ctts');
  const composition = cttsBox ? compositionOffsets(isobmff.readCompositionOffsets(moov, cttsBox, FORMAT), table.count) : undefined;
  if (typeof composition === 'string') return composition;

  const timing: SampleTiming = {
    isAudio,
    isVideo: handler === 'vide',
    timescale,
    mediaDuration: isobmff.durationOf(moov, mdhd, FORMAT),
    table,
    keyframes,
    ctts: composition?.perSample ?? null,
    dtsShift: composition?.dtsShift ?? 0,
  };
  const edts = isobmff.childBox(moov, trak, 'edts', FORMAT);
  const elst = edts && isobmff.childBox(moov, edts, 'elst', FORMAT);
  const edits = elst ? isobmff.readEditList(moov, elst, FORMAT) : [];
  const packets = edits.length === 0 ? unedited(timing) : edited(timing, edits, movieTimescale);
  if (typeof packets === 'string') return packets;
  const decoderConfig = unparsed &&
    configBox && { codec: unparsed.codec, record: moov.slice(configBox.offset + configBox.headerSize, configBox.end) };
  return { handler, timescale, samplesArePackets: unparsed !== undefined, decoderConfig, packets };
}

/**
 * Keyframe flags as mov_build_index sets them: no stss means every sample is a sync sample;
 * otherwise the stss is walked in step with the samples (an entry out of order is missed, as
 * there), 1-based unless the first entry is 0.
 */
function syncFlags(count: number, sync: Uint32Array | undefined): Uint8Array {
  const flags = new Uint8Array(count);
  if (!sync) return flags.fill(1);
  const base = sync[0]! > 0 ? 1 : 0;
  let next = 0;
  for (let i = 0; i < count; i++) {
    if (i + base !== sync[next]) continue;
    flags[i] = 1;
    if (next + 1 < sync.length) next++;
  }
  return flags;
}

/**
 * Per-sample composition offsets, and the shift negative ones give decode times: the largest
 * negative offset of all entries but the last two, as mov_read_ctts takes it. Entries of count
 * 0 or past 2^31 are skipped there too.
 */
function compositionOffsets(
  runs: { counts: Uint32Array; offsets: Int32Array },
  sampleCount: number,
): { perSample: Int32Array; dtsShift: number } | string {
  const perSample = new Int32Array(sampleCount);
  let sample = 0;
  let dtsShift = 0;
  const entries = runs.counts.length;
  for (let i = 0; i < entries; i++) {
    const count = runs.counts[i]!;
    const offset = runs.offsets[i]!;
    if (count === 0 || count >= 0x80000000) continue;
    if (Math.abs(offset) > maximumCompositionOffset && i + 2 < entries) return 'its composition offsets are out of range';
    if (count > sampleCount - sample) return 'its ctts box offsets more samples than there are';
    perSample.fill(offset, sample, sample + count);
    sample += count;
    if (i + 2 < entries && offset < 0) dtsShift = Math.max(dtsShift, -offset);
  }
  if (sample !== sampleCount) return `its ctts box offsets ${sample} samples of ${sampleCount}`;
  return { perSample, dtsShift };
}

/** Decode times from the stts, shifted back by `dtsShift`: mov_build_index's index before the edit list. */
function indexTimes(timing: SampleTiming): Float64Array {
  const { table, dtsShift } = timing;
  const times = new Float64Array(table.count);
  let dts = -dtsShift;
  for (let i = 0; i < table.count; i++) {
    times[i] = dts;
    dts += table.durations[i]!;
  }
  return times;
}

/** Packets without an edit list: every sample, none discarded. */
function unedited(timing: SampleTiming): Mp4Packet[] {
  const times = indexTimes(timing);
  const samples = Array.from(times.keys());
  return finishPackets(timing, samples, times, new Uint8Array(times.length), timing.mediaDuration);
}

/**
 * Packets under an edit list of leading empty edits and one edit that plays the media at normal
 * rate, as mov_fix_index rewrites the index: from the keyframe the edit needs on, samples shown
 * outside the edit are flagged discarded, decode times run on from the edit's start (those
 * before it counted back), and a video track whose first shown frame would start late is moved
 * to start at 0.
 */
function edited(timing: SampleTiming, edits: readonly isobmff.EditEntry[], movieTimescale: number): Mp4Packet[] | string {
  const { table, ctts, dtsShift, isAudio, keyframes } = timing;
  const toTrack = (movieTicks: number) => rescale(movieTicks, timing.timescale, movieTimescale);
  let empty = 0;
  let at = 0;
  for (; at < edits.length && edits[at]!.mediaTime === -1; at++) empty += toTrack(edits[at]!.segmentDuration);
  const edit = edits[at];
  if (!edit || at !== edits.length - 1) return `its edit list has ${edits.length - at} media edits, not one`;
  if (edit.rate !== 0x10000) return 'its edit list plays at another rate';
  const mediaTime = edit.mediaTime;
  const editDuration = toTrack(edit.segmentDuration);
  const editEnd = mediaTime + editDuration;
  const old = indexTimes(timing);
  const count = table.count;
  if (count === 0) return [];

  // The sound decoder needs a second before the edit to prime itself.
  let search = isAudio ? Math.max(mediaTime - timing.timescale, old[0]!) : mediaTime;
  search -= dtsShift;
  const first = firstSample(old, keyframes, ctts, search);

  const samples: number[] = [];
  const times: number[] = [];
  const discard: number[] = [];
  let counter = empty - dtsShift;
  let started = false;
  let discardedBefore = 0;
  let minimumPts = -1;
  let keyframeAfterEdit = false;
  for (let i = first; i < count; i++) {
    const frameDuration = i + 1 < count ? old[i + 1]! - old[i]! : editDuration;
    const offset = ctts ? ctts[i]! : 0;
    const cts = old[i]! + dtsShift + offset;
    let dropped = false;
    if (cts < mediaTime || cts >= editEnd) {
      if (isAudio && cts < mediaTime && cts + frameDuration > mediaTime) {
        // The sound frame the edit starts in is kept, timed from where the edit starts in it.
        counter -= mediaTime - cts;
        if (!started) started = startEdit(times, discardedBefore, counter, old, i);
      } else {
        dropped = true;
        if (!started) discardedBefore++;
      }
    } else {
      const pts = counter + offset + dtsShift;
      minimumPts = minimumPts < 0 ? pts : Math.min(minimumPts, pts);
      if (!started) started = startEdit(times, discardedBefore, counter, old, i);
    }
    samples.push(i);
    times.push(counter);
    discard.push(dropped ? 1 : 0);
    if (started) counter += frameDuration;
    // Stop at the first keyframe past the edit's end (with B-frames, the second: frames after the first may still be shown).
    if (cts + frameDuration >= editEnd && (keyframes[i] || isAudio)) {
      if (ctts && !isAudio && !keyframeAfterEdit) {
        keyframeAfterEdit = true;
        continue;
      }
      break;
    }
  }
  minimumPts -= empty;
  const dts = Float64Array.from(times);
  if (timing.isVideo && minimumPts > 0) for (let k = 0; k < dts.length; k++) dts[k]! -= minimumPts;
  return finishPackets(timing, samples, dts, Uint8Array.from(discard), Math.min(timing.mediaDuration, empty + editDuration));
}

/** The frames discarded before the edit's first shown one are timed back from it by their durations (fix_index_entry_timestamps). */
function startEdit(times: number[], discarded: number, start: number, old: Float64Array, sample: number): boolean {
  let t = start;
  for (let k = 1; k <= discarded; k++) {
    t -= old[sample - k + 1]! - old[sample - k]!;
    times[times.length - k] = t;
  }
  return true;
}

/**
 * The sample the edit's decoding starts from (find_prev_closest_index): the last keyframe at or
 * before `search`, then, with composition offsets, back to a keyframe shown at or before it;
 * the first sample when there is none.
 */
function firstSample(times: Float64Array, keyframes: Uint8Array, ctts: Int32Array | null, search: number): number {
  let low = 0;
  let high = times.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (times[middle]! <= search) low = middle + 1;
    else high = middle;
  }
  const last = low - 1;
  let index = last;
  while (index >= 0 && !keyframes[index]) index--;
  // No keyframe before it: ffmpeg searches again for any sample, which with composition offsets still wants a keyframe.
  if (index < 0 && !ctts) return Math.max(last, 0);
  if (ctts) {
    if (index < 0) index = last;
    while (index >= 0 && !(keyframes[index] && times[index]! + ctts[index]! <= search)) index--;
  }
  return Math.max(index, 0);
}

/** Presentation times and durations, as mov_read_packet gives them. */
function finishPackets(
  timing: SampleTiming,
  samples: readonly number[],
  dts: Float64Array,
  discard: Uint8Array,
  /** The stream's duration (mdhd, or the edit list's when shorter). */
  streamEnd: number,
): Mp4Packet[] {
  const { table, ctts, dtsShift, keyframes } = timing;
  return samples.map((sample, k) => {
    const own = dts[k]!;
    // Without composition offsets a packet lasts until the next one (the last to the stream's
    // duration); otherwise ffmpeg leaves the duration to the frame rate, which the stts gives.
    const next = k + 1 < samples.length ? dts[k + 1]! : streamEnd;
    const duration = ctts || next <= own ? table.durations[sample]! : next - own;
    return {
      pts: ctts ? own + dtsShift + ctts[sample]! : own,
      dts: own,
      duration,
      keyframe: keyframes[sample] === 1,
      discard: discard[k] === 1,
      offset: table.offsets[sample]!,
      size: table.sizes[sample]!,
    };
  });
}

/** av_rescale: `value * to / from`, rounded to nearest, halves away from zero. */
function rescale(value: number, to: number, from: number): number {
  const product = BigInt(value) * BigInt(to);
  const half = BigInt(from) / 2n;
  const result = (product + (product < 0n ? -half : half)) / BigInt(from);
  if (result > BigInt(Number.MAX_SAFE_INTEGER)) throw new LimitExceededError(`${FORMAT}: an edit lasts too long`);
  return Number(result);
}

/**
 * The CRC-32 of every packet of every track (eight lowercase hex digits, as ffprobe's
 * `-show_data_hash CRC32` prints them), by track, reading the media data once in file order
 * through one buffer. `tracks` are `readMp4Packets`'s of the same source, which bounded them by it.
 */
export async function hashMp4Packets(source: ByteSource, tracks: readonly Mp4Track[]): Promise<string[][]> {
  const hashes = tracks.map((track) => new Array<string>(track.packets.length));
  const all = tracks.flatMap((track, t) => track.packets.map((packet, p) => ({ packet, t, p })));
  all.sort((a, b) => a.packet.offset - b.packet.offset);
  const buffer = new Uint8Array(Math.min(hashWindowInBytes, Math.max(source.size, 1)));
  let windowStart = 0;
  let window: Uint8Array = buffer.subarray(0, 0);
  for (const { packet, t, p } of all) {
    let crc = 0;
    for (let at = packet.offset, end = packet.offset + packet.size; at < end; ) {
      if (at < windowStart || at >= windowStart + window.length) {
        windowStart = at;
        window = await fill(source, at, buffer);
      }
      const to = Math.min(end, windowStart + window.length);
      crc = crc32(window.subarray(at - windowStart, to - windowStart), crc);
      at = to;
    }
    hashes[t]![p] = crc.toString(16).padStart(8, '0');
  }
  return hashes;
}

async function fill(source: ByteSource, at: number, buffer: Uint8Array): Promise<Uint8Array> {
  const length = Math.min(buffer.length, source.size - at);
  if (source.readInto) {
    const read = await source.readInto(at, buffer.subarray(0, length));
    if (read !== length) throw new MalformedInputError(FORMAT, `the media data at offset ${at} is truncated`);
    return buffer.subarray(0, length);
  }
  const bytes = await source.read(at, length);
  if (bytes.length !== length) throw new MalformedInputError(FORMAT, `the media data at offset ${at} is truncated`);
  return bytes;
}
