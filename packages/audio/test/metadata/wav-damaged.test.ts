/**
 * Salvage reading of damaged WAV files (issue 25 item 2): the AIGC chunk is intact, the RIFF
 * around it is not. Reading finds the label with a `format/damaged` finding; writing still
 * refuses with a MalformedInputError.
 */
import { bytesSource, concat, labelBytes, MalformedInputError, putU32le, riff } from '@aigc-label/core';
import { describe, expect, it } from 'vitest';
import { sampleLabel } from '../../../../test/handler-contract.js';
import { wav } from '../../src/wav/index.js';
import { generateAudio } from './media.js';

const label = sampleLabel();
const labeled = async () =>
  (await labelBytes(wav, generateAudio('salvage.wav', ['-c:a', 'pcm_s16le', '-metadata', 'title=Tone']), label)).bytes;
const chunks = async (bytes: Uint8Array) => (await riff.listRiffChunks(bytesSource(bytes), 12, bytes.length, 'wav')).chunks;

const damages: Record<string, (file: Uint8Array) => Promise<Uint8Array>> = {
  'a partial upload (cut inside the data chunk)': async (file) => file.subarray(0, file.length - 1000),
  'a data size of 0xFFFFFFFF with a real RIFF size': async (file) => {
    const data = (await chunks(file)).find((c) => c.id === 'data') as riff.RiffChunk;
    const out = file.slice();
    putU32le(out, data.offset + 4, 0xffffffff);
    return out;
  },
  'a last chunk that runs past the end': async (file) => {
    const extra = riff.riffChunk('junk', new Uint8Array(64));
    const out = concat([file, extra]);
    putU32le(out, 4, out.length - 8);
    putU32le(out, file.length + 4, 5000);
    return out;
  },
};

describe('wav salvage reading (issue 25)', () => {
  for (const [name, damage] of Object.entries(damages)) {
    it(`${name}: reads the label with a damaged finding; writing refuses`, async () => {
      const file = await damage(await labeled());
      const read = await wav.read(bytesSource(file));
      expect(read.carriers.map((c) => c.label)).toEqual([label]);
      expect(read.findings.filter((f) => f.rule === 'format/damaged' && f.severity === 'error').length).toBeGreaterThan(0);
      await expect(wav.write(bytesSource(file), label)).rejects.toBeInstanceOf(MalformedInputError);
    });
  }

  it('an AIGC chunk cut short is reported as a carrier, with the damage', async () => {
    const file = await labeled();
    const aigc = (await chunks(file)).find((c) => c.id === 'AIGC') as riff.RiffChunk;
    const read = await wav.read(bytesSource(file.subarray(0, aigc.dataOffset + 20)));
    expect(read.carriers.map((c) => [c.carrier, c.label])).toEqual([['riff-chunk', null]]);
    expect(read.findings.map((f) => f.message).join('\n')).toMatch(/chunk "AIGC" at offset \d+ declares/);
  });

  it('an undamaged file has no damaged error', async () => {
    const read = await wav.read(bytesSource(await labeled()));
    expect(read.findings.filter((f) => f.severity === 'error')).toEqual([]);
  });
});
