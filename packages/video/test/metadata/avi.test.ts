import { bytesSource, concat, labelBytes, MalformedInputError, riff, UnsupportedFormatError, u32le, utf8 } from '@aigc-label/core';
import { describe, expect, it } from 'vitest';
import { describeHandlerContract, sampleLabel } from '../../../../test/handler-contract.js';
import { avi } from '../../src/avi/index.js';
import { itLabelsForThirdPartyReaders } from './checks.js';
import { makeClip } from './clips.js';

const moviOffset = async (bytes: Uint8Array) => {
  const { chunks } = await riff.listRiffChunks(bytesSource(bytes), 12, bytes.length, 'avi');
  return chunks.find((c) => c.listType === 'movi')?.offset;
};

/** A minimal AVI with no JUNK room: hdrl, movi with one frame, idx1 (offsets relative to movi). */
function tightAvi(): Uint8Array {
  const hdrl = riff.riffList('hdrl', [riff.riffChunk('avih', new Uint8Array(56))]);
  const movi = riff.riffList('movi', [riff.riffChunk('00dc', utf8('frame'))]);
  const entry = new Uint8Array(16);
  entry.set(utf8('00dc'), 0);
  entry[8] = 4;
  entry[12] = 5;
  const body = concat([hdrl, movi, riff.riffChunk('idx1', entry)]);
  return concat([riff.riffHeader('AVI ', body.length), body]);
}

describe('avi metadata carrier', () => {
  describeHandlerContract(avi, () => makeClip('clip.avi'));
  describeHandlerContract(avi, tightAvi);
  itLabelsForThirdPartyReaders(avi, 'clip.avi', 'avi');

  it('keeps movi in place by taking room from the JUNK before it, and keeps the other INFO entries', async () => {
    const input = makeClip('clip.avi');
    const { bytes } = await labelBytes(avi, input, sampleLabel());
    expect(bytes.length).toBe(input.length);
    const movi = (await moviOffset(input)) as number;
    expect(await moviOffset(bytes)).toBe(movi);
    expect(bytes.subarray(movi)).toEqual(input.subarray(movi));
    const { chunks } = await riff.listRiffChunks(bytesSource(bytes), 12, bytes.length, 'avi');
    const info = chunks.find((c) => c.listType === 'INFO');
    if (!info) throw new Error('no INFO');
    const entries = riff.parseInfoList(bytes.subarray(info.dataOffset + 4, info.dataOffset + info.size), 'avi');
    expect(entries.map((e) => e.id)).toEqual(['ICMT', 'INAM', 'ISFT', 'AIGC']);
    const value = entries[3].data;
    expect(value[value.length - 1]).toBe(0);
  });

  it('appends the INFO list after idx1 when there is no room, fixing the RIFF size and leaving idx1 valid', async () => {
    const input = tightAvi();
    const { bytes } = await labelBytes(avi, input, sampleLabel());
    expect(bytes.subarray(0, 4)).toEqual(input.subarray(0, 4));
    expect(u32le(bytes, 4)).toBe(bytes.length - 8);
    expect(bytes.subarray(8, input.length)).toEqual(input.subarray(8));
    expect(bytes.length % 2).toBe(0);
  });

  it('refuses an OpenDML file it could only label by moving the AVIX chunks', async () => {
    const avix = concat([utf8('RIFF'), new Uint8Array([12, 0, 0, 0]), utf8('AVIX'), riff.riffList('movi', [])]);
    const input = concat([tightAvi(), avix]);
    expect((await avi.read(bytesSource(input))).findings.map((f) => f.rule)).toEqual(['avi/opendml']);
    await expect(labelBytes(avi, input, sampleLabel())).rejects.toBeInstanceOf(UnsupportedFormatError);
  });

  describe('broken headers are refused before anything is written', () => {
    const refuse = async (bytes: Uint8Array, message: RegExp) => {
      await expect(labelBytes(avi, bytes, sampleLabel())).rejects.toSatisfy(
        (e: Error) => e instanceof MalformedInputError && message.test(e.message),
      );
    };
    it('a RIFF size past the end of the file', () => refuse(makeClip('clip.avi').subarray(0, 20000), /past the end of the file/));
    it('no movi list', async () => {
      const hdrl = riff.riffList('hdrl', [riff.riffChunk('avih', new Uint8Array(56))]);
      await refuse(concat([riff.riffHeader('AVI ', hdrl.length), hdrl]), /no LIST movi/);
    });
    it('a chunk past its list', async () => {
      const input = tightAvi().slice();
      input[16] = 0xff;
      await refuse(input, /past the end/);
    });
  });
});
