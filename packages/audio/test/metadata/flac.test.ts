import { ascii, bytesSource, concat, encodeBare, indexOfBytes, labelBytes, MalformedInputError } from '@aigc-label/core';
import { parseBuffer } from 'music-metadata';
import NodeID3 from 'node-id3';
import { describe, expect, it } from 'vitest';
import { describeHandlerContract, sampleLabel } from '../../../../test/handler-contract.js';
import { flac } from '../../src/flac/index.js';
import { mp3 } from '../../src/mp3/index.js';
import { decodePcm, generateAudio, probeTags, tagValue } from './media.js';

const sample = generateAudio('tone.flac', ['-c:a', 'flac', '-metadata', 'title=Tone']);

/** Metadata blocks as [type, offset, length], and where the frames start. */
function blocksOf(file: Uint8Array): { blocks: { type: number; offset: number; length: number }[]; audioStart: number } {
  const blocks: { type: number; offset: number; length: number }[] = [];
  let offset = 4;
  for (;;) {
    const length = (file[offset + 1] << 16) | (file[offset + 2] << 8) | file[offset + 3];
    blocks.push({ type: file[offset] & 0x7f, offset, length });
    const last = file[offset] & 0x80;
    offset += 4 + length;
    if (last) return { blocks, audioStart: offset };
  }
}

/** The sample with only the blocks of the given types kept (last flag fixed). */
function keepBlocks(file: Uint8Array, types: number[]): Uint8Array {
  const { blocks, audioStart } = blocksOf(file);
  const kept = blocks.filter((b) => types.includes(b.type));
  const parts = kept.map((b, i) => {
    const block = file.slice(b.offset, b.offset + 4 + b.length);
    block[0] = (i === kept.length - 1 ? 0x80 : 0) | b.type;
    return block;
  });
  return concat([file.subarray(0, 4), ...parts, file.subarray(audioStart)]);
}

describeHandlerContract(flac, () => sample);

describe('flac metadata carrier', () => {
  it('takes the room from PADDING so the frames stay in place; ffprobe and music-metadata read AIGC', async () => {
    const layout = blocksOf(sample);
    expect(layout.blocks.map((b) => b.type)).toContain(1);
    const label = sampleLabel();
    const { bytes } = await labelBytes(flac, sample, label);
    expect(bytes.length).toBe(sample.length);
    expect(blocksOf(bytes).audioStart).toBe(layout.audioStart);
    expect(bytes.subarray(layout.audioStart)).toEqual(sample.subarray(layout.audioStart));
    const tags = probeTags(bytes, 'out.flac');
    expect(tagValue(tags, 'AIGC')).toBe(encodeBare(label));
    expect(tagValue(tags, 'title')).toBe('Tone');
    const meta = await parseBuffer(bytes, { mimeType: 'audio/flac' });
    expect(meta.native.vorbis?.find((t) => t.id === 'AIGC')?.value).toBe(encodeBare(label));
    expect(decodePcm(bytes, 'out.flac')).toEqual(decodePcm(sample, 'in.flac'));
  });

  it('creates the VORBIS_COMMENT block when missing and grows the metadata when there is no padding', async () => {
    for (const types of [[0], [0, 4]]) {
      const input = keepBlocks(sample, types);
      const label = sampleLabel();
      const { bytes } = await labelBytes(flac, input, label);
      expect(blocksOf(bytes).blocks.map((b) => b.type)).toEqual([0, 4]);
      expect(tagValue(probeTags(bytes, 'grown.flac'), 'AIGC')).toBe(encodeBare(label));
      expect(decodePcm(bytes, 'grown.flac')).toEqual(decodePcm(input, 'in.flac'));
    }
  });

  it('keeps every other metadata block byte for byte', async () => {
    const { bytes } = await labelBytes(flac, sample, sampleLabel());
    const before = blocksOf(sample).blocks.filter((b) => b.type !== 1 && b.type !== 4);
    const after = blocksOf(bytes).blocks.filter((b) => b.type !== 1 && b.type !== 4);
    expect(after.map((b) => bytes.subarray(b.offset + 1, b.offset + 4 + b.length))).toEqual(
      before.map((b) => sample.subarray(b.offset + 1, b.offset + 4 + b.length)),
    );
  });

  it('handles an ID3v2 tag before "fLaC": its TXXX:AIGC is read, then removed, and its other frames kept', async () => {
    const old = encodeBare(sampleLabel({ ProduceID: 'old', PropagateID: 'old' }));
    const input = new Uint8Array(
      NodeID3.write({ title: 'Tagged', userDefinedText: [{ description: 'AIGC', value: old }] }, Buffer.from(sample)),
    );
    expect(flac.sniff(input.subarray(0, 4096))).toBe(true);
    expect(mp3.sniff(input.subarray(0, 4096))).toBe(false);
    const read = await flac.read(bytesSource(input));
    expect(read.carriers.map((c) => [c.carrier, c.canonical, c.raw])).toEqual([['id3-txxx', false, old]]);
    const label = sampleLabel();
    const { bytes } = await labelBytes(flac, input, label);
    expect((await flac.read(bytesSource(bytes))).carriers.map((c) => [c.carrier, c.raw])).toEqual([['vorbis-comment', encodeBare(label)]]);
    const titleAt = indexOfBytes(input, ascii('TIT2'));
    const titleFrame = input.subarray(titleAt, titleAt + 10 + input[titleAt + 7]);
    expect(indexOfBytes(bytes.subarray(0, 200), titleFrame)).toBeGreaterThanOrEqual(10);
    expect(tagValue(probeTags(bytes, 'id3.flac'), 'AIGC')).toBe(encodeBare(label));
    expect(decodePcm(bytes, 'id3.flac')).toEqual(decodePcm(sample, 'in.flac'));
  });

  it('reads damaged metadata for its labels (salvage) with a clear damage finding, and refuses to write into it', async () => {
    const damageOf = async (bytes: Uint8Array) =>
      (await flac.read(bytesSource(bytes))).findings
        .filter((f) => f.rule === 'format/damaged' && f.severity === 'error')
        .map((f) => f.message)
        .join('\n');
    const pastEnd = sample.slice();
    pastEnd.set([0xff, 0xff, 0xff], 5);
    expect(await damageOf(pastEnd)).toMatch(/declares 16777215 bytes, past the end/);
    await expect(labelBytes(flac, pastEnd, sampleLabel())).rejects.toBeInstanceOf(MalformedInputError);
    const invalid = sample.slice();
    invalid[4] = 127;
    expect(await damageOf(invalid)).toMatch(/invalid type 127/);
    await expect(labelBytes(flac, invalid, sampleLabel())).rejects.toThrow(/invalid type 127/);
    const truncatedComment = keepBlocks(sample, [0, 4]);
    const commentAt = blocksOf(truncatedComment).blocks[1].offset;
    truncatedComment.set([0xff, 0xff, 0, 0], commentAt + 4);
    expect(await damageOf(truncatedComment)).toMatch(/vendor string of \d+ bytes runs past the end/);
    await expect(labelBytes(flac, truncatedComment, sampleLabel())).rejects.toBeInstanceOf(MalformedInputError);
  });

  it('stops at the block marked last: metadata after it is damage, read for its label, and never labeled over', async () => {
    // Issue 24 item 10: a second STREAMINFO marked last, with the real comment and padding after it.
    const { blocks, audioStart } = blocksOf(sample);
    const block = (type: number, body: Uint8Array, last: boolean) =>
      concat([Uint8Array.of((last ? 0x80 : 0) | type, body.length >> 16, (body.length >> 8) & 0xff, body.length & 0xff), body]);
    const streamInfo = sample.subarray(blocks[0].offset + 4, blocks[0].offset + 4 + blocks[0].length);
    const other = encodeBare(sampleLabel({ ContentProducer: 'other', ContentPropagator: 'other' }));
    const comment = concat([
      Uint8Array.of(3, 0, 0, 0),
      ascii('abc'),
      Uint8Array.of(1, 0, 0, 0),
      Uint8Array.of(5 + other.length, 0, 0, 0),
      ascii(`AIGC=${other}`),
    ]);
    const damaged = concat([
      ascii('fLaC'),
      block(0, streamInfo, false),
      block(0, streamInfo, true),
      block(4, comment, false),
      block(1, new Uint8Array(100), true),
      sample.subarray(audioStart),
    ]);
    const read = await flac.read(bytesSource(damaged));
    expect(read.carriers.map((c) => [c.raw, c.location])).toEqual([[other, expect.stringMatching(/after the block marked last/)]]);
    expect(read.findings.map((f) => [f.rule, f.severity, f.message])).toEqual([
      ['format/damaged', 'error', '2 STREAMINFO blocks; the FLAC format allows one'],
      ['format/damaged', 'error', expect.stringMatching(/^2 metadata blocks follow the block marked last/)],
    ]);
    await expect(labelBytes(flac, damaged, sampleLabel(), { force: true })).rejects.toThrow(/not labeled, since readers disagree/);
    // Bytes after the last block that do not chain to a frame sync are audio, as decoders take them.
    const junk = concat([
      keepBlocks(sample, [0]).subarray(0, 4 + 4 + 34),
      Uint8Array.of(4, 0, 0, 8),
      new Uint8Array(8),
      Uint8Array.of(1, 2),
    ]);
    expect((await flac.read(bytesSource(junk))).findings).toEqual([]);
  });
});
