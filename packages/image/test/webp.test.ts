import { bytesSource, concat, fromAscii, labelBytes, MalformedInputError, riff, u32le, utf8 } from '@aigc-label/core';
import ExifReader from 'exifreader';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { describeHandlerContract, sampleLabel } from '../../../test/handler-contract.js';
import { withTool } from '../../../test/oracles.js';
import { webp } from '../src/webp/index.js';
import { exiftoolJson, fixture, gradient, itReadsSharpFixtures, pixels, readLabel, toBytes } from './helpers.js';

const fixtureLabel = sampleLabel({ ProduceID: 'fixture-0001', PropagateID: 'fixture-0001' });

async function chunkIds(file: Uint8Array): Promise<string[]> {
  const { chunks } = await riff.listRiffChunks(bytesSource(file), 12, 8 + u32le(file, 4), 'webp');
  return chunks.map((c) => c.id);
}

async function animated(): Promise<Uint8Array> {
  const frames = await Promise.all(
    [0, 1, 2].map((i) =>
      gradient(16, 12)
        .rotate(i * 90)
        .resize(16, 12)
        .png()
        .toBuffer(),
    ),
  );
  return toBytes(sharp(frames, { join: { animated: true } }).webp({ loop: 0, delay: [50, 50, 50] }));
}

const samples: [string, () => Promise<Uint8Array>, string[]][] = [
  ['lossy VP8', () => toBytes(gradient().webp()), ['VP8X', 'VP8 ', 'XMP ']],
  ['lossless VP8L', () => toBytes(gradient().webp({ lossless: true })), ['VP8X', 'VP8L', 'XMP ']],
  ['lossy with alpha', () => toBytes(gradient().ensureAlpha(0.5).webp()), ['VP8X', 'ALPH', 'VP8 ', 'XMP ']],
  [
    'ICC and EXIF',
    () =>
      toBytes(
        gradient()
          .webp()
          .withIccProfile('p3')
          .withExif({ IFD0: { Copyright: 'keep' } }),
      ),
    ['VP8X', 'ICCP', 'VP8 ', 'EXIF', 'XMP '],
  ],
  ['animated', animated, ['VP8X', 'ANIM', 'ANMF', 'ANMF', 'ANMF', 'XMP ']],
];

describeHandlerContract(webp, () => toBytes(gradient().webp()));

describe('webp writer', () => {
  it.each(samples)('%s: keeps the pixels, orders the chunks and sets VP8X', async (_name, make, order) => {
    const input = await make();
    const { bytes } = await labelBytes(webp, input, sampleLabel());
    expect(await chunkIds(bytes)).toEqual(order);
    expect(u32le(bytes, 4)).toBe(bytes.length - 8);
    expect(await pixels(bytes)).toEqual(await pixels(input));
    const before = await sharp(input).metadata();
    const after = await sharp(bytes).metadata();
    expect([after.width, after.height, after.pages, after.hasAlpha, Boolean(after.icc)]).toEqual([
      before.width,
      before.height,
      before.pages,
      before.hasAlpha,
      Boolean(before.icc),
    ]);
    expect(bytes[20] & 0x04).toBe(0x04);
  });

  it('writes the lossless alpha hint into the new VP8X', async () => {
    const { bytes } = await labelBytes(webp, await toBytes(gradient().ensureAlpha(0.5).webp({ lossless: true })), sampleLabel());
    expect(fromAscii(bytes, 12, 16)).toBe('VP8X');
    expect(bytes[20]).toBe(0x04 | 0x10);
    expect((await sharp(bytes).metadata()).hasAlpha).toBe(true);
  });

  it('is read by exifreader', async () => {
    const label = sampleLabel();
    const { bytes } = await labelBytes(webp, await toBytes(gradient().webp()), label);
    const tags = ExifReader.load(bytes.buffer as ArrayBuffer, { expanded: true });
    expect(JSON.parse(String(tags.xmp?.AIGC?.value))).toEqual(label);
  });

  withTool('exiftool')('is read by ExifTool as XMP-TC260 AIGC', async () => {
    const label = sampleLabel();
    const { bytes } = await labelBytes(webp, await animated(), label);
    const json = exiftoolJson(bytes, 'webp');
    expect(JSON.parse(String(json['XMP-TC260:AIGC']))).toEqual(label);
    expect(json['ExifTool:Warning']).toBeUndefined();
  });

  it('moves a label out of the EXIF chunk into XMP', async () => {
    const input = await toBytes(
      gradient()
        .webp()
        .withExif({ IFD0: { ImageDescription: JSON.stringify(fixtureLabel), Copyright: 'keep' } }),
    );
    expect((await webp.read(bytesSource(input))).carriers.map((c) => c.carrier)).toEqual(['exif-image-description']);
    const { bytes } = await labelBytes(webp, input, sampleLabel());
    expect((await webp.read(bytesSource(bytes))).carriers.map((c) => c.carrier)).toEqual(['xmp']);
    const tags = ExifReader.load(bytes.buffer as ArrayBuffer, { expanded: true });
    expect(tags.exif?.Copyright?.description).toBe('keep');
  });
});

describe('webp reader', () => {
  itReadsSharpFixtures(webp, 'webp', 'webp', fixtureLabel);

  it('reads a file ExifTool labeled with a TC260 config (a committed fixture)', async () => {
    expect((await readLabel(webp, fixture('webp/exiftool.webp'))).label).toEqual(fixtureLabel);
  });
});

describe('webp bad input', () => {
  it('reports garbage after the RIFF container and refuses to write into it', async () => {
    const input = concat([await toBytes(gradient().webp()), utf8('garbage!')]);
    const read = await webp.read(bytesSource(input));
    expect(read.findings.map((f) => f.rule)).toEqual(['format/damaged']);
    await expect(webp.write(bytesSource(input), sampleLabel())).rejects.toThrow(/garbage/);
  });

  it('names a zero-byte file, and refuses to write into a truncated one or past a chunk size past the end', async () => {
    const good = await toBytes(gradient().webp());
    await expect(webp.read(bytesSource(new Uint8Array(0)))).rejects.toThrow(/empty/);
    await expect(webp.write(bytesSource(good.subarray(0, good.length - 10)), sampleLabel())).rejects.toBeInstanceOf(MalformedInputError);
    const bad = good.slice();
    bad[16] = 0xff;
    bad[17] = 0xff;
    await expect(webp.write(bytesSource(bad), sampleLabel())).rejects.toThrow(/past the end/);
  });
});
