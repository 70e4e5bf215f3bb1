/**
 * Vorbis comments we do not understand are copied byte for byte, in order: entries
 * without '=', invalid UTF-8, empty entries, the vendor string and the bytes after the
 * list. Only AIGC= entries change, and one remains (GB 45438 §6.1 c)).
 */
import { ascii, bytesSource, concat, encodeBare, indexOfBytes, labelBytes } from '@aigc-label/core';
import { describe, expect, it } from 'vitest';
import { sampleLabel } from '../../../../test/handler-contract.js';
import { flac } from '../../src/flac/index.js';
import { parseVorbisComments, serializeVorbisComments, withLabelComment } from '../../src/vorbis-comment/index.js';
import { generateAudio, probeTags, tagValue } from './media.js';

const u32le = (n: number) => Uint8Array.of(n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, n >>> 24);
const list = (vendor: Uint8Array, entries: Uint8Array[], rest = new Uint8Array(0)) =>
  concat([u32le(vendor.length), vendor, u32le(entries.length), ...entries.flatMap((e) => [u32le(e.length), e]), rest]);

const odd = [
  ascii('TITLE=Tone'),
  ascii('no equals sign'),
  new Uint8Array(0),
  Uint8Array.of(0x41, 0x52, 0x54, 0x3d, 0xff, 0xfe, 0xc3), // ART= then bytes that are not UTF-8
  ascii('aigc={"old":1}'),
  Uint8Array.of(0xc3, 0x28, 0x3d, 0x78), // a field name that is not UTF-8
  ascii('AIGC={"old":2}'),
  ascii('=value without a name'),
];
const vendor = Uint8Array.of(0x76, 0xff, 0x00, 0x65); // not UTF-8, with a NUL

describe('Vorbis comments', () => {
  it('a rewrite changes only the AIGC entries: the first becomes the label, the others go; the rest is kept in order', () => {
    const json = encodeBare(sampleLabel());
    const parsed = parseVorbisComments(list(vendor, odd, Uint8Array.of(1)), 'ogg', 'test');
    const out = serializeVorbisComments(withLabelComment(parsed, json));
    const kept = odd.filter((_, i) => i !== 6);
    kept[4] = ascii(`AIGC=${json}`);
    expect(out).toEqual(list(vendor, kept, Uint8Array.of(1)));
  });

  it('in a FLAC file: every other entry byte for byte, read back by ffprobe', async () => {
    const sample = generateAudio('tone.flac', ['-c:a', 'flac']);
    const at = 4 + 4 + 34; // after fLaC and STREAMINFO
    const body = list(
      vendor,
      odd.filter((_, i) => i !== 4 && i !== 6),
    );
    const header = Uint8Array.of(4, body.length >> 16, (body.length >> 8) & 0xff, body.length & 0xff);
    const input = concat([
      sample.subarray(0, 4),
      Uint8Array.of(sample[4] & 0x7f),
      sample.subarray(5, at),
      header,
      body,
      sample.subarray(at),
    ]);
    // The original STREAMINFO may have been marked last; the comment block now follows it, so mark that one last instead.
    const lastAfter = sample[4] & 0x80;
    if (lastAfter) input[at] |= 0x80;
    const { bytes } = await labelBytes(flac, input, sampleLabel());
    const read = await flac.read(bytesSource(bytes));
    expect(read.carriers.map((c) => c.label)).toEqual([sampleLabel()]);
    for (const entry of odd.filter((_, i) => i !== 4 && i !== 6 && odd[i].length > 0)) {
      expect(indexOfBytes(bytes, concat([u32le(entry.length), entry]))).toBeGreaterThan(0);
    }
    expect(tagValue(probeTags(bytes, 'x.flac'), 'AIGC')).toBe(encodeBare(sampleLabel()));
  });
});
