/**
 * Salvage reading of damaged MP4/MOV files (issue 25 item 2): the label carrier is intact, the
 * container around it is not. Reading finds the label with a `format/damaged` finding; writing
 * still refuses with a MalformedInputError.
 */
import {
  buildXmpPacket,
  bytesSource,
  concat,
  encodeBare,
  isobmff,
  labelBytes,
  MalformedInputError,
  mp4Meta,
  putU32be,
  utf8,
} from '@aigc-label/core';
import { describe, expect, it } from 'vitest';
import { sampleLabel } from '../../../../test/handler-contract.js';
import { mp4 } from '../../src/mp4/index.js';
import { makeClip } from './clips.js';

const label = sampleLabel();
const labeled = async (kind: 'faststart.mp4' | 'moov-at-end.mp4') => (await labelBytes(mp4, makeClip(kind), label)).bytes;
const top = (bytes: Uint8Array) => isobmff.listBoxesIn(bytes, 0, bytes.length, 'mp4');
const boxOf = (bytes: Uint8Array, type: string) => top(bytes).find((b) => b.type === type) as isobmff.Box;

/** `bytes` with the moov's udta moved to be its first child (so a moov cut short keeps it). */
function udtaFirst(bytes: Uint8Array): Uint8Array {
  const moov = boxOf(bytes, 'moov');
  const children = isobmff.listBoxesIn(bytes, moov.offset + moov.headerSize, moov.end, 'mp4');
  const ordered = [...children.filter((c) => c.type === 'udta'), ...children.filter((c) => c.type !== 'udta')];
  const newMoov = isobmff.makeBox(
    'moov',
    ordered.map((c) => bytes.subarray(c.offset, c.end)),
  );
  return concat([bytes.subarray(0, moov.offset), newMoov, bytes.subarray(moov.end)]);
}

const damages: Record<string, (file: Uint8Array) => Uint8Array> = {
  '16 bytes of garbage appended': (file) => concat([file, Uint8Array.from({ length: 16 }, (_, i) => (i * 37 + 11) & 0xff)]),
  '4 KiB of garbage appended': (file) => concat([file, Uint8Array.from({ length: 4096 }, (_, i) => (i * 131 + 7) & 0xff)]),
  'a second copy of the file appended': (file) => concat([file, file]),
  'a closing free box 4 bytes short': (file) => concat([file, isobmff.makeBox('free', new Uint8Array(64))]).subarray(0, file.length + 68),
  'a partial upload (cut inside mdat)': (file) => file.subarray(0, boxOf(file, 'mdat').offset + 300),
  'a moov cut short after its udta': (file) => {
    const moved = udtaFirst(file);
    return moved.subarray(0, boxOf(moved, 'moov').end - 200);
  },
};

describe('mp4 salvage reading (issue 25)', () => {
  for (const kind of ['faststart.mp4', 'moov-at-end.mp4'] as const) {
    for (const [name, damage] of Object.entries(damages)) {
      // A moov at the start cannot be cut by a short tail, and one at the end is gone from a partial upload.
      if (kind === 'faststart.mp4' && name.startsWith('a moov cut short')) continue;
      if (kind === 'moov-at-end.mp4' && name.startsWith('a partial upload')) continue;
      it(`${kind}, ${name}: reads the label with a damaged finding; writing refuses`, async () => {
        const file = damage(await labeled(kind));
        const read = await mp4.read(bytesSource(file));
        expect(read.carriers.length).toBeGreaterThan(0);
        for (const c of read.carriers) expect(c.label).toEqual(label);
        expect(read.findings.filter((f) => f.rule === 'format/damaged').length).toBeGreaterThan(0);
        await expect(mp4.write(bytesSource(file), label)).rejects.toBeInstanceOf(MalformedInputError);
      });
    }
  }

  it('a file without moov: the top-level XMP uuid box is still read', async () => {
    const file = await labeled('faststart.mp4');
    const moov = boxOf(file, 'moov');
    const xmpUuid = concat([
      new Uint8Array(4),
      utf8('uuid'),
      Uint8Array.from(mp4Meta.XMP_UUID.match(/../g) ?? [], (h) => Number.parseInt(h, 16)),
      utf8(buildXmpPacket(encodeBare(label))),
    ]);
    putU32be(xmpUuid, 0, xmpUuid.length);
    const noMoov = concat([file.subarray(0, moov.offset), file.subarray(moov.end), xmpUuid]);
    const read = await mp4.read(bytesSource(noMoov));
    expect(read.carriers.map((c) => [c.carrier, c.label])).toEqual([['xmp', label]]);
    expect(read.findings.map((f) => f.message).join('\n')).toMatch(/no moov box/);
    await expect(mp4.write(bytesSource(noMoov), label)).rejects.toThrow(/no moov/);
  });

  it('a copy of the file appended repeats its label, which counts once; a different label in the second moov still counts', async () => {
    const file = await labeled('faststart.mp4');
    const read = await mp4.read(bytesSource(concat([file, file])));
    expect(read.carriers.map((c) => c.label)).toEqual([label]);
    expect(read.findings.map((f) => f.message).join('\n')).toMatch(/2 moov boxes/);
    const other = sampleLabel({ ProduceID: 'second', PropagateID: 'second' });
    const second = (await labelBytes(mp4, makeClip('faststart.mp4'), other)).bytes;
    expect((await mp4.read(bytesSource(concat([file, second])))).carriers.map((c) => c.label)).toEqual([label, other]);
  });

  it('a moov-at-end file whose media data is gone (chunk offsets into the moov or past the end) is read, and writing refuses', async () => {
    // As music-metadata's issue-744.mp4 and issue-133.m4a: the mdat emptied, the moov right after it.
    const file = await labeled('moov-at-end.mp4');
    const mdat = boxOf(file, 'mdat');
    const cut = concat([file.subarray(0, mdat.offset), isobmff.makeBox('mdat', new Uint8Array(0)), file.subarray(mdat.end)]);
    const read = await mp4.read(bytesSource(cut));
    expect(read.carriers.map((c) => c.label)).toEqual([label]);
    await expect(mp4.write(bytesSource(cut), label)).rejects.toThrow(
      /mp4: a chunk of track data at byte \d+ is (inside the moov box|past the end of the file, after the moov): the file is truncated and its media data missing/,
    );
    // The whole file, mdat included, is labeled as before.
    await expect(mp4.write(bytesSource(file), label)).resolves.toBeDefined();
  });

  it('a size-0 box ("to the end") inside moov is refused on writing, since what the writer adds after it would land inside it', async () => {
    const file = await labeled('faststart.mp4');
    const moov = boxOf(file, 'moov');
    const first = isobmff.listBoxesIn(file, moov.offset + moov.headerSize, moov.end, 'mp4')[0] as isobmff.Box;
    const out = file.slice();
    putU32be(out, first.offset, 0);
    await expect(mp4.write(bytesSource(out), label)).rejects.toThrow(
      /box "mvhd" inside moov has size 0 \(to the end\), which only the last top-level box may have; refusing to write/,
    );
  });

  it('an undamaged file has no damaged finding', async () => {
    const read = await mp4.read(bytesSource(await labeled('moov-at-end.mp4')));
    expect(read.findings.filter((f) => f.rule === 'format/damaged')).toEqual([]);
  });
});
