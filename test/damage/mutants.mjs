/**
 * Damage the way real files are damaged and players shrug off (issue 25, "damage study"):
 * bytes after the end, partial uploads, flipped bytes in the media payload, structures a reader
 * does not know placed before the label carrier, sizes and checksums that lie, the carrier moved
 * to another place, and the encoding variants other writers produce. Every mutant is made from
 * a labeled file and is deterministic (no randomness but a seeded generator).
 */
import { concat, pngChunk, riffChunk, text } from '../hostile/build.mjs';

const view = (bytes) => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
const u32be = (n) => Uint8Array.of(n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
const u24be = (n) => Uint8Array.of(n >>> 16, (n >>> 8) & 0xff, n & 0xff);
const u32le = (n) => Uint8Array.of(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24);
/** Filler that is not all zeros and not text: what a broken transfer leaves. */
const garbage = (n, seed = 7) => Uint8Array.from({ length: n }, (_, i) => (i * 131 + seed * 17 + ((i * i) >>> 3)) & 0xff);
const indexOf = (bytes, needle, from = 0) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).indexOf(needle, from);
const splice = (bytes, at, remove, insert = new Uint8Array()) => concat([bytes.subarray(0, at), insert, bytes.subarray(at + remove)]);
const withU32 = (bytes, at, value, littleEndian = false) => {
  const out = bytes.slice();
  view(out).setUint32(at, value >>> 0, littleEndian);
  return out;
};

function prng(seed) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 0x100000000;
  };
}

// ------------------------------------------------------------- structure walkers

/** PNG chunks: offset, data length, type. */
function pngChunks(bytes) {
  const out = [];
  for (let at = 8; at + 12 <= bytes.length; ) {
    const length = view(bytes).getUint32(at);
    out.push({ at, length, type: String.fromCharCode(...bytes.subarray(at + 4, at + 8)), end: at + 12 + length });
    at += 12 + length;
  }
  return out;
}
/** RIFF top-level chunks after the form type. */
function riffChunks(bytes) {
  const out = [];
  for (let at = 12; at + 8 <= bytes.length; ) {
    const length = view(bytes).getUint32(at + 4, true);
    out.push({ at, length, id: String.fromCharCode(...bytes.subarray(at, at + 4)), end: at + 8 + length + (length % 2) });
    at += 8 + length + (length % 2);
  }
  return out;
}
/** JPEG marker segments up to SOS. */
function jpegSegments(bytes) {
  const out = [];
  for (let at = 2; at + 4 <= bytes.length && bytes[at] === 0xff; ) {
    const marker = bytes[at + 1];
    const length = (bytes[at + 2] << 8) | bytes[at + 3];
    out.push({ at, marker, end: at + 2 + length });
    if (marker === 0xda) break;
    at += 2 + length;
  }
  return out;
}
/** Top-level ISO-BMFF boxes. */
function boxes(bytes) {
  const out = [];
  for (let at = 0; at + 8 <= bytes.length; ) {
    let size = view(bytes).getUint32(at);
    if (size === 1) size = Number(view(bytes).getBigUint64(at + 8));
    if (size === 0) size = bytes.length - at;
    if (size < 8) break;
    out.push({ at, size, type: String.fromCharCode(...bytes.subarray(at + 4, at + 8)), end: at + size });
    at += size;
  }
  return out;
}
/** FLV tags after the header and the first PreviousTagSize. */
function flvTags(bytes) {
  const out = [];
  for (let at = 13; at + 11 <= bytes.length; ) {
    const size = (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3];
    out.push({ at, type: bytes[at] & 0x1f, end: at + 11 + size + 4 });
    at += 11 + size + 4;
  }
  return out;
}
/** Offsets of the Ogg pages (capture pattern, version 0). */
function oggPages(bytes) {
  const out = [];
  for (let at = indexOf(bytes, 'OggS'); at >= 0; at = indexOf(bytes, 'OggS', at + 4)) if (bytes[at + 4] === 0) out.push(at);
  return out;
}
/** FLAC metadata blocks. */
function flacBlocks(bytes) {
  const out = [];
  for (let at = 4; at + 4 <= bytes.length; ) {
    const type = bytes[at] & 0x7f;
    const last = (bytes[at] & 0x80) !== 0;
    const length = (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3];
    out.push({ at, type, last, end: at + 4 + length });
    at += 4 + length;
    if (last) break;
  }
  return out;
}

// ------------------------------------------------------------- generic mutants

/** Mutants every format gets: trailing bytes, partial uploads, flipped payload bytes. */
function generic(bytes, carrier) {
  const out = [
    { id: 'trailing-16', kind: 'trailing', bytes: concat([bytes, garbage(16)]) },
    { id: 'trailing-4k', kind: 'trailing', bytes: concat([bytes, garbage(4096)]) },
    { id: 'trailing-zeros', kind: 'trailing', bytes: concat([bytes, new Uint8Array(4096)]) },
    { id: 'trailing-copy', kind: 'trailing', bytes: concat([bytes, bytes]) },
  ];
  for (const percent of [99, 90, 50]) {
    out.push({ id: `truncated-${percent}`, kind: 'truncation', bytes: bytes.subarray(0, Math.floor((bytes.length * percent) / 100)) });
  }
  // Byte flips outside the carrier (and its structure's header), in the second half where the payload is.
  const guard = { from: carrier.from - 64, to: carrier.to + 64 };
  for (let seed = 1; seed <= 3; seed++) {
    const next = prng(seed * 7919 + bytes.length);
    const flipped = bytes.slice();
    let done = 0;
    for (let tries = 0; done < 8 && tries < 1000; tries++) {
      const at = Math.floor(bytes.length / 2 + next() * (bytes.length / 2));
      if (at >= guard.from && at < guard.to) continue;
      flipped[at] ^= 1 + Math.floor(next() * 255);
      done++;
    }
    out.push({ id: `flips-${seed}`, kind: 'flip', bytes: flipped });
  }
  return out;
}

// ------------------------------------------------------------- per format

const unknownBefore = 'unknown-before';
const sizeCrc = 'size-crc';
const moved = 'moved';
const encoding = 'encoding';

function png(bytes) {
  const chunks = pngChunks(bytes);
  const xmp = chunks.find((c) => c.type === 'iTXt');
  const idat = chunks.find((c) => c.type === 'IDAT');
  const iend = chunks.find((c) => c.type === 'IEND');
  if (!xmp || !idat || !iend) return [];
  const xmpChunk = bytes.subarray(xmp.at, xmp.end);
  const badCrc = (c) => {
    const out = bytes.slice();
    out[c.end - 1] ^= 0xff;
    return out;
  };
  const withoutXmp = splice(bytes, xmp.at, xmp.end - xmp.at);
  const afterIdat = pngChunks(withoutXmp).findLast((c) => c.type === 'IDAT');
  return [
    { id: 'unknown-chunk-before', kind: unknownBefore, bytes: splice(bytes, xmp.at, 0, pngChunk('prVt', garbage(100))) },
    { id: 'bad-crc-carrier', kind: sizeCrc, bytes: badCrc(xmp) },
    { id: 'bad-crc-idat', kind: sizeCrc, bytes: badCrc(idat) },
    { id: 'no-iend', kind: sizeCrc, bytes: bytes.subarray(0, iend.at) },
    { id: 'xmp-after-idat', kind: moved, bytes: splice(withoutXmp, afterIdat.end, 0, xmpChunk) },
  ];
}

function jpeg(bytes) {
  const segments = jpegSegments(bytes);
  const xmp = segments.find((s) => s.marker === 0xe1 && indexOf(bytes.subarray(s.at, s.end), 'http://ns.adobe.com/xap/1.0/') >= 0);
  if (!xmp) return [];
  const app = (marker, payload) =>
    concat([Uint8Array.of(0xff, marker), Uint8Array.of((payload.length + 2) >> 8, (payload.length + 2) & 0xff), payload]);
  const dqt = segments.find((s) => s.marker === 0xdb);
  const xmpSegment = bytes.subarray(xmp.at, xmp.end);
  const withoutXmp = splice(bytes, xmp.at, xmp.end - xmp.at);
  const dqtAfter = jpegSegments(withoutXmp).find((s) => s.marker === 0xdb);
  const out = [
    { id: 'app9-before', kind: unknownBefore, bytes: splice(bytes, xmp.at, 0, app(0xe9, garbage(200))) },
    { id: 'comment-before', kind: unknownBefore, bytes: splice(bytes, xmp.at, 0, app(0xfe, text('made with a camera'))) },
    { id: 'extraneous-bytes-before', kind: sizeCrc, bytes: splice(bytes, xmp.at, 0, Uint8Array.of(0, 0, 0)) },
    { id: 'fill-bytes-before', kind: encoding, bytes: splice(bytes, xmp.at, 0, Uint8Array.of(0xff, 0xff, 0xff)) },
    { id: 'no-eoi', kind: sizeCrc, bytes: bytes.subarray(0, bytes.length - 2) },
  ];
  if (dqt && dqtAfter) out.push({ id: 'xmp-after-dqt', kind: moved, bytes: splice(withoutXmp, dqtAfter.end, 0, xmpSegment) });
  return out;
}

/** WebP, WAV, AVI: RIFF files. */
function riffForm(bytes, carrierId) {
  const chunks = riffChunks(bytes);
  const carrier = chunks.find(carrierId);
  if (!carrier) return [];
  const riffSize = view(bytes).getUint32(4, true);
  const out = [
    {
      id: 'junk-chunk-before',
      kind: unknownBefore,
      bytes: withU32(splice(bytes, carrier.at, 0, riffChunk('JUNK', garbage(101))), 4, riffSize + 110, true),
    },
    { id: 'riff-size-large', kind: sizeCrc, bytes: withU32(bytes, 4, riffSize + 1000, true) },
    { id: 'riff-size-small', kind: sizeCrc, bytes: withU32(bytes, 4, riffSize - 1000, true) },
    { id: 'riff-size-zero', kind: sizeCrc, bytes: withU32(bytes, 4, 0, true) },
  ];
  return out;
}

function wav(bytes) {
  const chunks = riffChunks(bytes);
  const data = chunks.find((c) => c.id === 'data');
  const aigc = chunks.find((c) => c.id === 'AIGC');
  const out = riffForm(bytes, (c) => c.id === 'AIGC');
  if (data) out.push({ id: 'data-size-ffffffff', kind: sizeCrc, bytes: withU32(bytes, data.at + 4, 0xffffffff, true) });
  if (data && aigc && aigc.at < data.at) {
    const chunk = bytes.subarray(aigc.at, aigc.end);
    const without = splice(bytes, aigc.at, aigc.end - aigc.at);
    out.push({ id: 'aigc-after-data', kind: moved, bytes: concat([without, chunk]) });
  }
  return out;
}

/** MP4, MOV, M4A, AVIF: top-level boxes. */
function isoBmff(bytes) {
  const top = boxes(bytes);
  const ftyp = top.find((b) => b.type === 'ftyp');
  const last = top.at(-1);
  if (!ftyp || !last) return [];
  const unknown = concat([u32be(40), text('zzzz'), garbage(32)]);
  return [
    { id: 'unknown-box-after-ftyp', kind: unknownBefore, bytes: splice(bytes, ftyp.end, 0, unknown) },
    {
      id: 'free-box-after-ftyp',
      kind: unknownBefore,
      bytes: splice(bytes, ftyp.end, 0, concat([u32be(40), text('free'), new Uint8Array(32)])),
    },
    { id: 'last-box-size-large', kind: sizeCrc, bytes: withU32(bytes, last.at, last.size + 16) },
    { id: 'closing-free-short', kind: sizeCrc, bytes: concat([bytes, u32be(32), text('free'), new Uint8Array(20)]) },
  ];
}

function mp3(bytes) {
  if (String.fromCharCode(...bytes.subarray(0, 3)) !== 'ID3') return [];
  const size = ((bytes[6] & 0x7f) << 21) | ((bytes[7] & 0x7f) << 14) | ((bytes[8] & 0x7f) << 7) | (bytes[9] & 0x7f);
  const syncsafe = (n) => Uint8Array.of((n >>> 21) & 0x7f, (n >>> 14) & 0x7f, (n >>> 7) & 0x7f, n & 0x7f);
  const withSize = (n) => {
    const out = bytes.slice();
    out.set(syncsafe(n), 6);
    return out;
  };
  const version = bytes[3];
  const frameSize = (n) => (version === 4 ? syncsafe(n) : u32be(n));
  const unknownFrame = concat([text('XYZW'), frameSize(20), Uint8Array.of(0, 0), garbage(20)]);
  const withFrame = splice(bytes, 10, 0, unknownFrame);
  withFrame.set(syncsafe(size + unknownFrame.length), 6);
  return [
    { id: 'unknown-frame-before', kind: unknownBefore, bytes: withFrame },
    { id: 'id3-size-large', kind: sizeCrc, bytes: withSize(size + 10) },
    { id: 'leading-zeros', kind: encoding, bytes: concat([new Uint8Array(256), bytes]) },
  ];
}

function flac(bytes) {
  const blocks = flacBlocks(bytes);
  const comment = blocks.find((b) => b.type === 4);
  if (!comment) return [];
  const application = concat([Uint8Array.of(2), u24be(24), text('zzzz'), garbage(20)]);
  const wrongLength = bytes.slice();
  wrongLength.set(u24be(((bytes[comment.at + 1] << 16) | (bytes[comment.at + 2] << 8) | bytes[comment.at + 3]) + 7), comment.at + 1);
  return [
    { id: 'application-block-before', kind: unknownBefore, bytes: splice(bytes, comment.at, 0, application) },
    { id: 'comment-length-large', kind: sizeCrc, bytes: wrongLength },
    { id: 'id3-before', kind: encoding, bytes: concat([text('ID3'), Uint8Array.of(3, 0, 0, 0, 0, 0, 10), new Uint8Array(10), bytes]) },
  ];
}

function ogg(bytes) {
  const pages = oggPages(bytes);
  if (pages.length < 2) return [];
  const zeroCrc = (which) => {
    const out = bytes.slice();
    for (const at of which) out.set(u32le(0), at + 22);
    return out;
  };
  return [
    { id: 'comment-page-zero-crc', kind: sizeCrc, bytes: zeroCrc([pages[1]]) },
    { id: 'all-pages-zero-crc', kind: sizeCrc, bytes: zeroCrc(pages) },
  ];
}

function matroska(bytes) {
  const segment = indexOf(bytes, Uint8Array.of(0x18, 0x53, 0x80, 0x67));
  const tags = indexOf(bytes, Uint8Array.of(0x12, 0x54, 0xc3, 0x67));
  if (segment < 0 || tags < 0) return [];
  const sizeAt = segment + 4;
  const width = Math.clz32(bytes[sizeAt]) - 23;
  let declared = 0n;
  for (let i = 0; i < width; i++) declared = (declared << 8n) | BigInt(i === 0 ? bytes[sizeAt] & (0xff >> width) : bytes[sizeAt + i]);
  const resized = (delta) => {
    const out = bytes.slice();
    let value = declared + BigInt(delta);
    for (let i = width - 1; i >= 1; i--) {
      out[sizeAt + i] = Number(value & 0xffn);
      value >>= 8n;
    }
    out[sizeAt] = (0x80 >> (width - 1)) | Number(value);
    return out;
  };
  const unknownSize = declared === (1n << BigInt(7 * width)) - 1n;
  const voidElement = concat([Uint8Array.of(0xec, 0x80 | 30), garbage(30)]);
  const withVoid = splice(unknownSize ? bytes : resized(voidElement.length), tags, 0, voidElement);
  const out = [{ id: 'void-before-tags', kind: unknownBefore, bytes: withVoid }];
  if (!unknownSize) out.push({ id: 'segment-size-large', kind: sizeCrc, bytes: resized(5) });
  return out;
}

function avi(bytes) {
  const out = riffForm(bytes, (c) => c.id === 'LIST' && String.fromCharCode(...bytes.subarray(c.at + 8, c.at + 12)) === 'INFO');
  const movi = riffChunks(bytes).find((c) => c.id === 'LIST' && String.fromCharCode(...bytes.subarray(c.at + 8, c.at + 12)) === 'movi');
  if (movi) out.push({ id: 'movi-size-large', kind: sizeCrc, bytes: withU32(bytes, movi.at + 4, movi.length + 5000, true) });
  return out;
}

function flv(bytes) {
  const tags = flvTags(bytes);
  const meta = tags.find((t) => t.type === 18);
  if (!meta) return [];
  const unknownTag = (n) => concat([Uint8Array.of(0x0f), u24be(n), new Uint8Array(7), garbage(n), u32be(n + 11)]);
  const metaTag = bytes.subarray(meta.at, meta.end);
  return [
    { id: 'unknown-tag-before', kind: unknownBefore, bytes: splice(bytes, meta.at, 0, unknownTag(32)) },
    { id: 'metadata-at-end', kind: moved, bytes: concat([splice(bytes, meta.at, meta.end - meta.at), metaTag]) },
    { id: 'previous-tag-size-wrong', kind: sizeCrc, bytes: withU32(bytes, meta.end - 4, 12345) },
  ];
}

function gif(bytes) {
  const xmp = indexOf(bytes, Uint8Array.of(0x21, 0xff, 0x0b, ...text('XMP DataXMP')));
  if (xmp < 0 || bytes.at(-1) !== 0x3b) return [];
  const comment = concat([Uint8Array.of(0x21, 0xfe, 18), text('made by a scanner.'), Uint8Array.of(0)]);
  const application = concat([Uint8Array.of(0x21, 0xff, 0x0b), text('ZZZZZZZZ1.0'), Uint8Array.of(20), garbage(20), Uint8Array.of(0)]);
  return [
    { id: 'comment-before', kind: unknownBefore, bytes: splice(bytes, xmp, 0, comment) },
    { id: 'application-extension-before', kind: unknownBefore, bytes: splice(bytes, xmp, 0, application) },
    { id: 'no-trailer', kind: sizeCrc, bytes: bytes.subarray(0, bytes.length - 1) },
  ];
}

function pdf(bytes) {
  const source = new TextDecoder('latin1').decode(bytes);
  const latin1 = (s) => Uint8Array.from(s, (c) => c.charCodeAt(0));
  const startxref = source.lastIndexOf('startxref');
  const shifted =
    source.slice(0, startxref) + source.slice(startxref).replace(/startxref\s+(\d+)/, (_, n) => `startxref\n${Number(n) + 10}`);
  return [
    { id: 'garbage-before-header', kind: unknownBefore, bytes: concat([garbage(512), bytes]) },
    { id: 'startxref-off-by-10', kind: sizeCrc, bytes: latin1(shifted) },
    { id: 'crlf-line-ends', kind: encoding, bytes: latin1(source.replace(/(?<!\r)\n/g, '\r\n')) },
  ];
}

function zip(bytes) {
  const end = bytes.length - 22;
  const directoryAt = view(bytes).getUint32(end + 16, true);
  return [
    { id: 'stub-before', kind: unknownBefore, bytes: concat([garbage(1024), bytes]) },
    { id: 'no-central-directory', kind: sizeCrc, bytes: bytes.subarray(0, directoryAt) },
    { id: 'directory-offset-wrong', kind: sizeCrc, bytes: withU32(bytes, end + 16, directoryAt + 100, true) },
  ];
}

function textual(bytes) {
  const source = new TextDecoder().decode(bytes);
  const encoded = (s) => new TextEncoder().encode(s);
  const body = source.lastIndexOf('\n\n');
  return [
    { id: 'bom', kind: encoding, bytes: concat([Uint8Array.of(0xef, 0xbb, 0xbf), bytes]) },
    { id: 'crlf-line-ends', kind: encoding, bytes: encoded(source.replaceAll('\n', '\r\n')) },
    {
      id: 'invalid-utf8-in-body',
      kind: encoding,
      bytes: splice(bytes, encoded(source.slice(0, body)).length, 0, Uint8Array.of(0xff, 0xfe, 0xc3)),
    },
  ];
}

const byFormat = {
  png,
  jpeg,
  webp: (b) => riffForm(b, (c) => c.id === 'XMP '),
  gif,
  tiff: () => [],
  avif: isoBmff,
  wav,
  mp3,
  flac,
  ogg,
  m4a: isoBmff,
  mp4: isoBmff,
  matroska,
  avi,
  flv,
  pdf,
  ooxml: zip,
  html: textual,
  markdown: textual,
};

/**
 * Every mutant of a labeled file of `format`: `{ id, kind, bytes }`. `carrier` is the byte
 * range of the label's value in the file, kept clear of payload flips.
 */
export function mutantsFor(format, bytes, carrier) {
  return [...generic(bytes, carrier), ...(byFormat[format]?.(bytes) ?? [])];
}

export const mutantKinds = ['trailing', 'truncation', 'flip', unknownBefore, sizeCrc, moved, encoding];
