/**
 * Salvage reading of damaged AVI files (issue 25 item 2): the LIST INFO that holds the label is
 * intact, the RIFF around it is not. Reading finds the label with a `format/damaged` finding;
 * writing still refuses with a MalformedInputError.
 */
import { bytesSource, labelBytes, MalformedInputError, putU32le, riff, utf8 } from '@aigc-label/core';
import { describe, expect, it } from 'vitest';
import { sampleLabel } from '../../../../test/handler-contract.js';
import { avi } from '../../src/avi/index.js';
import { makeClip } from './clips.js';

const label = sampleLabel();
const chunks = async (bytes: Uint8Array) =>
  (
    await riff.listRiffChunks(
      bytesSource(bytes),
      12,
      Math.min(bytes.length, (8 + (bytes[4] | (bytes[5] << 8) | (bytes[6] << 16) | (bytes[7] << 24))) >>> 0),
      'avi',
    )
  ).chunks;

const damages: Record<string, (file: Uint8Array) => Promise<Uint8Array>> = {
  'a RIFF size past the end of the file (a partial upload)': async (file) => file.subarray(0, file.length - 500),
  'no LIST movi chunk': async (file) => {
    const movi = (await chunks(file)).find((c) => c.listType === 'movi') as riff.RiffChunk;
    const out = file.slice();
    out.set(utf8('xxxx'), movi.dataOffset);
    return out;
  },
  'a RIFF size of 0 (a writer that could not go back)': async (file) => {
    const out = file.slice();
    putU32le(out, 4, 0);
    return out;
  },
  'an odd RIFF size': async (file) => {
    const out = file.slice();
    putU32le(out, 4, file.length - 8 - 1);
    return out;
  },
};

describe('avi salvage reading (issue 25)', () => {
  for (const [name, damage] of Object.entries(damages)) {
    it(`${name}: reads the label with a damaged finding; writing refuses`, async () => {
      const file = await damage((await labelBytes(avi, makeClip('clip.avi'), label)).bytes);
      const read = await avi.read(bytesSource(file));
      expect(read.carriers.map((c) => c.label)).toEqual([label]);
      expect(read.findings.filter((f) => f.rule === 'format/damaged').length).toBeGreaterThan(0);
      await expect(avi.write(bytesSource(file), label)).rejects.toBeInstanceOf(MalformedInputError);
    });
  }

  it('an INFO list whose last entry runs past its end keeps the entries before it', async () => {
    const file = (await labelBytes(avi, makeClip('clip.avi'), label)).bytes;
    const info = (await chunks(file)).find((c) => c.listType === 'INFO') as riff.RiffChunk;
    const entries = riff.parseInfoList(file.subarray(info.dataOffset + 4, info.dataOffset + info.size), 'avi', info.dataOffset + 4);
    const last = entries.at(-1) as riff.InfoEntry;
    expect(last.id).toBe('AIGC');
    // An entry before the label now claims more than the list holds: only what precedes it survives; the label does not.
    const out = file.slice();
    putU32le(out, last.offset + 4, 1_000_000);
    const read = await avi.read(bytesSource(out));
    expect(read.carriers).toEqual([]);
    expect(read.findings.map((f) => f.message).join('\n')).toMatch(/INFO entry "AIGC" .* runs past the end of its LIST/);
    await expect(avi.write(bytesSource(out), label)).rejects.toBeInstanceOf(MalformedInputError);
  });
});
