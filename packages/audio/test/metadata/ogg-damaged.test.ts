/**
 * Salvage reading of damaged Ogg files (issue 25 item 2), beyond bad CRCs (ogg.test.ts): garbage
 * between pages and a file cut short inside the header after the comment header. Reading finds the label with a
 * `format/damaged` finding; writing still refuses with a MalformedInputError.
 */
import { bytesSource, concat, labelBytes, MalformedInputError, u32le } from '@aigc-label/core';
import { describe, expect, it } from 'vitest';
import { sampleLabel } from '../../../../test/handler-contract.js';
import { ogg } from '../../src/ogg/index.js';
import { paginateHeaderPackets } from '../../src/ogg/pages.js';
import { generateAudio } from './media.js';

const label = sampleLabel();
const vorbis = generateAudio('salvage.ogg', ['-c:a', 'libvorbis', '-metadata', 'title=Tone']);
const opus = generateAudio('salvage.opus', ['-ar', '48000', '-c:a', 'libopus', '-b:a', '24k', '-metadata', 'title=Tone']);

/** Offsets of the pages (the whole file is pages). */
function pageOffsets(bytes: Uint8Array): number[] {
  const offsets: number[] = [];
  for (let at = 0; at + 27 <= bytes.length; ) {
    offsets.push(at);
    const segments = bytes[at + 26] as number;
    let size = 27 + segments;
    for (let i = 0; i < segments; i++) size += bytes[at + 27 + i] as number;
    at += size;
  }
  return offsets;
}

/** The packets of consecutive pages (lacing values below 255 end a packet). */
function packetsOf(pages: Uint8Array): Uint8Array[] {
  const packets: Uint8Array[] = [];
  let pending: Uint8Array[] = [];
  for (let at = 0; at < pages.length; ) {
    const segments = pages[at + 26] as number;
    let data = at + 27 + segments;
    for (let i = 0; i < segments; i++) {
      const length = pages[at + 27 + i] as number;
      pending.push(pages.subarray(data, data + length));
      data += length;
      if (length < 255) {
        packets.push(concat(pending));
        pending = [];
      }
    }
    at = data;
  }
  return packets;
}

const damages: Record<string, (file: Uint8Array) => Uint8Array> = {
  '100 bytes of garbage between the first two pages': (file) => {
    const [, second] = pageOffsets(file);
    return concat([file.subarray(0, second), Uint8Array.from({ length: 100 }, (_, i) => (i * 7) & 0xff), file.subarray(second)]);
  },
  'the setup header on a page of its own, cut short': (file) => {
    // Lay the comment and setup headers out on pages of their own, then cut the setup page.
    const [, second, third] = pageOffsets(file) as [number, number, number];
    const packets = packetsOf(file.subarray(second, third));
    const serial = u32le(file, second + 14);
    const comment = paginateHeaderPackets([packets[0] as Uint8Array], serial, 1);
    const setup = paginateHeaderPackets(packets.slice(1), serial, 1 + comment.length);
    return concat([file.subarray(0, second), ...comment, ...setup]).subarray(0, -20);
  },
};

describe('ogg salvage reading (issue 25)', () => {
  for (const [codec, sample] of [
    ['Vorbis', vorbis],
    ['Opus', opus],
  ] as const) {
    for (const [name, damage] of Object.entries(damages)) {
      // Opus has no header after its comment header.
      if (codec === 'Opus' && name.startsWith('the setup header')) continue;
      it(`${codec}, ${name}: reads the label with a damaged finding; writing refuses`, async () => {
        const labeled = (await labelBytes(ogg, sample, label)).bytes;
        // The damage must fall where the test says: the comment header alone on the second page.
        expect(u32le(labeled, (pageOffsets(labeled)[1] as number) + 18)).toBe(1);
        const file = damage(labeled);
        const read = await ogg.read(bytesSource(file));
        expect(read.carriers.map((c) => c.label)).toEqual([label]);
        expect(read.findings.filter((f) => f.rule === 'format/damaged' && f.severity === 'error').length).toBeGreaterThan(0);
        await expect(ogg.write(bytesSource(file), label)).rejects.toBeInstanceOf(MalformedInputError);
      });
    }
  }
});
