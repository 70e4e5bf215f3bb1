import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ascii, bytesSource, concat, encodeBare, indexOfBytes, labelBytes, u32le } from '@aigc-label/core';
import { parseBuffer } from 'music-metadata';
import { describe, expect, it } from 'vitest';
import { describeHandlerContract, sampleLabel } from '../../../../test/handler-contract.js';
import { withTool } from '../../../../test/oracles.js';
import { ogg } from '../../src/ogg/index.js';
import { buildPage, paginateHeaderPackets } from '../../src/ogg/pages.js';
import { decodePcm, generateAudio, probeTags, tagValue } from './media.js';

const vorbis = generateAudio('tone.ogg', ['-c:a', 'libvorbis', '-metadata', 'title=Tone']);
const opus = generateAudio('tone.opus', ['-ar', '48000', '-c:a', 'libopus', '-b:a', '24k', '-metadata', 'title=Tone']);
/**
 * A long comment fills two full header pages (255 segments each) to within a
 * segment, so the label needs a third page and every later page is renumbered.
 */
const oggFlac = generateAudio('tone.oga', ['-c:a', 'flac', '-f', 'ogg', '-metadata', 'title=Tone']);
const speex = generateAudio('tone.spx', ['-ar', '16000', '-c:a', 'libspeex', '-metadata', 'title=Tone']);
const vorbisLongComment = generateAudio('long.ogg', ['-c:a', 'libvorbis', '-metadata', `description=${'x'.repeat(126_300)}`]);

/** Bitwise Ogg CRC (RFC 3533: poly 0x04C11DB7, MSB first, init 0), independent of the handler's table. */
function crcOf(page: Uint8Array): number {
  let crc = 0;
  for (let i = 0; i < page.length; i++) {
    crc ^= (i >= 22 && i < 26 ? 0 : page[i]) << 24;
    for (let k = 0; k < 8; k++) crc = crc & 0x80000000 ? (crc << 1) ^ 0x04c11db7 : crc << 1;
  }
  return crc >>> 0;
}

interface Page {
  offset: number;
  serial: number;
  sequence: number;
  granule: string;
  crcOk: boolean;
  body: Uint8Array;
}
function pagesOf(file: Uint8Array): Page[] {
  const pages: Page[] = [];
  for (let offset = 0; offset < file.length; ) {
    const segments = file[offset + 26];
    let size = 27 + segments;
    for (let i = 0; i < segments; i++) size += file[offset + 27 + i];
    const page = file.subarray(offset, offset + size);
    pages.push({
      offset,
      serial: u32le(page, 14),
      sequence: u32le(page, 18),
      granule: Array.from(page.subarray(6, 14)).join(','),
      crcOk: crcOf(page) === u32le(page, 22),
      body: page.subarray(27 + segments),
    });
    offset += size;
  }
  return pages;
}

/** Pages after the header pages, which the rewrite must keep (data and granule). */
const audioPages = (file: Uint8Array) =>
  pagesOf(file).filter((p) => p.granule !== '0,0,0,0,0,0,0,0' && p.granule !== '255,255,255,255,255,255,255,255');

describeHandlerContract(ogg, () => vorbis);
describeHandlerContract(ogg, () => opus);
describeHandlerContract(ogg, () => oggFlac);
describeHandlerContract(ogg, () => speex);

describe('ogg metadata carrier', () => {
  for (const [name, sample, file] of [
    ['Vorbis', vorbis, 'x.ogg'],
    ['Opus', opus, 'x.opus'],
    ['Vorbis with a multi-page comment header', vorbisLongComment, 'long.ogg'],
  ] as const) {
    it(`${name}: AIGC= in the comment header, valid CRCs and sequence numbers, granules and audio kept`, async () => {
      const label = sampleLabel();
      const { bytes } = await labelBytes(ogg, sample, label);
      const pages = pagesOf(bytes);
      expect(pages.every((p) => p.crcOk)).toBe(true);
      expect(pages.map((p) => p.sequence)).toEqual(pages.map((_, i) => i));
      expect(audioPages(bytes).map((p) => [p.granule, p.body])).toEqual(audioPages(sample).map((p) => [p.granule, p.body]));
      expect(tagValue(probeTags(bytes, file), 'AIGC')).toBe(encodeBare(label));
      if (name !== 'Vorbis with a multi-page comment header') expect(tagValue(probeTags(bytes, file), 'title')).toBe('Tone');
      const meta = await parseBuffer(bytes, { mimeType: file.endsWith('opus') ? 'audio/opus' : 'audio/ogg' });
      expect(meta.native.vorbis?.find((t) => t.id === 'AIGC')?.value).toBe(encodeBare(label));
      expect(decodePcm(bytes, file)).toEqual(decodePcm(sample, file));
    });
  }

  it('renumbers the following pages when the header page count changes', async () => {
    const before = pagesOf(vorbisLongComment);
    // A 600-character id makes the label comment take three more segments than the one page has left.
    const longId = 'p'.repeat(600);
    const { bytes, findings } = await labelBytes(ogg, vorbisLongComment, sampleLabel({ ProduceID: longId, PropagateID: longId }));
    const after = pagesOf(bytes);
    expect(after.length).toBe(before.length + 1);
    expect(findings.map((f) => f.rule)).toContain('ogg/renumbered');
    expect(after.map((p) => p.sequence)).toEqual(after.map((_, i) => i));
    expect(after.every((p) => p.crcOk)).toBe(true);
    expect(audioPages(bytes).map((p) => [p.granule, p.body])).toEqual(audioPages(vorbisLongComment).map((p) => [p.granule, p.body]));
    expect(tagValue(probeTags(bytes, 'long.ogg'), 'AIGC')).toContain(longId);
    expect(decodePcm(bytes, 'long.ogg')).toEqual(decodePcm(vorbisLongComment, 'long.ogg'));
  });

  it('reads the label through a page with a bad CRC (salvage), with a damage finding, and writes nothing', async () => {
    const labeled = (await labelBytes(ogg, vorbis, sampleLabel())).bytes;
    const damaged = labeled.slice();
    const second = pagesOf(labeled)[1];
    damaged[second.offset + 22] ^= 0x01;
    const read = await ogg.read(bytesSource(damaged));
    expect(read.carriers.map((c) => c.label)).toEqual([sampleLabel()]);
    expect(read.findings.map((f) => [f.rule, f.severity, f.message])).toEqual([
      ['format/damaged', 'error', `Ogg page 1 at byte ${second.offset} has a bad CRC`],
    ]);
    await expect(labelBytes(ogg, damaged, sampleLabel())).rejects.toThrow(/Ogg page 1 at byte \d+ has a bad CRC/);
    const truncated = vorbis.slice(0, second.offset + 30);
    await expect(ogg.read(bytesSource(truncated))).rejects.toThrow(/the file ends inside the Vorbis header packets/);
  });

  it('lays header packets out with continuation flags, granules and lacing per RFC 3533', () => {
    // 254 full segments + one of 100 bytes: the first packet ends exactly at the end of a full page.
    const first = new Uint8Array(254 * 255 + 100).fill(1);
    const second = new Uint8Array(255 * 300).fill(2);
    const pages = paginateHeaderPackets([first, second], 7, 1).map((page) => ({
      headerType: page[5],
      granule: Array.from(page.subarray(6, 14)),
      sequence: u32le(page, 18),
      segments: page[26],
      lastLacing: page[27 + page[26] - 1],
      crcOk: crcOf(page) === u32le(page, 22),
    }));
    const zero = [0, 0, 0, 0, 0, 0, 0, 0];
    const none = [255, 255, 255, 255, 255, 255, 255, 255];
    // The second packet (76500 bytes) needs 300 full segments and a closing 0: 255 on page 2, 46 on page 3.
    expect(pages).toEqual([
      { headerType: 0, granule: zero, sequence: 1, segments: 255, lastLacing: 100, crcOk: true },
      { headerType: 0, granule: none, sequence: 2, segments: 255, lastLacing: 255, crcOk: true },
      { headerType: 1, granule: zero, sequence: 3, segments: 46, lastLacing: 0, crcOk: true },
    ]);
  });

  for (const [name, sample, file, mime] of [
    ['Ogg FLAC', oggFlac, 'x.oga', 'audio/ogg'],
    ['Speex', speex, 'x.spx', 'audio/ogg'],
  ] as const) {
    it(`${name}: AIGC= in the comment header, valid pages, granules and audio kept; ffprobe and music-metadata read it`, async () => {
      expect(ogg.sniff(sample.subarray(0, 4096))).toBe(true);
      const label = sampleLabel();
      const { bytes } = await labelBytes(ogg, sample, label);
      const pages = pagesOf(bytes);
      expect(pages.every((p) => p.crcOk)).toBe(true);
      expect(pages.map((p) => p.sequence)).toEqual(pages.map((_, i) => i));
      expect(audioPages(bytes).map((p) => [p.granule, p.body])).toEqual(audioPages(sample).map((p) => [p.granule, p.body]));
      expect(tagValue(probeTags(bytes, file), 'AIGC')).toBe(encodeBare(label));
      expect(tagValue(probeTags(bytes, file), 'title')).toBe('Tone');
      // music-metadata 11 exposes no comments for Ogg FLAC (not even on its own audio.flac.ogg); ExifTool checks those below.
      if (name === 'Speex') {
        const meta = await parseBuffer(bytes, { mimeType: mime });
        expect(meta.native.vorbis?.find((t) => t.id === 'AIGC')?.value).toBe(encodeBare(label));
      }
      expect(decodePcm(bytes, file)).toEqual(decodePcm(sample, file));
    });
  }

  withTool('exiftool')('Ogg FLAC: ExifTool reads AIGC and the title', async () => {
    const { bytes } = await labelBytes(ogg, oggFlac, sampleLabel());
    const dir = mkdtempSync(join(tmpdir(), 'aigc-ogg-'));
    try {
      writeFileSync(join(dir, 'x.oga'), bytes);
      const json = JSON.parse(execFileSync('exiftool', ['-j', '-Vorbis:all', join(dir, 'x.oga')], { encoding: 'utf8' }))[0];
      expect([json.Aigc, json.Title]).toEqual([encodeBare(sampleLabel()), 'Tone']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('Ogg FLAC: the rewritten comment is still a VORBIS_COMMENT metadata block with its last flag', async () => {
    const { bytes } = await labelBytes(ogg, oggFlac, sampleLabel());
    const [before, after] = [oggFlac, bytes].map((file) => pagesOf(file)[1].body);
    expect(after[0]).toBe(before[0]);
    expect(after[0] & 0x7f).toBe(4);
    expect((after[1] << 16) | (after[2] << 8) | after[3]).toBe(after.length - 4);
  });

  it("finds the audio stream after another logical stream (a Skeleton first), keeps that stream's pages, and labels it", async () => {
    const skeletonSerial = 0x5c5c5c5c;
    // Ogg Skeleton 3.0 fishead: "fishead\0", version 3.0, then zero times and UTC (64 bytes in all).
    const fishead = concat([ascii('fishead\0'), Uint8Array.of(3, 0, 0, 0), new Uint8Array(52)]);
    const zero = new Uint8Array(8);
    const bos = buildPage(0x02, zero, skeletonSerial, 0, Uint8Array.of(fishead.length), fishead);
    const eos = buildPage(0x04, zero, skeletonSerial, 1, Uint8Array.of(0), new Uint8Array(0));
    const opusPages = pagesOf(opus);
    const identEnd = opusPages[1].offset;
    const input = concat([bos, opus.subarray(0, identEnd), eos, opus.subarray(identEnd)]);
    expect(ogg.sniff(input.subarray(0, 4096))).toBe(true);
    expect((await ogg.read(bytesSource(input))).findings).toEqual([]);
    const label = sampleLabel();
    const { bytes } = await labelBytes(ogg, input, label);
    expect(bytes.subarray(0, bos.length)).toEqual(bos);
    expect(indexOfBytes(bytes, eos)).toBeGreaterThan(0);
    expect(pagesOf(bytes).every((p) => p.crcOk)).toBe(true);
    expect(audioPages(bytes).map((p) => [p.granule, p.body])).toEqual(audioPages(opus).map((p) => [p.granule, p.body]));
    const meta = await parseBuffer(bytes, { mimeType: 'audio/ogg' });
    expect(meta.native.vorbis?.find((t) => t.id === 'AIGC')?.value).toBe(encodeBare(label));
    expect(decodePcm(bytes, 'x.opus')).toEqual(decodePcm(opus, 'x.opus'));
  });

  it('reads the audio stream when pages of another stream come first without beginning it (damage)', async () => {
    const stray = buildPage(0, new Uint8Array(8), 0x1234, 5, Uint8Array.of(3), Uint8Array.of(1, 2, 3));
    const input = concat([stray, (await labelBytes(ogg, opus, sampleLabel())).bytes]);
    expect(ogg.sniff(input.subarray(0, 4096))).toBe(true);
    const read = await ogg.read(bytesSource(input));
    expect(read.carriers.map((c) => c.label)).toEqual([sampleLabel()]);
    expect(read.findings.map((f) => f.message)).toEqual([
      expect.stringMatching(/pages of another logical stream come before the Opus stream/),
    ]);
    await expect(labelBytes(ogg, input, sampleLabel())).rejects.toThrow(/not labeled/);
  });

  it('reads a comment header that shares the first page with the identification header (salvage), and refuses to rewrite it', async () => {
    const labeled = (await labelBytes(ogg, opus, sampleLabel())).bytes;
    const [first, second] = pagesOf(labeled);
    const lacing = (length: number) => [...new Array(Math.floor(length / 255)).fill(255), length % 255];
    const merged = buildPage(
      0x02,
      new Uint8Array(8),
      first.serial,
      0,
      Uint8Array.from([...lacing(first.body.length), ...lacing(second.body.length)]),
      concat([first.body, second.body]),
    );
    const input = concat([merged, labeled.subarray(second.offset + 27 + labeled[second.offset + 26] + second.body.length)]);
    const read = await ogg.read(bytesSource(input));
    expect(read.carriers.map((c) => c.label)).toEqual([sampleLabel()]);
    expect(read.findings.map((f) => f.message)).toEqual(['the Opus identification header shares its page with the next header']);
    await expect(labelBytes(ogg, input, sampleLabel())).rejects.toThrow(
      /shares its page with the next header; that layout is not supported/,
    );
  });

  it('claims an Ogg file with no audio stream it knows, and refuses it with a precise message', async () => {
    const theora = concat([Uint8Array.of(0x80), ascii('theora'), new Uint8Array(35)]);
    const input = buildPage(0x02, new Uint8Array(8), 9, 0, Uint8Array.of(theora.length), theora);
    expect(ogg.sniff(input)).toBe(true);
    await expect(ogg.read(bytesSource(input))).rejects.toThrow(
      'ogg: no Vorbis, Opus, Speex or FLAC stream begins in this Ogg file (it holds "theora")',
    );
  });
});
