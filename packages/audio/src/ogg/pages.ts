import {
  ascii,
  type ByteSource,
  concat,
  MalformedInputError,
  putU32le,
  putU64le,
  readExact,
  startsWith,
  u32le,
  u64le,
} from '@aigc-label/core';

/**
 * Ogg pages (RFC 3533 §6): "OggS", version 0, header type, 64-bit granule
 * position, serial number, page sequence number, CRC, segment count, lacing
 * values, then the data.
 */
export interface OggPage {
  readonly offset: number;
  readonly headerType: number;
  /** The granule position as stored (8 bytes, little-endian). */
  readonly granule: Uint8Array;
  readonly serial: number;
  readonly sequence: number;
  readonly lacing: Uint8Array;
  /** 27 + number of segments. */
  readonly headerLength: number;
  readonly dataLength: number;
  /** Header plus data. */
  readonly size: number;
}

export const OGG_CAPTURE = ascii('OggS');
export const HEADER_CONTINUED = 0x01;
export const HEADER_BOS = 0x02;
export const HEADER_EOS = 0x04;
const maximumSegments = 255;

/** The Ogg CRC-32 (RFC 3533 §6): polynomial 0x04C11DB7, not reflected, initial value 0, no final xor. Not zlib's CRC. */
const OGG_CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n << 24;
    for (let k = 0; k < 8; k++) c = c & 0x80000000 ? (c << 1) ^ 0x04c11db7 : c << 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function oggCrc(bytes: Uint8Array, previous = 0): number {
  let crc = previous;
  for (let i = 0; i < bytes.length; i++) crc = ((crc << 8) ^ OGG_CRC_TABLE[((crc >>> 24) ^ bytes[i]) & 0xff]) >>> 0;
  return crc >>> 0;
}

/** The CRC of a whole page, computed with its CRC field taken as zero. */
export function pageCrc(page: Uint8Array): number {
  let crc = oggCrc(page.subarray(0, 22));
  crc = oggCrc(new Uint8Array(4), crc);
  return oggCrc(page.subarray(26), crc);
}

/**
 * Reads the page at `offset` and checks its CRC: a bad CRC is an error, or with
 * `tolerateBadCrc` (salvage reading) a page returned with `crcOk` false.
 */
export async function readPage(
  source: ByteSource,
  offset: number,
  format: string,
  { tolerateBadCrc = false }: { tolerateBadCrc?: boolean } = {},
): Promise<{ page: OggPage; bytes: Uint8Array; crcOk: boolean }> {
  const fixed = await readExact(source, offset, 27, format, 'Ogg page header');
  if (!startsWith(fixed, OGG_CAPTURE)) throw new MalformedInputError(format, `no Ogg page ("OggS") at byte ${offset}`);
  if (fixed[4] !== 0) throw new MalformedInputError(format, `Ogg page at byte ${offset} has unknown version ${fixed[4]}`);
  const segments = fixed[26];
  const lacing = await readExact(source, offset + 27, segments, format, 'Ogg lacing table');
  let dataLength = 0;
  for (const v of lacing) dataLength += v;
  const headerLength = 27 + segments;
  const bytes = await readExact(source, offset, headerLength + dataLength, format, 'Ogg page');
  const crcOk = pageCrc(bytes) === u32le(bytes, 22);
  if (!crcOk && !tolerateBadCrc) throw new MalformedInputError(format, `Ogg page ${u32le(bytes, 18)} at byte ${offset} has a bad CRC`);
  return {
    page: {
      offset,
      headerType: bytes[5],
      granule: bytes.slice(6, 14),
      serial: u32le(bytes, 14),
      sequence: u32le(bytes, 18),
      lacing,
      headerLength,
      dataLength,
      size: headerLength + dataLength,
    },
    bytes,
    crcOk,
  };
}

/**
 * Offset of the data of the first page at `offset` in `head`, with its BOS flag and the
 * offset of the next page; null when no whole page header is there. Only peeks (sniffing).
 */
export function peekPage(head: Uint8Array, offset: number): { bos: boolean; dataStart: number; next: number } | null {
  if (offset + 27 > head.length || !startsWith(head, OGG_CAPTURE, offset)) return null;
  const segments = head[offset + 26];
  const dataStart = offset + 27 + segments;
  if (dataStart > head.length) return null;
  let next = dataStart;
  for (let i = 0; i < segments; i++) next += head[offset + 27 + i];
  return { bos: (head[offset + 5] & HEADER_BOS) !== 0, dataStart, next };
}

/** A page from parts, with its CRC. */
export function buildPage(
  headerType: number,
  granule: Uint8Array,
  serial: number,
  sequence: number,
  lacing: Uint8Array,
  data: Uint8Array,
): Uint8Array {
  const page = new Uint8Array(27 + lacing.length + data.length);
  page.set(OGG_CAPTURE, 0);
  page[5] = headerType;
  page.set(granule, 6);
  putU32le(page, 14, serial);
  putU32le(page, 18, sequence);
  page[26] = lacing.length;
  page.set(lacing, 27);
  page.set(data, 27 + lacing.length);
  putU32le(page, 22, pageCrc(page));
  return page;
}

/**
 * A page's granule position as a number: -1 when no packet finishes on the page, null when it is
 * another negative value or past 2^53 (no real stream gets there).
 */
export function granuleOf(page: OggPage): number | null {
  if (page.granule.every((b) => b === 0xff)) return -1;
  const value = u64le(page.granule, 0);
  return page.granule[7]! & 0x80 || value > Number.MAX_SAFE_INTEGER ? null : value;
}

/**
 * The header (first `headerLength` bytes) of the page `bytes` with some fields replaced and its
 * CRC recomputed over the new header and the page's unchanged data; the lacing is kept, so the
 * data can be copied as it is.
 */
export function rewrittenPageHeader(
  bytes: Uint8Array,
  headerLength: number,
  fields: { readonly headerType?: number; readonly granule?: number; readonly serial?: number; readonly sequence?: number },
): Uint8Array {
  const header = bytes.slice(0, headerLength);
  if (fields.headerType !== undefined) header[5] = fields.headerType;
  if (fields.granule !== undefined) putU64le(header, 6, fields.granule);
  if (fields.serial !== undefined) putU32le(header, 14, fields.serial);
  if (fields.sequence !== undefined) putU32le(header, 18, fields.sequence >>> 0);
  putU32le(header, 22, 0);
  putU32le(header, 22, oggCrc(bytes.subarray(headerLength), oggCrc(header)));
  return header;
}

/** Granule position -1: no packet finishes on the page (RFC 3533 §6). */
const NO_GRANULE = new Uint8Array(8).fill(0xff);
/** Header packets have granule position 0 (Vorbis I §A.2, RFC 7845 §3). */
const HEADER_GRANULE = new Uint8Array(8);

/**
 * Lays header packets out on pages from `firstSequence` on: up to 255 segments a
 * page, a packet that ends on a page gives it granule 0, a page on which none ends
 * gets -1, and the last packet ends its page so the audio starts on a fresh one.
 */
export function paginateHeaderPackets(packets: readonly Uint8Array[], serial: number, firstSequence: number): Uint8Array[] {
  const pages: Uint8Array[] = [];
  let lacing: number[] = [];
  let data: Uint8Array[] = [];
  let continued = false;
  let packetEnded = false;
  const flush = (nextContinued: boolean) => {
    const header = continued ? HEADER_CONTINUED : 0;
    pages.push(
      buildPage(
        header,
        packetEnded ? HEADER_GRANULE : NO_GRANULE,
        serial,
        firstSequence + pages.length,
        Uint8Array.from(lacing),
        concat(data),
      ),
    );
    lacing = [];
    data = [];
    packetEnded = false;
    continued = nextContinued;
  };
  for (const packet of packets) {
    const segmentCount = Math.floor(packet.length / 255) + 1;
    for (let s = 0; s < segmentCount; s++) {
      // A full page: the next one continues a packet unless this segment starts a new one.
      if (lacing.length === maximumSegments) flush(s > 0);
      const length = Math.min(255, packet.length - s * 255);
      lacing.push(length);
      data.push(packet.subarray(s * 255, s * 255 + length));
      if (s === segmentCount - 1) packetEnded = true;
    }
  }
  if (lacing.length > 0) flush(false);
  return pages;
}
