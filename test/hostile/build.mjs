/**
 * Byte builders for hostile files: just enough container syntax to make a parser walk, written
 * out by hand so a worst case is exactly what it says (no library would write these).
 */
const encoder = new TextEncoder();
export const text = (s) => encoder.encode(s);

export function concat(parts) {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** `count` copies of `unit`, without building a JS array of them. */
export function repeat(unit, count) {
  const out = new Uint8Array(unit.length * count);
  for (let i = 0; i < count; i++) out.set(unit, i * unit.length);
  return out;
}

const u32be = (n) => Uint8Array.of(n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
const u32le = (n) => Uint8Array.of(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24);
const u16be = (n) => Uint8Array.of(n >>> 8, n & 0xff);

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();
export function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export function pngChunk(type, data = new Uint8Array()) {
  const typed = concat([text(type), data]);
  return concat([u32be(data.length), typed, u32be(crc32(typed))]);
}
export const PNG_SIGNATURE = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);
export const pngHeader = () => pngChunk('IHDR', Uint8Array.of(0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0));
// One gray pixel, deflated.
export const pngPixel = () => pngChunk('IDAT', Uint8Array.of(0x78, 0x9c, 0x63, 0x60, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01));
export const pngEnd = () => pngChunk('IEND');

export function jpegSegment(marker, payload) {
  return concat([Uint8Array.of(0xff, marker), u16be(payload.length + 2), payload]);
}

export function box(type, ...children) {
  const body = concat(children);
  return concat([u32be(body.length + 8), text(type), body]);
}

export function riffChunk(id, data) {
  const padded = data.length % 2 ? concat([data, Uint8Array.of(0)]) : data;
  return concat([text(id), u32le(data.length), padded]);
}
export function riff(form, chunks) {
  const body = concat([text(form), ...chunks]);
  return concat([text('RIFF'), u32le(body.length), body]);
}
export const wavFormat = () => riffChunk('fmt ', Uint8Array.of(1, 0, 1, 0, 0x40, 0x1f, 0, 0, 0x80, 0x3e, 0, 0, 2, 0, 16, 0));

/** An XMP packet around `body`, with the TC260 namespace declared. */
export const xmpPacket = (body) =>
  `<?xpacket begin="\uFEFF" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:TC260="http://www.tc260.org.cn/ns/AIGC/1.0/">${body}</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>`;

/** A PNG carrying `xml` in an uncompressed iTXt XMP chunk. */
export const pngWithXmp = (xml) =>
  concat([PNG_SIGNATURE, pngHeader(), pngChunk('iTXt', concat([text('XML:com.adobe.xmp\0\0\0\0\0'), text(xml)])), pngPixel(), pngEnd()]);
