import { createHash } from 'node:crypto';
import { bytesSource, concat, labelBytes, MalformedInputError, UnsafeXmlError, utf8 } from '@aigc-label/core';
import ExifReader from 'exifreader';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { describeHandlerContract, sampleLabel } from '../../../test/handler-contract.js';
import { withTool } from '../../../test/oracles.js';
import { jpeg } from '../src/jpeg/index.js';
import { EXTENDED_XMP_SIGNATURE, listSegments, makeSegment, XMP_SIGNATURE } from '../src/jpeg/segments.js';
import { exiftoolJson, fixture, gradient, hasExiftool, pixels, readLabel, toBytes } from './helpers.js';

const sample = () => toBytes(gradient().jpeg());
const fixtureLabel = sampleLabel({ ProduceID: 'fixture-0001', PropagateID: 'fixture-0001' });

/** Splices an extra segment right after SOI. */
const withSegment = (file: Uint8Array, segment: Uint8Array) => concat([file.subarray(0, 2), segment, file.subarray(2)]);

describeHandlerContract(jpeg, sample);

describe('jpeg writer', () => {
  it('leaves the decoded pixels and every non-XMP segment unchanged', async () => {
    const input = await toBytes(gradient().jpeg().withMetadata({ orientation: 6 }).withIccProfile('p3'));
    const { bytes } = await labelBytes(jpeg, input, sampleLabel());
    expect(await pixels(bytes)).toEqual(await pixels(input));
    const keep = (file: Uint8Array) =>
      (listSegments(file) ?? [])
        .filter((s) => !(s.marker === 0xe1 && file[s.dataOffset] === 0x68))
        .map((s) => Array.from(file.subarray(s.offset, s.end)).join());
    expect(keep(bytes)).toEqual(keep(input));
    const meta = await sharp(bytes).metadata();
    expect(meta.orientation).toBe(6);
    expect(meta.icc?.length).toBeGreaterThan(0);
  });

  it('puts a new XMP segment right after APP0 and the EXIF APP1', async () => {
    const input = await toBytes(gradient().jpeg().withMetadata({ orientation: 3 }));
    const { bytes } = await labelBytes(jpeg, input, sampleLabel());
    const markers = (listSegments(bytes) ?? []).map((s) => [
      s.marker,
      String.fromCharCode(...bytes.subarray(s.dataOffset, s.dataOffset + 4)),
    ]);
    const exifIndex = markers.findIndex(([m, sig]) => m === 0xe1 && sig === 'Exif');
    expect(markers[exifIndex + 1]).toEqual([0xe1, 'http']);
  });

  it('is read by exifreader', async () => {
    const label = sampleLabel();
    const { bytes } = await labelBytes(jpeg, await sample(), label);
    const tags = ExifReader.load(bytes.buffer as ArrayBuffer, { expanded: true });
    expect(JSON.parse(String(tags.xmp?.AIGC?.value))).toEqual(label);
  });

  withTool('exiftool')('is read by ExifTool as XMP-TC260 AIGC', async () => {
    const label = sampleLabel();
    const { bytes } = await labelBytes(jpeg, await sample(), label);
    const json = exiftoolJson(bytes, 'jpg');
    expect(JSON.parse(String(json['XMP-TC260:AIGC']))).toEqual(label);
    expect(json['ExifTool:Warning']).toBeUndefined();
  });

  it('keeps every other namespace of an existing packet and updates TC260:AIGC in place', async () => {
    const input = fixture('jpeg/sharp-element.jpg');
    const label = sampleLabel({ ProduceID: 'new-1', PropagateID: 'new-1' });
    const { bytes } = await labelBytes(jpeg, input, label);
    const text = new TextDecoder().decode(bytes);
    expect(text).toContain('<dc:format>keep-me</dc:format>');
    expect(text).toContain('xmlns:aigc="http://www.tc260.org.cn/ns/AIGC/1.0/"');
    expect((await readLabel(jpeg, bytes)).label).toEqual(label);
  });

  it('writes EXIF UserComment in the wrapped form only when asked, readable by exifreader', async () => {
    const label = sampleLabel();
    const plain = await labelBytes(jpeg, await sample(), label);
    expect((await jpeg.read(bytesSource(plain.bytes))).carriers.map((c) => c.carrier)).toEqual(['xmp']);
    const input = await toBytes(gradient().jpeg().withMetadata({ orientation: 8 }));
    const { bytes } = await labelBytes(jpeg, input, label, { alternativeCarrier: true });
    const read = await jpeg.read(bytesSource(bytes));
    expect(read.carriers.map((c) => [c.carrier, c.form])).toEqual([
      ['xmp', 'bare'],
      ['exif-user-comment', 'wrapped'],
    ]);
    const tags = ExifReader.load(bytes.buffer as ArrayBuffer, { expanded: true });
    const userComment = tags.exif?.UserComment as { description?: string } | undefined;
    expect(JSON.parse(String(userComment?.description))).toEqual({ AIGC: label });
    expect(tags.exif?.Orientation?.value).toBe(8);
    expect(await pixels(bytes)).toEqual(await pixels(input));
    // Labeling again without the extra moves the label back to XMP only.
    const again = await labelBytes(jpeg, bytes, label);
    expect((await jpeg.read(bytesSource(again.bytes))).carriers.map((c) => c.carrier)).toEqual(['xmp']);
  });

  it('adds IPTC DigitalSourceType beside TC260:AIGC when iptc asks for dual labeling', async () => {
    const { bytes } = await labelBytes(jpeg, await sample(), sampleLabel(), { iptc: true });
    const read = await jpeg.read(bytesSource(bytes));
    expect(read.evidence?.map((e) => [e.kind, e.detail, e.aiTrace])).toEqual([
      ['iptc-digital-source-type', 'trainedAlgorithmicMedia', true],
    ]);
    if (hasExiftool) expect(exiftoolJson(bytes, 'jpg')['XMP-iptcExt:DigitalSourceType']).toMatch(/trainedAlgorithmicMedia$/);
  });

  it('adds a c2pa/hard-binding-invalidated finding and keeps the APP11 JUMBF segment', async () => {
    const jumbf = makeSegment(
      0xeb,
      concat([utf8('JP'), Uint8Array.of(0, 1, 0, 0, 0, 1, 0, 0, 0, 40), utf8('jumbjumd'), new Uint8Array(16), utf8('c2pa\0')]),
    );
    const input = withSegment(await sample(), jumbf);
    const read = await jpeg.read(bytesSource(input));
    expect(read.evidence?.map((e) => e.kind)).toEqual(['c2pa-manifest']);
    const { bytes, findings } = await labelBytes(jpeg, input, sampleLabel());
    expect(findings.map((f) => f.rule)).toContain('c2pa/hard-binding-invalidated');
    expect(new TextDecoder('latin1').decode(bytes)).toContain(new TextDecoder('latin1').decode(jumbf));
  });
});

describe('jpeg reader', () => {
  it.each([
    ['sharp-element.jpg', 'element', 'bare', true],
    ['sharp-attribute.jpg', 'attribute', 'bare', true],
    ['sharp-wrapped.jpg', 'element', 'wrapped', true],
    ['sharp-wrong-namespace.jpg', 'element', 'bare', false],
  ])('reads %s (%s form, %s)', async (name, form, labelForm, canonical) => {
    const read = await jpeg.read(bytesSource(fixture(`jpeg/${name}`)));
    expect(read.carriers).toHaveLength(1);
    expect(read.carriers[0]).toMatchObject({ carrier: 'xmp', form: labelForm, canonical, label: fixtureLabel });
    expect(read.carriers[0].location).toContain(form);
  });

  it('reads a file ExifTool labeled with a TC260 config (a committed fixture)', async () => {
    expect((await readLabel(jpeg, fixture('jpeg/exiftool.jpg'))).label).toEqual(fixtureLabel);
  });

  it('reads EXIF ImageDescription JSON and an AIGC{...} blob in an APP segment, and replaces both on write', async () => {
    const json = JSON.stringify(fixtureLabel);
    const withDescription = await toBytes(
      gradient()
        .jpeg()
        .withExif({ IFD0: { ImageDescription: json } }),
    );
    const input = withSegment(withDescription, makeSegment(0xea, utf8(`AIGC${json}`)));
    const read = await jpeg.read(bytesSource(input));
    expect(read.carriers.map((c) => [c.carrier, c.label?.ProduceID])).toEqual([
      ['exif-image-description', 'fixture-0001'],
      ['jpeg-app-blob', 'fixture-0001'],
    ]);
    const label = sampleLabel();
    const { bytes } = await labelBytes(jpeg, input, label);
    const after = await jpeg.read(bytesSource(bytes));
    expect(after.carriers.map((c) => c.carrier)).toEqual(['xmp']);
    expect(await pixels(bytes)).toEqual(await pixels(input));
  });

  it('reads the label inside Extended XMP and moves it to the standard packet on write', async () => {
    const extended = `<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:TC260="http://www.tc260.org.cn/ns/AIGC/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:description>${'x'.repeat(70000)}</dc:description><TC260:AIGC>${JSON.stringify(fixtureLabel).replace(/"/g, '&quot;')}</TC260:AIGC></rdf:Description></rdf:RDF></x:xmpmeta>`;
    const extendedBytes = utf8(extended);
    const guid = createHash('md5').update(extendedBytes).digest('hex').toUpperCase();
    const standard = `<?xpacket begin="\uFEFF" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:xmpNote="http://ns.adobe.com/xmp/note/" xmpNote:HasExtendedXMP="${guid}"/></rdf:RDF></x:xmpmeta><?xpacket end="w"?>`;
    const piece = 60000;
    const pieces = [0, piece].map((at) => {
      const numbers = new Uint8Array(8);
      new DataView(numbers.buffer).setUint32(0, extendedBytes.length);
      new DataView(numbers.buffer).setUint32(4, at);
      return makeSegment(0xe1, concat([EXTENDED_XMP_SIGNATURE, utf8(guid), numbers, extendedBytes.subarray(at, at + piece)]));
    });
    const input = withSegment(await sample(), concat([makeSegment(0xe1, concat([XMP_SIGNATURE, utf8(standard)])), ...pieces]));
    const read = await jpeg.read(bytesSource(input));
    expect(read.carriers.map((c) => [c.location.startsWith('Extended XMP'), c.label])).toEqual([[true, fixtureLabel]]);

    const label = sampleLabel();
    const { bytes } = await labelBytes(jpeg, input, label);
    const after = await jpeg.read(bytesSource(bytes));
    expect(after.carriers.map((c) => c.location.startsWith('APP1 XMP'))).toEqual([true]);
    expect(after.findings).toEqual([]);
    expect(await pixels(bytes)).toEqual(await pixels(input));
    if (hasExiftool) {
      const json = exiftoolJson(bytes, 'jpg');
      expect(JSON.parse(String(json['XMP-TC260:AIGC']))).toEqual(label);
      expect(String(json['XMP-dc:Description'])).toHaveLength(70000);
    }
  });
});

describe('jpeg head-only reads', () => {
  /** A ByteSource over `file` that counts the bytes handed out. */
  function counting(file: Uint8Array) {
    const source = bytesSource(file);
    const counter = { bytes: 0 };
    return {
      counter,
      source: {
        size: source.size,
        read: async (offset: number, length: number) => {
          const out = await source.read(offset, length);
          counter.bytes += out.length;
          return out;
        },
      },
    };
  }

  it('reads only the segments before SOS and the last bytes, not the image data', async () => {
    const noise = new Uint8Array(1200 * 1200 * 3);
    let seed = 7;
    for (let i = 0; i < noise.length; i++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      noise[i] = seed >>> 24;
    }
    const big = await toBytes(sharp(noise, { raw: { width: 1200, height: 1200, channels: 3 } }).jpeg({ quality: 95 }));
    expect(big.length).toBeGreaterThan(1_000_000);
    const { source, counter } = counting(big);
    await jpeg.read(source);
    expect(counter.bytes).toBeLessThan(300_000);
    const { bytes } = await labelBytes(jpeg, big, sampleLabel());
    expect((await readLabel(jpeg, bytes)).label).toEqual(sampleLabel());
  });

  it('reads further when the metadata before SOS is longer than the first read', async () => {
    const filler = Array.from({ length: 6 }, () => makeSegment(0xe2, new Uint8Array(60_000).fill(0x41)));
    const input = withSegment(await sample(), concat(filler));
    const { bytes } = await labelBytes(jpeg, input, sampleLabel());
    expect((await readLabel(jpeg, bytes)).label).toEqual(sampleLabel());
    expect(await pixels(bytes)).toEqual(await pixels(input));
  });
});

describe('jpeg bad input', () => {
  it('refuses a zero-byte file, and writing into a truncated file or past a segment length past the end', async () => {
    const good = await sample();
    await expect(jpeg.read(bytesSource(new Uint8Array(0)))).rejects.toThrow(/empty/);
    await expect(jpeg.write(bytesSource(good.subarray(0, 40)), sampleLabel())).rejects.toBeInstanceOf(MalformedInputError);
    const bad = good.slice();
    bad[4] = 0xff; // APP0 length 0xFFxx, past the end
    await expect(jpeg.write(bytesSource(bad), sampleLabel())).rejects.toThrow(/past the end/);
  });

  it('refuses XMP with a DOCTYPE or entity declaration', async () => {
    const evil = `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x:xmpmeta xmlns:x="adobe:ns:meta/"/>`;
    const input = withSegment(await sample(), makeSegment(0xe1, concat([XMP_SIGNATURE, utf8(evil)])));
    await expect(jpeg.read(bytesSource(input))).rejects.toBeInstanceOf(UnsafeXmlError);
    await expect(labelBytes(jpeg, input, sampleLabel())).rejects.toBeInstanceOf(UnsafeXmlError);
  });

  it('reports a file that does not end with EOI', async () => {
    const good = await sample();
    const read = await jpeg.read(bytesSource(concat([good, utf8('garbage')])));
    expect(read.findings.map((f) => f.rule)).toEqual(['format/damaged']);
  });

  it('refuses to grow a standard XMP packet past 65502 bytes', async () => {
    const big = `<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about=""><dc:x xmlns:dc="http://purl.org/dc/elements/1.1/">${'y'.repeat(65000)}</dc:x></rdf:Description></rdf:RDF></x:xmpmeta>`;
    const input = withSegment(await sample(), makeSegment(0xe1, concat([XMP_SIGNATURE, utf8(big)])));
    await expect(jpeg.write(bytesSource(input), sampleLabel())).rejects.toThrow(/65502/);
  });
});
