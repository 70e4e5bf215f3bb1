/**
 * Audible labels spliced into Ogg Opus (RFC 7845) without re-encoding it: the label alone is
 * encoded (libopus, through ffmpeg, at the stream's channel count and mapping family, its frame
 * duration and no lower a bit rate) and its packets go in front of the first audio packet or
 * after the last. Every audio packet of the file is copied byte for byte on its own pages; only
 * their granule positions, page sequence numbers and CRCs are rewritten, and the header pages
 * are copied as they are except the OpusHead pre-skip. Three things make this right:
 * - pre-skip: at the start, the OpusHead pre-skip becomes the label's (its encoder's warm-up),
 *   and the file's own warm-up samples, which a decoder dropped before, now play between the
 *   label and the content: they are the decoded lead-in of silence the file's encoder started
 *   from (RFC 7845 §4.2), a few milliseconds, quiet;
 * - the seam: the decoder would reach the file's first packet with the label's state instead of
 *   a fresh one. The label ends in 20 ms of silence coded in another Opus mode, and a decoder
 *   switching modes resets the layers it takes up again, so the content decodes sample for
 *   sample as it did alone (measured in the test, libopus and ffmpeg's own decoder);
 * - end trimming (RFC 7845 §4.5): only the last page may cut samples off, so with a label at the
 *   end the file's own trimmed padding (encoded silence after its content) plays before the label
 *   and the last page trims the label's padding instead; with a label at the start only the
 *   granule positions move and the file's trim is kept.
 * A label elsewhere (the middle, a time) or mixed over the content would need the packets it
 * lands in re-encoded; that is not done here, so those files are re-encoded whole, as are
 * chained or multiplexed Ogg files, mapping families other than 0 and 1, and damaged streams.
 */
import {
  ascii,
  type ByteSource,
  bytesSource,
  concat,
  MalformedInputError,
  putU16le,
  putU32le,
  readExact,
  type Segment,
  startsWith,
  u16le,
} from '@aigc-label/core';
import { ffmpegPath, runToolOrThrow } from '@aigc-label/ffmpeg';
import {
  buildPage,
  granuleOf,
  HEADER_BOS,
  HEADER_CONTINUED,
  HEADER_EOS,
  type OggPage,
  pageCrc,
  readPage,
  rewrittenPageHeader,
} from '../ogg/pages.js';
import { programmeFromExcerpts } from './excerpts.js';
import { interleaved } from './in-process.js';
import { type LabelFactory, type LabelMode, type LabelPosition, type SpliceAttempt, spliceEnds } from './splice.js';

/** Opus always decodes at 48 kHz (RFC 7845 §4); granule positions count samples at that rate. */
const RATE = 48_000;
/** Decoded before an excerpt and dropped: the decoder converges within 80 ms (RFC 7845 §4.6). */
const PRE_ROLL = 80 * 48;
/** The longest Opus packet, 120 ms (RFC 6716 §3.2.5). */
const MAX_PACKET_SAMPLES = 5760;
/** Frame durations libopus encodes (ms), for the label's packets. */
const FRAME_MS = [2.5, 5, 10, 20, 40, 60];
const OPUS_HEAD = ascii('OpusHead');
const OPUS_TAGS = ascii('OpusTags');
/** Bytes read at a time when pages are copied. */
const WINDOW = 1 << 20;

/** An audio page: where it is, and the sample count after the packets that end on it. */
interface AudioPage {
  readonly offset: number;
  readonly size: number;
  readonly headerLength: number;
  readonly headerType: number;
  /** Samples of all packets ending on this page and before it; -1 when none ends on it. */
  readonly end: number;
}

/** One Ogg Opus logical stream, walked page by page. */
interface OpusStream {
  readonly serial: number;
  readonly channels: number;
  readonly preSkip: number;
  /** Channel mapping family, and for family 1 the stream count, coupled count and mapping table. */
  readonly mapping: Uint8Array;
  readonly identPage: { readonly offset: number; readonly size: number };
  /** Offset past the OpusTags pages, where the audio starts. */
  readonly headerEnd: number;
  readonly firstAudioSequence: number;
  readonly pages: readonly AudioPage[];
  /** Samples of all audio packets (48 kHz, pre-skip included). */
  readonly total: number;
  /** The last page's granule position: the total less the end trim. */
  readonly lastGranule: number;
  /** Bytes of the audio packets. */
  readonly audioBytes: number;
  /** Duration of the first audio packet, in samples, and its TOC byte (RFC 6716 §3.1). */
  readonly firstPacketSamples: number;
  readonly firstToc: number;
}

/** Samples in an Opus packet from its TOC byte and, for code 3, the frame count byte (RFC 6716 §3.1-3.2); 0 when invalid. */
function packetSamples(toc: number, count: number | undefined): number {
  const config = toc >> 3;
  const frame =
    config < 12 ? [480, 960, 1920, 2880][config & 3]! : config < 16 ? [480, 960][config & 1]! : [120, 240, 480, 960][config & 3]!;
  const code = toc & 3;
  const frames = code === 0 ? 1 : code < 3 ? 2 : count === undefined ? 0 : count & 0x3f;
  const samples = frame * frames;
  return samples <= MAX_PACKET_SAMPLES ? samples : 0;
}

/** Reads the OpusHead packet: channel count, pre-skip and mapping, or why it is not spliced. */
function readOpusHead(packet: Uint8Array): Pick<OpusStream, 'channels' | 'preSkip' | 'mapping'> | string {
  if (!startsWith(packet, OPUS_HEAD) || packet.length < 19) return 'the first Ogg packet is not an OpusHead';
  if (packet[8]! >> 4 !== 0) return `OpusHead version ${packet[8]} is not one this reads`;
  const channels = packet[9]!;
  const family = packet[18]!;
  if (channels === 0) return 'the OpusHead gives no channels';
  if (family === 0) {
    if (channels > 2) return 'the OpusHead gives more than two channels for mapping family 0';
    return { channels, preSkip: u16le(packet, 10), mapping: packet.slice(18, 19) };
  }
  if (family !== 1) return `channel mapping family ${family} is not spliced`;
  if (channels > 8 || packet.length < 21 + channels) return 'the OpusHead mapping table is short or has too many channels';
  return { channels, preSkip: u16le(packet, 10), mapping: packet.slice(18, 21 + channels) };
}

/**
 * Walks an Ogg Opus file with one logical stream: checks every page (CRC, serial, sequence,
 * continuation), times every packet from its TOC and checks the granule positions against those
 * times. Linear in the file; a stream that is not exactly that gives the reason instead.
 */
async function walkOpus(source: ByteSource): Promise<OpusStream | string> {
  try {
    return await walk(source);
  } catch (error) {
    if (error instanceof MalformedInputError) return `the Ogg pages are damaged (${error.detail})`;
    throw error;
  }
}

async function walk(source: ByteSource): Promise<OpusStream | string> {
  const { page: ident, bytes: identBytes } = await readPage(source, 0, 'ogg');
  if (!(ident.headerType & HEADER_BOS)) return 'the first Ogg page does not begin a stream';
  const identLength = ident.lacing[0] ?? 255;
  if (ident.lacing.length !== 1 || identLength === 255) return 'the OpusHead does not fill its page alone';
  const head = readOpusHead(identBytes.subarray(ident.headerLength));
  if (typeof head === 'string') return head;
  const serial = ident.serial;
  let sequence = ident.sequence;
  let offset = ident.size;
  /** Checks the page after the last one: same stream, next number, continuation as expected. */
  const next = async (continued: boolean): Promise<{ page: OggPage; bytes: Uint8Array } | string> => {
    const read = await readPage(source, offset, 'ogg');
    const { page } = read;
    if (page.headerType & HEADER_BOS) return 'another logical stream begins in the file (chained or multiplexed Ogg)';
    if (page.serial !== serial) return 'the file holds another logical stream (multiplexed Ogg)';
    if (page.sequence !== (sequence + 1) >>> 0) return `Ogg page ${page.sequence} follows page ${sequence} (pages missing)`;
    if (Boolean(page.headerType & HEADER_CONTINUED) !== continued) return `Ogg page ${page.sequence} breaks the packet continuation`;
    sequence = page.sequence;
    offset += page.size;
    return read;
  };
  // The OpusTags packet, which must end its last page (RFC 7845 §3).
  for (let first = true, ended = false; !ended; first = false) {
    if (offset >= source.size) return 'the file ends inside the Opus headers';
    const read = await next(!first);
    if (typeof read === 'string') return read;
    const { page, bytes } = read;
    if (first && !startsWith(bytes.subarray(page.headerLength), OPUS_TAGS)) return 'the second Ogg packet is not OpusTags';
    const last = page.lacing.findIndex((v) => v < 255);
    if (last >= 0 && last !== page.lacing.length - 1) return 'audio data shares the last OpusTags page';
    ended = last >= 0;
  }
  const headerEnd = offset;
  const firstAudioSequence = (sequence + 1) >>> 0;
  const pages: AudioPage[] = [];
  const granules: number[] = [];
  let total = 0;
  let pending = -1; // samples of the packet under way, -1 between packets
  let audioBytes = 0;
  let firstPacketSamples = 0;
  let firstToc = 0;
  let eos = false;
  while (offset < source.size) {
    if (eos) return 'data follows the end of the Opus stream (chained Ogg, or trailing bytes)';
    const read = await next(pending >= 0);
    if (typeof read === 'string') return read;
    const { page, bytes } = read;
    let at = page.headerLength;
    let ended = false;
    for (const length of page.lacing) {
      if (pending < 0) {
        pending = length === 0 ? 0 : packetSamples(bytes[at]!, length > 1 ? bytes[at + 1] : undefined);
        if (pending === 0) return `an invalid Opus packet on Ogg page ${page.sequence}`;
        if (firstPacketSamples === 0) {
          firstPacketSamples = pending;
          firstToc = bytes[at]!;
        }
      }
      at += length;
      if (length < 255) {
        total += pending;
        pending = -1;
        ended = true;
      }
    }
    if (total > Number.MAX_SAFE_INTEGER / 2) return 'the Opus stream is too long';
    const granule = granuleOf(page);
    if (granule === null || (ended ? granule < 0 : granule !== -1)) return `Ogg page ${page.sequence} has a wrong granule position`;
    audioBytes += page.dataLength;
    eos = (page.headerType & HEADER_EOS) !== 0;
    pages.push({
      offset: page.offset,
      size: page.size,
      headerLength: page.headerLength,
      headerType: page.headerType,
      end: ended ? total : -1,
    });
    granules.push(granule);
  }
  if (pending >= 0) return 'the file ends inside an Opus packet';
  // Granule positions count every packet from zero; only the last page may trim (RFC 7845 §4.5).
  let previous = 0;
  for (let i = 0; i < pages.length; i++) {
    const { end } = pages[i]!;
    const granule = granules[i]!;
    if (end < 0) continue;
    const last = i === pages.length - 1;
    if (last ? granule > end || granule < previous : granule !== end) {
      return 'the granule positions do not count the packets from zero (a stream starting late, or trimmed before its end)';
    }
    previous = granule;
  }
  const lastGranule = previous;
  if (pages.length === 0 || lastGranule <= head.preSkip) return 'the Opus stream has no audio after its pre-skip';
  return {
    serial,
    ...head,
    identPage: { offset: 0, size: ident.size },
    headerEnd,
    firstAudioSequence,
    pages,
    total,
    lastGranule,
    audioBytes,
    firstPacketSamples,
    firstToc,
  };
}

/**
 * Interleaved float PCM of content samples `[start, start + frames)`: the pages that hold them,
 * from a page where a packet starts at least 80 ms earlier, decoded behind the stream's OpusHead
 * and a bare OpusTags (the decoder drops the pre-skip, so decoded sample 0 is content sample
 * `from`, the first fed packet's start).
 */
async function decodeSpan(source: ByteSource, stream: OpusStream, start: number, frames: number): Promise<Float32Array> {
  const { pages } = stream;
  // Packets of page i start after the end of the last page before it where one ended.
  const startOf = (i: number): number => {
    for (let j = i - 1; j >= 0; j--) if (pages[j]!.end >= 0) return pages[j]!.end;
    return 0;
  };
  let first = 0;
  let low = 0;
  let high = pages.length - 1;
  // The last page whose packets start early enough; then back to one that does not continue a packet.
  while (low <= high) {
    const middle = (low + high) >> 1;
    if (startOf(middle) <= start - PRE_ROLL) {
      first = middle;
      low = middle + 1;
    } else high = middle - 1;
  }
  while (first > 0 && pages[first]!.headerType & HEADER_CONTINUED) first--;
  let last = first;
  while (last < pages.length - 1 && !(pages[last]!.end >= start + frames + stream.preSkip)) last++;
  const from = startOf(first);
  const tags = buildPage(0, new Uint8Array(8), stream.serial, 1, Uint8Array.of(16), new Uint8Array([...OPUS_TAGS, 0, 0, 0, 0, 0, 0, 0, 0]));
  const ident = await readExact(source, 0, stream.identPage.size, 'ogg', 'OpusHead page');
  const body = await readExact(
    source,
    pages[first]!.offset,
    pages[last]!.offset + pages[last]!.size - pages[first]!.offset,
    'ogg',
    'Opus pages',
  );
  const { OggOpusDecoder } = await import('ogg-opus-decoder');
  const decoder = new OggOpusDecoder({ forceStereo: false });
  try {
    await decoder.ready;
    const decoded = await decoder.decode(concat([ident, tags, body]));
    const skip = Math.max(0, start - from);
    const count = Math.max(0, Math.min(frames, decoded.samplesDecoded - skip));
    return interleaved(decoded.channelData, skip, count, stream.channels);
  } finally {
    decoder.free();
  }
}

/** Encoded audio of our own: an Ogg Opus stream, walked. */
interface Encoded {
  readonly bytes: Uint8Array;
  readonly stream: OpusStream;
}

/**
 * Encodes mono PCM, spread over the stream's channels, as an Ogg Opus stream of its own with the
 * file's channel count, mapping family and packet duration; `options` are libopus's.
 */
async function encodeOpus(mono: Float32Array, stream: OpusStream, options: readonly string[]): Promise<Encoded | string> {
  const channels = stream.channels;
  const interleaved = new Float32Array(mono.length * channels);
  for (let i = 0; i < mono.length; i++) interleaved.fill(mono[i]!, i * channels, (i + 1) * channels);
  const ms = stream.firstPacketSamples / 48;
  const { stdout } = await runToolOrThrow(
    ffmpegPath(),
    [
      ...['-f', 'f32le', '-ar', String(RATE), '-ac', String(channels), '-i', 'pipe:0'],
      ...['-c:a', 'libopus', ...options, '-frame_duration', String(FRAME_MS.includes(ms) ? ms : 20)],
      ...['-mapping_family', String(stream.mapping[0]), '-map_metadata', '-1', '-f', 'ogg', 'pipe:1'],
    ],
    {
      stdin: new Uint8Array(interleaved.buffer),
      failure: (tail, code) => new MalformedInputError('audio', `ffmpeg cannot encode the label: ${tail || `exit code ${code}`}`),
    },
  );
  const encoded = await walkOpus(bytesSource(stdout));
  if (typeof encoded === 'string') throw new MalformedInputError('audio', `the encoded label is not a plain Opus stream: ${encoded}`);
  if (encoded.channels !== stream.channels || encoded.mapping.join() !== stream.mapping.join()) {
    return `libopus lays the ${stream.channels} channels out differently from the file's mapping`;
  }
  return { bytes: stdout, stream: encoded };
}

/** Opus modes by TOC configuration (RFC 6716 §3.1): SILK-only 0-11, hybrid 12-15, CELT-only 16-31. */
const silkOnly = (toc: number) => toc >> 3 < 12;
/** libopus settings that code silence as SILK (narrowband, at the lowest rate) or as CELT. */
const SILK_SILENCE = ['-application', 'voip', '-b:a', '6k'];
const CELT_SILENCE = ['-application', 'lowdelay', '-b:a', '64k'];

/** Reads pages in order through a window of the source, so copying a run of pages reads it once. */
function pageReader(source: ByteSource): (page: AudioPage) => Promise<Uint8Array> {
  let windowStart = 0;
  let window: Uint8Array = new Uint8Array(0);
  return async (page) => {
    if (page.offset < windowStart || page.offset + page.size > windowStart + window.length) {
      windowStart = page.offset;
      window = await readExact(source, page.offset, Math.min(source.size - page.offset, Math.max(WINDOW, page.size)), 'ogg', 'Ogg pages');
    }
    return window.subarray(page.offset - windowStart, page.offset - windowStart + page.size);
  };
}

/** Silence after the label, in the other Opus mode from the file's first packet: 20 ms. */
const TAIL_SAMPLES = 960;

/**
 * Splices the label into the Ogg Opus file at the start and/or end, or says why it cannot (see
 * the module comment).
 */
export async function spliceOpus(
  source: ByteSource,
  positions: readonly LabelPosition[],
  mode: LabelMode,
  makeLabel: LabelFactory,
): Promise<SpliceAttempt> {
  const ends = spliceEnds(positions, mode, 'Opus', 'packets');
  if ('reason' in ends) return ends;
  const stream = await walkOpus(source);
  if (typeof stream === 'string') return { reason: stream };
  const atStart = ends.has('start');
  const atEnd = ends.has('end');
  // In front of the file, the label ends in silence coded in another Opus mode from the file's
  // first packet (SILK at 8 kHz, or CELT after a SILK-only start): a decoder switching modes
  // resets the layers it takes up again (libopus and ffmpeg's own decoder alike), so the file's
  // packets decode from the state they were encoded from. One stream only: a multistream packet
  // has a mode per stream. Encoded while the programme is measured.
  const tail =
    atStart && stream.mapping[0] === 0
      ? encodeOpus(new Float32Array(TAIL_SAMPLES), stream, silkOnly(stream.firstToc) ? CELT_SILENCE : SILK_SILENCE)
      : null;
  tail?.catch(() => {}); // awaited below; a failure is reported there
  const programme = await programmeFromExcerpts(stream.lastGranule - stream.preSkip, RATE, stream.channels, async function* (span) {
    yield await decodeSpan(source, stream, span.start, span.frames);
  });
  const label = await makeLabel(RATE, programme);
  // No lower a bit rate than the file's average (its packets' bytes over its samples).
  const kbps = Math.max(6, Math.ceil((stream.audioBytes * 8 * RATE) / stream.total / 1000));
  const encoded = await encodeOpus(label, stream, ['-b:a', `${kbps}k`]);
  if (typeof encoded === 'string') return { reason: encoded };
  const labelEnd = encoded.stream.preSkip + label.length;
  if (labelEnd > encoded.stream.total) throw new MalformedInputError('audio', 'the encoded label is shorter than the label');
  const parts: Encoded[] = [encoded];
  const silence = await tail;
  if (typeof silence === 'string') return { reason: silence };
  // Only when libopus did code it in the other mode (it picks the mode itself).
  if (silence && silkOnly(silence.stream.firstToc) !== silkOnly(stream.firstToc)) parts.push(silence);
  const labelTotal = parts.reduce((sum, part) => sum + part.stream.total, 0);

  const segments: Segment[] = [];
  let sequence = stream.firstAudioSequence;
  /** Our audio pages with the file's serial, the next sequence numbers and granules from `base`; the last one trims to the label when it ends the stream. */
  const ourPages = async (base: number, endsStream: boolean) => {
    for (const part of parts) {
      const read = pageReader(bytesSource(part.bytes));
      for (const [i, page] of part.stream.pages.entries()) {
        const last = endsStream && i === part.stream.pages.length - 1;
        const bytes = await read(page);
        const header = rewrittenPageHeader(bytes, page.headerLength, {
          headerType: (page.headerType & HEADER_CONTINUED) | (last ? HEADER_EOS : 0),
          granule: page.end < 0 ? -1 : base + (last ? labelEnd : page.end),
          serial: stream.serial,
          sequence: sequence++,
        });
        segments.push(header, bytes.slice(page.headerLength));
      }
      base += part.stream.total;
    }
  };

  // The OpusHead, with the label's pre-skip when the label starts the stream; the OpusTags pages as they are.
  if (atStart) {
    const ident = await readExact(source, 0, stream.identPage.size, 'ogg', 'OpusHead page');
    putU16le(ident, 27 + ident[26]! + 10, encoded.stream.preSkip);
    putU32le(ident, 22, pageCrc(ident));
    segments.push(ident, { from: ident.length, length: stream.headerEnd - ident.length });
    await ourPages(0, false);
  } else {
    segments.push({ from: 0, length: stream.headerEnd });
  }
  // The file's pages: data copied, headers renumbered and shifted (or only the last one changed).
  const shift = atStart ? labelTotal : 0;
  const lastIndex = stream.pages.length - 1;
  const firstRewritten = atStart ? 0 : lastIndex;
  const readSourcePage = pageReader(source);
  if (firstRewritten > 0) segments.push({ from: stream.headerEnd, length: stream.pages[firstRewritten]!.offset - stream.headerEnd });
  sequence += firstRewritten;
  for (let i = firstRewritten; i <= lastIndex; i++) {
    const page = stream.pages[i]!;
    const bytes = await readSourcePage(page);
    const granule = i < lastIndex ? page.end : atEnd ? stream.total : stream.lastGranule;
    const header = rewrittenPageHeader(bytes, page.headerLength, {
      headerType: atEnd ? page.headerType & ~HEADER_EOS : page.headerType,
      granule: page.end < 0 ? -1 : granule + shift,
      sequence: sequence++,
    });
    segments.push(header, { from: page.offset + page.headerLength, length: page.size - page.headerLength });
  }
  if (atEnd) {
    parts.length = 1;
    await ourPages(shift + stream.total, true);
  }

  // Where each label plays once a decoder has dropped the pre-skip.
  const labelStarts: number[] = [];
  if (atStart) labelStarts.push(0);
  if (atEnd) labelStarts.push(shift + stream.total + encoded.stream.preSkip - (atStart ? encoded.stream.preSkip : stream.preSkip));
  return { spliced: { plan: { segments }, programme, sampleRate: RATE, labelFrames: label.length, labelStarts } };
}
