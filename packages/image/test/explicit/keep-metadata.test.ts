/**
 * A visible label re-encodes the pixels and nothing else: ExifTool reads the same tags before and
 * after (no invented Orientation, resolution or ColorSpace, nothing changed), the coding (chroma
 * subsampling, bit depth, colour type, YUV matrix) is the source's, and the decoded pixels outside
 * the label are the source's within the codec's loss.
 */
import { execFileSync } from 'node:child_process';
import { ascii, concat, crc32, isobmff, putU16be, putU32be } from '@aigc-label/core';
import sharp, { type Sharp } from 'sharp';
import { describe, expect } from 'vitest';
import { withTool } from '../../../../test/oracles.js';
import { applyVisibleLabel, type LabelBox } from '../../src/explicit/index.js';
import { parseIloc, serializeIloc } from '../../src/heif/items.js';
import { fixture } from '../helpers.js';
import { exiftoolOn, exiftoolTags, exiftoolWrite } from './exiftool.js';
import { displayedPixels, findInk, picture } from './pixels.js';

const u8 = (b: Uint8Array) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
const itWithExiftool = withTool('exiftool', 'reads the metadata before and after a visible label');

const XMP =
  '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">' +
  '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator><rdf:Seq><rdf:li>Tester</rdf:li></rdf:Seq></dc:creator>' +
  '</rdf:Description></rdf:RDF></x:xmpmeta>';

/** Camera-style metadata written by ExifTool (not sharp, whose EXIF carries its own Orientation and resolution). */
const CAMERA_TAGS = [
  '-EXIF:Make=Canon',
  '-EXIF:Model=EOS R5',
  '-EXIF:DateTimeOriginal=2024:05:01 10:00:00',
  '-EXIF:ExposureTime=1/125',
  '-EXIF:GPSLatitude=31.2',
  '-EXIF:GPSLatitudeRef=N',
  '-XMP-dc:Creator=Tester',
  '-XMP-dc:Subject=harbour',
];

/** Mean absolute difference of displayed RGB outside the label box (grown by `margin` for codec spread), and the ink inside it. */
async function compare(before: Uint8Array, after: Uint8Array, box: LabelBox, text: string, margin = 8) {
  const a = await displayedPixels(before);
  const b = await displayedPixels(after);
  expect([b.width, b.height]).toEqual([a.width, a.height]);
  let sum = 0;
  let count = 0;
  for (let y = 0; y < a.height; y++) {
    for (let x = 0; x < a.width; x++) {
      if (x >= box.x - margin && x < box.x + box.width + margin && y >= box.y - margin && y < box.y + box.height + margin) continue;
      for (let c = 0; c < 3; c++) sum += Math.abs(a.data[(y * a.width + x) * 3 + c]! - b.data[(y * a.width + x) * 3 + c]!);
      count += 3;
    }
  }
  return { outside: sum / count, ink: findInk(a, b, text) };
}

interface Case {
  readonly name: string;
  readonly extension: string;
  readonly make: () => Promise<Uint8Array>;
  /** Lossy codings: a plain re-encode of the source with the same settings, whose loss ours may not exceed by much. Lossless: none. */
  readonly reference?: (image: Sharp) => Sharp;
  /** Mean error allowed outside the label for lossless codings (alpha compositing rounds by one level here and there). */
  readonly tolerance?: number;
  /** Tags that describe the coded pixels themselves (a palette's colours). */
  readonly pixelTags?: readonly string[];
}

const flat = () => picture(320, 240, 'light');
const busy = () => picture(320, 240, 'busy', 7);
const encode = async (image: Promise<Sharp>, to: (s: Sharp) => Sharp) => u8(await to(await image).toBuffer());

const cases: Case[] = [
  {
    name: 'JPEG without metadata',
    extension: 'jpg',
    make: () => encode(busy(), (s) => s.jpeg({ quality: 85 })),
    reference: (s) => s.jpeg({ quality: 85 }),
  },
  {
    name: 'JPEG with camera EXIF, GPS, XMP, comment, 300 dpi JFIF and a P3 profile',
    extension: 'jpg',
    make: async () =>
      exiftoolWrite(await encode(busy(), (s) => s.withIccProfile('p3').jpeg({ quality: 90 })), 'jpg', [
        ...CAMERA_TAGS,
        '-Comment=kept as it was',
        '-JFIF:XResolution=300',
        '-JFIF:YResolution=300',
        '-JFIF:ResolutionUnit=inches',
      ]),
    reference: (s) => s.keepIccProfile().jpeg({ quality: 90 }),
  },
  {
    name: 'JPEG 4:4:4 progressive',
    extension: 'jpg',
    make: () => encode(busy(), (s) => s.jpeg({ quality: 92, chromaSubsampling: '4:4:4', progressive: true })),
    reference: (s) => s.jpeg({ quality: 92, chromaSubsampling: '4:4:4' }),
  },
  {
    name: 'greyscale JPEG',
    extension: 'jpg',
    make: () => encode(busy(), (s) => s.toColourspace('b-w').jpeg()),
    reference: (s) => s.jpeg(),
  },
  { name: 'PNG without metadata', extension: 'png', make: () => encode(busy(), (s) => s.png()) },
  {
    name: 'PNG with text, eXIf, pHYs, gAMA, cHRM, tIME and iCCP',
    extension: 'png',
    make: async () =>
      exiftoolWrite(await encode(busy(), (s) => s.withIccProfile('p3').png()), 'png', [
        ...CAMERA_TAGS,
        '-PNG:Title=A harbour',
        '-PNG:Gamma=2.2',
        '-PNG:WhitePointX=0.3127',
        '-PNG:WhitePointY=0.329',
        '-PNG:PixelsPerUnitX=2835',
        '-PNG:PixelsPerUnitY=2835',
        '-PNG:PixelUnits=meters',
        '-PNG:ModifyDate=2024:05:01 10:00:00',
      ]),
  },
  {
    name: '16-colour palette PNG with a background colour',
    extension: 'png',
    make: async () => withChunk(await encode(flat(), (s) => s.png({ palette: true, colours: 16 })), 'bKGD', Uint8Array.of(0)),
    // The label's colours join the palette, and the flat backdrop is dithered against them.
    tolerance: 12,
    pixelTags: ['Palette', 'BackgroundColor'],
  },
  { name: '16-bit greyscale PNG', extension: 'png', make: () => encode(busy(), (s) => s.toColourspace('grey16').png()) },
  {
    name: 'interlaced RGBA PNG',
    extension: 'png',
    make: () => encode(busy(), (s) => s.ensureAlpha(0.6).png({ progressive: true })),
    tolerance: 0.05,
  },
  {
    name: 'lossy WebP',
    extension: 'webp',
    make: () => encode(busy(), (s) => s.webp({ quality: 90 })),
    reference: (s) => s.webp({ quality: 90 }),
  },
  {
    name: 'lossless WebP with EXIF, XMP and ICC',
    extension: 'webp',
    make: async () => exiftoolWrite(await encode(busy(), (s) => s.withIccProfile('p3').webp({ lossless: true })), 'webp', CAMERA_TAGS),
  },
  {
    name: 'uncompressed TIFF with camera EXIF, GPS and XMP',
    extension: 'tif',
    make: async () =>
      exiftoolWrite(await encode(busy(), (s) => s.tiff({ compression: 'none' })), 'tif', [...CAMERA_TAGS, '-IFD0:Artist=Tester']),
  },
  {
    name: 'LZW tiled TIFF with a P3 profile',
    extension: 'tif',
    make: () => encode(busy(), (s) => s.withIccProfile('p3').tiff({ compression: 'lzw', tile: true, tileWidth: 64, tileHeight: 64 })),
  },
  {
    name: 'deflate 16-bit greyscale TIFF',
    extension: 'tif',
    make: () => encode(busy(), (s) => s.toColourspace('grey16').tiff({ compression: 'deflate', predictor: 'horizontal' })),
  },
  {
    name: 'AVIF 4:2:0 from sharp',
    extension: 'avif',
    make: () => encode(busy(), (s) => s.avif({ chromaSubsampling: '4:2:0' })),
    reference: (s) => s.avif({ quality: 80, chromaSubsampling: '4:2:0' }),
  },
  {
    name: 'AVIF 10-bit 4:4:4 with EXIF and XMP',
    extension: 'avif',
    make: () =>
      encode(busy(), (s) =>
        s
          .withExif({ IFD0: { Artist: 'Tester' } })
          .withXmp(XMP)
          .avif({ bitdepth: 10 }),
      ),
    reference: (s) => s.avif({ quality: 80, bitdepth: 10 }),
  },
  {
    name: 'AVIF from libaom, BT.709 limited range',
    extension: 'avif',
    make: async () => fixture('heif/ffmpeg-bt709-limited.avif'),
    reference: (s) => s.avif({ quality: 80, chromaSubsampling: '4:2:0' }),
  },
];

describe('a visible label keeps the metadata and the coding of the source', () => {
  itWithExiftool.each(cases)('$name', async ({ extension, make, reference, tolerance = 0, pixelTags = [] }) => {
    const input = await make();
    const result = await applyVisibleLabel(input);
    expect(exiftoolTags(result.bytes, extension, pixelTags)).toEqual(exiftoolTags(input, extension, pixelTags));
    const { outside, ink } = await compare(input, result.bytes, result.box, result.contrast.text);
    if (reference) {
      const plain = u8(await reference(sharp(input)).toBuffer());
      const loss = (await compare(input, plain, result.box, result.contrast.text)).outside;
      expect(outside).toBeLessThanOrEqual(loss * 1.25 + 0.25);
    } else expect(outside).toBeLessThanOrEqual(tolerance);
    expect(ink).not.toBeNull();
    expect(result.findings).toEqual([]);
  });

  itWithExiftool('JPEG 4:2:2 (which the encoder cannot write) becomes 4:4:4, never 4:2:0, with a finding', async () => {
    // Debian's ffmpeg writes 4:2:2 baseline JPEG (yuvj422p); sharp writes only 4:2:0 and 4:4:4.
    const input = u8(
      execFileSync('/usr/bin/ffmpeg', [
        ...['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=320x240', '-frames:v', '1'],
        ...['-pix_fmt', 'yuvj422p', '-q:v', '3', '-f', 'image2pipe', '-c:v', 'mjpeg', 'pipe:1'],
      ]),
    );
    expect(exiftoolTags(input, 'jpg').join('\n')).toMatch(/YCbCrSubSampling +: YCbCr4:2:2/);
    const result = await applyVisibleLabel(input);
    expect(exiftoolTags(result.bytes, 'jpg').join('\n')).toMatch(/YCbCrSubSampling +: YCbCr4:4:4/);
    expect(result.findings.map((f) => f.message)).toEqual(['JPEG chroma 4:2:2 written as 4:4:4 (the encoder writes 4:2:0 or 4:4:4)']);
  });

  itWithExiftool('JPEG: the Multi-Picture index still finds the second image after the new primary', async () => {
    const second = await encode(picture(160, 120, 'dark'), (s) => s.jpeg());
    const input = withMpf(await encode(busy(), (s) => s.jpeg({ quality: 80 })), second);
    // ExifTool extracts the second MPF image as PreviewImage.
    expect(exiftoolOn(input, 'jpg', ['-b', '-PreviewImage'])).toEqual(second);
    const result = await applyVisibleLabel(input);
    expect(exiftoolOn(result.bytes, 'jpg', ['-b', '-PreviewImage'])).toEqual(second);
    expect(exiftoolTags(result.bytes, 'jpg')).toEqual(exiftoolTags(input, 'jpg'));
  });

  itWithExiftool('AVIF: a BT.709 limited-range source decodes to its own colours after the label', async () => {
    const input = fixture('heif/ffmpeg-bt709-limited.avif');
    const tags = exiftoolTags(input, 'avif').join('\n');
    expect(tags).toMatch(/MatrixCoefficients +: BT\.709/);
    expect(tags).toMatch(/ChromaFormat +: YUV 4:2:0/);
    const result = await applyVisibleLabel(input);
    // Compared with a plain re-encode, whose colour description says what sharp wrote: a matrix
    // mismatch between coding and description would shift every colour by several levels.
    const plain = u8(await sharp(input).avif({ quality: 80, chromaSubsampling: '4:2:0' }).toBuffer());
    const ours = await compare(input, result.bytes, result.box, result.contrast.text);
    const reference = await compare(input, plain, result.box, result.contrast.text);
    expect(ours.outside).toBeLessThan(reference.outside * 2.5);
  });
});

/**
 * A JPEG with a Multi-Picture Format index (CIPA DC-007) in APP2 and a second image after the
 * first's EOI, as cameras and phones write them.
 */
function withMpf(primary: Uint8Array, second: Uint8Array): Uint8Array {
  const entriesAt = 8 + 2 + 3 * 12 + 4; // TIFF header, entry count, three entries, next-IFD offset
  const tiff = new Uint8Array(entriesAt + 32);
  tiff.set([0x4d, 0x4d, 0, 42, 0, 0, 0, 8]);
  putU16be(tiff, 8, 3);
  const entry = (index: number, tag: number, type: number, count: number, value: number | Uint8Array) => {
    const at = 10 + 12 * index;
    putU16be(tiff, at, tag);
    putU16be(tiff, at + 2, type);
    putU32be(tiff, at + 4, count);
    if (typeof value === 'number') putU32be(tiff, at + 8, value);
    else tiff.set(value, at + 8);
  };
  entry(0, 0xb000, 7, 4, new TextEncoder().encode('0100'));
  entry(1, 0xb001, 4, 1, 2);
  entry(2, 0xb002, 7, 32, entriesAt);
  const segmentPayload = concat([new TextEncoder().encode('MPF\0'), tiff]);
  const segment = concat([Uint8Array.of(0xff, 0xe2, 0, 0), segmentPayload]);
  putU16be(segment, 2, segmentPayload.length + 2);
  const primarySize = primary.length + segment.length;
  const mpHeader = 2 + 4 + 4; // SOI, marker and length, "MPF\0"
  putU32be(tiff, entriesAt, 0x030000); // baseline primary image
  putU32be(tiff, entriesAt + 4, primarySize);
  putU32be(tiff, entriesAt + 16, 0x010001); // large thumbnail
  putU32be(tiff, entriesAt + 20, second.length);
  putU32be(tiff, entriesAt + 24, primarySize - mpHeader);
  segment.set(tiff, 8);
  return concat([primary.subarray(0, 2), segment, primary.subarray(2), second]);
}

/** A PNG with one more chunk just before its first IDAT (length, type, data, CRC-32 over type and data). */
function withChunk(png: Uint8Array, type: string, data: Uint8Array): Uint8Array {
  const chunk = new Uint8Array(12 + data.length);
  putU32be(chunk, 0, data.length);
  chunk.set(ascii(type), 4);
  chunk.set(data, 8);
  putU32be(chunk, 8 + data.length, crc32(chunk.subarray(4, 8 + data.length)));
  const idat = new TextDecoder('latin1').decode(png).indexOf('IDAT') - 4;
  return concat([png.subarray(0, idat), chunk, png.subarray(idat)]);
}

describe('AVIF transformations', () => {
  itWithExiftool('an AVIF turned by irot is labelled where it shows, and keeps its irot', async () => {
    const input = withIrot(u8(await (await picture(320, 240, 'busy', 3)).avif({ chromaSubsampling: '4:2:0' }).toBuffer()), 1);
    // libheif applies irot when decoding: the picture shows 240 wide and 320 tall.
    expect([(await sharp(input).metadata()).width, (await sharp(input).metadata()).height]).toEqual([240, 320]);
    const result = await applyVisibleLabel(input, { position: 'bottom-right' });
    expect(exiftoolTags(result.bytes, 'avif')).toEqual(exiftoolTags(input, 'avif'));
    const { outside, ink } = await compare(input, result.bytes, result.box, result.contrast.text);
    expect(ink).not.toBeNull();
    expect(ink!.left).toBeGreaterThan(120);
    expect(ink!.top).toBeGreaterThan(160);
    const plain = u8(await sharp(input).avif({ quality: 80, chromaSubsampling: '4:2:0' }).toBuffer());
    expect(outside).toBeLessThanOrEqual((await compare(input, plain, result.box, result.contrast.text)).outside * 1.5 + 0.5);
  });
});

/**
 * sharp's AVIF with an `irot` property (HEIF §6.5.10: `angle` × 90° anticlockwise) added to the
 * primary item: ipco grows by the box, ipma gets the association, and iloc's offsets into mdat move by
 * the growth of meta.
 */
function withIrot(avif: Uint8Array, angle: number): Uint8Array {
  const top = isobmff.listBoxesIn(avif, 0, avif.length, 'avif');
  const meta = top.find((b) => b.type === 'meta')!;
  const children = isobmff.listBoxesIn(avif, meta.offset + 12, meta.end, 'avif');
  const iprp = children.find((b) => b.type === 'iprp')!;
  const [ipco, ipma] = isobmff.listBoxesIn(avif, iprp.offset + 8, iprp.end, 'avif');
  const properties = isobmff.listBoxesIn(avif, ipco!.offset + 8, ipco!.end, 'avif').length;
  const irot = isobmff.makeBox('irot', Uint8Array.of(angle));
  const newIpco = isobmff.makeBox('ipco', [avif.subarray(ipco!.offset + 8, ipco!.end), irot]);
  // ipma version 0, flags 0, one entry: item id (2), association count (1), one byte per association.
  const ipmaBody = avif.slice(ipma!.offset + 8, ipma!.end);
  expect([ipmaBody[0], ipmaBody[3], ipmaBody.length - 4 - 4 - 3 - ipmaBody[10]!]).toEqual([0, 0, 0]);
  const newIpma = isobmff.makeBox('ipma', [
    ipmaBody.subarray(0, 10),
    Uint8Array.of(ipmaBody[10]! + 1),
    ipmaBody.subarray(11),
    Uint8Array.of(0x80 | (properties + 1)),
  ]);
  const grow = newIpco.length + newIpma.length - (ipco!.size + ipma!.size);
  const iloc = children.find((b) => b.type === 'iloc')!;
  const parsed = parseIloc(avif, iloc);
  const newIloc = serializeIloc(
    { ...parsed, items: parsed.items.map((item) => ({ ...item, extents: item.extents.map((e) => ({ ...e, offset: e.offset + grow })) })) },
    0,
  );
  const newChildren = children.map((b) =>
    b.type === 'iprp' ? isobmff.makeBox('iprp', [newIpco, newIpma]) : b.type === 'iloc' ? newIloc : avif.subarray(b.offset, b.end),
  );
  const newMeta = isobmff.makeFullBox('meta', 0, 0, newChildren);
  return concat([avif.subarray(0, meta.offset), newMeta, avif.subarray(meta.end)]);
}
