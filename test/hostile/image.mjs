/**
 * Worst cases for the image package's format parsers (issue 15): huge counts of small chunks,
 * segments, blocks, boxes and IFDs; deep sub-block chains; lengths and offsets that point
 * anywhere; decompression bombs; and damaged containers that salvage reads. Each case builds its
 * file at `sizes` (1×, 10×, 100× its element count) so that super-linear work shows. Where the
 * 100× file passes the facade's 4 MiB whole-file read, the elements are made big enough that the
 * 10× file does too, so both are read the same way and their times compare.
 */
import {
  box,
  concat,
  jpegSegment,
  PNG_SIGNATURE,
  pngChunk,
  pngEnd,
  pngHeader,
  pngPixel,
  riff,
  riffChunk,
  text,
  xmpPacket,
} from './build.mjs';

const LABEL_JSON =
  '{"Label":"1","ContentProducer":"001191440300708461136T1XGW3","ProduceID":"hostile-0001","ReservedCode1":"","ContentPropagator":"001191440300708461136T1XGW3","PropagateID":"hostile-0001","ReservedCode2":""}';
const escaped = LABEL_JSON.replace(/"/g, '&quot;');
const LABEL_XMP = xmpPacket(`<TC260:AIGC>${escaped}</TC260:AIGC>`);

/** `count` copies of `unit`, by doubling (a few copies, not one per element). */
function repeatFast(unit, count) {
  const out = new Uint8Array(unit.length * count);
  if (count === 0) return out;
  out.set(unit);
  for (let filled = unit.length; filled < out.length; filled *= 2) out.copyWithin(filled, 0, Math.min(filled, out.length - filled));
  return out;
}

const u16be = (n) => Uint8Array.of(n >>> 8, n & 0xff);
const u32be = (n) => Uint8Array.of(n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
const fullBox = (type, version, ...children) => box(type, Uint8Array.of(version, 0, 0, 0), ...children);

// ---------------------------------------------------------------- deflate bombs

/**
 * A zlib stream that inflates to `size` zero bytes, written by hand in one fixed-Huffman block
 * (RFC 1951 §3.2.6): a literal 0, then matches of length 258 at distance 1, 13 bits each, so a
 * 100 MB bomb is built in a few milliseconds without ever holding 100 MB.
 */
function zeroBomb(size) {
  const matches = Math.floor((size - 1) / 258);
  const tail = size - 1 - matches * 258;
  const bits = 3 + 8 + matches * 13 + tail * 8 + 7;
  const out = new Uint8Array(2 + Math.ceil(bits / 8) + 4);
  out[0] = 0x78;
  out[1] = 0x01;
  let bit = 16;
  const put = (value, count) => {
    for (let i = 0; i < count; i++, bit++) if ((value >>> i) & 1) out[bit >>> 3] |= 1 << (bit & 7);
  };
  /** Huffman codes go most significant bit first. */
  const code = (value, count) => {
    for (let i = count - 1; i >= 0; i--, bit++) if ((value >>> i) & 1) out[bit >>> 3] |= 1 << (bit & 7);
  };
  put(1, 1); // BFINAL
  put(1, 2); // BTYPE 01: fixed Huffman codes
  code(0x30, 8); // literal 0
  for (let i = 0; i < matches; i++) {
    code(0xc5, 8); // length code 285: 258 bytes
    code(0, 5); // distance code 0: distance 1
  }
  for (let i = 0; i < tail; i++) code(0x30, 8);
  code(0, 7); // end of block
  const adler = ((size % 65521) << 16) | 1; // Adler-32 of zeros: a = 1, b = size
  out.set(u32be(adler >>> 0), 2 + Math.ceil(bits / 8));
  return out;
}

// ---------------------------------------------------------------- PNG

const png = (...chunks) => concat([PNG_SIGNATURE, pngHeader(), ...chunks, pngPixel(), pngEnd()]);
const pngText = (type, keyword, data) => pngChunk(type, concat([text(keyword), Uint8Array.of(0), data]));

// ---------------------------------------------------------------- JPEG

const SOS = Uint8Array.of(0xff, 0xda, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3f, 0x00, 0x00, 0xff, 0xd9);
const jpeg = (...parts) => concat([Uint8Array.of(0xff, 0xd8), ...parts, SOS]);
const JFIF = jpegSegment(0xe0, concat([text('JFIF\0'), Uint8Array.of(1, 2, 0, 0, 1, 0, 1, 0, 0)]));
const xmpSegment = () => jpegSegment(0xe1, concat([text('http://ns.adobe.com/xap/1.0/\0'), text(LABEL_XMP)]));
const EXTENDED = text('http://ns.adobe.com/xmp/extension/\0');
/** An Extended XMP piece of `guid` claiming a whole packet of `fullLength` bytes. */
const extendedPiece = (guid, fullLength, at, piece) =>
  jpegSegment(0xe1, concat([EXTENDED, text(guid), u32be(fullLength), u32be(at), piece]));

// ---------------------------------------------------------------- GIF

const GIF_HEAD = concat([text('GIF89a'), Uint8Array.of(1, 0, 1, 0, 0x80, 0, 0), Uint8Array.of(0, 0, 0, 255, 255, 255)]);
const GIF_IMAGE = Uint8Array.of(0x2c, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0x02, 0x02, 0x44, 0x01, 0x00);
const gif = (...blocks) => concat([GIF_HEAD, ...blocks, GIF_IMAGE, Uint8Array.of(0x3b)]);
const XMP_TRAILER = Uint8Array.from({ length: 258 }, (_, i) => (i === 0 ? 1 : i === 257 ? 0 : 256 - i));
const gifXmp = (xml) => concat([Uint8Array.of(0x21, 0xff, 11), text('XMP DataXMP'), text(xml), XMP_TRAILER]);

// ---------------------------------------------------------------- WebP

const VP8L = riffChunk('VP8L', Uint8Array.of(0x2f, 0, 0, 0, 0, 0, 0, 0, 0, 0));
const webp = (...chunks) => riff('WEBP', [VP8L, ...chunks]);

// ---------------------------------------------------------------- HEIF

const FTYP = box('ftyp', text('avif'), u32be(0), text('avifmif1miaf'));
const HDLR = fullBox('hdlr', 0, u32be(0), text('pict'), new Uint8Array(12), Uint8Array.of(0));
const PITM = fullBox('pitm', 0, u16be(1));
const infe = (id, type, contentType) =>
  fullBox('infe', 2, u16be(id), u16be(0), text(type), Uint8Array.of(0), contentType ? text(`${contentType}\0`) : new Uint8Array(0));

/** The infe boxes of `items`, written from one template per type into one buffer (60,000 items build in milliseconds). */
function infeList(items) {
  const templates = new Map();
  const template = (i) => {
    const key = `${i.type}\0${i.contentType ?? ''}`;
    if (!templates.has(key)) templates.set(key, infe(0, i.type, i.contentType));
    return templates.get(key);
  };
  const out = new Uint8Array(items.reduce((sum, i) => sum + template(i).length, 0));
  let at = 0;
  for (const i of items) {
    const t = template(i);
    out.set(t, at);
    out[at + 12] = i.id >>> 8; // item_ID after the box header and version/flags
    out[at + 13] = i.id & 0xff;
    at += t.length;
  }
  return out;
}

/**
 * An AVIF whose meta lists `items` (id, type, content type, extents [offset, length] counted
 * from the start of the mdat payload, or null for an offset far past the end), then the mdat
 * with `data`. iloc version 1 with 4-byte offsets and lengths, written into one buffer.
 */
function heif(items, data, extraMeta = [], beforeMeta = new Uint8Array(0)) {
  const extents = items.reduce((sum, i) => sum + i.extents.length, 0);
  const ilocPayload = new Uint8Array(4 + 4 + items.length * 12 + extents * 8);
  const iinf = fullBox('iinf', 0, u16be(items.length), infeList(items));
  const metaSize = (children) => 12 + children.reduce((sum, c) => sum + c.length, 0);
  const others = [HDLR, PITM, iinf, ...extraMeta];
  const mdatStart = FTYP.length + beforeMeta.length + metaSize(others) + 8 + ilocPayload.length + 8;
  const view = new DataView(ilocPayload.buffer);
  view.setUint32(0, 0x01000000); // version 1
  view.setUint16(4, 0x4440);
  view.setUint16(6, items.length);
  let at = 8;
  for (const item of items) {
    view.setUint16(at, item.id);
    view.setUint16(at + 10, item.extents.length); // construction method 0, data reference 0, base offset 0
    at += 12;
    for (const [offset, length] of item.extents) {
      view.setUint32(at, offset === null ? 0x7fffff00 : mdatStart + offset);
      view.setUint32(at + 4, length);
      at += 8;
    }
  }
  const iloc = box('iloc', ilocPayload);
  return concat([FTYP, beforeMeta, box('meta', Uint8Array.of(0, 0, 0, 0), HDLR, PITM, iloc, ...others.slice(2)), box('mdat', data)]);
}
const AV01 = (id) => ({ id, type: 'av01', extents: [[0, 1]] });
/** An XMP item; by default it points at the packet in `LABEL_MDAT`. */
const xmpItem = (id, extents = [[1, LABEL_XMP.length]]) => ({ id, type: 'mime', contentType: 'application/rdf+xml', extents });
/** An mdat payload: one byte of "image", then the label packet. */
const LABEL_MDAT = concat([Uint8Array.of(0), text(LABEL_XMP)]);

// ---------------------------------------------------------------- TIFF

/**
 * A little-endian TIFF of `pages` IFDs in a chain (each with `entries` ImageWidth entries), the
 * last pointing to `lastNext` (0 ends the chain, 8 loops back to the first).
 */
function tiffChain(pages, entries = 1, lastNext = 0) {
  const ifdSize = 2 + entries * 12 + 4;
  const out = new Uint8Array(8 + pages * ifdSize);
  const view = new DataView(out.buffer);
  out.set([0x49, 0x49, 42, 0]);
  view.setUint32(4, 8, true);
  for (let p = 0; p < pages; p++) {
    const at = 8 + p * ifdSize;
    view.setUint16(at, entries, true);
    for (let e = 0; e < entries; e++) {
      const entry = at + 2 + e * 12;
      view.setUint16(entry, 256, true); // ImageWidth
      view.setUint16(entry + 2, 3, true); // SHORT
      view.setUint32(entry + 4, 1, true);
      view.setUint16(entry + 8, 1, true);
    }
    view.setUint32(at + 2 + entries * 12, p === pages - 1 ? lastNext : at + ifdSize, true);
  }
  return out;
}

const counts = [1_000, 10_000, 100_000];

export const cases = [
  // PNG
  {
    id: 'png/many-chunks',
    format: 'png',
    filename: 'x.png',
    sizes: [5_000, 50_000, 500_000],
    build: (n) => png(repeatFast(pngChunk('prVt', new Uint8Array(100)), n)),
  },
  {
    id: 'png/many-label-text-chunks',
    format: 'png',
    filename: 'x.png',
    sizes: [500, 5_000, 50_000],
    build: (n) => png(repeatFast(pngText('tEXt', 'AIGC', text(LABEL_JSON)), n)),
  },
  {
    id: 'png/ztxt-bombs',
    format: 'png',
    filename: 'x.png',
    sizes: [2, 20, 200],
    build: (n) => png(repeatFast(pngText('zTXt', 'AIGC', concat([Uint8Array.of(0), zeroBomb(1 << 20)])), n)),
  },
  // One chunk expanding to 1, 10 and 100 MB: a label chunk is inflated up to its cap, iCCP never.
  ...[
    ['png/ztxt-bomb-size', 'zTXt', 'AIGC', Uint8Array.of(0)],
    ['png/itxt-xmp-bomb', 'iTXt', 'XML:com.adobe.xmp', Uint8Array.of(1, 0, 0, 0)],
    ['png/iccp-bomb', 'iCCP', 'profile', Uint8Array.of(0)],
  ].map(([id, type, keyword, flags]) => ({
    id,
    format: 'png',
    filename: 'x.png',
    sizes: [1, 10, 100],
    build: (mb) => png(pngText(type, keyword, concat([flags, zeroBomb(mb << 20)]))),
  })),
  {
    id: 'png/truncated-after-many-chunks',
    format: 'png',
    filename: 'x.png',
    sizes: [5_000, 50_000, 500_000],
    build: (n) => {
      const whole = png(
        pngText('iTXt', 'XML:com.adobe.xmp', concat([Uint8Array.of(0, 0, 0, 0), text(LABEL_XMP)])),
        repeatFast(pngChunk('prVt', new Uint8Array(100)), n),
      );
      return whole.subarray(0, whole.length - 20);
    },
  },

  // JPEG
  {
    id: 'jpeg/many-segments',
    format: 'jpeg',
    filename: 'x.jpg',
    sizes: [900, 9_000, 90_000],
    build: (n) => jpeg(xmpSegment(), repeatFast(jpegSegment(0xe5, text('x')), n)),
  },
  {
    id: 'jpeg/many-standalone-markers',
    format: 'jpeg',
    filename: 'x.jpg',
    sizes: [10_000, 100_000, 1_000_000],
    build: (n) => jpeg(xmpSegment(), repeatFast(Uint8Array.of(0xff, 0x01), n)),
  },
  {
    id: 'jpeg/fill-bytes',
    format: 'jpeg',
    filename: 'x.jpg',
    sizes: [100_000, 1_000_000, 10_000_000],
    build: (n) => jpeg(new Uint8Array(n).fill(0xff), xmpSegment()),
  },
  {
    id: 'jpeg/extraneous-bytes',
    format: 'jpeg',
    filename: 'x.jpg',
    sizes: [100_000, 1_000_000, 10_000_000],
    build: (n) => jpeg(JFIF, new Uint8Array(n), xmpSegment()),
  },
  {
    id: 'jpeg/endless-app-segments',
    format: 'jpeg',
    filename: 'x.jpg',
    sizes: [5, 50, 500],
    build: (n) => concat([Uint8Array.of(0xff, 0xd8), repeatFast(jpegSegment(0xe2, new Uint8Array(65533)), n)]),
  },
  {
    id: 'jpeg/extended-xmp-pieces',
    format: 'jpeg',
    filename: 'x.jpg',
    sizes: [500, 5_000, 50_000],
    build: (n) => jpeg(xmpSegment(), repeatFast(extendedPiece('0'.repeat(32), 16_000_000, 0, text('<x/>')), n)),
  },
  {
    id: 'jpeg/extended-xmp-guids',
    format: 'jpeg',
    filename: 'x.jpg',
    sizes: [100, 1_000, 10_000],
    build: (n) =>
      jpeg(
        xmpSegment(),
        ...Array.from({ length: n }, (_, i) => extendedPiece(i.toString(16).padStart(32, '0'), 16_000_000, 0, text('<x/>'))),
      ),
  },

  // GIF
  {
    id: 'gif/many-comments',
    format: 'gif',
    filename: 'x.gif',
    sizes: [9_000, 90_000, 900_000],
    build: (n) => gif(gifXmp(LABEL_XMP), repeatFast(Uint8Array.of(0x21, 0xfe, 0x01, 0x78, 0x00), n)),
  },
  {
    id: 'gif/deep-sub-blocks',
    format: 'gif',
    filename: 'x.gif',
    sizes: [100_000, 1_000_000, 10_000_000],
    build: (n) => gif(gifXmp(LABEL_XMP), Uint8Array.of(0x21, 0xfe), repeatFast(Uint8Array.of(0x01, 0x78), n), Uint8Array.of(0)),
  },
  {
    id: 'gif/many-xmp-extensions',
    format: 'gif',
    filename: 'x.gif',
    sizes: [200, 2_000, 20_000],
    build: (n) => gif(repeatFast(gifXmp(LABEL_XMP), n)),
  },
  {
    id: 'gif/foreign-xmp-extensions',
    format: 'gif',
    filename: 'x.gif',
    sizes: [1_000, 10_000, 100_000],
    build: (n) =>
      gif(
        repeatFast(
          concat([Uint8Array.of(0x21, 0xff, 11), text('NOTXMP1.0ab'), Uint8Array.of(12), text('<x:xmpmeta/>'), Uint8Array.of(0)]),
          n,
        ),
      ),
  },
  {
    id: 'gif/truncated',
    format: 'gif',
    filename: 'x.gif',
    sizes: [9_000, 90_000, 900_000],
    build: (n) => {
      const whole = gif(gifXmp(LABEL_XMP), repeatFast(Uint8Array.of(0x21, 0xfe, 0x01, 0x78, 0x00), n));
      return whole.subarray(0, whole.length - 8);
    },
  },

  // WebP
  {
    id: 'webp/many-chunks',
    format: 'webp',
    filename: 'x.webp',
    sizes: [5_000, 50_000, 500_000],
    build: (n) => webp(riffChunk('XMP ', text(LABEL_XMP)), repeatFast(riffChunk('JUNK', new Uint8Array(0)), n)),
  },
  {
    id: 'webp/many-xmp-chunks',
    format: 'webp',
    filename: 'x.webp',
    sizes: [200, 2_000, 20_000],
    build: (n) => webp(repeatFast(riffChunk('XMP ', text(LABEL_XMP)), n)),
  },
  {
    id: 'webp/riff-size-lies',
    format: 'webp',
    filename: 'x.webp',
    sizes: [5_000, 50_000, 500_000],
    build: (n) => {
      const file = webp(
        riffChunk('XMP ', text(LABEL_XMP)),
        repeatFast(riffChunk('JUNK', new Uint8Array(0)), n),
        riffChunk('JUNK', new Uint8Array(64)),
      );
      file.set([0xff, 0xff, 0xff, 0x7f], 4); // RIFF size past the end
      return file.subarray(0, file.length - 32); // and the last chunk cut
    },
  },

  // HEIF / AVIF
  {
    id: 'heif/many-xmp-items',
    format: 'avif',
    filename: 'x.avif',
    sizes: [600, 6_000, 60_000],
    build: (n) => heif([AV01(1), ...Array.from({ length: n }, (_, i) => xmpItem(i + 2))], LABEL_MDAT),
  },
  {
    id: 'heif/extents-anywhere',
    format: 'avif',
    filename: 'x.avif',
    sizes: [600, 6_000, 60_000],
    build: (n) =>
      heif(
        [
          AV01(1),
          xmpItem(
            2,
            Array.from({ length: n }, (_, i) => (i % 2 ? [null, 0xffffff] : [0, 1])),
          ),
        ],
        Uint8Array.of(0),
      ),
  },
  {
    id: 'heif/many-top-level-boxes',
    format: 'avif',
    filename: 'x.avif',
    sizes: [5_000, 50_000, 500_000],
    build: (n) => {
      const file = heif([AV01(1), xmpItem(2)], LABEL_MDAT);
      return concat([file, repeatFast(box('free'), n)]);
    },
  },
  {
    id: 'heif/many-meta-children',
    format: 'avif',
    filename: 'x.avif',
    sizes: [900, 9_000, 90_000],
    build: (n) => heif([AV01(1)], Uint8Array.of(0), [repeatFast(box('free'), n)]),
  },
  {
    id: 'heif/broken-box-before-meta',
    format: 'avif',
    filename: 'x.avif',
    sizes: [100_000, 1_000_000, 10_000_000],
    // A box after ftyp whose size runs past the end, then n bytes of "metameta…" that look like a meta box but are not, then meta.
    build: (n) => {
      const broken = concat([Uint8Array.of(0x7f, 0xff, 0xff, 0xff), text('free'), repeatFast(text('meta'), n >>> 2)]);
      return heif([AV01(1), xmpItem(2)], LABEL_MDAT, [], broken);
    },
  },

  // TIFF
  {
    id: 'tiff/ifd-chain',
    format: 'tiff',
    filename: 'x.tif',
    sizes: counts,
    build: (n) => tiffChain(n),
  },
  {
    id: 'tiff/ifd-loop',
    format: 'tiff',
    filename: 'x.tif',
    sizes: counts,
    build: (n) => tiffChain(n, 1, 8),
  },
  {
    id: 'tiff/full-ifds',
    format: 'tiff',
    filename: 'x.tif',
    sizes: [5, 50, 500],
    build: (n) => tiffChain(n, 4096),
  },
];
