/**
 * The one AAC-LC track of an M4A, read from its `moov` for splicing: the timescales and
 * durations, the edit list, the sample description's AudioSpecificConfig (ISO/IEC 14496-3
 * §1.6.2.1) and the sample table, with everything a splice cannot keep exact refused by name.
 */
import { isobmff, MalformedInputError, u16be } from '@aigc-label/core';

type Box = isobmff.Box;

const FORMAT = 'm4a';
/** AAC-LC codes 1024 samples per access unit (a 960-sample frame length is refused). */
export const AAC_FRAME = 1024;
/** Sampling frequency index → rate (ISO/IEC 14496-3 Table 1.18). */
export const AAC_RATES = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];
/** stbl children a splice rewrites or keeps as they are; any other (stss, ctts, sdtp, subs, saiz…) is refused. */
const KNOWN_STBL = new Set(['stsd', 'stts', 'stsz', 'stsc', 'stco', 'co64', 'sgpd', 'sbgp']);

/** The edit list: one edit that plays the media from `mediaTime` (media units) for `segment` (movie units). */
export interface SingleEdit {
  readonly version: number;
  readonly segment: number;
  readonly mediaTime: number;
}

export interface AacTrack {
  /** The trak, and its boxes, at offsets in the moov bytes. */
  readonly trak: Box;
  readonly tkhd: Box;
  readonly mdhd: Box;
  readonly stbl: Box;
  /** The edit list, or null when the track has none (its priming then plays). */
  readonly edit: SingleEdit | null;
  readonly movieTimescale: number;
  readonly sampleRate: number;
  readonly channels: number;
  /** Sampling frequency index and channel configuration, for ADTS headers. */
  readonly rateIndex: number;
  readonly channelConfig: number;
  readonly table: isobmff.SampleTable;
  /** Media samples the edit list skips at the start (the encoder's priming). */
  readonly priming: number;
  /** Media sample where playback ends (the edit's end, or the media's end). */
  readonly playEnd: number;
}

/** A descriptor in an esds (ISO/IEC 14496-1 §8.3.3): its tag and payload range. */
function descriptorAt(bytes: Uint8Array, at: number, end: number): { tag: number; from: number; to: number } | null {
  if (at + 2 > end) return null;
  let size = 0;
  let i = at + 1;
  for (let k = 0; k < 4; k++) {
    const b = bytes[i++]!;
    size = (size << 7) | (b & 0x7f);
    if (!(b & 0x80)) break;
  }
  return i + size <= end ? { tag: bytes[at]!, from: i, to: i + size } : null;
}

/** The AudioSpecificConfig from an esds box, or why there is none. */
function audioSpecificConfig(moov: Uint8Array, esds: Box): Uint8Array | string {
  const es = descriptorAt(moov, esds.offset + esds.headerSize + 4, esds.end);
  if (es?.tag !== 3) return 'the esds box holds no ES descriptor';
  const flags = moov[es.from + 2]!;
  let at = es.from + 3 + (flags & 0x80 ? 2 : 0);
  if (flags & 0x40) at += 1 + moov[at]!;
  if (flags & 0x20) at += 2;
  const config = descriptorAt(moov, at, es.to);
  if (config?.tag !== 4) return 'the esds box holds no decoder configuration';
  if (moov[config.from] !== 0x40) return `object type 0x${moov[config.from]!.toString(16)} is not MPEG-4 audio`;
  const specific = descriptorAt(moov, config.from + 13, config.to);
  if (specific?.tag !== 5) return 'the esds box holds no AudioSpecificConfig';
  return moov.subarray(specific.from, specific.to);
}

/** Parses an AudioSpecificConfig: AAC-LC only, 1024-sample frames, a standard rate and channel configuration, no SBR or PS. */
export function parseAacConfig(asc: Uint8Array): { rateIndex: number; channelConfig: number } | string {
  let bit = 0;
  const read = (n: number): number => {
    let v = 0;
    for (let k = 0; k < n; k++, bit++) v = (v << 1) | ((asc[bit >> 3]! >> (7 - (bit & 7))) & 1);
    return v;
  };
  if (asc.length < 2) return 'the AudioSpecificConfig is short';
  const objectType = read(5);
  if (objectType === 5 || objectType === 29) return 'the stream is HE-AAC (SBR or PS), which is not spliced';
  if (objectType !== 2) return `audio object type ${objectType} is not AAC-LC`;
  const rateIndex = read(4);
  if (rateIndex >= AAC_RATES.length) return 'the AudioSpecificConfig gives an explicit sample rate';
  const channelConfig = read(4);
  if (channelConfig < 1 || channelConfig > 2) return `channel configuration ${channelConfig} is not mono or stereo`;
  if (read(1) !== 0) return 'the stream codes 960-sample frames';
  if (read(1) !== 0) return 'the stream depends on a core coder';
  read(1); // extensionFlag, 0 for AAC-LC
  // Backward-compatible SBR signalling (§1.6.5.2): sync extension 0x2b7, then SBR's object type and its present flag.
  if (asc.length * 8 - bit >= 16 && read(11) === 0x2b7 && read(5) === 5 && read(1) === 1) {
    return 'the stream signals SBR (HE-AAC), which is not spliced';
  }
  return { rateIndex, channelConfig };
}

/** The mp4a sample entry's AudioSpecificConfig (in the entry, or QuickTime's wave box inside it). */
function sampleEntryConfig(moov: Uint8Array, stbl: Box): Uint8Array | string {
  const stsd = isobmff.childBox(moov, stbl, 'stsd', FORMAT);
  if (!stsd) return 'the sample table has no stsd box';
  const entries = isobmff.sampleEntries(moov, stsd, FORMAT);
  const entry = entries[0];
  if (!entry || entries.length !== 1) return 'the track has more than one sample description';
  if (entry.type !== 'mp4a') return `the sample description is ${JSON.stringify(entry.type)}, not mp4a`;
  const version = u16be(moov, entry.offset + 16);
  if (version > 1) return `a version ${version} sound sample description is not read`;
  const children = entry.offset + 8 + 28 + (version === 1 ? 16 : 0);
  const inner = { ...entry, headerSize: children - entry.offset };
  const wave = isobmff.childBox(moov, inner, 'wave', FORMAT);
  const esds = isobmff.childBox(moov, inner, 'esds', FORMAT) ?? (wave && isobmff.childBox(moov, wave, 'esds', FORMAT));
  return esds ? audioSpecificConfig(moov, esds) : 'the mp4a sample description has no esds box';
}

/** The edit list: none, or one edit at normal rate; anything else (empty edits, several) is a reason. */
function readEdit(moov: Uint8Array, trak: Box): SingleEdit | null | string {
  const edts = isobmff.childBox(moov, trak, 'edts', FORMAT);
  const elst = edts && isobmff.childBox(moov, edts, 'elst', FORMAT);
  if (!elst) return null;
  const edits = isobmff.readEditList(moov, elst, FORMAT);
  const edit = edits[0];
  if (!edit || edits.length !== 1) return `the edit list has ${edits.length} edits, not one`;
  if (edit.mediaTime < 0) return 'the edit list starts with an empty edit';
  if (edit.rate !== 0x10000) return 'the edit list plays at another rate';
  return { version: moov[elst.offset + elst.headerSize]!, segment: edit.segmentDuration, mediaTime: edit.mediaTime };
}

/**
 * The moov's one AAC-LC track, or why the file is not spliced: a fragmented movie, more than one
 * sound track or none, HE-AAC, a sample table with boxes a splice would have to rewrite
 * (sync samples, composition offsets…), durations other than 1024 samples, or a timescale other
 * than the sample rate.
 */
export function readAacTrack(moov: Uint8Array): AacTrack | string {
  try {
    return readTrack(moov);
  } catch (error) {
    if (error instanceof MalformedInputError) return `the movie's boxes are damaged (${error.detail})`;
    throw error;
  }
}

function readTrack(moov: Uint8Array): AacTrack | string {
  const root = isobmff.parseBoxHeader(moov, 0, 0, moov.length, FORMAT);
  const mvhd = isobmff.childBox(moov, root, 'mvhd', FORMAT);
  if (!mvhd) return 'the moov has no mvhd box';
  if (isobmff.childBox(moov, root, 'mvex', FORMAT)) return 'the movie is fragmented';
  const sound: Box[] = [];
  for (const box of isobmff.boxesIn(moov, root.headerSize, root.end, FORMAT)) {
    if (box.type === 'trak' && isobmff.handlerOf(moov, box, FORMAT) === 'soun') sound.push(box);
  }
  if (sound.length !== 1) return `the movie has ${sound.length} sound tracks, not one`;
  const trak = sound[0]!;
  const tkhd = isobmff.childBox(moov, trak, 'tkhd', FORMAT);
  const mdhd = isobmff.boxAt(moov, trak, ['mdia', 'mdhd'], FORMAT);
  const minf = isobmff.boxAt(moov, trak, ['mdia', 'minf'], FORMAT);
  const stbl = minf && isobmff.childBox(moov, minf, 'stbl', FORMAT);
  if (!tkhd || !mdhd || !stbl) return 'the sound track lacks tkhd, mdhd or stbl';
  if (!isobmff.dataInSameFile(moov, minf!, FORMAT)) return 'the sound track refers to media data in another file';
  for (const child of isobmff.boxesIn(moov, stbl.offset + stbl.headerSize, stbl.end, FORMAT)) {
    if (!KNOWN_STBL.has(child.type))
      return `the sample table has a ${JSON.stringify(child.type)} box, which a splice would have to rewrite`;
  }
  const asc = sampleEntryConfig(moov, stbl);
  if (typeof asc === 'string') return asc;
  const config = parseAacConfig(asc);
  if (typeof config === 'string') return config;
  const sampleRate = AAC_RATES[config.rateIndex]!;
  if (isobmff.timescaleOf(moov, mdhd, FORMAT) !== sampleRate) return 'the media timescale is not the sample rate';
  const edit = readEdit(moov, trak);
  if (typeof edit === 'string') return edit;
  const table = isobmff.readSampleTable(moov, stbl, FORMAT);
  if (table.count === 0) return 'the sound track has no samples';
  for (let i = 0; i < table.count - 1; i++) {
    if (table.durations[i] !== AAC_FRAME) return `access unit ${i} lasts ${table.durations[i]} samples, not ${AAC_FRAME}`;
  }
  const lastDuration = table.durations[table.count - 1]!;
  if (lastDuration === 0 || lastDuration > AAC_FRAME) return `the last access unit lasts ${lastDuration} samples`;
  const mediaDuration = (table.count - 1) * AAC_FRAME + lastDuration;
  const movieTimescale = isobmff.timescaleOf(moov, mvhd, FORMAT);
  if (movieTimescale === 0) return 'the movie timescale is 0';
  const priming = edit?.mediaTime ?? 0;
  const playEnd = edit ? Math.min(mediaDuration, priming + Math.round((edit.segment * sampleRate) / movieTimescale)) : mediaDuration;
  if (playEnd <= priming) return 'the edit list plays nothing';
  return {
    trak,
    tkhd,
    mdhd,
    stbl,
    edit,
    movieTimescale,
    sampleRate,
    channels: config.channelConfig,
    rateIndex: config.rateIndex,
    channelConfig: config.channelConfig,
    table,
    priming,
    playEnd,
  };
}
