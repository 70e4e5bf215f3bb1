/**
 * Worst cases for the audio containers' parsers (issue 15): WAV, FLAC, Ogg, MP3 (ID3) and M4A with
 * huge counts of small elements, lying sizes and garbage where pages should be. Each case builds
 * its file at `sizes` (1×, 10×, 100× its element count).
 */
import { box, concat, repeat, riff, riffChunk, text, wavFormat } from './build.mjs';

const LABEL_JSON =
  '{"Label":"1","ContentProducer":"001191440300708461136T1XGW3","ProduceID":"hostile-0001","ReservedCode1":"","ContentPropagator":"001191440300708461136T1XGW3","PropagateID":"hostile-0001","ReservedCode2":""}';

const u32be = (n) => Uint8Array.of(n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
const u32le = (n) => Uint8Array.of(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24);
const u24be = (n) => Uint8Array.of((n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
const data = () => riffChunk('data', new Uint8Array(16));

// ---------------------------------------------------------------- FLAC

const STREAMINFO = Uint8Array.of(0x10, 0x00, 0x10, 0x00, 0, 0, 0, 0, 0, 0, 0x0a, 0xc4, 0x40, 0xf0, 0, 0, 0, 0, ...new Uint8Array(16));
const flacBlock = (type, body, last = false) => concat([Uint8Array.of((last ? 0x80 : 0) | type), u24be(body.length), body]);
/** A VORBIS_COMMENT body: vendor, then `count` comments, the bytes of which are `comments`. */
const vorbisComments = (count, comments) => concat([u32le(6), text('hostil'), u32le(count), comments]);
const comment = (s) => concat([u32le(s.length), text(s)]);
const FRAME = Uint8Array.of(0xff, 0xf8, 0x69, 0x08, 0x00, 0x00, 0x00);

// ---------------------------------------------------------------- Ogg

const OGG_CRC = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n << 24;
    for (let k = 0; k < 8; k++) c = c & 0x80000000 ? (c << 1) ^ 0x04c11db7 : c << 1;
    table[n] = c >>> 0;
  }
  return table;
})();
/** One Ogg page holding `segments` lacing values and the bytes they cover. */
function oggPageOf(headerType, serial, sequence, lacing, body) {
  const page = concat([
    text('OggS'),
    Uint8Array.of(0, headerType),
    new Uint8Array(8),
    u32le(serial),
    u32le(sequence),
    u32le(0),
    Uint8Array.of(lacing.length),
    Uint8Array.from(lacing),
    body,
  ]);
  let crc = 0;
  for (const b of page) crc = ((crc << 8) ^ OGG_CRC[((crc >>> 24) ^ b) & 0xff]) >>> 0;
  page.set(u32le(crc), 22);
  return page;
}
/** `packet` on as many pages as it needs (255 segments of 255 bytes each), continued pages flagged. */
function oggPage(headerType, serial, sequence, packet) {
  const pages = [];
  let at = 0;
  for (let n = 0; ; n++) {
    const lacing = [];
    const start = at;
    while (lacing.length < 255) {
      const take = Math.min(255, packet.length - at);
      lacing.push(take);
      at += take;
      if (take < 255) break;
    }
    pages.push(oggPageOf(n === 0 ? headerType : 0x01, serial, sequence + n, lacing, packet.subarray(start, at)));
    if (lacing[lacing.length - 1] < 255) return concat(pages);
  }
}
const OPUS_HEAD = concat([text('OpusHead'), Uint8Array.of(1, 1, 0x38, 1, 0x80, 0xbb, 0, 0, 0, 0, 0)]);
const opusTags = (count, comments) => concat([text('OpusTags'), vorbisComments(count, comments)]);

// ---------------------------------------------------------------- ID3

const syncsafe = (n) => Uint8Array.of((n >>> 21) & 0x7f, (n >>> 14) & 0x7f, (n >>> 7) & 0x7f, n & 0x7f);
const id3Frame = (id, body) => concat([text(id), syncsafe(body.length), Uint8Array.of(0, 0), body]);
const id3Tag = (frames) => concat([text('ID3'), Uint8Array.of(4, 0, 0), syncsafe(frames.length), frames]);
const MP3_FRAME = concat([Uint8Array.of(0xff, 0xfb, 0x90, 0x64), new Uint8Array(413)]);

export const cases = [
  {
    id: 'audio/wav-many-chunks',
    format: 'wav',
    filename: 'x.wav',
    sizes: [10_000, 100_000, 1_000_000],
    build: (n) => riff('WAVE', [wavFormat(), repeat(riffChunk('junk', new Uint8Array(0)), n), data()]),
  },
  {
    id: 'audio/wav-many-info-entries',
    format: 'wav',
    filename: 'x.wav',
    sizes: [500, 5_000, 50_000],
    build: (n) =>
      riff('WAVE', [wavFormat(), riffChunk('LIST', concat([text('INFO'), repeat(riffChunk('AIGC', text(LABEL_JSON)), n)])), data()]),
  },
  {
    id: 'audio/wav-lying-data-size',
    format: 'wav',
    filename: 'x.wav',
    sizes: [10_000, 100_000, 1_000_000],
    // Chunks that parse, then a data chunk of size 0xFFFFFFFF with a real RIFF size.
    build: (n) => {
      const file = riff('WAVE', [
        wavFormat(),
        riffChunk('AIGC', text(LABEL_JSON)),
        repeat(riffChunk('junk', new Uint8Array(0)), n),
        data(),
      ]);
      file.set(u32le(0xffffffff), file.length - 20);
      return file;
    },
  },
  {
    id: 'audio/flac-many-blocks',
    format: 'flac',
    filename: 'x.flac',
    sizes: [90, 900, 9_000],
    build: (n) =>
      concat([
        text('fLaC'),
        flacBlock(0, STREAMINFO),
        repeat(flacBlock(2, new Uint8Array(4)), n),
        flacBlock(1, new Uint8Array(8), true),
        FRAME,
      ]),
  },
  {
    id: 'audio/flac-many-comments',
    format: 'flac',
    filename: 'x.flac',
    sizes: [10_000, 100_000, 1_000_000],
    build: (n) => concat([text('fLaC'), flacBlock(0, STREAMINFO), flacBlock(4, vorbisComments(n, repeat(comment('A=b'), n)), true), FRAME]),
  },
  {
    id: 'audio/flac-lying-comment-count',
    format: 'flac',
    filename: 'x.flac',
    sizes: [10_000, 100_000, 1_000_000],
    // The comment count says four billion; the block holds n.
    build: (n) =>
      concat([text('fLaC'), flacBlock(0, STREAMINFO), flacBlock(4, vorbisComments(0xffffffff, repeat(comment('A=b'), n)), true), FRAME]),
  },
  {
    id: 'audio/ogg-many-other-stream-pages',
    format: 'ogg',
    filename: 'x.opus',
    sizes: [2_000, 20_000, 200_000],
    build: (n) => {
      const other = oggPage(0x02, 7, 0, concat([text('\x80theora'), new Uint8Array(8)]));
      return concat([
        other,
        oggPage(0x02, 1, 0, OPUS_HEAD),
        repeat(oggPage(0, 7, 1, new Uint8Array(1)), n),
        oggPage(0, 1, 1, opusTags(1, comment(`AIGC=${LABEL_JSON}`))),
      ]);
    },
  },
  {
    id: 'audio/ogg-garbage-between-pages',
    format: 'ogg',
    filename: 'x.opus',
    sizes: [100_000, 1_000_000, 10_000_000],
    build: (n) =>
      concat([oggPage(0x02, 1, 0, OPUS_HEAD), new Uint8Array(n).fill(0x4f), oggPage(0, 1, 1, opusTags(1, comment(`AIGC=${LABEL_JSON}`)))]),
  },
  {
    id: 'audio/ogg-many-comments',
    format: 'ogg',
    filename: 'x.opus',
    sizes: [10_000, 100_000, 1_000_000],
    build: (n) => concat([oggPage(0x02, 1, 0, OPUS_HEAD), oggPage(0, 1, 1, opusTags(n, repeat(comment('A=b'), n)))]),
  },
  {
    id: 'audio/mp3-many-id3-frames',
    format: 'mp3',
    filename: 'x.mp3',
    sizes: [1_500, 15_000, 150_000],
    build: (n) => concat([id3Tag(repeat(id3Frame('TXXX', concat([Uint8Array.of(3), text('x\0y')])), n)), MP3_FRAME, MP3_FRAME]),
  },
  {
    id: 'audio/m4a-many-boxes',
    format: 'm4a',
    filename: 'x.m4a',
    sizes: [10_000, 100_000, 1_000_000],
    build: (n) =>
      concat([
        box('ftyp', text('M4A '), u32be(0), text('M4A isom')),
        repeat(box('free'), n),
        box('moov', box('mvhd', new Uint8Array(100))),
        box('mdat', new Uint8Array(16)),
      ]),
  },
];
