import { bytesSource, encodeBare, labelBytes, MalformedInputError, u32le } from '@aigc-label/core';
import { parseBuffer } from 'music-metadata';
import { describe, expect, it } from 'vitest';
import { describeHandlerContract, sampleLabel } from '../../../../test/handler-contract.js';
import { ogg } from '../../src/ogg/index.js';
import { paginateHeaderPackets } from '../../src/ogg/pages.js';
import { decodePcm, generateAudio, probeTags, tagValue } from './media.js';

const vorbis = generateAudio('tone.ogg', ['-c:a', 'libvorbis', '-metadata', 'title=Tone']);
const opus = generateAudio('tone.opus', ['-ar', '48000', '-c:a', 'libopus', '-b:a', '24k', '-metadata', 'title=Tone']);
/**
 * A long comment fills two full header pages (255 segments each) to within a
 * segment, so the label needs a third page and every later page is renumbered.
 */
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

  it('rejects a page with a bad CRC and writes nothing', async () => {
    const damaged = vorbis.slice();
    const second = pagesOf(vorbis)[1];
    damaged[second.offset + 40] ^= 0x01;
    await expect(ogg.read(bytesSource(damaged))).rejects.toThrow(/Ogg page 1 at byte \d+ has a bad CRC/);
    await expect(labelBytes(ogg, damaged, sampleLabel())).rejects.toBeInstanceOf(MalformedInputError);
    const truncated = vorbis.slice(0, second.offset + 30);
    await expect(ogg.read(bytesSource(truncated))).rejects.toThrow(/runs past the end of the file/);
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

  it('does not claim Ogg FLAC', () => {
    const oggFlac = generateAudio('tone.oga', ['-c:a', 'flac', '-f', 'ogg']);
    expect(ogg.sniff(oggFlac.subarray(0, 4096))).toBe(false);
  });
});
