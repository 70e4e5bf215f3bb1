/**
 * Salvage reading of damaged FLAC files (issue 25 item 2): the VORBIS_COMMENT block is intact,
 * the metadata around it is not. Reading finds the label with a `format/damaged` finding;
 * writing still refuses with a MalformedInputError.
 */
import { bytesSource, concat, labelBytes, MalformedInputError } from '@aigc-label/core';
import { describe, expect, it } from 'vitest';
import { sampleLabel } from '../../../../test/handler-contract.js';
import { flac } from '../../src/flac/index.js';
import { generateAudio } from './media.js';

const label = sampleLabel();
const labeled = async () =>
  (await labelBytes(flac, generateAudio('salvage.flac', ['-c:a', 'flac', '-metadata', 'title=Tone']), label)).bytes;

/** The metadata blocks after "fLaC": offset, type and total size (header included). */
function blocks(bytes: Uint8Array): { offset: number; type: number; size: number; last: boolean }[] {
  const out: { offset: number; type: number; size: number; last: boolean }[] = [];
  for (let at = 4; ; ) {
    const size = 4 + ((bytes[at + 1] as number) << 16) + ((bytes[at + 2] as number) << 8) + (bytes[at + 3] as number);
    const last = ((bytes[at] as number) & 0x80) !== 0;
    out.push({ offset: at, type: (bytes[at] as number) & 0x7f, size, last });
    at += size;
    if (last) return out;
  }
}

const damages: Record<string, (file: Uint8Array) => Uint8Array> = {
  'a partial upload cut inside the block after the comments': (file) => {
    const list = blocks(file);
    const comment = list.findIndex((b) => b.type === 4);
    const next = list[comment + 1];
    if (!next) throw new Error('no block after the comments');
    return file.subarray(0, next.offset + 6);
  },
  'the comments moved before STREAMINFO': (file) => {
    const list = blocks(file);
    const streamInfo = list[0] as (typeof list)[number];
    const comment = list.find((b) => b.type === 4) as (typeof list)[number];
    const rest = list.filter((b) => b !== streamInfo && b !== comment);
    const end = (list.at(-1) as (typeof list)[number]).offset + (list.at(-1) as (typeof list)[number]).size;
    return concat([
      file.subarray(0, 4),
      file.subarray(comment.offset, comment.offset + comment.size),
      file.subarray(streamInfo.offset, streamInfo.offset + streamInfo.size),
      ...rest.map((b) => file.subarray(b.offset, b.offset + b.size)),
      file.subarray(end),
    ]);
  },
  'an invalid block type 127 after the comments': (file) => {
    const list = blocks(file);
    const comment = list.findIndex((b) => b.type === 4);
    const next = list[comment + 1] as (typeof list)[number];
    const out = file.slice();
    out[next.offset] = ((out[next.offset] as number) & 0x80) | 127;
    return out;
  },
};

describe('flac salvage reading (issue 25)', () => {
  for (const [name, damage] of Object.entries(damages)) {
    it(`${name}: reads the label with a damaged finding; writing refuses`, async () => {
      const file = damage(await labeled());
      const read = await flac.read(bytesSource(file));
      expect(read.carriers.map((c) => c.label)).toEqual([label]);
      expect(read.findings.filter((f) => f.rule === 'format/damaged' && f.severity === 'error').length).toBeGreaterThan(0);
      await expect(flac.write(bytesSource(file), label)).rejects.toBeInstanceOf(MalformedInputError);
    });
  }
});
