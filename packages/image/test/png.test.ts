import { bytesSource, concat, labelBytes, MalformedInputError, UnsafeXmlError, utf8 } from '@aigc-label/core';
import ExifReader from 'exifreader';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { describeHandlerContract, sampleLabel } from '../../../test/handler-contract.js';
import { withTool } from '../../../test/oracles.js';
import { listChunks, makeChunk, makeItxt, makeText } from '../src/png/chunks.js';
import { png } from '../src/png/index.js';
import { exiftoolJson, fixture, gradient, itReadsSharpFixtures, pixels, readLabel, toBytes } from './helpers.js';

const fixtureLabel = sampleLabel({ ProduceID: 'fixture-0001', PropagateID: 'fixture-0001' });
const sample = () => toBytes(gradient().png());

/** Inserts chunks right after IHDR. */
async function withChunks(file: Uint8Array, ...chunks: Uint8Array[]): Promise<Uint8Array> {
  const ihdrEnd = (await listChunks(bytesSource(file))).chunks[0].end;
  return concat([file.subarray(0, ihdrEnd), ...chunks, file.subarray(ihdrEnd)]);
}

describeHandlerContract(png, sample);

describe('png writer', () => {
  it('keeps the pixels, the ICC profile and every non-XMP chunk byte for byte', async () => {
    const input = await toBytes(gradient().png().withIccProfile('p3'));
    const { bytes } = await labelBytes(png, input, sampleLabel());
    expect(await pixels(bytes)).toEqual(await pixels(input));
    const others = async (file: Uint8Array) =>
      (await listChunks(bytesSource(file))).chunks
        .filter((c) => c.type !== 'iTXt')
        .map((c) => Array.from(file.subarray(c.offset, c.end)).join());
    expect(await others(bytes)).toEqual(await others(input));
    expect((await sharp(bytes).metadata()).icc?.length).toBeGreaterThan(0);
  });

  it('is read by exifreader', async () => {
    const label = sampleLabel();
    const { bytes } = await labelBytes(png, await sample(), label);
    const tags = ExifReader.load(bytes.buffer as ArrayBuffer, { expanded: true });
    expect(JSON.parse(String(tags.xmp?.AIGC?.value))).toEqual(label);
  });

  withTool('exiftool')('is read by ExifTool as XMP-TC260 AIGC', async () => {
    const label = sampleLabel();
    const { bytes } = await labelBytes(png, await sample(), label);
    const json = exiftoolJson(bytes, 'png');
    expect(JSON.parse(String(json['XMP-TC260:AIGC']))).toEqual(label);
    expect(json['ExifTool:Warning']).toBeUndefined();
  });

  it('replaces a tEXt AIGC label (Doubao style) by the XMP one, and writes tEXt only when asked', async () => {
    const input = await withChunks(await sample(), makeText('AIGC', JSON.stringify(fixtureLabel)));
    expect((await png.read(bytesSource(input))).carriers.map((c) => c.carrier)).toEqual(['png-text']);
    const label = sampleLabel();
    const plain = await labelBytes(png, input, label);
    expect((await png.read(bytesSource(plain.bytes))).carriers.map((c) => c.carrier)).toEqual(['xmp']);
    const both = await labelBytes(png, input, label, { alternativeCarrier: true });
    expect((await png.read(bytesSource(both.bytes))).carriers.map((c) => [c.carrier, c.form])).toEqual([
      ['xmp', 'bare'],
      ['png-text', 'wrapped'],
    ]);
  });

  it('replaces sharp’s zTXt XMP chunk with one uncompressed iTXt, keeping its other properties', async () => {
    const { bytes } = await labelBytes(png, fixture('png/sharp-element.png'), sampleLabel());
    const texts = (await listChunks(bytesSource(bytes))).chunks.filter((c) => c.type === 'zTXt' || c.type === 'iTXt');
    expect(texts.map((c) => c.type)).toEqual(['iTXt']);
    expect(new TextDecoder().decode(bytes)).toContain('<dc:format>keep-me</dc:format>');
  });
});

describe('png reads through the ByteSource', () => {
  it('reads chunk headers and metadata chunks only, never the image data', async () => {
    const big = await toBytes(gradient(1200, 1200).png({ compressionLevel: 0 }));
    expect(big.length).toBeGreaterThan(3_000_000);
    const { bytes } = await labelBytes(png, big, sampleLabel());
    const source = bytesSource(bytes);
    let handedOut = 0;
    const counting = {
      size: source.size,
      read: async (offset: number, length: number) => {
        const out = await source.read(offset, length);
        handedOut += out.length;
        return out;
      },
    };
    expect((await readLabel(png, bytes)).label).toEqual(sampleLabel());
    await png.read(counting);
    expect(handedOut).toBeLessThan(100_000);
  });
});

describe('png reader', () => {
  itReadsSharpFixtures(png, 'png', 'png', fixtureLabel);

  it('reads a file ExifTool labeled with a TC260 config (a committed fixture)', async () => {
    expect((await readLabel(png, fixture('png/exiftool.png'))).label).toEqual(fixtureLabel);
  });
});

describe('png bad input', () => {
  it('refuses empty and truncated files and chunk lengths past the end', async () => {
    const good = await sample();
    await expect(png.read(bytesSource(new Uint8Array(0)))).rejects.toThrow(/empty/);
    await expect(png.write(bytesSource(good.subarray(0, good.length - 3)), sampleLabel())).rejects.toThrow(/truncated/);
    const bad = good.slice();
    bad[8] = 0x7f; // IHDR length
    await expect(png.write(bytesSource(bad), sampleLabel())).rejects.toBeInstanceOf(MalformedInputError);
  });

  it('reports a bad CRC on read and refuses to write', async () => {
    const bad = (await sample()).slice();
    bad[29] ^= 0xff; // IHDR CRC
    expect((await png.read(bytesSource(bad))).findings.map((f) => f.rule)).toEqual(['format/damaged']);
    await expect(png.write(bytesSource(bad), sampleLabel())).rejects.toThrow(/bad CRC/);
  });

  it('refuses to write when an image data CRC is bad (reads skip those CRCs)', async () => {
    const bad = (await sample()).slice();
    const idat = (await listChunks(bytesSource(bad))).chunks.find((c) => c.type === 'IDAT') as { end: number };
    bad[idat.end - 1] ^= 0xff;
    expect((await png.read(bytesSource(bad))).carriers).toEqual([]);
    await expect(png.write(bytesSource(bad), sampleLabel())).rejects.toThrow(/IDAT at byte \d+ has a bad CRC/);
  });

  it('refuses XMP with a DOCTYPE or entity declaration', async () => {
    const evil = utf8('<!DOCTYPE x [<!ENTITY a "aaaa">]><x:xmpmeta xmlns:x="adobe:ns:meta/">&a;</x:xmpmeta>');
    const input = await withChunks(await sample(), makeItxt('XML:com.adobe.xmp', evil));
    await expect(png.read(bytesSource(input))).rejects.toBeInstanceOf(UnsafeXmlError);
  });

  it('reports bytes after IEND', async () => {
    const input = concat([await sample(), makeChunk('tEXt', utf8('x\0y'))]);
    expect((await png.read(bytesSource(input))).findings.map((f) => f.message)).toEqual(['15 bytes follow IEND']);
  });
});
