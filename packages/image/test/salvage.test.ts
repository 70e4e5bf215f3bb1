/**
 * Salvage reading (issue 25 item 2) and the carriers other tools write (items 4 and 6), per image
 * format: a damaged container whose label carrier is intact is read, with a `format/damaged`
 * finding naming the damage, and writing into it is refused with a MalformedInputError. ExifTool
 * agrees with the label we salvage where it reads the damaged file too.
 */

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import {
  ascii,
  buildXmpPacket,
  bytesSource,
  concat,
  encodeBare,
  type FormatHandler,
  isobmff,
  labelBytes,
  MalformedInputError,
  summarizeCarriers,
  utf8,
} from '@aigc-label/core';
import { describe, expect, it } from 'vitest';
import { sampleLabel } from '../../../test/handler-contract.js';
import { withTool } from '../../../test/oracles.js';
import { gif } from '../src/gif/index.js';
import { avif } from '../src/heif/index.js';
import { imageHandlers } from '../src/index.js';
import { jpeg } from '../src/jpeg/index.js';
import { listSegments } from '../src/jpeg/segments.js';
import { listChunks, makeChunk, makeText } from '../src/png/chunks.js';
import { png } from '../src/png/index.js';
import { webp } from '../src/webp/index.js';
import { EXIFTOOL, EXIFTOOL_TC260_CONFIG, formatSamples, gradient, toBytes } from './helpers.js';

const label = sampleLabel();

/** The label ExifTool reads from a damaged file (it may exit with status 1 on a "File format error" after reading it). */
function exiftoolLabel(bytes: Uint8Array, extension: string): unknown {
  const dir = mkdtempSync(join(tmpdir(), 'aigc-exiftool-'));
  try {
    writeFileSync(join(dir, `damaged.${extension}`), bytes);
    writeFileSync(join(dir, 'tc260.config'), EXIFTOOL_TC260_CONFIG);
    const run = spawnSync(EXIFTOOL, ['-config', join(dir, 'tc260.config'), '-j', '-G1', '-a', join(dir, `damaged.${extension}`)], {
      encoding: 'utf8',
    });
    const value = JSON.parse(run.stdout)[0]['XMP-TC260:AIGC'];
    return value === undefined ? undefined : JSON.parse(String(value));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function read(handler: FormatHandler, bytes: Uint8Array) {
  const result = await handler.read(bytesSource(bytes));
  return { ...result, summary: summarizeCarriers(result) };
}

const damage = (result: { findings: readonly { rule: string; message: string }[] }) =>
  result.findings.filter((f) => f.rule === 'format/damaged').map((f) => f.message);

/** Reads a damaged file: the label comes back with a damage finding matching `named`, and a write is refused. */
async function expectSalvaged(handler: FormatHandler, bytes: Uint8Array, named: RegExp) {
  const result = await read(handler, bytes);
  expect(result.summary.label).toEqual(label);
  expect(damage(result).join('\n')).toMatch(named);
  await expect(handler.write(bytesSource(bytes), label)).rejects.toBeInstanceOf(MalformedInputError);
  return result;
}

describe('png salvage', () => {
  const labeled = async () => (await labelBytes(png, await toBytes(gradient().png()), label)).bytes;
  const chunkOf = async (bytes: Uint8Array, type: string) => {
    const c = (await listChunks(bytesSource(bytes))).chunks.find((x) => x.type === type);
    if (!c) throw new Error(`no ${type}`);
    return c;
  };

  it('reads the chunks before a truncation (a partial upload)', async () => {
    const bytes = await labeled();
    const idat = await chunkOf(bytes, 'IDAT');
    await expectSalvaged(png, bytes.subarray(0, idat.offset + 20), /truncated: chunk IDAT/);
  });

  it('walks the chunks when IHDR is missing or not first', async () => {
    const bytes = await labeled();
    const ihdr = await chunkOf(bytes, 'IHDR');
    const withoutIhdr = concat([bytes.subarray(0, ihdr.offset), bytes.subarray(ihdr.end)]);
    await expectSalvaged(png, withoutIhdr, /the first chunk is \w{4}, not IHDR/);
  });

  it('reads a label chunk whose CRC is bad, and stops at a chunk with an invalid type', async () => {
    const bytes = (await labeled()).slice();
    const itxt = await chunkOf(bytes, 'iTXt');
    bytes[itxt.end - 1] ^= 0xff;
    const result = await read(png, bytes);
    expect(result.summary.label).toEqual(label);
    expect(damage(result)).toEqual([`chunk iTXt at byte ${itxt.offset} has a bad CRC`]);
    await expect(png.write(bytesSource(bytes), label)).rejects.toThrow(/bad CRC; refusing to write/);

    const broken = (await labeled()).slice();
    const idat = await chunkOf(broken, 'IDAT');
    broken.set([0, 0, 0, 0], idat.offset + 4); // type of IDAT: four NULs
    await expectSalvaged(png, broken, /chunk at offset \d+ has an invalid type/);
  });

  withTool('exiftool')('agrees with ExifTool on a truncated file', async () => {
    const bytes = await labeled();
    const idat = await chunkOf(bytes, 'IDAT');
    const cut = bytes.subarray(0, idat.offset + 20);
    expect(exiftoolLabel(cut, 'png')).toEqual((await read(png, cut)).summary.label);
  });
});

describe('png text chunks as other tools write them', () => {
  const withChunk = async (chunk: Uint8Array) => {
    const file = await toBytes(gradient().png());
    const ihdrEnd = (await listChunks(bytesSource(file))).chunks[0].end;
    return concat([file.subarray(0, ihdrEnd), chunk, file.subarray(ihdrEnd)]);
  };
  const tEXt = (keyword: string, value: Uint8Array) => makeChunk('tEXt', concat([utf8(keyword), Uint8Array.of(0), value]));

  it('decodes UTF-8 in tEXt as UTF-8, non-canonical, and keeps Latin-1 as Latin-1', async () => {
    const chinese = sampleLabel({ ContentProducer: '中文生成服务' });
    const utf8Read = await read(png, await withChunk(tEXt('AIGC', utf8(JSON.stringify(chinese)))));
    expect(utf8Read.carriers.map((c) => [c.label?.ContentProducer, c.canonical])).toEqual([['中文生成服务', false]]);
    expect(utf8Read.carriers[0].findings.map((f) => f.rule)).toContain('carrier/non-canonical');

    const latin1 = Uint8Array.from(`{"Label":"1","ContentProducer":"Caf\xe9","ProduceID":"x"}`, (c) => c.charCodeAt(0));
    const latin1Read = await read(png, await withChunk(tEXt('AIGC', latin1)));
    expect(latin1Read.carriers[0].raw).toContain('Café');
    expect(latin1Read.carriers[0].findings.map((f) => f.rule)).not.toContain('carrier/non-canonical');
  });

  it('reports an empty AIGC chunk as an empty carrier', async () => {
    const result = await read(png, await withChunk(makeText('AIGC', '  ')));
    expect(result.carriers.map((c) => [c.carrier, c.label])).toEqual([['png-text', null]]);
    expect(result.carriers[0].findings.map((f) => f.rule)).toContain('carrier/empty');
  });

  it('fails closed on a zTXt AIGC bomb and never inflates a chunk that cannot hold a label', async () => {
    const bomb = (keyword: string) =>
      makeChunk('zTXt', concat([utf8(keyword), Uint8Array.of(0, 0), deflateSync(new Uint8Array(20 * 1024 * 1024))]));
    const labeled = (await labelBytes(png, await withChunk(bomb('Comment')), label)).bytes;
    expect((await read(png, labeled)).summary.label).toEqual(label);
    const unreadable = await read(png, await withChunk(bomb('AIGC')));
    expect(unreadable.carriers.map((c) => [c.label, c.findings.map((f) => f.rule)])).toEqual([[null, ['carrier/unreadable']]]);
    // Labeling refuses to write beside an unreadable carrier without force; with it, the chunk goes without being inflated.
    await expect(labelBytes(png, await withChunk(bomb('AIGC')), label)).rejects.toThrow(/cannot be read/);
    const written = await labelBytes(png, await withChunk(bomb('AIGC')), label, { force: true });
    expect((await read(png, written.bytes)).carriers.map((c) => [c.carrier, c.label])).toEqual([['xmp', label]]);
  });
});

describe('jpeg salvage', () => {
  const labeled = async () => (await labelBytes(jpeg, await toBytes(gradient().jpeg()), label)).bytes;
  /** The labeled file and the offsets of its XMP APP1 segment and its SOS. */
  const layout = async () => {
    const bytes = await labeled();
    const segments = listSegments(bytes) ?? [];
    const app1 = segments.find((s) => s.marker === 0xe1);
    const sos = segments.find((s) => s.marker === 0xda);
    if (!app1 || !sos) throw new Error('no APP1 or SOS');
    return { bytes, app1, sos };
  };

  it('resynchronises on the next marker after extraneous bytes, as libjpeg does', async () => {
    const { bytes, app1 } = await layout();
    const shifted = concat([bytes.subarray(0, app1.offset), Uint8Array.of(0x00, 0x13, 0x37), bytes.subarray(app1.offset)]);
    await expectSalvaged(jpeg, shifted, /3 extraneous bytes before marker 0xe1/);
    // Right after SOI too (libjpeg reads it): the format is still recognised from the APP segment behind the garbage.
    const afterSoi = concat([bytes.subarray(0, 2), Uint8Array.of(0x00, 0x13, 0x37), bytes.subarray(2)]);
    expect(jpeg.sniff(afterSoi.subarray(0, 4096))).toBe(true);
    expect(jpeg.sniff(concat([bytes.subarray(0, 2), new Uint8Array(64)]))).toBe(false);
    await expectSalvaged(jpeg, afterSoi, /3 extraneous bytes before marker 0xe[01]/);
  });

  it('reads the segments before a SOS that has no header, a truncation, or an EOI', async () => {
    const { bytes, app1, sos } = await layout();
    await expectSalvaged(jpeg, bytes.subarray(0, sos.offset + 2), /segment header at offset \d+ is truncated/);
    await expectSalvaged(jpeg, bytes.subarray(0, app1.end + 10), /past the end|truncated/);
    const eoi = concat([bytes.subarray(0, app1.end), Uint8Array.of(0xff, 0xd9)]);
    await expectSalvaged(jpeg, eoi, /EOI at offset \d+ before any SOS/);
  });

  // ExifTool stops at extraneous bytes ("File format error") and at a truncation inside a segment; it reads a cut SOS.
  withTool('exiftool')('agrees with ExifTool on a SOS without its header', async () => {
    const { bytes, sos } = await layout();
    const damaged = bytes.subarray(0, sos.offset + 2);
    expect(exiftoolLabel(damaged, 'jpg')).toEqual((await read(jpeg, damaged)).summary.label);
  });
});

describe('gif salvage', () => {
  const labeled = async () => (await labelBytes(gif, await toBytes(gradient().gif()), label)).bytes;
  const xmpEnd = (bytes: Uint8Array) => Buffer.from(bytes).indexOf(Uint8Array.of(1, 0xff, 0xfe)) + 258;

  it('reads the blocks before a truncation, a missing trailer or an unknown block', async () => {
    const bytes = await labeled();
    await expectSalvaged(gif, bytes.subarray(0, bytes.length - 1), /no trailer/);
    await expectSalvaged(gif, bytes.subarray(0, xmpEnd(bytes) + 40), /truncated/);
    const unknown = concat([bytes.subarray(0, xmpEnd(bytes)), Uint8Array.of(0x99), bytes.subarray(xmpEnd(bytes))]);
    await expectSalvaged(gif, unknown, /unknown block introducer 0x99/);
  });

  withTool('exiftool')('agrees with ExifTool on a file without its trailer and a partial upload', async () => {
    const bytes = await labeled();
    for (const cut of [bytes.subarray(0, bytes.length - 1), bytes.subarray(0, xmpEnd(bytes) + 40)]) {
      expect(exiftoolLabel(cut, 'gif')).toEqual((await read(gif, cut)).summary.label);
    }
  });
});

describe('gif XMP under another application identifier', () => {
  const packet = utf8(buildXmpPacket(encodeBare(label)));
  /** An application extension "identifier" holding the packet the XMP way (raw, magic trailer) or in data sub-blocks. */
  const extension = (identifier: string, raw: boolean) => {
    const trailer = Uint8Array.from({ length: 258 }, (_, i) => (i === 0 ? 1 : i === 257 ? 0 : 256 - i));
    if (raw) return concat([Uint8Array.of(0x21, 0xff, 11), ascii(identifier), packet, trailer]);
    const blocks: Uint8Array[] = [];
    for (let at = 0; at < packet.length; at += 255) {
      const piece = packet.subarray(at, at + 255);
      blocks.push(Uint8Array.of(piece.length), piece);
    }
    return concat([Uint8Array.of(0x21, 0xff, 11), ascii(identifier), ...blocks, Uint8Array.of(0)]);
  };
  const withExtension = async (block: Uint8Array) => {
    const file = await toBytes(gradient().gif());
    const at = Buffer.from(file).indexOf(Uint8Array.of(0x21, 0xf9)); // before the first graphic control extension
    return concat([file.subarray(0, at), block, file.subarray(at)]);
  };

  it.each([
    ['raw with the magic trailer', 'XMP DataXMp', true],
    ['in data sub-blocks', 'ADOBEXMP1.0', false],
  ])('reads a packet stored %s as non-canonical, and moves it to the XMP extension on write', async (_how, identifier, raw) => {
    const input = await withExtension(extension(identifier, raw));
    const result = await read(gif, input);
    expect(result.carriers.map((c) => [c.label, c.canonical])).toEqual([[label, false]]);
    expect(result.carriers[0].findings.map((f) => f.rule)).toContain('carrier/non-canonical');
    const relabeled = sampleLabel({ ProduceID: 'relabel-0002' });
    const { bytes } = await labelBytes(gif, input, relabeled);
    expect((await read(gif, bytes)).carriers.map((c) => [c.label, c.canonical])).toEqual([[relabeled, true]]);
  });

  it('reports an empty TC260:AIGC as an empty carrier', async () => {
    const empty = utf8(buildXmpPacket(''));
    const trailer = Uint8Array.from({ length: 258 }, (_, i) => (i === 0 ? 1 : i === 257 ? 0 : 256 - i));
    const input = await withExtension(concat([Uint8Array.of(0x21, 0xff, 11), ascii('XMP DataXMP'), empty, trailer]));
    const result = await read(gif, input);
    expect(result.carriers.map((c) => c.label)).toEqual([null]);
    expect(result.carriers[0].findings.map((f) => f.rule)).toContain('carrier/empty');
  });
});

describe('webp salvage', () => {
  /** A labeled WebP whose XMP chunk comes before the image data, as some writers place it. */
  const labeled = async () => (await labelBytes(webp, await toBytes(gradient().webp()), label)).bytes;
  const xmpFirst = async () => {
    const bytes = await labeled();
    const at = Buffer.from(bytes).indexOf(ascii('XMP '));
    const size = bytes[at + 4] | (bytes[at + 5] << 8) | (bytes[at + 6] << 16);
    const xmp = bytes.subarray(at, at + 8 + size + (size & 1));
    const vp8xEnd = 12 + 18;
    return concat([bytes.subarray(0, vp8xEnd), xmp, bytes.subarray(vp8xEnd, at), bytes.subarray(at + xmp.length)]);
  };

  it('reads the chunks before a truncation (a partial upload) and before a chunk size past the end', async () => {
    const bytes = await xmpFirst();
    await expectSalvaged(webp, bytes.subarray(0, bytes.length - 30), /file is truncated: the RIFF header declares/);
    const fixed = bytes.subarray(0, bytes.length - 30).slice();
    fixed.set([fixed.length - 8, (fixed.length - 8) >> 8, (fixed.length - 8) >> 16, 0], 4);
    await expectSalvaged(webp, fixed, /past the end of its container/);
  });

  it('reads a file whose first chunk is not an image header, and stray bytes at the end of the body', async () => {
    const bytes = await labeled();
    const stray = concat([bytes, Uint8Array.of(1, 2, 3, 4)]);
    stray.set([stray.length - 8, (stray.length - 8) >> 8, (stray.length - 8) >> 16, 0], 4);
    await expectSalvaged(webp, stray, /4 stray bytes at the end of the RIFF body/);
    const unknownFirst = concat([bytes.subarray(0, 12), ascii('JUNK'), Uint8Array.of(2, 0, 0, 0, 0, 0), bytes.subarray(12)]);
    unknownFirst.set([unknownFirst.length - 8, (unknownFirst.length - 8) >> 8, (unknownFirst.length - 8) >> 16, 0], 4);
    await expectSalvaged(webp, unknownFirst, /the first chunk is "JUNK"/);
  });

  withTool('exiftool')('agrees with ExifTool on a partial upload', async () => {
    const bytes = await xmpFirst();
    const cut = bytes.subarray(0, bytes.length - 30);
    expect(exiftoolLabel(cut, 'webp')).toEqual((await read(webp, cut)).summary.label);
  });
});

describe('heif/avif salvage', () => {
  const labeled = async () => (await labelBytes(avif, await toBytes(gradient().avif({ effort: 0 })), label)).bytes;
  const garbage = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 151 + 7) & 0xff);

  it('reads past trailing garbage, a second copy of the file and a broken last box', async () => {
    const bytes = await labeled();
    await expectSalvaged(avif, concat([bytes, garbage(16)]), /past the end of its container/);
    await expectSalvaged(avif, concat([bytes, garbage(4096)]), /the boxes before it were read/);
    await expectSalvaged(avif, concat([bytes, bytes]), /2 top-level meta boxes/);
    const free = isobmff.makeBox('free', new Uint8Array(32));
    await expectSalvaged(avif, concat([bytes, free.subarray(0, free.length - 4)]), /"free" at offset \d+ declares 40 bytes/);
  });

  it('skips a broken box before meta to the meta box', async () => {
    const bytes = (await labeled()).slice();
    bytes.set([0x7f, 0xff, 0xff, 0xff], 0); // ftyp size past the end
    await expectSalvaged(avif, bytes, /skipped to a meta box at byte \d+/);
  });

  it('fails closed when the XMP item points past the end (a partial upload)', async () => {
    const bytes = await labeled();
    const result = await read(avif, bytes.subarray(0, bytes.length - 20));
    expect(result.carriers.map((c) => [c.carrier, c.label, c.findings.map((f) => f.rule)])).toEqual([
      ['xmp', null, ['carrier/unreadable']],
    ]);
    expect(damage(result).join()).toMatch(/past the end/);
  });

  withTool('exiftool')('agrees with ExifTool on trailing garbage', async () => {
    const damaged = concat([await labeled(), garbage(4096)]);
    expect(exiftoolLabel(damaged, 'avif')).toEqual((await read(avif, damaged)).summary.label);
  });
});

describe.each(imageHandlers.map((h): [string, FormatHandler] => [h.id, h]))('%s carriers as other tools leave them', (id, handler) => {
  /** The labeled sample with its TC260:AIGC element (`tag` true) or its text replaced in place (same length, so every container size holds). */
  const replaced = async (tag: boolean, replace: (length: number) => string) => {
    const { bytes } = await labelBytes(handler, await formatSamples[id](), label);
    const text = Buffer.from(bytes);
    const open = text.indexOf('<TC260:AIGC>');
    const close = text.indexOf('</TC260:AIGC>');
    expect(open).toBeGreaterThan(20);
    const [start, end] = tag ? [open, close + '</TC260:AIGC>'.length] : [open + '<TC260:AIGC>'.length, close];
    const out = bytes.slice();
    const insert = utf8(replace(end - start).padEnd(end - start, ' '));
    expect(insert.length).toBe(end - start);
    out.set(insert, start);
    return out;
  };
  const json = JSON.stringify(label);

  it('reports an empty AIGC carrier (a label may have been removed)', async () => {
    const result = await read(handler, await replaced(false, (n) => ' '.repeat(n)));
    expect(result.carriers.map((c) => c.label)).toEqual([null]);
    expect(result.carriers[0].findings.map((f) => f.rule)).toContain('carrier/empty');
  });

  it.each([
    ['an unqualified attribute', `<rdf:Description AIGC='${json}'/>`],
    ['an unqualified element', `<AIGC>${json}</AIGC>`],
    ['a foreign-namespace element', `<ex:AIGC xmlns:ex="urn:example">${json}</ex:AIGC>`],
  ])('reads the label as %s, non-canonical', async (_form, element) => {
    const result = await read(handler, await replaced(true, () => element));
    expect(result.carriers.map((c) => [c.label, c.canonical])).toEqual([[label, false]]);
    expect(result.carriers[0].findings.map((f) => f.rule)).toContain('carrier/non-canonical');
  });
});
