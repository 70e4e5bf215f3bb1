import {
  type AigcLabel,
  ascii,
  type ByteSource,
  concat,
  encodeLabel,
  type Finding,
  type FormatHandler,
  finding,
  fromAscii,
  LimitExceededError,
  MalformedInputError,
  putU24be,
  putU32le,
  type ReadResult,
  Rules,
  type Segment,
  startsWith,
  UnsupportedFormatError,
  u32le,
  type WriteOptions,
  type WriteResult,
} from '@aigc-label/core';
import { audibleLabel } from '../rhythm/capability.js';
import {
  parseVorbisComments,
  serializeVorbisComments,
  type VorbisComments,
  vorbisLabelCarriers,
  withLabelComment,
} from '../vorbis-comment/index.js';
import { audioWatermark } from '../watermark/capability.js';
import { HEADER_BOS, OGG_CAPTURE, type OggPage, pageCrc, paginateHeaderPackets, peekPage, readPage } from './pages.js';

/**
 * The audio codecs whose Ogg mapping carries Vorbis comments, with their header
 * packets: identification first, comments second, then codec-specific ones.
 * - Vorbis I §4.2: "\x01vorbis", "\x03vorbis" + comments + framing bit, setup.
 * - Opus, RFC 7845 §5: "OpusHead", "OpusTags" + comments.
 * - Speex manual §"Ogg file format": a "Speex   " header (extra_headers at byte 68), then bare comments.
 * - FLAC in Ogg (xiph.org ogg_mapping): "\x7fFLAC" + "fLaC" + STREAMINFO, then one metadata
 *   block per packet, VORBIS_COMMENT first, until the block marked last.
 */
interface CodecMapping {
  readonly name: string;
  readonly ident: Uint8Array;
  /** Header packets after the identification one, from what has been collected so far. */
  headersComplete(ident: Uint8Array, packets: readonly Uint8Array[]): boolean;
  /** The comment list inside the comment packet, or null when the packet holds none. */
  comments(packet: Uint8Array): Uint8Array | null;
  /** A comment packet holding `body` (serialised comments), shaped like `original`. */
  commentPacket(original: Uint8Array, body: Uint8Array): Uint8Array;
}

/** Findings only this format emits, with their meaning (the README's rule table is generated from these). */
export const oggRules = {
  'ogg/renumbered': 'the comment header spans a different number of pages; later page numbers shifted (info)',
} as const;

const VORBIS_COMMENT_PREFIX = Uint8Array.of(0x03, ...ascii('vorbis'));
const OPUS_COMMENT_PREFIX = ascii('OpusTags');
const FLAC_BLOCK_VORBIS_COMMENT = 4;
/** Most header packets read for one stream (Speex extra headers, FLAC metadata blocks). */
const maximumHeaderPackets = 1024;

const prefixed = (prefix: Uint8Array) => ({
  comments: (packet: Uint8Array) => (startsWith(packet, prefix) ? packet.subarray(prefix.length) : null),
  commentPacket: (_original: Uint8Array, body: Uint8Array) => concat([prefix, body]),
});

const CODECS: readonly CodecMapping[] = [
  {
    name: 'Vorbis',
    ident: Uint8Array.of(0x01, ...ascii('vorbis')),
    headersComplete: (_, p) => p.length >= 2,
    ...prefixed(VORBIS_COMMENT_PREFIX),
  },
  { name: 'Opus', ident: ascii('OpusHead'), headersComplete: (_, p) => p.length >= 1, ...prefixed(OPUS_COMMENT_PREFIX) },
  {
    name: 'Speex',
    ident: ascii('Speex   '),
    headersComplete: (ident, p) => p.length >= 1 + Math.min(ident.length >= 72 ? u32le(ident, 68) : 0, maximumHeaderPackets),
    comments: (packet) => packet,
    commentPacket: (_original, body) => body,
  },
  {
    name: 'FLAC',
    ident: Uint8Array.of(0x7f, ...ascii('FLAC')),
    headersComplete: (_, p) => p.length > 0 && (p[p.length - 1][0] & 0x80) !== 0,
    comments: (packet) => (packet.length >= 4 && (packet[0] & 0x7f) === FLAC_BLOCK_VORBIS_COMMENT ? packet.subarray(4) : null),
    commentPacket(original, body) {
      if (body.length > 0xffffff) throw new LimitExceededError(`ogg: a FLAC VORBIS_COMMENT block of ${body.length} bytes is over 16 MiB`);
      const header = Uint8Array.of(original[0], 0, 0, 0);
      putU24be(header, 1, body.length);
      return concat([header, body]);
    },
  },
];

/** Most bytes of header packets read (a cover picture in a comment can be large), and of pages scanned to find them. */
const maximumHeaderBytes = 64 * 1024 * 1024;

interface OggHeaders {
  readonly codec: CodecMapping;
  readonly serial: number;
  /** The page that starts the audio stream (its identification header). */
  readonly identPage: OggPage;
  /** Pages of the stream after the first that carry the other header packets. */
  readonly headerPages: readonly OggPage[];
  /** Pages of other logical streams among the header pages, copied as they are. */
  readonly otherPages: readonly { readonly offset: number; readonly size: number }[];
  /** The comment packet and the header packets after it. */
  readonly packets: readonly Uint8Array[];
  /** Offset just past the last header page. */
  readonly headerEnd: number;
  /** The identification page also holds the comment header (out of spec; read, not rewritten). */
  readonly sharedIdentPage: boolean;
  /** The last header packet does not end its page (audio data shares it). */
  readonly sharedLastPage: boolean;
  /** Damage met on the way (bad CRCs, pages before the stream), for salvage reading. */
  readonly damage: readonly string[];
}

function packetsOf(page: OggPage, bytes: Uint8Array, pending: Uint8Array[], done: (packet: Uint8Array, lastSegment: boolean) => void) {
  let position = page.headerLength;
  for (let i = 0; i < page.lacing.length; i++) {
    pending.push(bytes.subarray(position, position + page.lacing[i]));
    position += page.lacing[i];
    if (page.lacing[i] < 255) {
      done(concat(pending), i === page.lacing.length - 1);
      pending.length = 0;
    }
  }
}

const codecOf = (packet: Uint8Array | undefined) => (packet ? CODECS.find((c) => startsWith(packet, c.ident)) : undefined);

/**
 * Finds the audio stream and collects its header packets. Other logical streams (a
 * Skeleton, a video stream, or anything a muxer put first) are skipped. With
 * `salvage`, pages with bad CRCs are read too, each noted as damage.
 */
async function readHeaders(source: ByteSource, salvage: boolean): Promise<OggHeaders> {
  const damage: string[] = [];
  /**
   * The page at `offset`. Salvaging, bytes that are not a page (garbage, a page cut short) are
   * skipped up to the next "OggS" capture pattern, noted in `damage`; null at the end of the file.
   */
  const next = async (offset: number): Promise<{ page: OggPage; bytes: Uint8Array; crcOk: boolean } | null> => {
    for (let at = offset; at < source.size; ) {
      try {
        const read = await readPage(source, at, 'ogg', { tolerateBadCrc: salvage });
        if (!read.crcOk) damage.push(`Ogg page ${read.page.sequence} at byte ${at} has a bad CRC`);
        return read;
      } catch (error) {
        if (!salvage || !(error instanceof MalformedInputError)) throw error;
        const found = await nextCapture(source, at + 1, offset + maximumHeaderBytes);
        damage.push(`${(found ?? source.size) - at} bytes at byte ${at} are not an Ogg page (${error.detail})`);
        if (found === null) return null;
        at = found;
      }
    }
    return null;
  };
  let offset = 0;
  let start: { page: OggPage; bytes: Uint8Array; codec: CodecMapping } | null = null;
  const skipped = new Set<number>();
  const otherCodecs = new Set<string>();
  while (!start) {
    if (offset >= source.size) {
      const found = otherCodecs.size > 0 ? ` (it holds ${[...otherCodecs].join(', ')})` : '';
      throw new UnsupportedFormatError(`ogg: no Vorbis, Opus, Speex or FLAC stream begins in this Ogg file${found}`);
    }
    if (offset > maximumHeaderBytes) throw new LimitExceededError(`ogg: no audio stream begins in the first ${maximumHeaderBytes} bytes`);
    const read = await next(offset);
    if (!read) {
      offset = source.size;
      continue;
    }
    const { page, bytes } = read;
    offset = page.offset;
    const firstPacket = bytes.subarray(page.headerLength, page.headerLength + (page.lacing[0] ?? 0));
    const codec = page.headerType & HEADER_BOS ? codecOf(firstPacket) : undefined;
    if (codec) start = { page, bytes, codec };
    else {
      // The first bytes of another stream's first packet name its codec ("\x80theora", "fishead"); shown as letters only.
      if (page.headerType & HEADER_BOS && otherCodecs.size < 8)
        otherCodecs.add(JSON.stringify(fromAscii(firstPacket, 0, Math.min(8, firstPacket.length)).replace(/[^A-Za-z0-9]/g, '')));
      skipped.add(page.serial);
      offset += page.size;
    }
  }
  const { page: identPage, codec } = start;
  const serial = identPage.serial;
  const identPackets: Uint8Array[] = [];
  const pending: Uint8Array[] = [];
  packetsOf(identPage, start.bytes, pending, (packet) => identPackets.push(packet));
  if (identPackets.length === 0) throw new MalformedInputError('ogg', `the ${codec.name} identification header does not end on its page`);
  const ident = identPackets[0];
  const packets = identPackets.slice(1);
  const sharedIdentPage = packets.length > 0;
  const headerPages: OggPage[] = [];
  // Only where they are: a page object holds its lacing table, and with it the page's bytes.
  const otherPages: { offset: number; size: number }[] = [];
  let sharedLastPage = false;
  let headerBytes = 0;
  offset = identPage.offset + identPage.size;
  while (!codec.headersComplete(ident, packets)) {
    if (packets.length >= maximumHeaderPackets) throw new LimitExceededError(`ogg: more than ${maximumHeaderPackets} header packets`);
    const read = offset < source.size ? await next(offset) : null;
    if (!read) {
      // Salvaging a file cut short after its comment header: the comments that arrived are read.
      if (salvage && packets.length > 0) {
        damage.push(`the file ends inside the ${codec.name} header packets`);
        break;
      }
      throw new MalformedInputError('ogg', `the file ends inside the ${codec.name} header packets`);
    }
    const { page, bytes } = read;
    offset = page.offset + page.size;
    headerBytes += page.size;
    if (headerBytes > maximumHeaderBytes) throw new LimitExceededError(`ogg: header packets over ${maximumHeaderBytes} bytes`);
    if (page.serial !== serial) {
      otherPages.push({ offset: page.offset, size: page.size });
      continue;
    }
    headerPages.push(page);
    packetsOf(page, bytes, pending, (packet, lastSegment) => {
      packets.push(packet);
      if (codec.headersComplete(ident, packets)) sharedLastPage = !lastSegment;
    });
  }
  if (skipped.size > 0 && identPage.offset > 0 && !(await onlyBeginningPages(source, identPage.offset, salvage))) {
    damage.push(`pages of another logical stream come before the ${codec.name} stream begins (byte ${identPage.offset})`);
  }
  return { codec, serial, identPage, headerPages, otherPages, packets, headerEnd: offset, sharedIdentPage, sharedLastPage, damage };
}

/** Offset of the next "OggS" capture pattern in `[from, limit)`, read in blocks; null when there is none. */
async function nextCapture(source: ByteSource, from: number, limit: number): Promise<number | null> {
  const block = 64 * 1024;
  for (let at = from; at < Math.min(source.size, limit); at += block - 3) {
    const bytes = await source.read(at, Math.min(block, source.size - at));
    for (let i = 0; i + 4 <= bytes.length; i++) if (startsWith(bytes, OGG_CAPTURE, i)) return at + i;
    if (bytes.length < block) break;
  }
  return null;
}

/** RFC 3533 §4: all beginning-of-stream pages come first; anything else before the audio stream is out of place. */
async function onlyBeginningPages(source: ByteSource, end: number, salvage: boolean): Promise<boolean> {
  for (let offset = 0; offset < end; ) {
    // Salvaging, what is not a page there was noted as damage already.
    const read = await readPage(source, offset, 'ogg', { tolerateBadCrc: salvage }).catch((error: unknown) => {
      if (salvage && error instanceof MalformedInputError) return null;
      throw error;
    });
    if (!read) return false;
    const { page } = read;
    if (!(page.headerType & HEADER_BOS)) return false;
    offset += page.size;
  }
  return true;
}

function commentsOf(headers: OggHeaders): VorbisComments | null {
  const body = headers.codec.comments(headers.packets[0]);
  return body && parseVorbisComments(body, 'ogg', `${headers.codec.name} comment header`);
}

/**
 * Renumbers the pages of `serial` from `start` on by `delta`, recomputing their CRCs;
 * page data and granule positions are copied unchanged.
 */
async function renumberedPages(source: ByteSource, start: number, serial: number, delta: number): Promise<Segment[]> {
  const segments: Segment[] = [];
  let copyFrom = start;
  let offset = start;
  while (offset < source.size) {
    const { page, bytes } = await readPage(source, offset, 'ogg');
    if (page.serial === serial) {
      if (offset > copyFrom) segments.push({ from: copyFrom, length: offset - copyFrom });
      const header = bytes.slice(0, page.headerLength);
      putU32le(header, 18, (page.sequence + delta) >>> 0);
      putU32le(header, 22, pageCrc(concat([header, bytes.subarray(page.headerLength)])));
      segments.push(header);
      copyFrom = offset + page.headerLength;
    }
    offset += page.size;
  }
  if (offset > copyFrom) segments.push({ from: copyFrom, length: offset - copyFrom });
  return segments;
}

export const ogg: FormatHandler = {
  id: 'ogg',
  kind: 'audio',
  name: 'Ogg Vorbis / Opus / Speex / FLAC',
  extensions: ['ogg', 'oga', 'opus', 'spx'],
  mimeTypes: ['audio/ogg', 'audio/opus'],
  carrier: 'Vorbis comment header (Vorbis, Opus, Speex, FLAC mappings), AIGC= comment',
  contentRegions: {
    unsupported:
      'the comment header shares Ogg pages with the setup header, and writing re-paginates: every later page gets a new sequence number and CRC, so a binding needs the decoded packets, not byte ranges',
  },
  rules: oggRules,
  explicit: audibleLabel,
  watermark: audioWatermark,
  sniff(head) {
    // The audio stream's first page may follow other streams' pages (a Skeleton, a video stream).
    // An Ogg file with no audio stream we know is still claimed, so that reading it gives a precise refusal;
    // the audio stream's first page may follow other streams' pages (a Skeleton, a video stream, damage).
    if (peekPage(head, 0)?.bos) return true;
    for (let page = peekPage(head, 0); page; page = peekPage(head, page.next)) {
      if (page.bos && codecOf(head.subarray(page.dataStart))) return true;
    }
    return false;
  },

  async read(source: ByteSource): Promise<ReadResult> {
    const headers = await readHeaders(source, true);
    const commentPage = headers.sharedIdentPage ? headers.identPage : headers.headerPages[0];
    const where = `${headers.codec.name} comment header (page at byte ${commentPage.offset})`;
    const comments = commentsOf(headers);
    const carriers = comments ? vorbisLabelCarriers(comments, 'vorbis-comment', where, commentPage.offset) : [];
    const findings: Finding[] = headers.damage.map((problem) => finding(Rules.damaged, 'error', problem));
    if (headers.sharedIdentPage) {
      findings.push(
        finding(Rules.damaged, 'warning', `the ${headers.codec.name} identification header shares its page with the next header`),
      );
    }
    if (!comments) findings.push(finding(Rules.damaged, 'warning', `the ${headers.codec.name} stream has no comment header`));
    return { format: 'ogg', carriers, findings };
  },

  /**
   * Rewrites the comment header with one `AIGC=<json>` comment and lays the
   * comment header and the header packets after it out on new pages with fresh
   * CRCs. Pages of other logical streams among them are kept, after the new pages.
   * When the page count changes, every later page of the stream gets its sequence
   * number shifted (and its CRC recomputed); granule positions and audio data are kept.
   */
  async write(source: ByteSource, label: AigcLabel, options: WriteOptions = {}): Promise<WriteResult> {
    const json = encodeLabel(label, options.form ?? 'bare');
    return rewriteOggComments(source, (comments) => withLabelComment(comments, json));
  },
};

/** The Vorbis comments of the file's audio stream (Vorbis, Opus, Speex or FLAC in Ogg), or null when it has none. */
export async function readOggComments(source: ByteSource): Promise<VorbisComments | null> {
  return commentsOf(await readHeaders(source, false));
}

/**
 * The write plan that replaces the audio stream's comment list with `edit(comments)` (see
 * `ogg.write`); also used to put a source's comments back on a re-encoded copy.
 */
export async function rewriteOggComments(source: ByteSource, edit: (comments: VorbisComments) => VorbisComments): Promise<WriteResult> {
  const headers = await readHeaders(source, false);
  const name = headers.codec.name;
  if (headers.damage.length > 0) throw new MalformedInputError('ogg', `${headers.damage.join('; ')}; not labeled`);
  if (headers.sharedIdentPage)
    throw new UnsupportedFormatError(
      `ogg: the ${name} identification header shares its page with the next header; that layout is not supported`,
    );
  if (headers.sharedLastPage)
    throw new UnsupportedFormatError(`ogg: the last ${name} header page also carries audio data; that layout is not supported`);
  const comments = commentsOf(headers);
  if (!comments) throw new UnsupportedFormatError(`ogg: the ${name} stream has no comment header to hold the label`);
  const comment = headers.codec.commentPacket(headers.packets[0], serializeVorbisComments(edit(comments)));
  const firstSequence = headers.headerPages[0].sequence;
  const pages = paginateHeaderPackets([comment, ...headers.packets.slice(1)], headers.serial, firstSequence);
  const delta = pages.length - headers.headerPages.length;
  const segments: Segment[] = [{ from: 0, length: headers.headerPages[0].offset }, ...pages];
  for (const other of headers.otherPages) segments.push({ from: other.offset, length: other.size });
  const findings: Finding[] = [];
  if (delta === 0) {
    if (headers.headerEnd < source.size) segments.push({ from: headers.headerEnd, length: source.size - headers.headerEnd });
  } else {
    segments.push(...(await renumberedPages(source, headers.headerEnd, headers.serial, delta)));
    findings.push(
      finding('ogg/renumbered', 'info', `the header now spans ${pages.length} pages; later page sequence numbers shifted by ${delta}`),
    );
  }
  return { segments, findings };
}
