/**
 * Toy containers for the conformance corpus, written byte by byte: the smallest file of each
 * format that holds a label carrier where the TC260 guides put it (or where other writers put
 * it). Nothing here calls the toolkit, so the corpus tests our readers against structures we
 * did not write ourselves. Each builder takes the carrier's raw value (a string: the label
 * JSON, a wrapped form, an empty string, garbage) and options for the variants.
 */
import {
  box,
  concat,
  crc32,
  jpegSegment,
  PNG_SIGNATURE,
  pngChunk,
  pngEnd,
  pngHeader,
  pngPixel,
  riff,
  riffChunk,
  text,
  wavFormat,
  xmpPacket,
} from '../hostile/build.mjs';

export const PRODUCER = '001191440300708461136T1XGW3';
export const PROPAGATOR = '001191110108MA01XXXX0X20001';
const FIELDS = ['Label', 'ContentProducer', 'ProduceID', 'ReservedCode1', 'ContentPropagator', 'PropagateID', 'ReservedCode2'];

/**
 * The Annex E label as JSON text: the seven fields in order, `set` changing values (a value
 * of `undefined` drops the field), `extra` appended after them.
 */
export function labelJson({ id = 'conformance-0001', set = {}, extra = {} } = {}) {
  const fields = {
    Label: '1',
    ContentProducer: PRODUCER,
    ProduceID: id,
    ReservedCode1: '',
    ContentPropagator: PRODUCER,
    PropagateID: id,
    ReservedCode2: '',
  };
  const out = {};
  for (const name of FIELDS) {
    const value = name in set ? set[name] : fields[name];
    if (value !== undefined) out[name] = value;
  }
  return JSON.stringify({ ...out, ...extra });
}
/** The wrapped form `{"AIGC":{…}}` the image guide's Annex B shows. */
export const wrapped = (json) => `{"AIGC":${json}}`;

const u16le = (n) => Uint8Array.of(n & 0xff, n >>> 8);
const u16be = (n) => Uint8Array.of(n >>> 8, n & 0xff);
const u24be = (n) => Uint8Array.of(n >>> 16, (n >>> 8) & 0xff, n & 0xff);
const u32le = (n) => Uint8Array.of(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24);
const u32be = (n) => Uint8Array.of(n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
const hex = (s) => Uint8Array.from(s.match(/../g), (h) => Number.parseInt(h, 16));
const xmlText = (s) => s.replaceAll('&', '&amp;').replaceAll('<', '&lt;');
const xmlAttribute = (s) => xmlText(s).replaceAll('"', '&quot;');

/** The TC260:AIGC element form, inside a full XMP packet. */
export const xmpElement = (value) => xmpPacket(`<TC260:AIGC>${xmlText(value)}</TC260:AIGC>`);
/** The attribute form (also what the guides allow). */
export const xmpAttribute = (value) =>
  xmpPacket('').replace('<rdf:Description rdf:about=""', `<rdf:Description rdf:about="" TC260:AIGC="${xmlAttribute(value)}"`);

// ------------------------------------------------------------------ images

/** PNG: `before` chunks, the XMP packet in iTXt `XML:com.adobe.xmp`, `chunks`, the picture. */
export function png({ xmp = null, before = [], chunks = [], header = true } = {}) {
  const parts = [PNG_SIGNATURE];
  if (header) parts.push(pngHeader());
  parts.push(...before);
  if (xmp !== null) parts.push(pngChunk('iTXt', concat([text('XML:com.adobe.xmp\0\0\0\0\0'), text(xmp)])));
  parts.push(...chunks, pngPixel(), pngEnd());
  return concat(parts);
}
/** A PNG tEXt chunk (Latin-1 by the spec; `bytes` lets a case write UTF-8 into it). */
export const pngText = (keyword, bytes) => pngChunk('tEXt', concat([text(`${keyword}\0`), bytes]));

/** A 1×1 baseline JPEG (made by libjpeg once, kept as bytes), split after SOI. */
const JPEG_1PX = hex(
  'ffd8ffdb004300100b0c0e0c0a100e0d0e1211101318281a181616183123251d283a333d3c3933383740485c4e404457453738506d51575f626768673e4d71797064785c656763ffdb0043011112121815182f1a1a2f634238426363636363636363636363636363636363636363636363636363636363636363636363636363636363636363636363636363ffc00011080001000103012200021101031101ffc4001500010100000000000000000000000000000004ffc40014100100000000000000000000000000000000ffc40014010100000000000000000000000000000005ffc40014110100000000000000000000000000000000ffda000c03010002110311003f009801879fffd9',
);
export const JPEG_BODY = JPEG_1PX.subarray(2);
export const jpegXmp = (xmp) => jpegSegment(0xe1, concat([text('http://ns.adobe.com/xap/1.0/\0'), text(xmp)]));
/** JPEG: SOI, `segments` (APPn…), then the picture. */
export const jpeg = (segments = [], body = JPEG_BODY) => concat([Uint8Array.of(0xff, 0xd8), ...segments, body]);

/** An EXIF APP1 segment with UserComment (ASCII) either in IFD0 or, as the guide says, in the Exif IFD. */
export function jpegExifUserComment(value, { inIfd0 = false } = {}) {
  const comment = concat([text('ASCII\0\0\0'), text(value)]);
  const entry = (tag, type, count, valueOrOffset) => concat([u16be(tag), u16be(type), u32be(count), valueOrOffset]);
  let tiff;
  if (inIfd0) {
    // header 8, IFD0: count 2 + 1 entry 12 + next 4 = 18; comment at 26
    tiff = concat([text('MM\0*'), u32be(8), u16be(1), entry(0x9286, 7, comment.length, u32be(26)), u32be(0), comment]);
  } else {
    // IFD0 with ExifIFD pointer at 8 (18 bytes); Exif IFD at 26 (18 bytes); comment at 44
    tiff = concat([
      text('MM\0*'),
      u32be(8),
      u16be(1),
      entry(0x8769, 4, 1, u32be(26)),
      u32be(0),
      u16be(1),
      entry(0x9286, 7, comment.length, u32be(44)),
      u32be(0),
      comment,
    ]);
  }
  return jpegSegment(0xe1, concat([text('Exif\0\0'), tiff]));
}

const VP8L_1PX = hex('2f000000000750a82217a5ff8188e87f0000');
/** WebP (extended): VP8X with the XMP flag, a lossless 1×1 picture, the "XMP " chunk. */
export function webp({ xmp = null, before = [] } = {}) {
  const flags = xmp === null ? 0 : 0x04;
  const vp8x = riffChunk('VP8X', concat([Uint8Array.of(flags, 0, 0, 0), u24le(0), u24le(0)]));
  const chunks = [vp8x, ...before, riffChunk('VP8L', VP8L_1PX)];
  if (xmp !== null) chunks.push(riffChunk('XMP ', text(xmp)));
  return riff('WEBP', chunks);
}
function u24le(n) {
  return Uint8Array.of(n & 0xff, (n >>> 8) & 0xff, n >>> 16);
}

/** The XMP application extension: raw packet bytes then the 258-byte "magic trailer". */
export function gifXmpExtension(xmp, identifier = 'XMP DataXMP') {
  const trailer = new Uint8Array(258);
  trailer[0] = 0x01;
  for (let i = 1; i <= 256; i++) trailer[i] = 256 - i;
  trailer[257] = 0x00;
  return concat([Uint8Array.of(0x21, 0xff, 0x0b), text(identifier), text(xmp), trailer]);
}
/** GIF89a 1×1: header, colour table, `extensions`, the picture, the trailer byte unless `trailer` is false. */
export function gif({ extensions = [], trailer = true } = {}) {
  const header = concat([text('GIF89a'), u16le(1), u16le(1), Uint8Array.of(0x80, 0, 0), Uint8Array.of(0, 0, 0, 255, 255, 255)]);
  const picture = concat([Uint8Array.of(0x2c), u16le(0), u16le(0), u16le(1), u16le(1), Uint8Array.of(0), Uint8Array.of(2, 2, 0x44, 1, 0)]);
  return concat([header, ...extensions, picture, trailer ? Uint8Array.of(0x3b) : new Uint8Array()]);
}

/** TIFF (little-endian), one gray pixel, XMP in IFD0 tag 700 (type 7 UNDEFINED). */
export function tiff({ xmp = null } = {}) {
  const entries = [
    [256, 3, 1, 1],
    [257, 3, 1, 1],
    [258, 3, 1, 8],
    [259, 3, 1, 1],
    [262, 3, 1, 1],
    [273, 4, 1, 'pixel'],
    [277, 3, 1, 1],
    [278, 3, 1, 1],
    [279, 4, 1, 1],
  ];
  const xmpBytes = xmp === null ? null : text(xmp);
  if (xmpBytes) entries.push([700, 7, xmpBytes.length, 'xmp']);
  const ifdSize = 2 + entries.length * 12 + 4;
  const pixelAt = 8 + ifdSize;
  const xmpAt = pixelAt + 2;
  const ifd = [u16le(entries.length)];
  for (const [tag, type, count, value] of entries) {
    const field =
      value === 'pixel' ? u32le(pixelAt) : value === 'xmp' ? u32le(xmpAt) : type === 3 ? concat([u16le(value), u16le(0)]) : u32le(value);
    ifd.push(u16le(tag), u16le(type), u32le(count), field);
  }
  ifd.push(u32le(0));
  return concat([text('II*\0'), u32le(8), ...ifd, Uint8Array.of(0x80, 0), xmpBytes ?? new Uint8Array()]);
}

const fullBox = (type, version, flags, ...children) =>
  box(type, Uint8Array.of(version, flags >>> 16, (flags >>> 8) & 0xff, flags & 0xff), ...children);

/**
 * HEIF/AVIF: ftyp, meta (hdlr pict, pitm, iloc, iinf, iref cdsc from the XMP item to the
 * image), mdat with the image item's bytes (a stand-in, not a decodable picture) and the XMP.
 */
export function heif({ brand = 'heic', imageType = 'hvc1', xmp = null } = {}) {
  const ftyp = box('ftyp', text(brand), u32be(0), text(brand === 'avif' ? 'avifmif1miaf' : 'mif1heic'));
  const picture = text('toy picture item');
  const xmpBytes = xmp === null ? null : text(xmp);
  const items = xmpBytes ? 2 : 1;
  const infe = (id, type, contentType) =>
    fullBox('infe', 2, 0, u16be(id), u16be(0), text(type), text('\0'), contentType ? text(`${contentType}\0`) : new Uint8Array());
  const meta = (offsets) => {
    const iloc = fullBox(
      'iloc',
      0,
      0,
      Uint8Array.of(0x44, 0x00),
      u16be(items),
      ...[picture, xmpBytes]
        .filter(Boolean)
        .map((data, i) => concat([u16be(i + 1), u16be(0), u16be(1), u32be(offsets[i]), u32be(data.length)])),
    );
    const iinf = fullBox('iinf', 0, 0, u16be(items), infe(1, imageType), ...(xmpBytes ? [infe(2, 'mime', 'application/rdf+xml')] : []));
    const iref = xmpBytes ? fullBox('iref', 0, 0, box('cdsc', u16be(2), u16be(1), u16be(1))) : new Uint8Array();
    const hdlr = fullBox('hdlr', 0, 0, u32be(0), text('pict'), new Uint8Array(12), text('\0'));
    return fullBox('meta', 0, 0, hdlr, fullBox('pitm', 0, 0, u16be(1)), iloc, iinf, iref);
  };
  const metaSize = meta([0, 0]).length;
  const dataStart = ftyp.length + metaSize + 8;
  const offsets = [dataStart, dataStart + picture.length];
  return concat([ftyp, meta(offsets), box('mdat', picture, xmpBytes ?? new Uint8Array())]);
}

// ------------------------------------------------------------------ audio

/** WAVE: fmt, the AIGC chunk (before data unless `afterData`), `extra` chunks before it, 100 ms of silence. */
export function wav({ aigc = null, before = [], afterData = false, dataSize } = {}) {
  const samples = new Uint8Array(1600);
  const data = concat([text('data'), u32le(dataSize ?? samples.length), samples]);
  const label = aigc === null ? [] : [riffChunk('AIGC', text(aigc))];
  return riff('WAVE', afterData ? [wavFormat(), ...before, data, ...label] : [wavFormat(), ...before, ...label, data]);
}

const OGG_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n << 24;
    for (let k = 0; k < 8; k++) c = c & 0x80000000 ? (c << 1) ^ 0x04c11db7 : c << 1;
    t[n] = c >>> 0;
  }
  return t;
})();
function oggCrc(bytes) {
  let c = 0;
  for (const b of bytes) c = ((c << 8) ^ OGG_TABLE[((c >>> 24) ^ b) & 0xff]) >>> 0;
  return c;
}
/** One Ogg page holding one whole packet; `crc` false leaves the checksum zero. */
export function oggPage(packet, { serial = 1, sequence = 0, type = 0, granule = 0, crc = true } = {}) {
  const lacing = [];
  let left = packet.length;
  while (left >= 255) {
    lacing.push(255);
    left -= 255;
  }
  lacing.push(left);
  const header = concat([
    text('OggS'),
    Uint8Array.of(0, type),
    u32le(granule),
    u32le(0),
    u32le(serial),
    u32le(sequence),
    u32le(0),
    Uint8Array.of(lacing.length, ...lacing),
  ]);
  const page = concat([header, packet]);
  if (crc) page.set(u32le(oggCrc(page)), 22);
  return page;
}
/** A Vorbis-comment body: vendor, then the comments (`NAME=value` strings). */
export const vorbisComments = (comments, vendor = 'toy') =>
  concat([u32le(text(vendor).length), text(vendor), u32le(comments.length), ...comments.flatMap((c) => [u32le(text(c).length), text(c)])]);

/** Ogg Opus: OpusHead, OpusTags with `comments`, one silent packet; `firstStream` pages go first (another logical stream). */
export function opus({ comments = [], crc = true, firstStream = [] } = {}) {
  const head = concat([text('OpusHead'), Uint8Array.of(1, 1), u16le(312), u32le(48000), u16le(0), Uint8Array.of(0)]);
  const tags = concat([text('OpusTags'), vorbisComments(comments)]);
  return concat([
    ...firstStream,
    oggPage(head, { type: 2, crc }),
    oggPage(tags, { sequence: 1, crc }),
    oggPage(Uint8Array.of(0xf8, 0xff, 0xfe), { sequence: 2, type: 4, granule: 960, crc }),
  ]);
}

/** FLAC: STREAMINFO (44.1 kHz mono 16-bit), a VORBIS_COMMENT block with `comments`. */
export function flac({ comments = null } = {}) {
  const info = new Uint8Array(34);
  info.set(u16be(4096), 0);
  info.set(u16be(4096), 2);
  const packed = (0x0ac44n << 44n) | (15n << 36n);
  for (let i = 0; i < 8; i++) info[10 + i] = Number((packed >> BigInt(56 - 8 * i)) & 0xffn);
  const block = (type, last, data) => concat([Uint8Array.of((last ? 0x80 : 0) | type), u24be(data.length), data]);
  const blocks = comments === null ? [block(0, true, info)] : [block(0, false, info), block(4, true, vorbisComments(comments))];
  return concat([text('fLaC'), ...blocks]);
}

const syncsafe = (n) => Uint8Array.of((n >>> 21) & 0x7f, (n >>> 14) & 0x7f, (n >>> 7) & 0x7f, n & 0x7f);
/** An ID3v2.4 TXXX frame (UTF-8) with `description` and `value`. */
export const id3Txxx = (description, value) => {
  const body = concat([Uint8Array.of(3), text(`${description}\0`), text(value)]);
  return concat([text('TXXX'), syncsafe(body.length), Uint8Array.of(0, 0), body]);
};
/** MP3: an ID3v2.4 tag of `frames` and 32 bytes of padding (its size off by `sizeError`), then two silent MPEG-1 Layer III frames. */
export function mp3({ frames = [], sizeError = 0 } = {}) {
  const body = concat([...frames, new Uint8Array(32)]);
  const tag = frames.length ? concat([text('ID3'), Uint8Array.of(4, 0, 0), syncsafe(body.length + sizeError), body]) : new Uint8Array();
  const frame = new Uint8Array(417);
  frame.set([0xff, 0xfb, 0x90, 0xc4]);
  return concat([tag, frame, frame]);
}

// ------------------------------------------------------------------ MP4 family

const mvhd = () => {
  const body = new Uint8Array(96);
  body.set(u32be(1000), 8);
  body.set(u32be(0x00010000), 16);
  body.set(u16be(0x0100), 20);
  body.set(u32be(0x00010000), 32);
  body.set(u32be(0x00010000), 48);
  body.set(u32be(0x40000000), 64);
  body.set(u32be(2), 92);
  return fullBox('mvhd', 0, 0, body);
};
/**
 * The keyed metadata: meta(hdlr mdta, keys, ilst) with `entries` [key, value]. `meta` is a full
 * box (version and flags) as in ISO-BMFF; QuickTime files write it as a plain box (`quickTime`).
 */
export function mdtaMeta(entries, { keyBytes = (key) => text(key), quickTime = false } = {}) {
  const hdlr = fullBox('hdlr', 0, 0, u32be(0), text('mdta'), new Uint8Array(12), text('\0'));
  const keys = fullBox(
    'keys',
    0,
    0,
    u32be(entries.length),
    ...entries.map(([key]) => {
      const name = keyBytes(key);
      return concat([u32be(name.length + 8), text('mdta'), name]);
    }),
  );
  const ilst = box(
    'ilst',
    ...entries.map(([, value], i) =>
      concat([u32be(8 + 16 + text(value).length), u32be(i + 1), box('data', u32be(1), u32be(0), text(value))]),
    ),
  );
  return quickTime ? box('meta', hdlr, keys, ilst) : fullBox('meta', 0, 0, hdlr, keys, ilst);
}
/** MP4/M4A: ftyp, moov (mvhd, udta holding `udta` boxes), mdat; `before` boxes go before moov, `after` after mdat. */
export function mp4({ brand = 'isom', udta = [], moovExtra = [], before = [], after = [], withMoov = true } = {}) {
  const ftyp = box('ftyp', text(brand), u32be(0x200), text(brand), text('mp41'));
  const moov = withMoov ? [box('moov', mvhd(), ...moovExtra, ...(udta.length ? [box('udta', ...udta)] : []))] : [];
  return concat([ftyp, ...before, ...moov, box('mdat', text('toy media data')), ...after]);
}

// ------------------------------------------------------------------ Matroska

function vint(n) {
  if (n < 0x7f) return Uint8Array.of(0x80 | n);
  if (n < 0x3fff) return Uint8Array.of(0x40 | (n >>> 8), n & 0xff);
  return Uint8Array.of(0x10, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
}
/** An EBML element: id bytes (as hex), its size, its body. `size` overrides the declared size. */
export function ebml(id, body, size) {
  const bytes = typeof body === 'string' ? text(body) : body;
  return concat([hex(id), size === undefined ? vint(bytes.length) : size, bytes]);
}
const uint = (id, n) => ebml(id, Uint8Array.of(n));
/**
 * Matroska/WebM: EBML header, Segment(Info, Tags with a SimpleTag per [name, value], one empty
 * Cluster); `segmentSizeError` makes the Segment size lie, `voidInTags` puts a Void element first in Tags.
 */
export function matroska({ docType = 'matroska', tags = [], segmentSizeError = 0, clusterFirst = false, voidInTags = 0 } = {}) {
  const header = ebml(
    '1a45dfa3',
    concat([uint('4286', 1), uint('42f7', 1), uint('42f2', 4), uint('42f3', 8), ebml('4282', docType), uint('4287', 4), uint('4285', 2)]),
  );
  const info = ebml('1549a966', concat([ebml('2ad7b1', u24be(1000000)), ebml('4d80', 'toy'), ebml('5741', 'toy')]));
  const simpleTags = tags.map(([name, value]) => ebml('67c8', concat([ebml('45a3', name), ebml('4487', value)])));
  const voidElement = voidInTags ? [ebml('ec', new Uint8Array(voidInTags))] : [];
  const tag = ebml('7373', concat([ebml('63c0', new Uint8Array()), ...simpleTags]));
  const tagsElement = tags.length ? [ebml('1254c367', concat([...voidElement, tag]))] : [];
  const cluster = ebml('1f43b675', uint('e7', 0));
  const body = concat(clusterFirst ? [info, cluster, ...tagsElement] : [info, ...tagsElement, cluster]);
  return concat([header, ebml('18538067', body, Uint8Array.of(0x01, 0, 0, 0, ...u32be(body.length + segmentSizeError)))]);
}

// ------------------------------------------------------------------ AVI, FLV

/** AVI: hdrl (avih), LIST INFO with the AIGC sub-chunk (NUL-terminated), movi (omitted when `movi` is false). */
export function avi({ aigc = null, movi = true, riffSizeError = 0 } = {}) {
  const avih = riffChunk(
    'avih',
    concat([u32le(40000), u32le(0), u32le(0), u32le(0x10), u32le(0), u32le(0), u32le(0), u32le(0), u32le(1), u32le(1), new Uint8Array(16)]),
  );
  const list = (type, chunks) => riffChunk('LIST', concat([text(type), ...chunks]));
  const chunks = [list('hdrl', [avih])];
  if (aigc !== null) chunks.push(list('INFO', [riffChunk('AIGC', text(`${aigc}\0`))]));
  if (movi) chunks.push(list('movi', []));
  const file = riff('AVI ', chunks);
  if (riffSizeError) file.set(u32le(file.length - 8 + riffSizeError), 4);
  return file;
}

const amfString = (s) => {
  const b = text(s);
  return b.length > 0xffff ? concat([Uint8Array.of(0x0c), u32be(b.length), b]) : concat([Uint8Array.of(0x02), u16be(b.length), b]);
};
const amfKey = (s) => concat([u16be(text(s).length), text(s)]);
/** An FLV tag of `type` with `data`, followed by its PreviousTagSize. */
export const flvTag = (type, data) =>
  concat([Uint8Array.of(type), u24be(data.length), u24be(0), Uint8Array.of(0), u24be(0), data, u32be(data.length + 11)]);
/** onMetaData as an ECMA array of string properties. */
export const flvMetadata = (properties) =>
  flvTag(
    18,
    concat([
      amfString('onMetaData'),
      Uint8Array.of(0x08),
      u32be(properties.length),
      ...properties.flatMap(([key, value]) => [amfKey(key), amfString(value)]),
      Uint8Array.of(0, 0, 9),
    ]),
  );
/** FLV: header, `tags` (each from flvTag), a video tag. */
export const flv = (tags) =>
  concat([text('FLV'), Uint8Array.of(1, 1), u32be(9), u32be(0), ...tags, flvTag(9, Uint8Array.of(0x17, 1, 0, 0, 0))]);

// ------------------------------------------------------------------ documents

/**
 * A one-page PDF with a classic xref table and an Info dictionary of `info` entries (PDF
 * syntax); the page shows `line` (an English explicit prompt by default, none when empty).
 */
export function pdf(info = '', line = 'This content was generated by AI') {
  const content = line ? `BT /F1 12 Tf 10 180 Td ${pdfString(line)} Tj ET` : '';
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 5 0 R /Resources << /Font << /F1 6 0 R >> >> >>',
    `<< /Producer (toy) ${info} >>`,
    `<< /Length ${content.length} >>\nstream\n${content}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let body = '%PDF-1.7\n%\xe2\xe3\xcf\xd3\n';
  const offsets = [];
  objects.forEach((o, i) => {
    offsets.push(body.length);
    body += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = body.length;
  body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  body += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R /Info 4 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Uint8Array.from(body, (c) => c.charCodeAt(0));
}
/** A PDF literal string for `s` (ASCII). */
export const pdfString = (s) => `(${s.replaceAll('\\', '\\\\').replaceAll('(', '\\(').replaceAll(')', '\\)')})`;

/** A ZIP of stored entries [name, bytes]; `centralDirectory` false leaves the local headers only. */
export function zip(entries, { centralDirectory = true } = {}) {
  const locals = [];
  const centrals = [];
  let offset = 0;
  for (const [name, data] of entries) {
    const nameBytes = text(name);
    const common = concat([
      u16le(20),
      u16le(0x0800),
      u16le(0),
      u16le(0),
      u16le(0x21),
      u32le(crc32(data)),
      u32le(data.length),
      u32le(data.length),
      u16le(nameBytes.length),
    ]);
    const local = concat([u32le(0x04034b50), common, u16le(0), nameBytes, data]);
    centrals.push(
      concat([u32le(0x02014b50), u16le(20), common, u16le(0), u16le(0), u16le(0), u16le(0), u32le(0), u32le(offset), nameBytes]),
    );
    locals.push(local);
    offset += local.length;
  }
  if (!centralDirectory) return concat(locals);
  const directory = concat(centrals);
  const end = concat([
    u32le(0x06054b50),
    u16le(0),
    u16le(0),
    u16le(entries.length),
    u16le(entries.length),
    u32le(directory.length),
    u32le(offset),
    u16le(0),
  ]);
  return concat([...locals, directory, end]);
}
/** A Word document with a custom property per [name, value] in docProps/custom.xml. */
export function docx({ properties = [], paragraph = PROMPT, centralDirectory = true } = {}) {
  const custom = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">${properties
    .map(
      ([name, value], i) =>
        `<property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="${i + 2}" name="${name}"><vt:lpwstr>${xmlText(value)}</vt:lpwstr></property>`,
    )
    .join('')}</Properties>`;
  const withCustom = properties.length > 0;
  const contentTypes = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>${withCustom ? '<Override PartName="/docProps/custom.xml" ContentType="application/vnd.openxmlformats-officedocument.custom-properties+xml"/>' : ''}</Types>`;
  const rels = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>${withCustom ? '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties" Target="docProps/custom.xml"/>' : ''}</Relationships>`;
  const document = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>${paragraph}</w:t></w:r></w:p></w:body></w:document>`;
  const entries = [
    ['[Content_Types].xml', text(contentTypes)],
    ['_rels/.rels', text(rels)],
    ['word/document.xml', text(document)],
  ];
  if (withCustom) entries.push(['docProps/custom.xml', text(custom)]);
  return zip(entries, { centralDirectory });
}

export const PROMPT = '本内容由人工智能生成';
/** HTML with `<meta>` elements [name, content] in head and `body` (by default an explicit prompt, then a paragraph). */
export const html = (metas = [], body = `<p>${PROMPT}。</p><p>一段示例文字。</p>`) =>
  `<!DOCTYPE html>\n<html lang="zh">\n<head>\n<meta charset="utf-8">\n${metas.map(([name, content]) => `<meta name="${name}" content="${xmlAttribute(content)}">\n`).join('')}<title>示例</title>\n</head>\n<body>\n${body}\n</body>\n</html>\n`;

/** Markdown with YAML front matter `frontMatter` (text between the fences, or none when null) and the explicit prompt at the end unless `prompt` is false. */
export const markdown = (frontMatter, { prompt = true } = {}) =>
  `${frontMatter === null ? '' : `---\n${frontMatter}---\n\n`}# 示例\n\n一段示例文字。\n${prompt ? `\n${PROMPT}\n` : ''}`;
/**
 * The AIGC mapping as the guide shows it (TC260-PG-20258A §6.5), from label JSON; a value that
 * is not a JSON object is written as a quoted scalar, an empty one as nothing.
 */
export const yamlMapping = (json) => {
  let fields;
  try {
    fields = JSON.parse(json);
  } catch {}
  if (json === '') return 'AIGC:\n';
  if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) return `AIGC: '${json.replaceAll("'", "''")}'\n`;
  return `AIGC:\n${Object.entries(fields)
    .map(([k, v]) => `  ${k}: '${String(v).replaceAll("'", "''")}'\n`)
    .join('')}`;
};
