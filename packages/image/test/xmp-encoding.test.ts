/**
 * XMP packets in UTF-16 and UTF-32 (XMP spec part 1 §7.3.2; ExifTool's own test images use
 * UTF-16): read, and labeled in the packet's own encoding, so every other tag stays as it was
 * for ExifTool (issue 13). PNG iTXt is UTF-8 by definition, so there the packet is written back as
 * UTF-8, with the same text.
 */
import { bytesSource, decodeXmpPacket, encodeXmpPacket, type FormatHandler, labelBytes, type XmpEncoding } from '@aigc-label/core';
import { describe, expect, it } from 'vitest';
import * as containers from '../../../test/conformance/containers.mjs';
import { sampleLabel } from '../../../test/handler-contract.js';
import { concat, jpegSegment, pngChunk, text } from '../../../test/hostile/build.mjs';
import { withTool } from '../../../test/oracles.js';
import { heif as heifHandler } from '../src/heif/index.js';
import { jpeg as jpegHandler } from '../src/jpeg/index.js';
import { png as pngHandler } from '../src/png/index.js';
import { tiff as tiffHandler } from '../src/tiff/index.js';
import { webp as webpHandler } from '../src/webp/index.js';
import { exiftoolJson } from './helpers.js';

const PACKET = `<?xpacket begin="\uFEFF" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/">
   <dc:title><rdf:Alt><rdf:li xml:lang="x-default">示例标题 😀</rdf:li></rdf:Alt></dc:title>
   <dc:creator><rdf:Seq><rdf:li>Ann</rdf:li><rdf:li>张三</rdf:li></rdf:Seq></dc:creator>
   <photoshop:City>深圳</photoshop:City>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>`;

/** The packet in `encoding`, by hand (not with the code under test). */
function encoded(xml: string, encoding: XmpEncoding): Uint8Array {
  if (encoding === 'utf-8') return text(xml);
  const little = encoding.endsWith('le');
  const units = encoding.startsWith('utf-16')
    ? [...xml].flatMap((c) => (c.length === 2 ? [c.charCodeAt(0), c.charCodeAt(1)] : [c.charCodeAt(0)]))
    : [...xml].map((c) => c.codePointAt(0) as number);
  const width = encoding.startsWith('utf-16') ? 2 : 4;
  const out = new Uint8Array(units.length * width);
  units.forEach((unit, i) => {
    for (let b = 0; b < width; b++) out[i * width + (little ? b : width - 1 - b)] = (unit >>> (8 * b)) & 0xff;
  });
  return out;
}

/** A toy file of the format whose XMP packet is `packet` (built with an ASCII stand-in of the same length, then swapped in). */
function withPacket(build: (xmp: string) => Uint8Array, packet: Uint8Array): Uint8Array {
  const standIn = 'x'.repeat(packet.length);
  const file = build(standIn).slice();
  const at = Buffer.from(file).indexOf(standIn);
  file.set(packet, at);
  return file;
}

/** The conformance corpus's toy builders (plain JavaScript, whose inferred option types are too narrow). */
type Toy = (options: { xmp?: string; chunks?: Uint8Array[] }) => Uint8Array;
const { webp, tiff, heif, png } = containers as unknown as Record<'webp' | 'tiff' | 'heif' | 'png', Toy>;
const { JPEG_BODY } = containers;

const formats: [string, FormatHandler, string, (xmp: string) => Uint8Array][] = [
  [
    'jpeg',
    jpegHandler,
    'jpg',
    (xmp) => concat([Uint8Array.of(0xff, 0xd8), jpegSegment(0xe1, concat([text('http://ns.adobe.com/xap/1.0/\0'), text(xmp)])), JPEG_BODY]),
  ],
  ['webp', webpHandler, 'webp', (xmp) => webp({ xmp })],
  ['tiff', tiffHandler, 'tif', (xmp) => tiff({ xmp })],
  ['heif', heifHandler, 'heic', (xmp) => heif({ xmp })],
];
const encodings: XmpEncoding[] = ['utf-16be', 'utf-16le', 'utf-32be', 'utf-32le'];
const tagsOf = (json: Record<string, unknown>) => Object.fromEntries(Object.entries(json).filter(([k]) => /^XMP-(dc|photoshop):/.test(k)));

describe('XMP packet encodings', () => {
  it('decodes and encodes UTF-8 with its byte-order mark kept', () => {
    const bytes = text(`\uFEFF${PACKET}`);
    expect(decodeXmpPacket(bytes)).toEqual({ xml: `\uFEFF${PACKET}`, encoding: 'utf-8' });
    expect(encodeXmpPacket(`\uFEFF${PACKET}`, 'utf-8')).toEqual(bytes);
  });

  it('takes a UTF-8 packet that starts with a NUL for UTF-8, not UTF-16 (fuzz finding)', () => {
    expect(decodeXmpPacket(text('\u0000<rdf:RDF/>')).encoding).toBe('utf-8');
    expect(decodeXmpPacket(text('<\u0000\u0000\u0000')).encoding).toBe('utf-8');
    expect(decodeXmpPacket(encoded('<x', 'utf-16be')).encoding).toBe('utf-16be');
    expect(decodeXmpPacket(encoded('<x', 'utf-32le')).encoding).toBe('utf-32le');
  });

  it.each(encodings)('decodes and encodes %s byte for byte, a lone surrogate included', (encoding) => {
    const xml = `${PACKET}\uD800`;
    const bytes = encoded(xml, encoding);
    expect(decodeXmpPacket(bytes)).toEqual({ xml, encoding });
    expect(encodeXmpPacket(xml, encoding)).toEqual(bytes);
  });

  describe.each(formats)('%s', (_id, handler, extension, build) => {
    it.each(encodings)('reads a %s packet and labels it in the same encoding, every other character kept', async (encoding) => {
      const input = withPacket(build, encoded(PACKET, encoding));
      const label = sampleLabel();
      const { bytes } = await labelBytes(handler, input, label);
      const read = await handler.read(bytesSource(bytes));
      expect(read.carriers.map((c) => [c.label, c.canonical])).toEqual([[label, true]]);
      // The packet in the output: the input's, with one Description added before </rdf:RDF>.
      const close = encoded(' </rdf:RDF>', encoding);
      const inputClose = Buffer.from(input).indexOf(close);
      const outputClose = Buffer.from(bytes).indexOf(close);
      const start = Buffer.from(input).indexOf(encoded('<?xpacket', encoding));
      expect(Buffer.from(bytes).indexOf(encoded('<?xpacket', encoding))).toBeGreaterThanOrEqual(0);
      const head = input.subarray(start, inputClose);
      expect(Buffer.from(bytes).indexOf(head)).toBeGreaterThanOrEqual(0);
      const tail = input.subarray(inputClose, start + encoded(PACKET, encoding).length);
      expect(Buffer.from(bytes.subarray(outputClose, outputClose + tail.length)).equals(tail)).toBe(true);
    });

    withTool('exiftool')('ExifTool reads every tag of a UTF-16 packet and the label after labeling', async () => {
      for (const encoding of ['utf-16be', 'utf-16le'] as XmpEncoding[]) {
        const input = withPacket(build, encoded(PACKET, encoding));
        const before = exiftoolJson(input, extension);
        expect(before['XMP-photoshop:City']).toBe('深圳');
        const label = sampleLabel();
        const after = exiftoolJson((await labelBytes(handler, input, label)).bytes, extension);
        expect(tagsOf(after)).toEqual(tagsOf(before));
        expect(JSON.parse(String(after['XMP-TC260:AIGC']))).toEqual(label);
        expect(after['ExifTool:Warning']).toBeUndefined();
      }
    });
  });

  // GIF cannot hold a UTF-16 packet at all (its zero bytes end the data sub-blocks), so only PNG is shown here.
  it('png: a UTF-16 packet in iTXt is read, and written back as UTF-8 (iTXt is UTF-8, PNG spec §11.3.4.5) with the same text', async () => {
    const input = png({ chunks: [pngChunk('iTXt', concat([text('XML:com.adobe.xmp\0\0\0\0\0'), encoded(PACKET, 'utf-16be')]))] });
    const label = sampleLabel();
    const { bytes } = await labelBytes(pngHandler, input, label);
    expect((await pngHandler.read(bytesSource(bytes))).carriers.map((c) => c.label)).toEqual([label]);
    const head = text(PACKET.slice(0, PACKET.indexOf(' </rdf:RDF>')));
    expect(Buffer.from(bytes).indexOf(head)).toBeGreaterThanOrEqual(0);
  });
});
