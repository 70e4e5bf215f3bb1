/**
 * Worst cases for the video containers' parsers (issue 15): ISO-BMFF (MP4/MOV), Matroska/WebM,
 * AVI and FLV with huge counts of small elements, deep nesting, lying sizes and tables that point
 * anywhere. Each case builds its file at `sizes` (1×, 10×, 100× its element count).
 */
import { box, concat, repeat, riff, riffChunk, text } from './build.mjs';

const LABEL_JSON =
  '{"Label":"1","ContentProducer":"001191440300708461136T1XGW3","ProduceID":"hostile-0001","ReservedCode1":"","ContentPropagator":"001191440300708461136T1XGW3","PropagateID":"hostile-0001","ReservedCode2":""}';

const u32be = (n) => Uint8Array.of(n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
const u24be = (n) => Uint8Array.of((n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
const u16be = (n) => Uint8Array.of(n >>> 8, n & 0xff);
const fullBox = (type, ...children) => box(type, new Uint8Array(4), ...children);

// ---------------------------------------------------------------- ISO-BMFF

const ftyp = () => box('ftyp', text('isom'), u32be(0x200), text('isomiso2mp41'));
const mdat = () => box('mdat', new Uint8Array(64));
const mvhd = () => fullBox('mvhd', new Uint8Array(96));

/** A QuickTime mdta meta: `n` copies of one key, and `n` ilst items whose value is a label, all under key 2. */
function manyKeysMeta(n) {
  const hdlr = fullBox('hdlr', new Uint8Array(4), text('mdta'), new Uint8Array(13));
  const name = 'com.example.key';
  const keys = fullBox('keys', u32be(n), repeat(concat([u32be(8 + name.length), text('mdta'), text(name)]), n));
  const item = box('xxxx', box('data', u32be(1), u32be(0), text(LABEL_JSON)));
  item.set(u32be(2), 4);
  return fullBox('meta', hdlr, keys, box('ilst', repeat(item, n)));
}

/** A QuickTime mdta meta holding the label under the key AIGC. */
function labelMeta() {
  const hdlr = fullBox('hdlr', new Uint8Array(4), text('mdta'), new Uint8Array(13));
  const keys = fullBox('keys', u32be(1), u32be(12), text('mdtaAIGC'));
  const item = box('xxxx', box('data', u32be(1), u32be(0), text(LABEL_JSON)));
  item.set(u32be(1), 4);
  return fullBox('meta', hdlr, keys, box('ilst', item));
}

/** `n` nested boxes of `type` around `inner`, built inside out in one buffer per level's header. */
function nested(type, n, inner) {
  const out = new Uint8Array(n * 8 + inner.length);
  out.set(inner, n * 8);
  for (let level = n - 1; level >= 0; level--) {
    out.set(u32be(out.length - level * 8), level * 8);
    out.set(text(type), level * 8 + 4);
  }
  return out;
}

/** A trak whose stco has `n` chunk offsets pointing anywhere (past the file, into the moov). */
function stcoTrak(n) {
  const table = new Uint8Array(4 + 4 * n);
  const view = new DataView(table.buffer);
  view.setUint32(0, n);
  for (let i = 0; i < n; i++) view.setUint32(4 + 4 * i, Math.imul(i, 2654435761) >>> 0);
  return box('trak', box('mdia', box('minf', box('stbl', fullBox('stco', table)))));
}

// ---------------------------------------------------------------- Matroska

const vint8 = (n) => {
  const out = new Uint8Array(8);
  let v = n;
  for (let i = 7; i > 0; i--) {
    out[i] = v % 256;
    v = Math.floor(v / 256);
  }
  out[0] = 0x01;
  return out;
};
const id = (n) => {
  const bytes = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  return Uint8Array.from(bytes);
};
/** An element with an 8-byte size field (simple, and any size fits). */
const element = (n, ...children) => {
  const body = concat(children);
  return concat([id(n), vint8(body.length), body]);
};
const EBML_HEADER = element(0x1a45dfa3, element(0x4282, text('matroska')));
const SEGMENT = 0x18538067;
const INFO = element(0x1549a966, element(0x2ad7b1, Uint8Array.of(0x0f, 0x42, 0x40)));
const cluster = (timestamp) =>
  element(0x1f43b675, element(0xe7, Uint8Array.of(timestamp & 0xff)), element(0xa3, Uint8Array.of(0x81, 0, 0, 0x80, 1)));
const segment = (...children) => concat([EBML_HEADER, element(SEGMENT, ...children)]);
const simpleTag = (name, value, ...nestedTags) => element(0x67c8, element(0x45a3, text(name)), element(0x4487, text(value)), ...nestedTags);
const tags = (...simple) => element(0x1254c367, element(0x7373, element(0x63c0), ...simple));

/** `n` SimpleTags each nested in the one before, the AIGC tag innermost (built inside out). */
function nestedSimpleTags(n) {
  let inner = simpleTag('AIGC', LABEL_JSON);
  const head = concat([element(0x45a3, text('X')), element(0x4487, text('x'))]);
  const parts = [];
  for (let i = 0; i < n; i++) parts.push(head);
  // Each level: ID (2) + 8-byte size + head + the level inside.
  const out = new Uint8Array(n * (10 + head.length) + inner.length);
  out.set(inner, n * (10 + head.length));
  for (let level = n - 1; level >= 0; level--) {
    const at = level * (10 + head.length);
    out.set(id(0x67c8), at);
    out.set(vint8(out.length - at - 10), at + 2);
    out.set(head, at + 10);
  }
  inner = out;
  return tags(inner);
}

// ---------------------------------------------------------------- FLV

function flvTag(type, data) {
  return concat([Uint8Array.of(type), u24be(data.length), new Uint8Array(7), data, u32be(11 + data.length)]);
}
const FLV_HEADER = concat([text('FLV'), Uint8Array.of(1, 5), u32be(9), u32be(0)]);
const amfString = (s) => concat([Uint8Array.of(2), u16be(s.length), text(s)]);
const amfName = (s) => concat([u16be(s.length), text(s)]);
/** An onMetaData script tag: an ECMA array of `count` properties (their bytes in `properties`). */
function onMetaData(count, properties) {
  return flvTag(18, concat([amfString('onMetaData'), Uint8Array.of(8), u32be(count), properties, Uint8Array.of(0, 0, 9)]));
}

export const cases = [
  {
    id: 'video/mp4-many-free-boxes',
    format: 'mp4',
    filename: 'x.mp4',
    sizes: [10_000, 100_000, 1_000_000],
    build: (n) => concat([ftyp(), box('moov', mvhd()), repeat(box('free'), n), mdat()]),
  },
  {
    id: 'video/mp4-many-moov-children',
    format: 'mp4',
    filename: 'x.mp4',
    sizes: [10_000, 100_000, 1_000_000],
    build: (n) => concat([ftyp(), box('moov', mvhd(), repeat(box('free'), n)), mdat()]),
  },
  {
    id: 'video/mp4-deep-trak-nesting',
    format: 'mp4',
    filename: 'x.mp4',
    sizes: [1_500, 15_000, 150_000],
    build: (n) => concat([ftyp(), mdat(), box('moov', mvhd(), nested('trak', n, box('free')))]),
  },
  {
    id: 'video/mp4-deep-udta-nesting',
    format: 'mp4',
    filename: 'x.mp4',
    sizes: [1_500, 15_000, 150_000],
    build: (n) => concat([ftyp(), mdat(), box('moov', mvhd(), nested('udta', n, box('free')))]),
  },
  {
    id: 'video/mp4-stco-pointing-anywhere',
    format: 'mp4',
    filename: 'x.mp4',
    sizes: [10_000, 100_000, 1_000_000],
    // moov first, so labeling shifts every offset.
    build: (n) => concat([ftyp(), box('moov', mvhd(), stcoTrak(n)), mdat()]),
  },
  {
    id: 'video/mp4-many-keys',
    format: 'mp4',
    filename: 'x.mov',
    sizes: [500, 5_000, 50_000],
    build: (n) => concat([ftyp(), mdat(), box('moov', mvhd(), manyKeysMeta(n))]),
  },
  {
    id: 'video/mp4-lying-sizes',
    format: 'mp4',
    filename: 'x.mp4',
    sizes: [10_000, 100_000, 1_000_000],
    // Boxes that parse, then one that claims 4 GiB: salvage reads up to it.
    build: (n) => concat([ftyp(), box('moov', mvhd(), box('udta', labelMeta())), repeat(box('skip'), n), u32be(0xfffffff0), text('mdat')]),
  },
  {
    id: 'video/matroska-many-clusters',
    format: 'matroska',
    filename: 'x.mkv',
    sizes: [5_000, 50_000, 500_000],
    // No Tags: labeling inserts them before the first Cluster, so every Cluster moves.
    build: (n) => segment(INFO, repeat(cluster(1), n)),
  },
  {
    id: 'video/matroska-many-cues',
    format: 'matroska',
    filename: 'x.mkv',
    sizes: [3_000, 30_000, 300_000],
    build: (n) => {
      const cuePoint = element(
        0xbb,
        element(0xb3, Uint8Array.of(0)),
        element(0xb7, element(0xf7, Uint8Array.of(1)), element(0xf1, u32be(INFO.length + 12))),
      );
      return segment(INFO, cluster(1), element(0x1c53bb6b, repeat(cuePoint, n)));
    },
  },
  {
    id: 'video/matroska-many-voids',
    format: 'matroska',
    filename: 'x.webm',
    sizes: [5_000, 50_000, 500_000],
    build: (n) => segment(INFO, repeat(Uint8Array.of(0xec, 0x80), n), cluster(1)),
  },
  {
    id: 'video/matroska-many-simple-tags',
    format: 'matroska',
    filename: 'x.mkv',
    sizes: [5_000, 50_000, 500_000],
    build: (n) => segment(INFO, tags(repeat(simpleTag('AIGC', '{}'), n)), cluster(1)),
  },
  {
    id: 'video/matroska-nested-simple-tags',
    format: 'matroska',
    filename: 'x.mkv',
    sizes: [1_000, 10_000, 100_000],
    build: (n) => segment(INFO, nestedSimpleTags(n), cluster(1)),
  },
  {
    id: 'video/avi-many-chunks',
    format: 'avi',
    filename: 'x.avi',
    sizes: [10_000, 100_000, 1_000_000],
    build: (n) =>
      riff('AVI ', [
        repeat(riffChunk('JUNK', new Uint8Array(0)), n),
        riffChunk('LIST', concat([text('movi'), riffChunk('00dc', text('x'))])),
      ]),
  },
  {
    id: 'video/avi-many-info-entries',
    format: 'avi',
    filename: 'x.avi',
    sizes: [900, 9_000, 90_000],
    build: (n) =>
      riff('AVI ', [
        riffChunk('LIST', concat([text('INFO'), repeat(riffChunk('ICMT', text('xx')), n)])),
        riffChunk('LIST', concat([text('movi'), riffChunk('00dc', text('x'))])),
      ]),
  },
  {
    id: 'video/flv-many-unknown-tags',
    format: 'flv',
    filename: 'x.flv',
    sizes: [10_000, 100_000, 1_000_000],
    build: (n) =>
      concat([FLV_HEADER, repeat(flvTag(0x0f, new Uint8Array(1)), n), onMetaData(1, concat([amfName('AIGC'), amfString(LABEL_JSON)]))]),
  },
  {
    id: 'video/flv-many-properties',
    format: 'flv',
    filename: 'x.flv',
    sizes: [5_000, 50_000, 500_000],
    build: (n) => concat([FLV_HEADER, onMetaData(n, repeat(concat([amfName('p'), Uint8Array.of(1, 1)]), n))]),
  },
];
