import { AigcLabelError, bytesSource, encodeWrapped, LimitExceededError, labelBytes, MalformedInputError } from '@aigc-label/core';
import ExifReader from 'exifreader';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { describeHandlerContract, prng, sampleLabel } from '../../../test/handler-contract.js';
import { withTool } from '../../../test/oracles.js';
import { ifdEnd, maximumIfdChainLength, parseTiffHeader, readIfd, walkIfdChain } from '../src/shared/tiff-ifd.js';
import { tiff } from '../src/tiff/index.js';
import { exiftoolJson, expectOnlyChanged, fixture, gradient, itReadsSharpFixtures, pixels, readLabel, toBytes } from './helpers.js';
import { asciiz, numbers, Type, tiffData } from './tiff-builder.js';

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
    const header = await parseTiffHeader(bytesSource(bytes), 'tiff');
    const ifd0 = await readIfd(bytesSource(bytes), header.ifd0Offset, header, 'tiff');
    const xmp = ifd0.entries.find((e) => e.tag === 700);
    expect(xmp?.type).toBe(7);
    const tags = ifd0.entries.map((e) => e.tag);
    expect(tags).toEqual([...tags].sort((a, b) => a - b));
    // Only the header offset, the old IFD0 and an XMP packet that ended the file may change; everything else is appended.
    const old = await readIfd(bytesSource(input), (await parseTiffHeader(bytesSource(input), 'tiff')).ifd0Offset, header, 'tiff');
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
    await expect(tiff.write(bytesSource(bytes.subarray(0, bytes.length - 100)), sampleLabel())).rejects.toThrow(/past the end/);
  });
});

/** mathiasbynens/small tiff.tif (CC0): 1x1, three big-endian entries, and the file ends where IFD0's next pointer would be. */
const smallTiff = () =>
  Uint8Array.from('4d4d002a000000080003010000030000000100010000010100030000000100010000011100030000000100000000'.match(/../g) ?? [], (h) =>
    Number.parseInt(h, 16),
  );

describe('tiff salvage (issue 25) and tiny files (issue 13)', () => {
  it('reads a label from an XMP packet cut by a truncation, with damaged findings, and refuses to write', async () => {
    const label = sampleLabel();
    const { bytes } = await labelBytes(tiff, handMadeTiff(true), label);
    // The packet ends the file: a cut after the label element, and one inside its end tag.
    for (const cut of [bytes.length - 40, Buffer.from(bytes).indexOf('</TC260:AIGC>') + 5]) {
      const read = await readLabel(tiff, bytes.subarray(0, cut));
      expect(read.label).toEqual(label);
      expect(read.findings.filter((f) => f.severity === 'error').map((f) => f.rule)).toContain('format/damaged');
      expect(read.findings.map((f) => f.message).join(' ')).toMatch(/truncated inside the XMP packet/);
      await expect(tiff.write(bytesSource(bytes.subarray(0, cut)), sampleLabel())).rejects.toBeInstanceOf(MalformedInputError);
    }
    // Cut before the label: no label, a damaged error (a truncated carrier is never silently "none").
    const start = Buffer.from(bytes).indexOf('<?xpacket');
    const early = await tiff.read(bytesSource(bytes.subarray(0, start + 50)));
    expect([early.carriers, early.findings.map((f) => [f.rule, f.severity])]).toEqual([[], [['format/damaged', 'error']]]);
  });

  it('reads and labels a tiny TIFF whose only IFD lacks the next pointer (mathiasbynens/small tiff.tif), as ExifTool reads it', async () => {
    const small = smallTiff();
    const read = await tiff.read(bytesSource(small));
    expect(read.findings.map((f) => [f.rule, f.severity])).toEqual([['format/damaged', 'info']]);
    const label = sampleLabel();
    const { bytes } = await labelBytes(tiff, small, label);
    expect((await readLabel(tiff, bytes)).label).toEqual(label);
    expectOnlyChanged(small, bytes, [[4, 8]]); // only the IFD0 offset: the new IFD0 and the packet are appended
    const header = await parseTiffHeader(bytesSource(bytes), 'tiff');
    expect((await readIfd(bytesSource(bytes), header.ifd0Offset, header, 'tiff')).nextOffset).toBe(0);
  });

  withTool('exiftool')('ExifTool reads the labeled tiny TIFF with its three tags and the label', async () => {
    const small = smallTiff();
    const label = sampleLabel();
    const json = exiftoolJson((await labelBytes(tiff, small, label)).bytes, 'tif');
    expect([json['IFD0:ImageWidth'], json['IFD0:ImageHeight'], json['IFD0:StripOffsets']]).toEqual([1, 1, 0]);
    expect(JSON.parse(String(json['XMP-TC260:AIGC']))).toEqual(label);
  });
});

/** A minimal uncompressed RGB BigTIFF (version 43): BitsPerSample inline, a DocumentName stored out of line. */
function handMadeBigTiff(littleEndian: boolean, width = 5, height = 3): Uint8Array {
  const name = asciiz('a BigTIFF made by hand');
  const ifdAt = 16;
  const tags: [number, number, number][] = [
    [256, 3, width],
    [257, 3, height],
    [258, 3, 3],
    [259, 3, 1],
    [262, 3, 2],
    [269, 2, name.length],
    [273, 16, 1],
    [277, 3, 3],
    [278, 3, height],
    [279, 16, width * height * 3],
  ];
  const nameAt = ifdAt + 8 + tags.length * 20 + 8;
  const stripAt = nameAt + name.length + (name.length % 2);
  const out = new Uint8Array(stripAt + width * height * 3);
  const v = new DataView(out.buffer);
  out.set(littleEndian ? [0x49, 0x49] : [0x4d, 0x4d]);
  v.setUint16(2, 43, littleEndian);
  v.setUint16(4, 8, littleEndian);
  v.setBigUint64(8, BigInt(ifdAt), littleEndian);
  v.setBigUint64(ifdAt, BigInt(tags.length), littleEndian);
  tags.forEach(([tag, type, value], i) => {
    const at = ifdAt + 8 + i * 20;
    v.setUint16(at, tag, littleEndian);
    v.setUint16(at + 2, type, littleEndian);
    v.setBigUint64(at + 4, BigInt(tag === 258 ? 3 : tag === 269 ? name.length : 1), littleEndian);
    if (tag === 258) for (let k = 0; k < 3; k++) v.setUint16(at + 12 + k * 2, 8, littleEndian);
    else if (tag === 269) v.setBigUint64(at + 12, BigInt(nameAt), littleEndian);
    else if (tag === 273) v.setBigUint64(at + 12, BigInt(stripAt), littleEndian);
    else if (type === 16) v.setBigUint64(at + 12, BigInt(value), littleEndian);
    else v.setUint16(at + 12, value, littleEndian);
  });
  out.set(name, nameAt);
  for (let i = 0; i < width * height * 3; i++) out[stripAt + i] = (i * 29) % 256;
  return out;
}

describe('BigTIFF', () => {
  it.each([
    ['little-endian (sharp, uncompressed)', () => toBytes(gradient().tiff({ bigtiff: true, compression: 'none' }))],
    ['little-endian (sharp, LZW)', () => toBytes(gradient().tiff({ bigtiff: true, compression: 'lzw' }))],
    ['little-endian (hand-made)', async () => handMadeBigTiff(true)],
    ['big-endian (hand-made)', async () => handMadeBigTiff(false)],
  ])('%s: labels IFD0 tag 700 like classic TIFF, keeping every other byte and the pixels', async (_name, make) => {
    const input = await make();
    expect(tiff.sniff(input.subarray(0, 16))).toBe(true);
    const header = await parseTiffHeader(bytesSource(input), 'tiff');
    expect(header.bigTiff).toBe(true);
    const old = await readIfd(bytesSource(input), header.ifd0Offset, header, 'tiff');
    const label = sampleLabel();
    const { bytes } = await labelBytes(tiff, input, label);
    expect((await readLabel(tiff, bytes)).label).toEqual(label);
    const written = await readIfd(bytesSource(bytes), (await parseTiffHeader(bytesSource(bytes), 'tiff')).ifd0Offset, header, 'tiff');
    expect(written.entries.find((e) => e.tag === 700)).toMatchObject({ type: 7, raw: expect.any(Uint8Array) });
    // IFD0 grows, so it is appended and the header's 8-byte IFD0 offset repointed; every old entry is kept as it was.
    expect(written.entries.filter((e) => e.tag !== 700).map((e) => Array.from(e.raw))).toEqual(old.entries.map((e) => Array.from(e.raw)));
    expectOnlyChanged(input, bytes, [[8, 16]]);
    expect(await pixels(bytes)).toEqual(await pixels(input));
    // A relabel overwrites the packet at the end instead of growing the file.
    const again = await labelBytes(tiff, bytes, sampleLabel({ ProduceID: 'again-00002', PropagateID: 'again-00002' }));
    expect(again.bytes.length).toBe(bytes.length);
  });

  withTool('exiftool')('is read by ExifTool as XMP-TC260 AIGC, without warnings', async () => {
    const label = sampleLabel();
    for (const input of [handMadeBigTiff(true), handMadeBigTiff(false), await toBytes(gradient().tiff({ bigtiff: true }))]) {
      const { bytes } = await labelBytes(tiff, input, label);
      const json = exiftoolJson(bytes, 'tif');
      expect(JSON.parse(String(json['XMP-TC260:AIGC']))).toEqual(label);
      expect(json['ExifTool:Warning']).toBeUndefined();
    }
  });

  it('refuses a bad offset size, offsets past the end and hostile counts with toolkit errors', async () => {
    const good = handMadeBigTiff(true);
    const badSize = good.slice();
    badSize[4] = 4;
    await expect(tiff.read(bytesSource(badSize))).rejects.toThrow(/offset size is 4, not 8/);
    const farIfd = good.slice();
    new DataView(farIfd.buffer).setBigUint64(8, 1n << 60n, true);
    await expect(tiff.read(bytesSource(farIfd))).rejects.toBeInstanceOf(MalformedInputError);
    const hugeCount = good.slice();
    new DataView(hugeCount.buffer).setBigUint64(16, 1n << 40n, true);
    await expect(tiff.read(bytesSource(hugeCount))).rejects.toBeInstanceOf(LimitExceededError);
    const hugeValue = good.slice();
    new DataView(hugeValue.buffer).setBigUint64(16 + 8 + 5 * 20 + 4, 1n << 62n, true); // DocumentName count
    await expect(labelBytes(tiff, hugeValue, sampleLabel())).resolves.toBeDefined();
    await expect(tiff.read(bytesSource(good.subarray(0, 12)))).rejects.toThrow(/BigTIFF header is truncated/);
  });
});

/** A copy of `file` whose last page's next pointer leads back to page `target` (0 is IFD0). */
async function withLoop(file: Uint8Array, target: number): Promise<Uint8Array> {
  const out = file.slice();
  const header = await parseTiffHeader(bytesSource(out), 'tiff');
  const chain = await walkIfdChain(bytesSource(out), header, 'tiff');
  const last = await readIfd(bytesSource(out), chain.offsets[chain.offsets.length - 1], header, 'tiff');
  new DataView(out.buffer).setUint32(last.nextPointerOffset, chain.offsets[target], header.littleEndian);
  return out;
}

async function pages(count: number): Promise<Uint8Array> {
  const frames = await Promise.all(
    Array.from({ length: count }, (_, i) =>
      gradient(16, 12)
        .rotate(i * 90)
        .resize(16, 12)
        .png()
        .toBuffer(),
    ),
  );
  return toBytes(sharp(frames, { join: { animated: true } }).tiff());
}

/** Every page's pixels; libvips warns about the loop, as libtiff does, and reads the pages before it. */
const loopedPixels = async (bytes: Uint8Array) => new Uint8Array(await sharp(bytes, { animated: true, failOn: 'none' }).raw().toBuffer());

async function chainOf(file: Uint8Array) {
  const header = await parseTiffHeader(bytesSource(file), 'tiff');
  return { header, chain: await walkIfdChain(bytesSource(file), header, 'tiff') };
}

describe('tiff page chains that loop', () => {
  it('keeps the 2 pages and the loop of a chain that leads back to page 1 (Pillow multipage_multiple_frame_loop.tiff)', async () => {
    const input = await withLoop(await pages(2), 0);
    const before = await chainOf(input);
    expect(before.chain.loop).toEqual({ pointerAt: expect.any(Number), target: before.header.ifd0Offset });
    const read = await tiff.read(bytesSource(input));
    expect(read.findings).toEqual([expect.objectContaining({ rule: 'format/damaged', message: expect.stringMatching(/IFD chain loops/) })]);

    const { bytes, findings } = await labelBytes(tiff, input, sampleLabel());
    expect(findings.map((f) => f.rule)).toContain('format/damaged');
    const after = await chainOf(bytes);
    expect(after.chain.offsets).toEqual([after.header.ifd0Offset, before.chain.offsets[1]]);
    expect(after.chain.loop).toEqual({ pointerAt: before.chain.loop?.pointerAt, target: after.header.ifd0Offset });
    const pointerAt = before.chain.loop?.pointerAt ?? 0;
    expectOnlyChanged(input, bytes, [
      [4, 8],
      [pointerAt, pointerAt + 4],
    ]);
    expect((await sharp(bytes).metadata()).pages).toBe(2);
    expect(await loopedPixels(bytes)).toEqual(await loopedPixels(input));
    expect((await readLabel(tiff, bytes)).label).toEqual(sampleLabel());
  });

  it('keeps a page that points to itself a single page', async () => {
    const input = await withLoop(await toBytes(gradient().tiff()), 0);
    const { bytes } = await labelBytes(tiff, input, sampleLabel());
    const after = await chainOf(bytes);
    expect(after.chain.offsets).toEqual([after.header.ifd0Offset]);
    expect(after.chain.loop?.target).toBe(after.header.ifd0Offset);
    expectOnlyChanged(input, bytes, [[4, 8]]);
    expect(await loopedPixels(bytes)).toEqual(await loopedPixels(input));
  });

  it('leaves a loop to a later page as it is', async () => {
    const input = await withLoop(await pages(3), 1);
    const before = await chainOf(input);
    const { bytes } = await labelBytes(tiff, input, sampleLabel());
    const after = await chainOf(bytes);
    expect(after.chain.offsets).toEqual([after.header.ifd0Offset, ...before.chain.offsets.slice(1)]);
    expect(after.chain.loop).toEqual(before.chain.loop);
    expectOnlyChanged(input, bytes, [[4, 8]]);
    expect((await sharp(bytes).metadata()).pages).toBe((await sharp(input).metadata()).pages);
  });

  it(`follows at most ${maximumIfdChainLength} pages: reads past that, and will not move IFD0 without the whole chain`, async () => {
    const count = maximumIfdChainLength + 1;
    const file = new Uint8Array(8 + count * 6);
    const v = new DataView(file.buffer);
    file.set([0x49, 0x49, 42, 0]);
    v.setUint32(4, 8, true);
    for (let i = 0; i < count; i++) v.setUint32(8 + i * 6 + 2, i + 1 < count ? 8 + (i + 1) * 6 : 0, true);
    const started = performance.now();
    await expect(tiff.read(bytesSource(file))).resolves.toMatchObject({ carriers: [] });
    await expect(tiff.write(bytesSource(file), sampleLabel())).rejects.toBeInstanceOf(LimitExceededError);
    expect(performance.now() - started).toBeLessThan(5000);
  });
});

describe('tiff EXIF text tags', () => {
  /** A 2x1 grey TIFF whose IFD0 also holds `extra` entries. */
  const greyTiff = (extra: { tag: number; type: number; value: Uint8Array }[]) =>
    tiffData(
      true,
      [
        {
          entries: [
            { tag: 256, type: Type.short, value: numbers(true, 2, 2) },
            { tag: 257, type: Type.short, value: numbers(true, 2, 1) },
            { tag: 258, type: Type.short, value: numbers(true, 2, 8) },
            { tag: 259, type: Type.short, value: numbers(true, 2, 1) },
            { tag: 262, type: Type.short, value: numbers(true, 2, 1) },
            { tag: 273, type: Type.long, value: (w) => numbers(true, 4, w.blob(0)) },
            { tag: 277, type: Type.short, value: numbers(true, 2, 1) },
            { tag: 278, type: Type.short, value: numbers(true, 2, 1) },
            { tag: 279, type: Type.long, value: numbers(true, 4, 2) },
            ...extra,
          ],
        },
      ],
      [Uint8Array.of(40, 200)],
    );

  it('reads a label in a UserComment misplaced in IFD0 as non-canonical, and moves it to XMP', async () => {
    const old = sampleLabel({ ProduceID: 'old-1', PropagateID: 'old-1' });
    const comment = new Uint8Array([...new TextEncoder().encode('ASCII\0\0\0'), ...new TextEncoder().encode(encodeWrapped(old))]);
    const input = greyTiff([{ tag: 37510, type: Type.undefined, value: comment }]);
    const read = await tiff.read(bytesSource(input));
    expect(read.carriers.map((c) => [c.carrier, c.canonical, c.label, c.findings.map((f) => f.rule)])).toEqual([
      ['exif-user-comment', false, old, ['decode/wrapped-form', 'carrier/non-canonical']],
    ]);
    expect(read.carriers[0].location).toBe('TIFF, IFD0 UserComment');
    const { bytes, findings } = await labelBytes(tiff, input, sampleLabel());
    expect(findings.map((f) => f.message)).toContain('removed the label in IFD0 UserComment; it is now in XMP (one label per file)');
    expect((await tiff.read(bytesSource(bytes))).carriers.map((c) => c.carrier)).toEqual(['xmp']);
    // The label entry made room for tag 700, so IFD0 was rewritten in place.
    const header = await parseTiffHeader(bytesSource(input), 'tiff');
    const ifd0 = await readIfd(bytesSource(input), header.ifd0Offset, header, 'tiff');
    expectOnlyChanged(input, bytes, [[ifd0.offset, ifdEnd(ifd0, header)]]);
    expect(await pixels(bytes)).toEqual(await pixels(input));
  });
});

describe('tiff hostile input', () => {
  it('reads and labels damaged files with toolkit errors only, never a RangeError (seeded mutations)', async () => {
    const samples = [handMadeTiff(true, JSON.stringify(fixtureLabel)), handMadeBigTiff(false), await withLoop(await pages(2), 0)];
    const escapes: string[] = [];
    for (const [index, good] of samples.entries()) {
      for (let seed = 1; seed <= 200; seed++) {
        const next = prng(seed * 7 + index);
        const bad = good.slice();
        for (let i = 0, flips = 1 + Math.floor(next() * 4); i < flips; i++)
          bad[Math.floor(next() ** 2 * bad.length)] = Math.floor(next() * 256);
        for (const work of [() => tiff.read(bytesSource(bad)), () => tiff.write(bytesSource(bad), sampleLabel())]) {
          try {
            await work();
          } catch (error) {
            if (!(error instanceof AigcLabelError)) escapes.push(`sample ${index} seed ${seed}: ${(error as Error).stack?.split('\n')[0]}`);
          }
        }
      }
    }
    expect(escapes).toEqual([]);
  });
});
