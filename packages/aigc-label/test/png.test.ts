import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeBare } from '@aigc-label/core';
import ExifReader from 'exifreader';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { withTool } from '../../../test/oracles.js';
import { detectBuffer, labelBuffer } from '../src/index.js';

/**
 * The foundation's end-to-end PNG promise: pixels and every non-XMP chunk unchanged,
 * and third-party readers see the same seven fields.
 */
const PRODUCER = '001191440300708461136T1XGW3';

function chunks(png: Uint8Array): { type: string; bytes: Buffer }[] {
  const b = Buffer.from(png);
  const out: { type: string; bytes: Buffer }[] = [];
  for (let o = 8; o < b.length; ) {
    const len = b.readUInt32BE(o);
    out.push({ type: b.toString('latin1', o + 4, o + 8), bytes: b.subarray(o, o + 12 + len) });
    o += 12 + len;
  }
  return out;
}

const source = () =>
  sharp({ create: { width: 40, height: 30, channels: 4, background: { r: 200, g: 10, b: 90, alpha: 0.5 } } })
    .withIccProfile('p3')
    .withExif({ IFD0: { Artist: 'someone' } })
    .png()
    .toBuffer();

describe('PNG end to end', () => {
  it('keeps pixels and every non-XMP chunk byte-identical', async () => {
    const input = new Uint8Array(await source());
    const { bytes } = await labelBuffer(input, { producer: PRODUCER, explicit: false, produceId: 'png-1' });
    const [a, b] = await Promise.all([sharp(input).raw().toBuffer(), sharp(bytes).raw().toBuffer()]);
    expect(b.equals(a)).toBe(true);
    const before = chunks(input);
    const after = chunks(bytes).filter((c) => c.type !== 'iTXt');
    expect(after.map((c) => c.bytes.toString('hex'))).toEqual(before.map((c) => c.bytes.toString('hex')));
    const itxt = chunks(bytes).findIndex((c) => c.type === 'iTXt');
    expect(itxt).toBeLessThan(chunks(bytes).findIndex((c) => c.type === 'IDAT'));
  });

  it('is read by exifreader as the same seven fields', async () => {
    const { bytes, report } = await labelBuffer(new Uint8Array(await source()), { producer: PRODUCER, explicit: false });
    const tags = ExifReader.load(Buffer.from(bytes), { expanded: true });
    const xmp = tags.xmp as Record<string, { value: string }> | undefined;
    expect(xmp?.AIGC?.value).toBe(encodeBare(report.label));
  });

  it('updates an existing XMP packet instead of replacing it', async () => {
    const xmp =
      '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">' +
      '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:format>image/png</dc:format></rdf:Description></rdf:RDF></x:xmpmeta>';
    const input = new Uint8Array(
      await sharp(await source())
        .withXmp(xmp)
        .png()
        .toBuffer(),
    );
    const { bytes } = await labelBuffer(input, { producer: PRODUCER, explicit: false });
    const text = Buffer.from(bytes).toString('utf8');
    expect(text).toContain('<dc:format>image/png</dc:format>');
    const report = await detectBuffer(bytes);
    expect(report.carriers).toHaveLength(1);
    expect(report.label?.ContentProducer).toBe(PRODUCER);
  });

  it('reads tEXt/zTXt/iTXt keywords containing AIGC and replaces them on write', async () => {
    const label = (await labelBuffer(new Uint8Array(await source()), { producer: PRODUCER, explicit: false })).report.label;
    const { bytes: withText } = await labelBuffer(new Uint8Array(await source()), {
      producer: PRODUCER,
      explicit: false,
      label,
      alternativeCarrier: true,
    });
    const read = await detectBuffer(withText);
    expect(read.carriers.map((c) => c.carrier).sort()).toEqual(['png-text', 'xmp']);
    expect(read.carriers.find((c) => c.carrier === 'png-text')?.form).toBe('wrapped');
    const relabeled = await labelBuffer(withText, { producer: PRODUCER, explicit: false });
    expect((await detectBuffer(relabeled.bytes)).carriers.map((c) => c.carrier)).toEqual(['xmp']);
  });

  withTool('exiftool')('is reported by ExifTool under the TC260 AIGC tag', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'aigc-exiftool-'));
    try {
      const { bytes, report } = await labelBuffer(new Uint8Array(await source()), { producer: PRODUCER, explicit: false });
      const file = join(dir, 'x.png');
      await writeFile(file, bytes);
      const [tags] = JSON.parse(execFileSync('/usr/bin/exiftool', ['-j', '-G1', '-XMP-TC260:all', file], { encoding: 'utf8' }));
      expect(tags['XMP-TC260:Aigc'] ?? tags['XMP-TC260:AIGC']).toBe(encodeBare(report.label));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
