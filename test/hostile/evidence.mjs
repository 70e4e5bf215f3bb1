/**
 * Hostile files for the evidence readers (packages/evidence): many text fields, many segments
 * that look like C2PA but are not, a JUMBF signature on garbage (the SDK is called and must fail
 * cleanly), and deep or wide MP4 metadata.
 */
import { box, concat, jpegSegment, PNG_SIGNATURE, pngChunk, pngEnd, pngHeader, pngPixel, repeat, text } from './build.mjs';

const sizes = [1_000, 10_000, 100_000];
const SOI = Uint8Array.of(0xff, 0xd8);
const EOI = Uint8Array.of(0xff, 0xd9);

export const cases = [
  {
    id: 'evidence/png-many-parameters-chunks',
    format: 'png',
    filename: 'x.png',
    sizes,
    build: (n) =>
      concat([
        PNG_SIGNATURE,
        pngHeader(),
        repeat(pngChunk('tEXt', text('parameters\0Steps: 20, Sampler: Euler')), n),
        pngPixel(),
        pngEnd(),
      ]),
  },
  {
    id: 'evidence/jpeg-many-app11-segments',
    format: 'jpeg',
    filename: 'x.jpg',
    sizes,
    build: (n) => concat([SOI, repeat(jpegSegment(0xeb, text('JP\0\x01\0\0\0\x01not a jumbf box')), n), EOI]),
  },
  {
    id: 'evidence/jpeg-c2pa-signature-on-garbage',
    format: 'jpeg',
    filename: 'x.jpg',
    sizes: [100, 1_000, 10_000],
    build: (n) => {
      const garbage = repeat(text('\xff\x00jumb'), n * 4);
      const segments = [];
      for (let at = 0; at < garbage.length; at += 60_000) {
        segments.push(jpegSegment(0xeb, concat([text('JP\0\x01\0\0\0\x01\0\0\0\x1ejumdc2pa'), garbage.subarray(at, at + 60_000)])));
      }
      return concat([SOI, ...segments, EOI]);
    },
  },
  {
    id: 'evidence/mp4-many-comment-items',
    format: 'mp4',
    filename: 'x.mp4',
    sizes,
    build: (n) => {
      // '©cmt': the © is one Latin-1 byte in a box type.
      const item = box('xcmt', box('data', Uint8Array.of(0, 0, 0, 1, 0, 0, 0, 0), text('{"aigc_info":"x"}')));
      item[4] = 0xa9;
      const meta = box('meta', Uint8Array.of(0, 0, 0, 0), box('hdlr', new Uint8Array(25)), box('ilst', repeat(item, n)));
      return concat([box('ftyp', text('isom\0\0\0\0isom')), box('moov', box('mvhd', new Uint8Array(100)), box('udta', meta))]);
    },
  },
];
