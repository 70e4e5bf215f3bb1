import {
  bytesSource,
  concat,
  FormatRegistry,
  LimitExceededError,
  labelBytes,
  MalformedInputError,
  putU32le,
  u32le,
  utf8,
} from '@aigc-label/core';
import { describe, expect, it } from 'vitest';
import { sampleLabel } from '../../../../test/handler-contract.js';
import { cases } from '../../../../test/hostile/text.mjs';
import { ooxml } from '../../src/ooxml/index.js';
import { readEntryData, readZipDirectory } from '../../src/zip/archive.js';
import { buildPackage } from './zip-builder.js';

const garbage = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 131 + 119 + ((i * i) >>> 3)) & 0xff);
const media = Uint8Array.from({ length: 30_000 }, (_, i) => (i * 31) % 256);

/** `bytes` cut just before its central directory: only the local headers remain. */
async function withoutCentralDirectory(bytes: Uint8Array): Promise<Uint8Array> {
  return bytes.subarray(0, (await readZipDirectory(bytesSource(bytes))).centralDirectoryOffset);
}

async function labeledPackage(layout: { dataDescriptor?: boolean; zip64?: boolean }): Promise<Uint8Array> {
  return (await labelBytes(ooxml, buildPackage({ media, ...layout }), sampleLabel())).bytes;
}

describe('OOXML salvage (issue 25)', () => {
  for (const layout of [{}, { dataDescriptor: true }, { zip64: true, dataDescriptor: true }]) {
    it(`reads the label from the local headers when the central directory is missing (${JSON.stringify(layout)}), and refuses to write`, async () => {
      const damaged = await withoutCentralDirectory(await labeledPackage(layout));
      const read = await ooxml.read(bytesSource(damaged));
      expect(read.carriers.map((c) => c.label)).toEqual([sampleLabel()]);
      const damage = read.findings.filter((f) => f.rule === 'format/damaged');
      expect(damage.map((f) => f.severity)).toEqual(['error']);
      expect(damage[0]?.message).toMatch(/no end-of-central-directory record.*6 entries were found by walking the local headers/);
      await expect(labelBytes(ooxml, damaged, sampleLabel())).rejects.toThrow(/no end-of-central-directory record/);
    });
  }

  it('reads through the local headers when the central directory is inconsistent', async () => {
    const bytes = (await labeledPackage({})).slice();
    const directory = await readZipDirectory(bytesSource(bytes));
    // The second record's signature is overwritten: the directory no longer parses.
    const second = directory.centralDirectoryOffset + 46 + (directory.entries[0]?.nameBytes.length ?? 0);
    expect(u32le(bytes, second)).toBe(0x02014b50);
    putU32le(bytes, second, 0x41414141);
    const read = await ooxml.read(bytesSource(bytes));
    expect(read.carriers.map((c) => c.label)).toEqual([sampleLabel()]);
    expect(read.findings.find((f) => f.rule === 'format/damaged')?.message).toMatch(/central directory record 1 .* is damaged/);
    await expect(labelBytes(ooxml, bytes, sampleLabel())).rejects.toBeInstanceOf(MalformedInputError);
  });

  it('reads an archive with a stub or another file before it, found from its end, and refuses to write', async () => {
    const labeled = await labeledPackage({});
    const registry = new FormatRegistry([ooxml]);
    for (const before of [garbage(1024), concat([utf8('%PDF-1.7\n'), garbage(100_000)])]) {
      const bytes = concat([before, labeled]);
      const tail = bytes.subarray(Math.max(4096, bytes.length - 4096));
      expect(registry.resolve(bytes.subarray(0, 4096), 'a.docx', bytes.length > 8192 ? tail : undefined).handler.id).toBe('ooxml');
      const read = await ooxml.read(bytesSource(bytes));
      expect(read.carriers.map((c) => c.label)).toEqual([sampleLabel()]);
      // A stub or a polyglot's other file is no damage to the label: an info finding (as bytes after a PNG's IEND), and no rewrite.
      expect(read.findings.filter((f) => f.rule === 'format/damaged').map((f) => [f.severity, f.message])).toEqual([
        [
          'info',
          `${before.length} bytes precede the archive (a self-extractor stub or another file); its offsets were read from there, and the package cannot be relabeled`,
        ],
      ]);
      await expect(labelBytes(ooxml, bytes, sampleLabel())).rejects.toThrow(/bytes precede the archive.*not rewritten/);
    }
  });

  it('reads the label of a package whose document part is damaged, and refuses to write', async () => {
    const labeled = (await labeledPackage({})).slice();
    const directory = await readZipDirectory(bytesSource(labeled));
    const main = directory.entries.find((e) => e.name === 'word/document.xml');
    if (!main) throw new Error('no main part');
    labeled[main.localHeaderOffset + 30 + main.nameBytes.length + 2] ^= 0xff; // a flipped byte in its deflated data
    const read = await ooxml.read(bytesSource(labeled));
    expect(read.carriers.map((c) => c.label)).toEqual([sampleLabel()]);
    expect(read.findings.find((f) => f.rule === 'format/damaged')?.message).toMatch(
      /^word\/document\.xml cannot be read \(zip: "word\/document\.xml" .*\); it was not searched for an explicit label$/,
    );
    await expect(labelBytes(ooxml, labeled, sampleLabel())).rejects.toBeInstanceOf(MalformedInputError);
  });

  it('shows entry names from the file with their control characters escaped, on one line (issue 15)', async () => {
    const bytes = buildPackage({ extraEntries: [{ name: 'word/a\nb\u0000c.xml', data: 'x', crc: 1 }] });
    const entry = (await readZipDirectory(bytesSource(bytes))).entries.find((e) => e.name.startsWith('word/a'));
    if (!entry) throw new Error('no entry');
    await expect(readEntryData(bytesSource(bytes), entry, 1000)).rejects.toThrow(
      'zip: "word/a\\nb\\u0000c.xml" does not match its size or CRC in the central directory',
    );
  });

  it('still refuses what has no local headers either', async () => {
    await expect(ooxml.read(bytesSource(new Uint8Array(200).fill(0x41)))).rejects.toBeInstanceOf(MalformedInputError);
  });
});

describe('OOXML hostile input (issue 15)', () => {
  const hostile = (id: string) => {
    const found = cases.find((c) => c.id === id);
    if (!found) throw new Error(`no case ${id}`);
    return found;
  };

  it('reads and labels a package of 99,990 entries, and bounds a walk of more local headers', async () => {
    const many = hostile('ooxml/entries');
    const bytes = many.build(many.sizes[2]);
    const read = await ooxml.read(bytesSource(bytes));
    expect(read.carriers).toHaveLength(1);
    const { bytes: out } = await labelBytes(ooxml, bytes, sampleLabel(), { force: true });
    expect((await readZipDirectory(bytesSource(out))).entries).toHaveLength(many.sizes[2] + 4);
    const walk = hostile('ooxml/no-central-directory');
    expect((await ooxml.read(bytesSource(walk.build(walk.sizes[1])))).carriers).toHaveLength(1);
    await expect(ooxml.read(bytesSource(walk.build(100_001)))).rejects.toThrow(/over 100000 local headers/);
  });

  it('stops a custom.xml that inflates past the part limit, and reads many properties', async () => {
    const bomb = hostile('ooxml/deflate-bomb');
    await expect(ooxml.read(bytesSource(bomb.build(bomb.sizes[2])))).rejects.toBeInstanceOf(LimitExceededError);
    const properties = hostile('ooxml/custom-properties');
    expect((await ooxml.read(bytesSource(properties.build(properties.sizes[1])))).carriers).toHaveLength(1);
    const paragraphs = hostile('ooxml/paragraphs');
    expect((await ooxml.read(bytesSource(paragraphs.build(paragraphs.sizes[1])))).carriers).toHaveLength(1);
  });
});
