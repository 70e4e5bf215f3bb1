import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  bytesEqual,
  bytesSource,
  createLabel,
  fromUtf8,
  LimitExceededError,
  labelBytes,
  MalformedInputError,
  putU16le,
  putU32le,
  UnsafeXmlError,
  utf8,
} from '@aigc-label/core';
import { describe, expect, it } from 'vitest';
import { describeHandlerContract, PRODUCER, sampleLabel } from '../../../../test/handler-contract.js';
import { withTool } from '../../../../test/oracles.js';
import { ooxml } from '../../src/ooxml/index.js';
import { entryDataOffset, readEntryData, readZipDirectory, type ZipEntry } from '../../src/zip/archive.js';
import { buildPackage, buildZip } from './zip-builder.js';

const EXIFTOOL = '/usr/bin/exiftool';

const media = Uint8Array.from({ length: 20_000 }, (_, i) => (i * 7919) % 251);

describeHandlerContract(ooxml, () => buildPackage({ kind: 'docx', media }));
describeHandlerContract(ooxml, () => buildPackage({ kind: 'xlsx', dataDescriptor: true }));
describeHandlerContract(ooxml, () => buildPackage({ kind: 'pptx', zip64: true }));

async function entries(bytes: Uint8Array): Promise<Map<string, { entry: ZipEntry; record: Uint8Array }>> {
  const source = bytesSource(bytes);
  const directory = await readZipDirectory(source);
  const map = new Map<string, { entry: ZipEntry; record: Uint8Array }>();
  for (const entry of directory.entries) {
    const start = await entryDataOffset(source, entry);
    map.set(entry.name, { entry, record: bytes.slice(entry.localHeaderOffset, start + entry.compressedSize) });
  }
  return map;
}

async function part(bytes: Uint8Array, name: string): Promise<string> {
  const source = bytesSource(bytes);
  const entry = (await readZipDirectory(source)).entries.find((e) => e.name === name);
  if (!entry) throw new Error(`no ${name}`);
  return fromUtf8(await readEntryData(source, entry, 1 << 20));
}

function tempFile(name: string, bytes: Uint8Array): string {
  const path = join(mkdtempSync(join(tmpdir(), 'aigc-ooxml-')), name);
  writeFileSync(path, bytes);
  return path;
}

const EDITED = new Set(['[Content_Types].xml', '_rels/.rels', 'docProps/custom.xml']);

describe('ooxml carrier', () => {
  it('sniffs OOXML packages but not plain zips', () => {
    expect(ooxml.sniff(buildPackage().subarray(0, 4096))).toBe(true);
    expect(
      ooxml.sniff(
        buildZip([
          { name: 'readme.txt', data: 'hello' },
          { name: 'data/a.bin', data: 'x' },
        ]),
      ),
    ).toBe(false);
    expect(ooxml.sniff(utf8('PK\x03\x04not really'))).toBe(false);
    // Some producers write the main part first and the content types last.
    expect(
      ooxml.sniff(
        buildZip([
          { name: 'word/document.xml', data: '<w:document/>' },
          { name: '[Content_Types].xml', data: '<Types/>' },
        ]),
      ),
    ).toBe(true);
    expect(ooxml.sniff(buildZip([{ name: 'mimetype', data: 'application/vnd.oasis.opendocument.text', method: 'store' }]))).toBe(false);
  });

  for (const layout of [{}, { dataDescriptor: true }, { zip64: true }, { zip64: true, dataDescriptor: true }]) {
    it(`copies every other entry byte for byte (${JSON.stringify(layout)})`, async () => {
      const input = buildPackage({ media, ...layout, comment: 'archive comment' });
      const { bytes } = await labelBytes(ooxml, input, sampleLabel());
      const before = await entries(input);
      const after = await entries(bytes);
      for (const [name, { entry, record }] of before) {
        if (EDITED.has(name)) continue;
        const out = after.get(name);
        expect(out, name).toBeDefined();
        expect(out?.entry.crc).toBe(entry.crc);
        expect(out?.entry.compressedSize).toBe(entry.compressedSize);
        expect(out?.entry.method).toBe(entry.method);
        expect(bytesEqual(out?.record ?? new Uint8Array(0), record), name).toBe(true);
      }
      expect([...after.keys()]).toEqual([...before.keys(), 'docProps/custom.xml']);
      expect(await part(bytes, '_rels/.rels')).toContain('relationships/custom-properties" Target="docProps/custom.xml"');
      expect(await part(bytes, '[Content_Types].xml')).toContain(
        '<Override PartName="/docProps/custom.xml" ContentType="application/vnd.openxmlformats-officedocument.custom-properties+xml"/></Types>',
      );
      const custom = await part(bytes, 'docProps/custom.xml');
      expect(custom).toContain('<property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="2" name="AIGC"><vt:lpwstr>{"Label":"1",');
    });
  }

  it('adds to an existing custom.xml with a fresh pid and leaves the other properties alone', async () => {
    const customXml =
      '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">\n' +
      '  <property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="2" name="Client"><vt:lpwstr>ACME &amp; Co</vt:lpwstr></property>\n' +
      '  <property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="7" name="Reviewed"><vt:bool>true</vt:bool></property>\n' +
      '</Properties>';
    const input = buildPackage({ customXml });
    const { bytes } = await labelBytes(ooxml, input, sampleLabel());
    const custom = await part(bytes, 'docProps/custom.xml');
    const insertAt = customXml.lastIndexOf('</Properties>');
    expect(custom.startsWith(customXml.slice(0, insertAt))).toBe(true);
    expect(custom.endsWith('</Properties>')).toBe(true);
    expect(custom).toContain('pid="8" name="AIGC"');
    // Relationship and content type already existed: those parts are copied untouched.
    const before = await entries(input);
    const after = await entries(bytes);
    expect(bytesEqual(after.get('_rels/.rels')?.record as Uint8Array, before.get('_rels/.rels')?.record as Uint8Array)).toBe(true);
    expect(
      bytesEqual(after.get('[Content_Types].xml')?.record as Uint8Array, before.get('[Content_Types].xml')?.record as Uint8Array),
    ).toBe(true);
  });

  it('replaces an AIGC property written by another tool, keeping one', async () => {
    const other = createLabel({ producer: PRODUCER, produceId: 'old-1' });
    const escaped = JSON.stringify(other).replace(/"/g, '&quot;');
    const customXml =
      '<?xml version="1.0" encoding="UTF-8"?><op:Properties xmlns:op="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" xmlns:v="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">' +
      `<op:property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="5" name="AIGC"><v:lpwstr>${escaped}</v:lpwstr></op:property>` +
      `<op:property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="6" name="aigc"><v:lpwstr>${escaped}</v:lpwstr></op:property>` +
      '</op:Properties>';
    const input = buildPackage({ customXml });
    const before = await ooxml.read(bytesSource(input));
    expect(before.carriers.map((c) => c.label)).toEqual([other, other]);
    const label = sampleLabel();
    const { bytes } = await labelBytes(ooxml, input, label);
    const read = await ooxml.read(bytesSource(bytes));
    expect(read.carriers.map((c) => c.label)).toEqual([label]);
    const custom = await part(bytes, 'docProps/custom.xml');
    expect(custom).toContain('<op:property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="5" name="AIGC"><v:lpwstr>');
    expect(custom.match(/property /g)).toHaveLength(1);
  });

  it('refuses a zip bomb in an XML part without inflating it', async () => {
    const honest = buildZip([
      { name: '[Content_Types].xml', data: new Uint8Array(40 * 1024 * 1024).fill(0x20) },
      { name: '_rels/.rels', data: '<Relationships/>' },
    ]);
    expect(honest.length).toBeLessThan(1024 * 1024);
    await expect(ooxml.read(bytesSource(honest))).rejects.toBeInstanceOf(LimitExceededError);
    // The same bomb lying about its size is stopped by the capped inflater.
    const lying = buildZip([
      { name: '[Content_Types].xml', data: new Uint8Array(40 * 1024 * 1024).fill(0x20), declaredSize: 100 },
      { name: '_rels/.rels', data: '<Relationships/>' },
    ]);
    await expect(ooxml.read(bytesSource(lying))).rejects.toBeInstanceOf(LimitExceededError);
    await expect(labelBytes(ooxml, lying, sampleLabel())).rejects.toBeInstanceOf(LimitExceededError);
  });

  it('refuses corrupt archives with clear errors', async () => {
    const good = buildPackage({ media });
    const truncated = good.subarray(0, good.length - 40);
    // Read through the local headers (issue 25), never written into.
    expect((await ooxml.read(bytesSource(truncated))).findings.map((f) => [f.rule, f.severity])).toContainEqual([
      'format/damaged',
      'error',
    ]);
    await expect(labelBytes(ooxml, truncated, sampleLabel())).rejects.toThrow(MalformedInputError);
    const crc = buildZip([
      { name: '[Content_Types].xml', data: '<Types/>', crc: 0x12345678 },
      { name: '_rels/.rels', data: '<Relationships/>' },
    ]);
    await expect(ooxml.read(bytesSource(crc))).rejects.toThrow(/does not match its size or CRC/);
    const garbage = good.slice();
    garbage.fill(0x41, good.length - 300, good.length - 22);
    await expect(labelBytes(ooxml, garbage, sampleLabel())).rejects.toThrow(MalformedInputError);
    const notOoxml = buildZip([{ name: 'readme.txt', data: 'hello' }]);
    await expect(ooxml.read(bytesSource(notOoxml))).rejects.toThrow(/not an OOXML package/);
  });

  it('bounds entry counts and name lengths, and refuses overlapping entries', async () => {
    const good = buildPackage();
    const zip64 = buildPackage({ zip64: true });
    const tooMany = zip64.slice();
    // ZIP64 end record: 56 bytes before the 20-byte locator and the 22-byte end record; entry counts at +24 and +32.
    const zip64End = zip64.length - 22 - 20 - 56;
    putU32le(tooMany, zip64End + 24, 5_000_000);
    putU32le(tooMany, zip64End + 32, 5_000_000);
    await expect(ooxml.read(bytesSource(tooMany))).rejects.toThrow(/over the 100000-entry limit/);
    const directory = await readZipDirectory(bytesSource(good));
    const longName = good.slice();
    putU16le(longName, directory.centralDirectoryOffset + 28, 5000);
    await expect(ooxml.read(bytesSource(longName))).rejects.toBeInstanceOf(LimitExceededError);
    const overlapping = good.slice();
    const secondRecord = directory.centralDirectoryOffset + 46 + directory.entries[0].nameBytes.length;
    putU32le(overlapping, secondRecord + 42, 0);
    await expect(labelBytes(ooxml, overlapping, sampleLabel())).rejects.toThrow(/overlaps/);
  });

  it('warns that labeling invalidates a package signature', async () => {
    const plain = await labelBytes(ooxml, buildPackage(), sampleLabel());
    expect(plain.findings.map((f) => f.rule)).not.toContain('ooxml/signature-invalidated');
    const signed = await labelBytes(
      ooxml,
      buildPackage({ extraEntries: [{ name: '_xmlsignatures/sig1.xml', data: '<Signature/>' }] }),
      sampleLabel(),
    );
    expect(signed.findings.map((f) => f.rule)).toContain('ooxml/signature-invalidated');
  });

  it('refuses XML with a DOCTYPE', async () => {
    const customXml =
      '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties">&a;</Properties>';
    await expect(labelBytes(ooxml, buildPackage({ customXml }), sampleLabel())).rejects.toBeInstanceOf(UnsafeXmlError);
  });

  withTool('python3')('Python zipfile opens the output and its CRCs check', async () => {
    for (const layout of [{}, { zip64: true, dataDescriptor: true }]) {
      const { bytes } = await labelBytes(ooxml, buildPackage({ media, ...layout }), sampleLabel());
      const path = tempFile('labeled.docx', bytes);
      const script =
        'import sys,zipfile\nz=zipfile.ZipFile(sys.argv[1])\nassert z.testzip() is None\nprint(z.read("docProps/custom.xml").decode())';
      const out = execFileSync('python3', ['-c', script, path]).toString();
      expect(out).toContain('name="AIGC"');
    }
  });

  withTool('exiftool')('ExifTool shows the AIGC custom property', async () => {
    const label = sampleLabel();
    const { bytes } = await labelBytes(ooxml, buildPackage({ media }), label);
    const [tags] = JSON.parse(execFileSync(EXIFTOOL, ['-j', '-a', '-G1', tempFile('labeled.docx', bytes)]).toString()) as Record<
      string,
      unknown
    >[];
    const aigc = Object.entries(tags).find(([key]) => /:AIGC$/i.test(key));
    expect(aigc).toBeDefined();
    expect(JSON.parse(String(aigc?.[1]))).toEqual(label);
  });
});
