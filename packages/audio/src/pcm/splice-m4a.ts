/**
 * Audible labels spliced into an M4A (AAC-LC in an ISO-BMFF file) without re-encoding it: the
 * label alone is encoded (ffmpeg's `aac`, at the file's sample rate and channel count and no
 * lower a bit rate) into an MP4 of its own, and its access units, read through its sample
 * table, go in a new `mdat` box in front of the box holding the file's first access unit, or
 * behind the one holding its last. Every access unit of the file is copied byte for byte, and so
 * is every other box but the sound track's sample table (stts, stsz, stsc, stco/co64, sbgp),
 * its durations (tkhd, mdhd, mvhd) and its edit list; other tracks' chunk offsets are shifted
 * by what was inserted in front of them. Three things make this right:
 * - priming (encoder delay): the edit list skips the label's own priming when the label starts
 *   the track. The file's priming access units (1024 samples from ffmpeg, 2112 from Apple's
 *   encoders), which the edit list skipped before, now play between the label and the content:
 *   they decode to the near-silence the file's encoder started from (measured in the test);
 * - the seam: AAC overlaps each frame with the one before. The label ends in silence, coded as
 *   all-zero spectra, so the file's first frame overlaps with nothing, as it did alone, and the
 *   content decodes as before; behind the content, the label's priming frame takes up the
 *   overlap of the file's last frame, which plays out as it would have;
 * - durations: every access unit but the last lasts 1024 samples; the end is trimmed by the edit
 *   list and the last access unit's duration, as the file or the label had it.
 * A label elsewhere (the middle, a time) or mixed over the content would need the frames it lands
 * in re-encoded; that is not done here, so those files are re-encoded whole, as are fragmented
 * files, files with several sound tracks, HE-AAC (SBR, PS), more than two channels, edit lists of
 * more than one edit, and files whose gapless information is in an iTunSMPB tag.
 */
import {
  type ByteSource,
  concat,
  fromAscii,
  indexOfBytes,
  isobmff,
  MalformedInputError,
  mp4Meta,
  putU32be,
  putU64be,
  readExact,
  splicePlan,
  u32be,
  utf8,
} from '@aigc-label/core';
import { DEFAULT_TIMEOUT_MS, ffmpegPath, runToolOrThrow } from '@aigc-label/ffmpeg';
import { AAC_FRAME, type AacTrack, readAacTrack } from '../m4a/aac-track.js';
import { excerptSpans, programmeFromExcerpts } from './excerpts.js';
import { decodePcmWithin } from './ffmpeg.js';
import { type LabelFactory, type LabelMode, type LabelPosition, type SpliceAttempt, spliceEnds } from './splice.js';

const FORMAT = 'm4a';
/** Access units decoded before an excerpt and dropped: the first overlaps with the frame before it. */
const WARM_UP = 2;
/** The largest ADTS frame (13-bit length). */
const MAXIMUM_ADTS = 8191;
const ITUNSMPB = utf8('iTunSMPB');

/** An iTunes freeform item named iTunSMPB: a `name` box (FullBox) holding that name, anywhere in the moov. */
function hasGaplessTag(moov: Uint8Array): boolean {
  for (let at = indexOfBytes(moov, ITUNSMPB); at >= 0; at = indexOfBytes(moov, ITUNSMPB, at + 1)) {
    if (at >= 12 && fromAscii(moov, at - 8, at - 4) === 'name' && u32be(moov, at - 12) === 20) return true;
  }
  return false;
}

/** True when the file starts with an ISO-BMFF `ftyp` box: an M4A for the splice to look at. */
export async function isIsoBmff(source: ByteSource): Promise<boolean> {
  return source.size >= 12 && fromAscii(await source.read(4, 4), 0, 4) === 'ftyp';
}

/** An ADTS header (ISO/IEC 13818-7 §6.2) for one AAC-LC access unit, so ffmpeg can decode bare access units. */
function adtsHeader(length: number, track: AacTrack): Uint8Array {
  const full = length + 7;
  const { rateIndex, channelConfig } = track;
  return Uint8Array.of(
    0xff,
    0xf1,
    (1 << 6) | (rateIndex << 2) | (channelConfig >> 2),
    ((channelConfig & 3) << 6) | (full >> 11),
    (full >> 3) & 0xff,
    ((full & 7) << 5) | 0x1f,
    0xfc,
  );
}

/** The bytes of access units `[from, to)`, read as one range when they lie together. */
async function readUnits(source: ByteSource, track: AacTrack, from: number, to: number): Promise<Uint8Array[]> {
  const { offsets, sizes } = track.table;
  let bytes = 0;
  for (let i = from; i < to; i++) bytes += sizes[i]!;
  const start = offsets[from]!;
  const span = offsets[to - 1]! + sizes[to - 1]! - start;
  const units: Uint8Array[] = [];
  if (span >= bytes && span <= 2 * bytes + (1 << 20)) {
    const block = await readExact(source, start, span, FORMAT, 'AAC access units');
    for (let i = from; i < to; i++) units.push(block.subarray(offsets[i]! - start, offsets[i]! - start + sizes[i]!));
  } else {
    for (let i = from; i < to; i++) units.push(await readExact(source, offsets[i]!, sizes[i]!, FORMAT, 'AAC access unit'));
  }
  return units;
}

/**
 * The programme level from excerpts of the content (content frame 0 is media sample `priming`):
 * their access units, each excerpt after two warm-up units, wrapped in ADTS and decoded by one
 * ffmpeg run, streamed.
 */
async function measure(source: ByteSource, track: AacTrack) {
  const { priming, playEnd, channels, sampleRate } = track;
  const total = playEnd - priming;
  const spans = excerptSpans(total, sampleRate);
  const ranges = spans.map((span) => {
    const first = Math.floor((span.start + priming) / AAC_FRAME);
    const from = Math.max(0, first - WARM_UP);
    const to = Math.min(track.table.count, Math.ceil((span.start + span.frames + priming) / AAC_FRAME));
    return { from, to, skip: span.start + priming - from * AAC_FRAME, frames: span.frames };
  });
  const frames: Uint8Array[] = [];
  for (const { from, to } of ranges) {
    for (const unit of await readUnits(source, track, from, to)) {
      if (unit.length + 7 > MAXIMUM_ADTS) throw new MalformedInputError(FORMAT, 'an AAC access unit is larger than any AAC-LC frame');
      frames.push(adtsHeader(unit.length, track), unit);
    }
  }
  // Streamed: the decoded minute is measured as it comes, not collected (21 MB at 44.1 kHz stereo).
  const pcm = decodePcmWithin(concat(frames), { sampleRate, channels }, DEFAULT_TIMEOUT_MS)[Symbol.asyncIterator]();
  let pending: Float32Array = new Float32Array(0);
  /** The next `count` decoded frames, yielded when `keep`. */
  async function* take(count: number, keep: boolean): AsyncGenerator<Float32Array> {
    for (let left = count * channels; left > 0; ) {
      if (pending.length === 0) {
        const next = await pcm.next();
        if (next.done) throw new MalformedInputError(FORMAT, 'ffmpeg decoded fewer samples than the access units hold');
        pending = next.value;
      }
      const n = Math.min(left, pending.length);
      if (keep) yield pending.subarray(0, n);
      pending = pending.subarray(n);
      left -= n;
    }
  }
  let at = 0;
  const programme = await programmeFromExcerpts(total, sampleRate, channels, async function* () {
    const { from, to, skip, frames: wanted } = ranges[at++]!;
    const decoded = (to - from) * AAC_FRAME;
    const dropped = Math.min(skip, decoded);
    const kept = Math.min(wanted, decoded - dropped);
    yield* take(dropped, false);
    yield* take(kept, true);
    yield* take(decoded - dropped - kept, false);
  });
  if (pending.length > 0 || !(await pcm.next()).done)
    throw new MalformedInputError(FORMAT, 'ffmpeg decoded more samples than the access units hold');
  return programme;
}

/** The label, encoded alone: its access units, their sizes, and the samples its encoder primed with. */
interface EncodedLabel {
  readonly units: Uint8Array;
  readonly sizes: Uint32Array;
  readonly priming: number;
}

/** The encoder delay of ffmpeg's `aac` encoder (its `initial_padding`), which its MP4 muxer writes as the edit list's media time. */
const FFMPEG_AAC_PRIMING = 1024;

/**
 * Encodes the mono label (whole frames), spread over the file's channels, as AAC-LC at `kbps`
 * and takes its access units out of ffmpeg's ADTS output (checked against the file's profile,
 * rate and channel configuration). ADTS because ffmpeg writes an MP4 only where it can seek,
 * and this package writes no files; the priming is then the encoder's, checked against the
 * number of access units it gave.
 */
async function encodeLabel(mono: Float32Array, track: AacTrack, kbps: number): Promise<EncodedLabel | string> {
  const { channels, sampleRate } = track;
  const interleaved = new Float32Array(mono.length * channels);
  for (let i = 0; i < mono.length; i++) interleaved.fill(mono[i]!, i * channels, (i + 1) * channels);
  const rate = String(sampleRate);
  const { stdout } = await runToolOrThrow(
    ffmpegPath(),
    [
      ...['-v', 'error', '-f', 'f32le', '-ar', rate, '-ac', String(channels), '-i', 'pipe:0'],
      // No noise substitution: its bands draw on the decoder's random generator, which would then
      // be elsewhere when the file's own noise-substituted bands are decoded after the label.
      ...['-c:a', 'aac', '-aac_pns', '0', '-b:a', `${kbps}k`, '-ar', rate, '-map_metadata', '-1', '-f', 'adts', 'pipe:1'],
    ],
    {
      stdin: new Uint8Array(interleaved.buffer),
      failure: (tail, code) => new MalformedInputError('audio', `ffmpeg cannot encode the label: ${tail || `exit code ${code}`}`),
    },
  );
  const units: Uint8Array[] = [];
  for (let at = 0; at < stdout.length; ) {
    const head = stdout.subarray(at, at + 9);
    const length = ((head[3]! & 3) << 11) | (head[4]! << 3) | (head[5]! >> 5);
    const headerLength = head[1]! & 1 ? 7 : 9;
    if (head.length < 7 || head[0] !== 0xff || (head[1]! & 0xf6) !== 0xf0 || length <= headerLength || at + length > stdout.length) {
      throw new MalformedInputError('audio', "ffmpeg's ADTS output for the label is not a run of ADTS frames");
    }
    if ((head[6]! & 3) !== 0) throw new MalformedInputError('audio', "ffmpeg's ADTS output for the label packs several frames in one");
    const profile = head[2]! >> 6;
    const rateIndex = (head[2]! >> 2) & 15;
    const channelConfig = ((head[2]! & 1) << 2) | (head[3]! >> 6);
    if (profile !== 1 || rateIndex !== track.rateIndex || channelConfig !== track.channelConfig) {
      return "ffmpeg's AAC encoder does not code the label at the file's profile, sample rate and channel configuration";
    }
    units.push(stdout.subarray(at + headerLength, at + length));
    at += length;
  }
  // One access unit more than the frames given: the priming frame in front, which shifts the rest.
  if (units.length * AAC_FRAME !== mono.length + FFMPEG_AAC_PRIMING) {
    throw new MalformedInputError('audio', `ffmpeg's AAC encoder gave ${units.length} access units for ${mono.length / AAC_FRAME} frames`);
  }
  return { units: concat(units), sizes: Uint32Array.from(units, (u) => u.length), priming: FFMPEG_AAC_PRIMING };
}

/** A copy of a box (held at offset 0 of `bytes`) with its duration field set. */
function withDuration(bytes: Uint8Array, box: isobmff.Box, value: number): Uint8Array {
  const out = bytes.slice();
  const { at, wide } = isobmff.durationField(out, { ...box, offset: 0, end: box.size }, FORMAT);
  if (wide) putU64be(out, at, value);
  else if (value > 0xffffffff) throw new MalformedInputError(FORMAT, `a ${box.type} duration of ${value} does not fit its 32-bit field`);
  else putU32be(out, at, value);
  return out;
}

/** An edit list of one edit: play from `mediaTime` for `segment` movie units at normal rate. */
function editList(segment: number, mediaTime: number, version: number): Uint8Array {
  const wide = version === 1 || segment > 0xffffffff || mediaTime > 0x7fffffff;
  const entry = new Uint8Array(wide ? 24 : 16);
  putU32be(entry, 0, 1);
  if (wide) {
    putU64be(entry, 4, segment);
    putU64be(entry, 12, mediaTime);
    putU32be(entry, 20, 0x10000);
  } else {
    putU32be(entry, 4, segment);
    putU32be(entry, 8, mediaTime);
    putU32be(entry, 12, 0x10000);
  }
  return isobmff.makeFullBox('elst', wide ? 1 : 0, 0, entry);
}

/**
 * An sbgp box (§8.9.2) with the label's access units added at either end: in the group of the
 * unit they stand beside (AAC's roll group, which ffmpeg writes for every unit).
 */
function sampleGroups(bytes: Uint8Array, box: isobmff.Box, count: number, before: number, after: number): Uint8Array | string {
  const version = bytes[box.headerSize]!;
  const at = box.headerSize + 8 + (version === 1 ? 4 : 0);
  if (at + 4 > bytes.length) return 'the sbgp box is truncated';
  const entries = u32be(bytes, at);
  if (entries * 8 > bytes.length - at - 4) return 'the sbgp box is truncated';
  const groups = new Uint32Array(before + count + after);
  let sample = before;
  for (let i = 0; i < entries; i++) {
    const run = u32be(bytes, at + 4 + i * 8);
    if (run > count - (sample - before)) return 'the sbgp box groups more samples than the track has';
    groups.fill(u32be(bytes, at + 8 + i * 8), sample, sample + run);
    sample += run;
  }
  groups.fill(groups[before]!, 0, before);
  groups.fill(groups[before + count - 1]!, before + count);
  const runs: number[] = [];
  for (const group of groups) {
    if (runs.length > 0 && runs[runs.length - 1] === group) runs[runs.length - 2]!++;
    else runs.push(1, group);
  }
  const body = new Uint8Array(at - box.headerSize + 4 + runs.length * 4);
  body.set(bytes.subarray(box.headerSize, at));
  putU32be(body, at - box.headerSize, runs.length / 2);
  for (const [i, v] of runs.entries()) putU32be(body, at - box.headerSize + 4 + i * 4, v);
  return isobmff.makeBox('sbgp', body);
}

/**
 * Splices the label into the M4A at the start and/or end, or says why it cannot (see the module
 * comment).
 */
export async function spliceM4a(
  source: ByteSource,
  positions: readonly LabelPosition[],
  mode: LabelMode,
  makeLabel: LabelFactory,
): Promise<SpliceAttempt> {
  const ends = spliceEnds(positions, mode, 'AAC', 'frames');
  if ('reason' in ends) return ends;
  const atStart = ends.has('start');
  const atEnd = ends.has('end');
  let boxes: isobmff.Box[];
  try {
    boxes = await isobmff.listBoxes(source, 0, source.size, FORMAT);
  } catch (error) {
    if (error instanceof MalformedInputError) return { reason: `the file's boxes are damaged (${error.detail})` };
    throw error;
  }
  const moovs = boxes.filter((box) => box.type === 'moov');
  if (moovs.length !== 1) return { reason: `the file has ${moovs.length} moov boxes, not one` };
  if (boxes.some((box) => box.type === 'moof' || box.type === 'mfra' || box.type === 'sidx')) return { reason: 'the file is fragmented' };
  const moov = moovs[0]!;
  const moovBytes = await isobmff.readBox(source, moov, FORMAT, mp4Meta.maximumMoovInBytes);
  const track = readAacTrack(moovBytes);
  if (typeof track === 'string') return { reason: track };
  // Apple's gapless tag counts the priming and the samples itself; it would cut into the label.
  if (hasGaplessTag(moovBytes)) return { reason: 'the file keeps its gapless information in an iTunSMPB tag' };

  // Every access unit inside an mdat box; the label goes beside the boxes holding the first and last.
  const mdats = boxes.filter((box) => box.type === 'mdat');
  const { table } = track;
  const mdatOf = (offset: number, size: number): number => {
    let low = 0;
    let high = mdats.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (mdats[middle]!.offset <= offset) low = middle;
      else high = middle - 1;
    }
    const box = mdats[low];
    return box && offset >= box.offset + box.headerSize && offset + size <= box.end ? low : -1;
  };
  for (let i = 0; i < table.count; i++) {
    if (mdatOf(table.offsets[i]!, table.sizes[i]!) < 0) return { reason: `access unit ${i} lies outside the media data boxes` };
  }
  const firstMdat = mdats[mdatOf(table.offsets[0]!, table.sizes[0]!)]!;
  const lastMdat = mdats[mdatOf(table.offsets[table.count - 1]!, table.sizes[table.count - 1]!)]!;
  if (lastMdat.offset < firstMdat.offset) return { reason: 'the last access unit lies in front of the first' };
  if (atEnd && (await readExact(source, lastMdat.offset, 4, FORMAT, 'mdat box')).every((b) => b === 0)) {
    return { reason: 'the media data box runs to the end of the file (size 0), so nothing can follow it' };
  }

  const programme = await measure(source, track);
  const label = await makeLabel(track.sampleRate, programme);
  // Whole frames of the label, the last of them silent (a label's own padding usually is), so its last access unit codes silence.
  const silentTail = label.length >= AAC_FRAME && label.subarray(label.length - AAC_FRAME).every((v) => v === 0);
  const padded = new Float32Array((Math.ceil(label.length / AAC_FRAME) + (silentTail ? 0 : 1)) * AAC_FRAME);
  padded.set(label);
  const audioBytes = table.sizes.reduce((n, s) => n + s, 0);
  const kbps = Math.min(
    320 * track.channels,
    Math.max(16, Math.ceil((audioBytes * 8 * track.sampleRate) / (table.count * AAC_FRAME) / 1000)),
  );
  const encoded = await encodeLabel(padded, track, kbps);
  if (typeof encoded === 'string') return { reason: encoded };
  const labelUnits = encoded.sizes.length;
  const labelBox = isobmff.makeBox('mdat', encoded.units);

  // The sound track's new sample table, in output order: [label] the file's units [label].
  const count = table.count + (atStart ? labelUnits : 0) + (atEnd ? labelUnits : 0);
  const durations = new Uint32Array(count);
  const sizes = new Uint32Array(count);
  let n = 0;
  const add = (from: Pick<isobmff.SampleTable, 'durations' | 'sizes'>, wholeLast: boolean) => {
    durations.set(from.durations, n);
    sizes.set(from.sizes, n);
    n += from.sizes.length;
    if (wholeLast) durations[n - 1] = AAC_FRAME;
  };
  const labelTable = { durations: new Uint32Array(labelUnits).fill(AAC_FRAME), sizes: encoded.sizes };
  if (atStart) add(labelTable, true);
  add(table, atEnd);
  if (atEnd) add(labelTable, false);
  const mediaDuration = durations.reduce((sum, d) => sum + d, 0);
  const before = atStart ? labelUnits * AAC_FRAME : 0;
  const mediaTime = atStart ? encoded.priming : track.priming;
  const endLabelAt = before + table.count * AAC_FRAME;
  // Behind the content, the edit ends with the label, before the silence it was padded with.
  const playEnd = atEnd ? endLabelAt + encoded.priming + label.length : before + track.playEnd;
  const toMovie = (media: number) => Math.round((media * track.movieTimescale) / track.sampleRate);
  // With the label in front only, the file's own end (and the rounding of its edit) is kept.
  const segment =
    !atEnd && track.edit
      ? track.edit.segment + toMovie(playEnd - mediaTime - (track.playEnd - track.priming))
      : toMovie(playEnd - mediaTime);
  const runs: isobmff.ChunkRun[] = table.chunkRuns.map((run) => ({ ...run, firstChunk: run.firstChunk + (atStart ? 1 : 0) }));
  const description = table.chunkRuns[0]!.descriptionIndex;
  if (atStart) runs.unshift({ firstChunk: 1, samplesPerChunk: labelUnits, descriptionIndex: description });
  if (atEnd)
    runs.push({ firstChunk: table.chunkOffsets.length + (atStart ? 2 : 1), samplesPerChunk: labelUnits, descriptionIndex: description });
  const mvhdDuration = isobmff.durationOf(
    moovBytes,
    isobmff.childBox(moovBytes, { ...moov, offset: 0, end: moov.size }, 'mvhd', FORMAT)!,
    FORMAT,
  );

  /** The moov for a guess at how much it grows; offsets are shifted by the growth and the inserted boxes. */
  const build = (growth: number): Uint8Array | string => {
    const shift = (o: number) =>
      o +
      (o >= moov.end ? growth : 0) +
      (atStart && o >= firstMdat.offset ? labelBox.length : 0) +
      (atEnd && o >= lastMdat.end ? labelBox.length : 0);
    const chunks: number[] = [];
    const header = labelBox.length - encoded.units.length;
    if (atStart) chunks.push(firstMdat.offset + (firstMdat.offset >= moov.end ? growth : 0) + header);
    for (const offset of table.chunkOffsets) chunks.push(shift(offset));
    if (atEnd) chunks.push(lastMdat.end + (lastMdat.end >= moov.end ? growth : 0) + (atStart ? labelBox.length : 0) + header);
    let problem: string | undefined;
    const audioTrak = (trakBytes: Uint8Array) =>
      isobmff.rewriteBoxTree(trakBytes, FORMAT, (box, bytes) => {
        switch (box.type) {
          case 'tkhd':
            return concat([
              withDuration(bytes, box, segment),
              ...(track.edit ? [] : [isobmff.makeBox('edts', editList(segment, mediaTime, 0))]),
            ]);
          case 'mdhd':
            return withDuration(bytes, box, mediaDuration);
          case 'elst':
            return editList(segment, mediaTime, track.edit?.version ?? 0);
          case 'stts':
            return isobmff.sttsBox(durations);
          case 'stsz':
            return isobmff.stszBox(sizes);
          case 'stsc':
            return isobmff.stscBox(runs);
          case 'stco':
          case 'co64':
            return isobmff.chunkOffsetBox(chunks, box.type === 'co64');
          case 'sbgp': {
            const groups = sampleGroups(bytes, box, table.count, atStart ? labelUnits : 0, atEnd ? labelUnits : 0);
            if (typeof groups === 'string') problem = groups;
            return typeof groups === 'string' ? bytes : groups;
          }
          default:
            return undefined;
        }
      });
    const out = isobmff.rewriteBoxTree(moovBytes, FORMAT, (box, bytes) => {
      if (box.type === 'mvhd') return withDuration(bytes, box, Math.max(mvhdDuration, segment));
      if (box.type !== 'trak') return undefined;
      return box.offset === track.trak.offset ? audioTrak(bytes) : isobmff.shiftChunkOffsets(bytes, shift, FORMAT);
    });
    return problem ?? out;
  };
  // Promoting an stco to co64 grows the moov, which moves the offsets again: iterate to a fixed point.
  let growth = 0;
  let built: Uint8Array | string = '';
  for (let round = 0; round < 8; round++) {
    built = build(growth);
    if (typeof built === 'string') return { reason: built };
    if (built.length - moov.size === growth) break;
    growth = built.length - moov.size;
  }
  if (typeof built === 'string' || built.length - moov.size !== growth) return { reason: 'the chunk offsets did not settle' };

  const edits = [
    ...(atStart ? [{ start: firstMdat.offset, end: firstMdat.offset, insert: labelBox }] : []),
    ...(atEnd ? [{ start: lastMdat.end, end: lastMdat.end, insert: labelBox }] : []),
    { start: moov.offset, end: moov.end, insert: built },
  ];
  const labelStarts: number[] = [];
  if (atStart) labelStarts.push(0);
  if (atEnd) labelStarts.push(endLabelAt + encoded.priming - mediaTime);
  return {
    spliced: { plan: splicePlan(source.size, edits), programme, sampleRate: track.sampleRate, labelFrames: label.length, labelStarts },
  };
}
