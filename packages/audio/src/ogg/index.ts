import {
  type AigcLabel,
  ascii,
  type ByteSource,
  concat,
  encodeLabel,
  type Finding,
  type FormatHandler,
  finding,
  LimitExceededError,
  MalformedInputError,
  putU32le,
  type ReadResult,
  Rules,
  type Segment,
  startsWith,
  UnsupportedFormatError,
  type WriteOptions,
  type WriteResult,
} from '@aigc-label/core';
import { audibleLabel } from '../rhythm/capability.js';
import { parseVorbisComments, serializeVorbisComments, vorbisLabelCarriers, withLabelComment } from '../vorbis-comment/index.js';
import { HEADER_BOS, OGG_CAPTURE, type OggPage, pageCrc, paginateHeaderPackets, readPage } from './pages.js';

/** Findings only this format emits, with their meaning (the README's rule table is generated from these). */
export const oggRules = {
  'ogg/renumbered': 'the comment header spans a different number of pages; later page numbers shifted (info)',
} as const;

/** Header packets of the codecs the audio guide covers: identification, comment, (Vorbis) setup. */
const CODECS = {
  vorbis: { ident: Uint8Array.of(0x01, ...ascii('vorbis')), comment: Uint8Array.of(0x03, ...ascii('vorbis')), headerPackets: 3 },
  opus: { ident: ascii('OpusHead'), comment: ascii('OpusTags'), headerPackets: 2 },
} as const;
type Codec = keyof typeof CODECS;

/** Most bytes of header packets read (a cover picture in a comment can be large). */
const maximumHeaderBytes = 64 * 1024 * 1024;

interface OggHeaders {
  readonly codec: Codec;
  readonly serial: number;
  /** Size of the first page, which holds only the identification header. */
  readonly identPageSize: number;
  /** Pages after the first that carry the other header packets. */
  readonly headerPages: readonly OggPage[];
  /** The comment packet and, for Vorbis, the setup packet. */
  readonly packets: readonly Uint8Array[];
  /** Offset just past the last header page. */
  readonly headerEnd: number;
  /** Pages of another logical stream among the header pages. */
  readonly interleaved: boolean;
  /** The last header packet does not end its page (audio data shares it). */
  readonly sharedLastPage: boolean;
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

async function readHeaders(source: ByteSource): Promise<OggHeaders> {
  const first = await readPage(source, 0, 'ogg');
  if (!(first.page.headerType & HEADER_BOS)) throw new MalformedInputError('ogg', 'the first page does not begin a stream');
  const identPackets: Uint8Array[] = [];
  packetsOf(first.page, first.bytes, [], (packet) => identPackets.push(packet));
  const codec = (Object.keys(CODECS) as Codec[]).find((c) => identPackets[0] && startsWith(identPackets[0], CODECS[c].ident));
  if (!codec) throw new UnsupportedFormatError('ogg: the first logical stream is neither Vorbis nor Opus');
  if (identPackets.length !== 1 || first.page.lacing[first.page.lacing.length - 1] === 255) {
    throw new MalformedInputError('ogg', 'the first page must hold exactly the identification header');
  }
  const serial = first.page.serial;
  const headerPages: OggPage[] = [];
  const packets: Uint8Array[] = [];
  const pending: Uint8Array[] = [];
  let offset = first.page.size;
  let interleaved = false;
  let sharedLastPage = false;
  let headerBytes = 0;
  while (packets.length < CODECS[codec].headerPackets - 1) {
    if (offset >= source.size) throw new MalformedInputError('ogg', `the file ends inside the ${codec} header packets`);
    const { page, bytes } = await readPage(source, offset, 'ogg');
    offset += page.size;
    if (page.serial !== serial) {
      interleaved = true;
      continue;
    }
    headerBytes += page.dataLength;
    if (headerBytes > maximumHeaderBytes) throw new LimitExceededError(`ogg: header packets over ${maximumHeaderBytes} bytes`);
    headerPages.push(page);
    packetsOf(page, bytes, pending, (packet, lastSegment) => {
      packets.push(packet);
      if (packets.length === CODECS[codec].headerPackets - 1) sharedLastPage = !lastSegment;
    });
  }
  if (!startsWith(packets[0], CODECS[codec].comment))
    throw new MalformedInputError('ogg', `the second ${codec} header is not a comment header`);
  return { codec, serial, identPageSize: first.page.size, headerPages, packets, headerEnd: offset, interleaved, sharedLastPage };
}

function commentsOf(headers: OggHeaders) {
  const prefix = CODECS[headers.codec].comment.length;
  return parseVorbisComments(headers.packets[0].subarray(prefix), 'ogg', `${headers.codec} comment header`);
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
  name: 'Ogg Vorbis / Opus',
  extensions: ['ogg', 'oga', 'opus'],
  mimeTypes: ['audio/ogg', 'audio/opus'],
  carrier: 'Vorbis comment header (\\x03vorbis / OpusTags), AIGC= comment',
  rules: oggRules,
  explicit: audibleLabel,
  sniff(head) {
    if (head.length < 28 || !startsWith(head, OGG_CAPTURE)) return false;
    const dataStart = 27 + head[26];
    return startsWith(head, CODECS.vorbis.ident, dataStart) || startsWith(head, CODECS.opus.ident, dataStart);
  },

  async read(source: ByteSource): Promise<ReadResult> {
    const headers = await readHeaders(source);
    const where = `${headers.codec === 'opus' ? 'OpusTags' : 'Vorbis comment'} header (page at byte ${headers.headerPages[0].offset})`;
    const carriers = vorbisLabelCarriers(commentsOf(headers), 'vorbis-comment', where, headers.headerPages[0].offset);
    const findings: Finding[] = [];
    if (headers.interleaved) findings.push(finding(Rules.damaged, 'info', 'pages of another logical stream sit among the header pages'));
    return { format: 'ogg', carriers, findings };
  },

  /**
   * Rewrites the comment header with one `AIGC=<json>` comment and lays the
   * comment and setup headers out on new pages with fresh CRCs. When the page
   * count changes, every later page of the stream gets its sequence number
   * shifted (and its CRC recomputed); granule positions and audio data are kept.
   */
  async write(source: ByteSource, label: AigcLabel, options: WriteOptions = {}): Promise<WriteResult> {
    const headers = await readHeaders(source);
    if (headers.interleaved)
      throw new UnsupportedFormatError('ogg: another logical stream is interleaved with the header pages (multiplexed Ogg)');
    if (headers.sharedLastPage)
      throw new UnsupportedFormatError('ogg: the last header page also carries audio data; that layout is not supported');
    const json = encodeLabel(label, options.form ?? 'bare');
    const comment = concat([CODECS[headers.codec].comment, serializeVorbisComments(withLabelComment(commentsOf(headers), json))]);
    const firstSequence = headers.headerPages[0].sequence;
    const pages = paginateHeaderPackets([comment, ...headers.packets.slice(1)], headers.serial, firstSequence);
    const delta = pages.length - headers.headerPages.length;
    const segments: Segment[] = [{ from: 0, length: headers.identPageSize }, ...pages];
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
  },
};
