import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ascii,
  bytesSource,
  concat,
  FormatRegistry,
  indexOfBytes,
  isobmff,
  labelBytes,
  MalformedInputError,
  UnsupportedFormatError,
  utf8,
} from '@aigc-label/core';
import ExifReader from 'exifreader';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { describeHandlerContract, sampleLabel } from '../../../test/handler-contract.js';
import { withTool } from '../../../test/oracles.js';
import { avif, heif } from '../src/heif/index.js';
import { fullBox, parseIloc } from '../src/heif/items.js';
import { imageHandlers } from '../src/index.js';
import { exiftoolJson, fixture, gradient, hasExiftool, itReadsSharpFixtures, pixels, readLabel, toBytes } from './helpers.js';

const fixtureLabel = sampleLabel({ ProduceID: 'fixture-0001', PropagateID: 'fixture-0001' });
const sample = () => toBytes(gradient().avif({ effort: 0 }));

/** The same file with the ftyp brands of a HEIC still image. */
async function heicBranded(): Promise<Uint8Array> {
  const file = (await sample()).slice();
  file.set(ascii('heic'), 8);
  file.set(ascii('mif1heic'), 16);
  return file;
}

/** Moves the top-level mdat in front of meta, rewriting iloc offsets by hand, to test offsets before meta. */
function metaAfterMdat(file: Uint8Array): Uint8Array {
  const top = isobmff.listBoxesIn(file, 0, file.length, 'avif');
  const [ftyp, meta, mdat] = ['ftyp', 'meta', 'mdat'].map((t) => top.find((b) => b.type === t) as isobmff.Box);
  const out = concat([file.subarray(ftyp.offset, ftyp.end), file.subarray(mdat.offset, mdat.end), file.subarray(meta.offset, meta.end)]);
  const moved = out.slice();
  const newMeta = isobmff.listBoxesIn(moved, 0, moved.length, 'avif').find((b) => b.type === 'meta') as isobmff.Box;
  const iloc = isobmff
    .listBoxesIn(moved, fullBox(moved, newMeta).payload, newMeta.end, 'avif')
    .find((b) => b.type === 'iloc') as isobmff.Box;
  const parsed = parseIloc(moved, iloc);
  expect(parsed.baseOffsetSize).toBe(4);
  // Walk the serialized items: each base offset moves back by the size of meta.
  let at = fullBox(moved, iloc).payload + 4;
  const view = new DataView(moved.buffer);
  for (const item of parsed.items) {
    at += 2 + (parsed.version > 0 ? 2 : 0) + 2;
    view.setUint32(at, item.baseOffset - meta.size);
    at += 4 + 2 + item.extents.length * (parsed.offsetSize + parsed.lengthSize);
  }
  return moved;
}

describeHandlerContract(avif, sample);
describeHandlerContract(heif, heicBranded);

describe('heif/avif writer', () => {
  it.each([
    ['AVIF (meta before mdat)', sample],
    ['AVIF (mdat before meta)', async () => metaAfterMdat(await sample())],
    ['AVIF with alpha', () => toBytes(gradient().ensureAlpha(0.4).avif({ effort: 0 }))],
    ['AVIF with an XMP item already', async () => fixture('heif/sharp-element.avif')],
  ])('%s: keeps the pixels and links a mime XMP item to the primary item', async (_name, make) => {
    const input = await make();
    const { bytes } = await labelBytes(avif, input, sampleLabel());
    expect(await pixels(bytes)).toEqual(await pixels(input));
    const read = await avif.read(bytesSource(bytes));
    expect(read.carriers).toHaveLength(1);
    // The replaced packet's old bytes do not linger unreferenced in the file (one label per file).
    expect(indexOfBytes(bytes, ascii('fixture-0001'))).toBe(-1);
  });

  it('sniffs HEIC and AVIF apart', async () => {
    const a = await sample();
    const h = await heicBranded();
    expect([avif.sniff(a), heif.sniff(a), avif.sniff(h), heif.sniff(h)]).toEqual([true, false, false, true]);
  });

  it('overwrites its own earlier packet at the end of the file instead of appending another', async () => {
    const first = await labelBytes(avif, await sample(), sampleLabel({ ProduceID: 'first-0001', PropagateID: 'first-0001' }));
    const second = await labelBytes(avif, first.bytes, sampleLabel({ ProduceID: 'again-0002', PropagateID: 'again-0002' }));
    expect(second.bytes.length).toBe(first.bytes.length);
    expect(Buffer.from(second.bytes).includes('first-0001')).toBe(false);
    expect(await pixels(second.bytes)).toEqual(await pixels(first.bytes));
  });

  it('is read by exifreader', async () => {
    const label = sampleLabel();
    const { bytes } = await labelBytes(avif, await sample(), label);
    const tags = ExifReader.load(bytes.buffer as ArrayBuffer, { expanded: true });
    expect(JSON.parse(String(tags.xmp?.AIGC?.value))).toEqual(label);
  });

  withTool('exiftool')('is read by ExifTool as XMP-TC260 AIGC, for both layouts', async () => {
    const label = sampleLabel();
    for (const input of [await sample(), metaAfterMdat(await sample()), fixture('heif/sharp-attribute.avif')]) {
      const { bytes } = await labelBytes(avif, input, label);
      const json = exiftoolJson(bytes, 'avif');
      expect(JSON.parse(String(json['XMP-TC260:AIGC']))).toEqual(label);
      expect(json['ExifTool:Warning']).toBeUndefined();
    }
  });
});

describe('heif/avif reads through the ByteSource', () => {
  it('reads box headers, meta and the XMP item only, never the coded image', async () => {
    const noise = new Uint8Array(600 * 600 * 3);
    let seed = 11;
    for (let i = 0; i < noise.length; i++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      noise[i] = seed >>> 24;
    }
    const big = await toBytes(sharp(noise, { raw: { width: 600, height: 600, channels: 3 } }).avif({ effort: 0, quality: 90 }));
    expect(big.length).toBeGreaterThan(200_000);
    const { bytes } = await labelBytes(avif, big, sampleLabel());
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
    await avif.read(counting);
    await avif.write(counting, sampleLabel());
    expect(handedOut).toBeLessThan(20_000);
  });
});

describe('heif/avif Exif item', () => {
  it('reads a label in the Exif item and moves it into XMP, keeping the other EXIF tags', async () => {
    const input = await toBytes(
      gradient()
        .avif({ effort: 0 })
        .withExif({ IFD0: { ImageDescription: JSON.stringify(fixtureLabel), Copyright: 'keep' } }),
    );
    expect((await avif.read(bytesSource(input))).carriers.map((c) => [c.carrier, c.label])).toEqual([
      ['exif-image-description', fixtureLabel],
    ]);
    const { bytes } = await labelBytes(avif, input, sampleLabel());
    expect((await avif.read(bytesSource(bytes))).carriers.map((c) => c.carrier)).toEqual(['xmp']);
    expect(await pixels(bytes)).toEqual(await pixels(input));
    const tags = ExifReader.load(bytes.buffer as ArrayBuffer, { expanded: true });
    expect(tags.exif?.Copyright?.description).toBe('keep');
    expect(tags.exif?.ImageDescription).toBeUndefined();
    expect(indexOfBytes(bytes, ascii('fixture-0001'))).toBe(-1);
  });
});

describe('heif/avif reader', () => {
  itReadsSharpFixtures(avif, 'heif', 'avif', fixtureLabel);

  it('reads a file ExifTool labeled with a TC260 config (a committed fixture) and relabels it', async () => {
    const input = fixture('heif/exiftool.avif');
    expect((await readLabel(avif, input)).label).toEqual(fixtureLabel);
    const label = sampleLabel();
    const { bytes } = await labelBytes(avif, input, label);
    expect((await avif.read(bytesSource(bytes))).carriers.map((c) => c.label)).toEqual([label]);
    expect(await pixels(bytes)).toEqual(await pixels(input));
    // ExifTool itself reads the relabeled file where it is installed.
    if (hasExiftool) expect(JSON.parse(String(exiftoolJson(bytes, 'avif')['XMP-TC260:AIGC']))).toEqual(label);
  });

  it('reports a C2PA uuid box and warns that writing invalidates it', async () => {
    const c2pa = isobmff.makeBox('uuid', [
      Uint8Array.from([0xd8, 0xfe, 0xc3, 0xd6, 0x1b, 0x0e, 0x48, 0x3c, 0x92, 0x97, 0x58, 0x28, 0x87, 0x7e, 0xc4, 0x81]),
      utf8('manifest'),
    ]);
    const input = concat([await sample(), c2pa]);
    expect((await readLabel(avif, input)).label).toBeNull();
    expect((await avif.read(bytesSource(input))).evidence?.map((e) => e.kind)).toEqual(['c2pa-manifest']);
    const { findings } = await labelBytes(avif, input, sampleLabel());
    expect(findings.map((f) => f.rule)).toContain('c2pa/hard-binding-invalidated');
  });
});

describe('heif/avif bad input', () => {
  it('names an empty file, refuses to write into a truncated one, and names the sequences it cannot write', async () => {
    await expect(avif.read(bytesSource(new Uint8Array(0)))).rejects.toThrow(/empty/);
    const good = await sample();
    await expect(avif.write(bytesSource(good.subarray(0, good.length - 5)), sampleLabel())).rejects.toBeInstanceOf(MalformedInputError);
    const fragmented = concat([good, isobmff.makeBox('moov', new Uint8Array(0)), isobmff.makeBox('moof', new Uint8Array(0))]);
    await expect(avif.write(bytesSource(fragmented), sampleLabel())).rejects.toThrow(/fragmented image sequences .* not supported yet/);
    const ftyp = isobmff.listBoxesIn(good, 0, good.length, 'avif')[0];
    const metaless = concat([good.subarray(0, ftyp.end), isobmff.makeBox('moov', new Uint8Array(0))]);
    expect((await avif.read(bytesSource(metaless))).carriers).toEqual([]);
    await expect(avif.write(bytesSource(metaless), sampleLabel())).rejects.toThrow(
      new UnsupportedFormatError('avif: an image sequence without a primary image (no meta box) is not supported yet'),
    );
  });
});

describe('avif image sequences (issue 13 item 4)', () => {
  const sequence = () => fixture('heif/ffmpeg-sequence.avif');
  /** ffmpeg's per-packet MD5s of the track: equal only if every sample offset still points at its bytes. */
  const packets = (bytes: Uint8Array) => {
    const dir = mkdtempSync(join(tmpdir(), 'aigc-sequence-'));
    try {
      writeFileSync(join(dir, 'in.avif'), bytes);
      const out = execFileSync(
        '/usr/bin/ffmpeg',
        ['-v', 'error', '-i', join(dir, 'in.avif'), '-map', '0:v', '-c', 'copy', '-f', 'framemd5', '-'],
        {
          encoding: 'utf8',
        },
      );
      return out.split('\n').filter((line) => /^\d/.test(line));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  /** The bytes iloc points at for an item stored in the file. */
  const itemBytes = (file: Uint8Array, id: number) => {
    const meta = isobmff.listBoxesIn(file, 0, file.length, 'avif').find((b) => b.type === 'meta') as isobmff.Box;
    const ilocBox = isobmff.listBoxesIn(file, fullBox(file, meta).payload, meta.end, 'avif').find((b) => b.type === 'iloc') as isobmff.Box;
    const item = parseIloc(file, ilocBox).items.find((i) => i.id === id);
    return concat((item?.extents ?? []).map((e) => file.subarray(item!.baseOffset + e.offset, item!.baseOffset + e.offset + e.length)));
  };

  it('sniffs an avis or msf1-major sequence as AVIF, never as HEIC', () => {
    const file = sequence().slice();
    expect([avif.sniff(file), heif.sniff(file)]).toEqual([true, false]);
    file.set(ascii('msf1'), 8); // a generic major brand; avis among the compatible ones
    expect([avif.sniff(file), heif.sniff(file)]).toEqual([true, false]);
  });

  it('takes the sequence extensions without an extension-mismatch finding', () => {
    const registry = new FormatRegistry(imageHandlers);
    const head = sequence().subarray(0, 4096);
    for (const name of ['x.avifs', 'x.avif']) {
      const { handler, findings } = registry.resolve(head, name);
      expect([handler.id, findings]).toEqual(['avif', []]);
    }
    expect(registry.byExtension('heics')?.id).toBe('heif');
  });

  it('labels the primary item, moving the chunk offsets of the moov track with the bytes they point at', async () => {
    const input = sequence();
    const label = sampleLabel();
    const { bytes } = await labelBytes(avif, input, label);
    expect((await readLabel(avif, bytes)).label).toEqual(label);
    expect(itemBytes(bytes, 1)).toEqual(itemBytes(input, 1)); // the primary image (sharp cannot decode a sequence)
    const relabeled = sampleLabel({ ProduceID: 'sequence-0002' });
    const again = await labelBytes(avif, bytes, relabeled);
    expect((await avif.read(bytesSource(again.bytes))).carriers.map((c) => c.label)).toEqual([relabeled]);
  });

  withTool('ffmpeg')('keeps every packet of the track (ffmpeg framemd5)', async () => {
    const input = sequence();
    const { bytes } = await labelBytes(avif, input, sampleLabel());
    const before = packets(input);
    expect(before.length).toBe(3);
    expect(packets(bytes)).toEqual(before);
  });

  withTool('exiftool')('is read by ExifTool', async () => {
    const label = sampleLabel();
    const { bytes } = await labelBytes(avif, sequence(), label);
    expect(JSON.parse(String(exiftoolJson(bytes, 'avif')['XMP-TC260:AIGC']))).toEqual(label);
  });
});
