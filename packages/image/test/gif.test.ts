import { bytesSource, concat, labelBytes, MalformedInputError, utf8 } from '@aigc-label/core';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { describeHandlerContract, sampleLabel } from '../../../test/handler-contract.js';
import { withTool } from '../../../test/oracles.js';
import { gif, listBlocks } from '../src/gif/index.js';
import { exiftoolJson, fixture, gradient, pixels, readLabel, toBytes } from './helpers.js';

const fixtureLabel = sampleLabel({ ProduceID: 'fixture-0001', PropagateID: 'fixture-0001' });

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
  return toBytes(sharp(frames, { join: { animated: true } }).gif({ loop: 0, delay: [80, 80, 80] }));
}

const indexOf = (haystack: Uint8Array, text: string) => Buffer.from(haystack).indexOf(text);

describeHandlerContract(gif, () => toBytes(gradient().gif()));

describe('gif writer', () => {
  it.each([
    ['still', () => toBytes(gradient().gif())],
    ['animated', animated],
  ])('%s: keeps every frame, the loop count and the delays', async (_name, make) => {
    const input = await make();
    const { bytes } = await labelBytes(gif, input, sampleLabel());
    expect(await pixels(bytes)).toEqual(await pixels(input));
    const before = await sharp(input, { animated: true }).metadata();
    const after = await sharp(bytes, { animated: true }).metadata();
    expect([after.pages, after.loop, after.delay]).toEqual([before.pages, before.loop, before.delay]);
  });

  it('places the XMP extension after NETSCAPE2.0 and before the first image, ending in the magic trailer', async () => {
    const { bytes } = await labelBytes(gif, await animated(), sampleLabel());
    const netscape = indexOf(bytes, 'NETSCAPE2.0');
    const xmp = indexOf(bytes, 'XMP DataXMP');
    expect(netscape).toBeGreaterThan(0);
    expect(xmp).toBeGreaterThan(netscape);
    const trailerEnd = Buffer.from(bytes).indexOf(Uint8Array.of(3, 2, 1, 0, 0), xmp) + 5;
    // The first frame's graphic control extension follows the XMP block, then its image.
    expect([bytes[trailerEnd], bytes[trailerEnd + 1], bytes[trailerEnd + 8]]).toEqual([0x21, 0xf9, 0x2c]);
  });

  it('upgrades a GIF87a header to GIF89a', async () => {
    const input = (await toBytes(gradient().gif())).slice();
    input.set(utf8('87a'), 3);
    const { bytes } = await labelBytes(gif, input, sampleLabel());
    expect(Buffer.from(bytes.subarray(0, 6)).toString()).toBe('GIF89a');
    expect(await pixels(bytes)).toEqual(await pixels(input));
  });

  withTool('exiftool')('is read by ExifTool as XMP-TC260 AIGC', async () => {
    const label = sampleLabel();
    const { bytes } = await labelBytes(gif, await animated(), label);
    const json = exiftoolJson(bytes, 'gif');
    expect(JSON.parse(String(json['XMP-TC260:AIGC']))).toEqual(label);
    expect(json['ExifTool:Warning']).toBeUndefined();
  });
});

describe('gif reader', () => {
  it('reads a file ExifTool labeled with a TC260 config (a committed fixture) and relabels it in place', async () => {
    const input = fixture('gif/exiftool.gif');
    expect((await readLabel(gif, input)).label).toEqual(fixtureLabel);
    const { bytes } = await labelBytes(gif, input, sampleLabel());
    expect((await gif.read(bytesSource(bytes))).carriers).toHaveLength(1);
    expect(bytes.length - input.length).toBeLessThan(200);
  });
});

describe('gif bad input', () => {
  it('reports garbage after the trailer and refuses to write into it', async () => {
    const input = concat([await toBytes(gradient().gif()), utf8('garbage')]);
    expect((await gif.read(bytesSource(input))).findings.map((f) => f.message)).toEqual(['7 bytes of garbage follow the GIF trailer']);
    await expect(gif.write(bytesSource(input), sampleLabel())).rejects.toThrow(/garbage/);
  });

  it('reads an XMP extension without its magic trailer as damaged, and refuses to write into it (fuzz finding)', async () => {
    const good = await toBytes(gradient().gif());
    const packet = utf8(
      `<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/></x:xmpmeta>`,
    );
    // Header, then the packet as one data sub-block and a terminator: no magic trailer.
    const extension = concat([Uint8Array.of(0x21, 0xff, 11), utf8('XMP DataXMP'), Uint8Array.of(packet.length), packet, Uint8Array.of(0)]);
    const at = listBlocks(good).streamStart; // after the global colour table
    const input = concat([good.subarray(0, at), extension, good.subarray(at)]);
    const read = await gif.read(bytesSource(input));
    expect(read.findings.map((f) => [f.rule, f.message])).toEqual([
      ['format/damaged', `XMP extension at byte ${at} has no XMP magic trailer`],
    ]);
    await expect(gif.write(bytesSource(input), sampleLabel())).rejects.toThrow(/no XMP magic trailer \(damaged\); refusing to write/);
  });

  it('refuses to write into a truncated file, and names an empty one', async () => {
    const good = await toBytes(gradient().gif());
    await expect(gif.write(bytesSource(good.subarray(0, good.length - 1)), sampleLabel())).rejects.toThrow(/truncated/);
    await expect(gif.write(bytesSource(good.subarray(0, 30)), sampleLabel())).rejects.toBeInstanceOf(MalformedInputError);
    await expect(gif.read(bytesSource(new Uint8Array(0)))).rejects.toThrow(/empty/);
  });
});
