import { bytesSource, labelBytes, MalformedInputError } from '@aigc-label/core';
import ExifReader from 'exifreader';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { describeHandlerContract, sampleLabel } from '../../../test/handler-contract.js';
import { withTool } from '../../../test/oracles.js';
import { parseTiffHeader, readIfd } from '../src/shared/tiff-ifd.js';
import { tiff } from '../src/tiff/index.js';
import { exiftoolJson, fixture, gradient, itReadsSharpFixtures, pixels, readLabel, toBytes } from './helpers.js';

const fixtureLabel = sampleLabel({ ProduceID: 'fixture-0001', PropagateID: 'fixture-0001' });

/** A minimal uncompressed RGB TIFF in either byte order, with BitsPerSample stored out of line. */
function handMadeTiff(littleEndian: boolean, description = '', width = 5, height = 3): Uint8Array {
  const text = new TextEncoder().encode(`${description}\0`);
  const tags: [number, number, number, number][] = [
    [256, 3, 1, width],
    [257, 3, 1, height],
    [258, 3, 3, 0], // value offset patched below
    [259, 3, 1, 1],
    [262, 3, 1, 2],
    [273, 4, 1, 0], // strip offset patched below
    [277, 3, 1, 3],
    [278, 3, 1, height],
    [279, 4, 1, width * height * 3],
  ];
  if (description) tags.splice(5, 0, [270, 2, text.length, 0]); // value offset patched below
  const ifdAt = 8;
  const bitsAt = ifdAt + 2 + tags.length * 12 + 4;
  const textAt = bitsAt + 6;
  const stripAt = textAt + text.length + (text.length % 2);
  const out = new Uint8Array(stripAt + width * height * 3);
  out.set(text, textAt);
  const v = new DataView(out.buffer);
  out.set(littleEndian ? [0x49, 0x49] : [0x4d, 0x4d]);
  v.setUint16(2, 42, littleEndian);
  v.setUint32(4, ifdAt, littleEndian);
  v.setUint16(ifdAt, tags.length, littleEndian);
  tags.forEach(([tag, type, count, value], i) => {
    const at = ifdAt + 2 + i * 12;
    v.setUint16(at, tag, littleEndian);
    v.setUint16(at + 2, type, littleEndian);
    v.setUint32(at + 4, count, littleEndian);
    const resolved = tag === 258 ? bitsAt : tag === 273 ? stripAt : tag === 270 ? textAt : value;
    if (type === 3 && count === 1) v.setUint16(at + 8, resolved, littleEndian);
    else v.setUint32(at + 8, resolved, littleEndian);
  });
  for (let i = 0; i < 3; i++) v.setUint16(bitsAt + i * 2, 8, littleEndian);
  for (let i = 0; i < width * height * 3; i++) out[stripAt + i] = (i * 29) % 256;
  return out;
}

describeHandlerContract(tiff, () => toBytes(gradient().tiff()));

describe('tiff writer', () => {
  it.each([
    ['little-endian (sharp)', () => toBytes(gradient().tiff({ compression: 'lzw' }))],
    ['little-endian (hand-made)', async () => handMadeTiff(true)],
    ['big-endian (hand-made)', async () => handMadeTiff(false)],
    ['with XMP already (sharp)', async () => fixture('tiff/sharp-element.tif')],
  ])('%s: keeps the pixels and writes tag 700 as type 7 in IFD0', async (_name, make) => {
    const input = await make();
    const { bytes } = await labelBytes(tiff, input, sampleLabel());
    expect(await pixels(bytes)).toEqual(await pixels(input));
    const { littleEndian, ifd0Offset } = await parseTiffHeader(bytesSource(bytes), 'tiff');
    const ifd0 = await readIfd(bytesSource(bytes), ifd0Offset, littleEndian, 'tiff');
    const xmp = ifd0.entries.find((e) => e.tag === 700);
    expect(xmp?.type).toBe(7);
    const tags = ifd0.entries.map((e) => e.tag);
    expect(tags).toEqual([...tags].sort((a, b) => a - b));
    // Only the header offset, the old IFD0 and an XMP packet that ended the file may change; everything else is appended.
    const old = await readIfd(bytesSource(input), (await parseTiffHeader(bytesSource(input), 'tiff')).ifd0Offset, littleEndian, 'tiff');
    const oldXmp = old.entries.find((e) => e.tag === 700);
    const tail = oldXmp && oldXmp.valueOffset + oldXmp.valueLength >= input.length - 1 ? oldXmp.valueOffset : input.length;
    const changed = [...input.keys()].filter((i) => input[i] !== bytes[i]);
    expect(changed.every((i) => (i >= 4 && i < 8) || (i >= old.offset && i < old.nextPointerOffset) || i >= tail)).toBe(true);
  });

  it('keeps the second page of a multi-page TIFF', async () => {
    const frames = await Promise.all(
      [0, 1].map((i) =>
        gradient(16, 12)
          .rotate(i * 180)
          .png()
          .toBuffer(),
      ),
    );
    const input = await toBytes(sharp(frames, { join: { animated: true } }).tiff());
    const { bytes } = await labelBytes(tiff, input, sampleLabel());
    expect((await sharp(bytes).metadata()).pages).toBe((await sharp(input).metadata()).pages);
    expect(await pixels(bytes)).toEqual(await pixels(input));
  });

  it('overwrites its own earlier packet at the end of the file instead of appending another', async () => {
    const first = await labelBytes(
      tiff,
      await toBytes(gradient().tiff()),
      sampleLabel({ ProduceID: 'first-0001', PropagateID: 'first-0001' }),
    );
    const second = await labelBytes(tiff, first.bytes, sampleLabel({ ProduceID: 'again-0002', PropagateID: 'again-0002' }));
    expect(second.bytes.length).toBe(first.bytes.length);
    expect(Buffer.from(second.bytes).includes('first-0001')).toBe(false);
    expect(await pixels(second.bytes)).toEqual(await pixels(first.bytes));
  });

  it('is read by exifreader', async () => {
    const label = sampleLabel();
    const { bytes } = await labelBytes(tiff, handMadeTiff(false), label);
    const tags = ExifReader.load(bytes.buffer as ArrayBuffer, { expanded: true });
    expect(JSON.parse(String(tags.xmp?.AIGC?.value))).toEqual(label);
  });

  withTool('exiftool')('is read by ExifTool as XMP-TC260 AIGC, without warnings', async () => {
    const label = sampleLabel();
    for (const input of [handMadeTiff(true), handMadeTiff(false), await toBytes(gradient().tiff())]) {
      const { bytes } = await labelBytes(tiff, input, label);
      const json = exiftoolJson(bytes, 'tif');
      expect(JSON.parse(String(json['XMP-TC260:AIGC']))).toEqual(label);
      expect(json['ExifTool:Warning']).toBeUndefined();
    }
  });

  it('moves a label out of ImageDescription into XMP', async () => {
    const input = handMadeTiff(false, JSON.stringify(fixtureLabel));
    expect((await tiff.read(bytesSource(input))).carriers.map((c) => c.carrier)).toEqual(['exif-image-description']);
    const { bytes } = await labelBytes(tiff, input, sampleLabel());
    expect((await tiff.read(bytesSource(bytes))).carriers.map((c) => c.carrier)).toEqual(['xmp']);
    expect(await pixels(bytes)).toEqual(await pixels(input));
  });
});

describe('tiff reads through the ByteSource', () => {
  it('reads the header, IFD0 and the needed values only, never the strips', async () => {
    const big = await toBytes(gradient(1000, 1000).tiff({ compression: 'none' }));
    expect(big.length).toBeGreaterThan(2_000_000);
    const source = bytesSource(big);
    let handedOut = 0;
    const counting = {
      size: source.size,
      read: async (offset: number, length: number) => {
        const out = await source.read(offset, length);
        handedOut += out.length;
        return out;
      },
    };
    const { bytes } = await labelBytes(tiff, big, sampleLabel());
    await tiff.read(counting);
    await tiff.write(counting, sampleLabel());
    expect(handedOut).toBeLessThan(20_000);
    expect((await readLabel(tiff, bytes)).label).toEqual(sampleLabel());
  });
});

describe('tiff reader', () => {
  itReadsSharpFixtures(tiff, 'tiff', 'tif', fixtureLabel);

  it('reads a file ExifTool labeled with a TC260 config (a committed fixture)', async () => {
    expect((await readLabel(tiff, fixture('tiff/exiftool.tif'))).label).toEqual(fixtureLabel);
  });
});

describe('tiff bad input', () => {
  it('refuses empty files, a bad byte order, and IFD offsets or values past the end', async () => {
    await expect(tiff.read(bytesSource(new Uint8Array(0)))).rejects.toThrow(/empty/);
    const good = handMadeTiff(true);
    const badOrder = good.slice();
    badOrder[0] = 0x58;
    await expect(tiff.read(bytesSource(badOrder))).rejects.toBeInstanceOf(MalformedInputError);
    const badIfd = good.slice();
    new DataView(badIfd.buffer).setUint32(4, 1_000_000, true);
    await expect(tiff.write(bytesSource(badIfd), sampleLabel())).rejects.toThrow(/past the end/);
    const { bytes } = await labelBytes(tiff, good, sampleLabel());
    await expect(tiff.read(bytesSource(bytes.subarray(0, bytes.length - 100)))).rejects.toThrow(/past the end/);
  });
});
