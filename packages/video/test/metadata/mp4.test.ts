import {
  buildXmpPacket,
  bytesSource,
  concat,
  createLabel,
  encodeBare,
  isobmff,
  LabelConflictError,
  labelBytes,
  MalformedInputError,
  mp4Meta,
  putU32be,
  u32be,
  u64be,
  utf8,
} from '@aigc-label/core';
import { describe, expect, it } from 'vitest';
import { describeHandlerContract, OTHER_PRODUCER, sampleLabel } from '../../../../test/handler-contract.js';
import { mp4 } from '../../src/mp4/index.js';
import { itLabelsForThirdPartyReaders } from './checks.js';
import { decodeErrors, frameMd5, makeClip, probeTags } from './clips.js';

/** Top-level boxes of an in-memory file. */
const topLevel = (bytes: Uint8Array) => isobmff.listBoxesIn(bytes, 0, bytes.length, 'mp4');
const find = (bytes: Uint8Array, type: string) => {
  const box = topLevel(bytes).find((b) => b.type === type);
  if (!box) throw new Error(`no ${type}`);
  return box;
};

/** Every chunk offset in every stco/co64 of the file's moov, in order. */
function chunkOffsets(bytes: Uint8Array): number[] {
  const moov = find(bytes, 'moov');
  const offsets: number[] = [];
  isobmff.rewriteBoxTree(bytes.subarray(moov.offset, moov.end), 'mp4', (box, boxBytes) => {
    if (box.type === 'stco' || box.type === 'co64') {
      const count = u32be(boxBytes, box.headerSize + 4);
      for (let i = 0; i < count; i++) {
        const at = box.headerSize + 8 + i * (box.type === 'co64' ? 8 : 4);
        offsets.push(box.type === 'co64' ? u64be(boxBytes, at) : u32be(boxBytes, at));
      }
    }
    return undefined;
  });
  return offsets;
}

describe('mp4 metadata carrier', () => {
  describeHandlerContract(mp4, () => makeClip('faststart.mp4'));
  describeHandlerContract(mp4, () => makeClip('moov-at-end.mp4'));
  describeHandlerContract(mp4, () => makeClip('fragmented.mp4'));
  describeHandlerContract(mp4, () => makeClip('clip.mov'));

  itLabelsForThirdPartyReaders(mp4, 'faststart.mp4', 'mp4');
  itLabelsForThirdPartyReaders(mp4, 'moov-at-end.mp4', 'mp4');
  itLabelsForThirdPartyReaders(mp4, 'fragmented.mp4', 'mp4');
  itLabelsForThirdPartyReaders(mp4, 'clip.mov', 'mov');

  it('leaves audio-only M4A files to the audio package and HEIF images to the image package', () => {
    const m4a = makeClip('clip.m4a');
    expect(mp4.sniff(m4a.subarray(0, 4096))).toBe(false);
    const heic = m4a.slice(0, 32);
    heic.set(utf8('heic'), 8);
    expect(mp4.sniff(heic)).toBe(false);
    expect(mp4.sniff(makeClip('clip.mov').subarray(0, 4096))).toBe(true);
  });

  it('shifts every stco offset by the moov growth when moov precedes mdat, and copies mdat unchanged', async () => {
    const input = makeClip('faststart.mp4');
    const { bytes } = await labelBytes(mp4, input, sampleLabel());
    const growth = find(bytes, 'moov').size - find(input, 'moov').size;
    expect(growth).toBeGreaterThan(0);
    const before = chunkOffsets(input);
    expect(before.length).toBeGreaterThan(2);
    expect(chunkOffsets(bytes)).toEqual(before.map((o) => o + growth));
    const mdatIn = find(input, 'mdat');
    const mdatOut = find(bytes, 'mdat');
    expect(mdatOut.offset).toBe(mdatIn.offset + growth);
    expect(bytes.subarray(mdatOut.offset, mdatOut.end)).toEqual(input.subarray(mdatIn.offset, mdatIn.end));
  });

  it('shifts the absolute tfhd base_data_offset of every fragment when the moov grows', async () => {
    const input = makeClip('fragmented.mp4');
    const { bytes } = await labelBytes(mp4, input, sampleLabel());
    const growth = find(bytes, 'moov').size - find(input, 'moov').size;
    const baseOffsets = (file: Uint8Array) =>
      topLevel(file)
        .filter((b) => b.type === 'moof')
        .flatMap((moof) => {
          const found: number[] = [];
          isobmff.rewriteBoxTree(file.subarray(moof.offset, moof.end), 'mp4', (box, boxBytes) => {
            if (box.type === 'tfhd' && u32be(boxBytes, 8) & 1) found.push(u64be(boxBytes, 16));
            return undefined;
          });
          return found;
        });
    const before = baseOffsets(input);
    expect(before.length).toBeGreaterThan(1);
    expect(baseOffsets(bytes)).toEqual(before.map((o) => o + growth));
  });

  it('labels a fragmented file with a global sidx after the moov (moof-relative offsets, as ffmpeg lays it out)', async () => {
    const input = makeClip('fragmented.mp4', ['-movflags', 'frag_keyframe+empty_moov+default_base_moof+global_sidx']);
    expect(topLevel(input).some((b) => b.type === 'sidx')).toBe(true);
    const { bytes } = await labelBytes(mp4, input, sampleLabel());
    expect(decodeErrors(bytes, 'mp4')).toBe('');
    expect(frameMd5(bytes, 'mp4')).toEqual(frameMd5(input, 'mp4'));
  });

  it('refuses to resize a box inside the range a sidx indexes', async () => {
    const input = makeClip('fragmented.mp4', ['-movflags', 'frag_keyframe+empty_moov+default_base_moof+global_sidx']);
    const sidx = topLevel(input)
      .filter((b) => b.type === 'sidx')
      .at(-1);
    if (!sidx) throw new Error('no sidx');
    const firstMoof = find(input, 'moof');
    // A labeled XMP uuid box between the sidx and the fragments it indexes.
    const uuid = concat([
      new Uint8Array(4),
      utf8('uuid'),
      Uint8Array.from(mp4Meta.XMP_UUID.match(/../g) ?? [], (h) => Number.parseInt(h, 16)),
      utf8(buildXmpPacket('{}')),
    ]);
    putU32be(uuid, 0, uuid.length);
    expect(firstMoof.offset).toBeGreaterThan(sidx.offset);
    const file = concat([input.subarray(0, sidx.end), uuid, input.subarray(sidx.end)]);
    await expect(mp4.write(bytesSource(file), sampleLabel())).rejects.toThrow(/sidx box at byte/);
  });

  it('rewrites a moov at the end in place: nothing before it changes and no offset moves', async () => {
    const input = makeClip('moov-at-end.mp4');
    const moov = find(input, 'moov');
    const { bytes } = await labelBytes(mp4, input, sampleLabel());
    expect(bytes.subarray(0, moov.offset)).toEqual(input.subarray(0, moov.offset));
    expect(chunkOffsets(bytes)).toEqual(chunkOffsets(input));
  });

  it('takes the growth from a free box after the moov, so mdat does not move', async () => {
    const input = makeClip('faststart.mp4');
    const moov = find(input, 'moov');
    const padded = concat([input.subarray(0, moov.end), isobmff.makeBox('free', new Uint8Array(4096)), input.subarray(moov.end)]);
    const shifted = isobmff.shiftChunkOffsets(padded.subarray(moov.offset, moov.end), (o) => o + 4104, 'mp4');
    padded.set(shifted, moov.offset);
    const { bytes } = await labelBytes(mp4, padded, sampleLabel());
    expect(bytes.length).toBe(padded.length);
    expect(chunkOffsets(bytes)).toEqual(chunkOffsets(padded));
    expect(frameMd5(bytes, 'mp4')).toEqual(frameMd5(input, 'mp4'));
  });

  it('handles a valid 64-bit (largesize) mdat header', async () => {
    const input = makeClip('faststart.mp4');
    const moov = find(input, 'moov');
    const mdat = find(input, 'mdat');
    const large = new Uint8Array(16);
    putU32be(large, 0, 1);
    large.set(utf8('mdat'), 4);
    putU32be(large, 12, mdat.size + 8);
    const shiftedMoov = isobmff.shiftChunkOffsets(input.subarray(moov.offset, moov.end), (o) => (o >= mdat.offset ? o + 8 : o), 'mp4');
    expect(shiftedMoov.length).toBe(moov.size);
    const file = concat([
      input.subarray(0, moov.offset),
      shiftedMoov,
      input.subarray(moov.end, mdat.offset),
      large,
      input.subarray(mdat.offset + 8),
    ]);
    expect(find(file, 'mdat').headerSize).toBe(16);
    const { bytes } = await labelBytes(mp4, file, sampleLabel());
    expect(decodeErrors(bytes, 'mp4')).toBe('');
    expect(frameMd5(bytes, 'mp4')).toEqual(frameMd5(input, 'mp4'));
  });

  it('promotes stco to co64 when a shifted offset passes 4 GiB', () => {
    const table = new Uint8Array(12);
    putU32be(table, 0, 2);
    putU32be(table, 4, 0x1000);
    putU32be(table, 8, 0xffffff00);
    const stbl = isobmff.makeBox('stbl', isobmff.makeFullBox('stco', 0, 0, table));
    const moov = isobmff.makeBox('moov', isobmff.makeBox('trak', isobmff.makeBox('mdia', isobmff.makeBox('minf', stbl))));
    const shifted = isobmff.shiftChunkOffsets(moov, (o) => o + 0x200, 'mp4');
    expect(shifted.length).toBe(moov.length + 8);
    const co64 = shifted.subarray(shifted.length - 32);
    expect(new TextDecoder().decode(co64.subarray(4, 8))).toBe('co64');
    expect([u64be(co64, 16), u64be(co64, 24)]).toEqual([0x1200, 0x100000100]);
  });

  it('keeps other mdta keys, renumbers them and replaces an existing AIGC key', async () => {
    const other = createLabel({ producer: OTHER_PRODUCER, produceId: 'other-1' });
    const input = makeClip('faststart.mp4', [
      '-movflags',
      '+use_metadata_tags',
      '-metadata',
      `AIGC=${encodeBare(other)}`,
      '-metadata',
      'studio=Acme',
    ]);
    expect((await mp4.read(bytesSource(input))).carriers.map((c) => c.label)).toEqual([other]);
    await expect(labelBytes(mp4, input, sampleLabel())).rejects.toBeInstanceOf(LabelConflictError);
    const label = sampleLabel();
    const { bytes } = await labelBytes(mp4, input, label, { force: true });
    expect((await mp4.read(bytesSource(bytes))).carriers).toHaveLength(1);
    expect(frameMd5(bytes, 'mp4')).toEqual(frameMd5(input, 'mp4'));
    const tags = probeTags(bytes, 'mp4');
    expect(tags).toMatchObject({ AIGC: encodeBare(label), studio: 'Acme', title: 'Hello', comment: 'World' });
  });

  it('reads a label from a keyless ©cmt item and moves it to the mdta key', async () => {
    const label = sampleLabel();
    const input = makeClip('faststart.mp4', ['-metadata', `comment={"AIGC":${encodeBare(label)}}`]);
    const read = await mp4.read(bytesSource(input));
    expect(read.carriers.map((c) => [c.carrier, c.canonical, c.label])).toEqual([['mp4-ilst', false, label]]);
    const { bytes } = await labelBytes(mp4, input, label);
    expect((await mp4.read(bytesSource(bytes))).carriers.map((c) => c.carrier)).toEqual(['mp4-mdta']);
  });

  it('reads a QuickTime-form meta directly under moov and leaves one label after writing', async () => {
    const input = makeClip('moov-at-end.mp4');
    const moov = find(input, 'moov');
    const old = createLabel({ producer: sampleLabel().ContentProducer, produceId: 'old-1' });
    const hdlr = isobmff.makeFullBox('hdlr', 0, 0, concat([new Uint8Array(4), utf8('mdta'), new Uint8Array(13)]));
    const key = concat([new Uint8Array([0, 0, 0, 12]), utf8('mdtaAIGC')]);
    const keys = isobmff.makeFullBox('keys', 0, 0, concat([new Uint8Array([0, 0, 0, 1]), key]));
    const data = isobmff.makeBox('data', concat([new Uint8Array([0, 0, 0, 1, 0, 0, 0, 0]), utf8(encodeBare(old))]));
    const item = isobmff.makeBox('....', data);
    putU32be(item, 4, 1);
    const meta = isobmff.makeBox('meta', [hdlr, keys, isobmff.makeBox('ilst', item)]);
    const newMoov = isobmff.makeBox('moov', [input.subarray(moov.offset + 8, moov.end), meta]);
    const file = concat([input.subarray(0, moov.offset), newMoov, input.subarray(moov.end)]);
    const read = await mp4.read(bytesSource(file));
    // QTFF puts movie-level metadata in moov/meta or moov/udta/meta: the mdta key AIGC is the guide's carrier in either.
    expect(read.carriers.map((c) => [c.location.split(' ')[0], c.canonical, c.label])).toEqual([['moov/meta', true, old]]);
    // A keys table that held nothing but a label is dropped; the label goes where the guide names it.
    const { bytes } = await labelBytes(mp4, file, sampleLabel());
    expect((await mp4.read(bytesSource(bytes))).carriers.map((c) => c.location.split(' ')[0])).toEqual(['moov/udta/meta']);
    expect(isobmff.listBoxesIn(bytes, find(bytes, 'moov').offset + 8, find(bytes, 'moov').end, 'mp4').map((b) => b.type)).not.toContain(
      'meta',
    );
  });

  it('accepts the QuickTime 32-bit zero terminator at the end of udta and keeps it', async () => {
    const input = makeClip('moov-at-end.mp4');
    const moov = find(input, 'moov');
    const children = isobmff.listBoxesIn(input, moov.offset + moov.headerSize, moov.end, 'mp4');
    const udta = children.find((b) => b.type === 'udta');
    if (!udta) throw new Error('no udta');
    const parts = children.map((b) => input.subarray(b.offset, b.end));
    parts[children.indexOf(udta)] = isobmff.makeBox('udta', [input.subarray(udta.offset + 8, udta.end), new Uint8Array(4)]);
    const file = concat([input.subarray(0, moov.offset), isobmff.makeBox('moov', parts), input.subarray(moov.end)]);
    const { bytes } = await labelBytes(mp4, file, sampleLabel());
    const out = find(bytes, 'moov');
    const outUdta = isobmff.listBoxesIn(bytes, out.offset + 8, out.end, 'mp4').find((b) => b.type === 'udta');
    if (!outUdta) throw new Error('no udta');
    expect(u32be(bytes, outUdta.end - 4)).toBe(0);
    expect(probeTags(bytes, 'mp4').AIGC).toBe(encodeBare(sampleLabel()));
  });

  it('reads TC260 XMP in a uuid box and keeps it in step with the mdta key', async () => {
    const input = makeClip('moov-at-end.mp4');
    const old = sampleLabel({ ProduceID: 'xmp-1', PropagateID: 'xmp-1' });
    const uuid = concat([
      new Uint8Array(4),
      utf8('uuid'),
      Uint8Array.from(mp4Meta.XMP_UUID.match(/../g) ?? [], (h) => Number.parseInt(h, 16)),
      utf8(buildXmpPacket(encodeBare(old))),
    ]);
    putU32be(uuid, 0, uuid.length);
    const file = concat([input, uuid]);
    expect((await mp4.read(bytesSource(file))).carriers.map((c) => [c.carrier, c.label])).toEqual([['xmp', old]]);
    const label = sampleLabel();
    const { bytes } = await labelBytes(mp4, file, label);
    const after = await mp4.read(bytesSource(bytes));
    expect(after.carriers.map((c) => [c.carrier, c.label])).toEqual([
      ['mp4-mdta', label],
      ['xmp', label],
    ]);
    expect(decodeErrors(bytes, 'mp4')).toBe('');
  });

  describe('bad input is refused before anything is written', () => {
    const refuse = async (bytes: Uint8Array, message: RegExp) => {
      await expect(labelBytes(mp4, bytes, sampleLabel())).rejects.toSatisfy(
        (e: Error) => e instanceof MalformedInputError && message.test(e.message),
      );
    };
    it('truncated file: mdat past the end', async () => {
      const input = makeClip('faststart.mp4');
      await refuse(input.subarray(0, input.length - 100), /past the end/);
    });
    it('truncated box header', async () => {
      const input = makeClip('moov-at-end.mp4');
      await refuse(concat([input, new Uint8Array([0, 0, 0])]), /truncated/);
    });
    it('missing moov', async () => {
      const input = makeClip('faststart.mp4');
      const moov = find(input, 'moov');
      await refuse(concat([input.subarray(0, moov.offset), input.subarray(moov.end)]), /no moov/);
    });
    it('a 64-bit size past the end', async () => {
      const input = makeClip('moov-at-end.mp4');
      const large = new Uint8Array(16);
      putU32be(large, 0, 1);
      large.set(utf8('free'), 4);
      putU32be(large, 8, 1);
      await refuse(concat([input, large]), /past the end/);
    });
    it('a box smaller than its header', async () => {
      const input = makeClip('moov-at-end.mp4');
      const bad = input.slice();
      putU32be(bad, find(input, 'mdat').offset, 4);
      await refuse(bad, /smaller than its header/);
    });
  });
});
