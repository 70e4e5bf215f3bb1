import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bytesSource, fromUtf8, LabelConflictError, labelBytes, MalformedInputError, UnsupportedFormatError } from '@aigc-label/core';
import { describe, expect, it } from 'vitest';
import { PRODUCER, sampleLabel } from '../../../../test/handler-contract.js';
import { withTool } from '../../../../test/oracles.js';
import { ooxml } from '../../src/ooxml/index.js';
import { resolveTarget } from '../../src/ooxml/opc.js';
import { readEntryData, readZipDirectory, unsafeEntryName } from '../../src/zip/archive.js';
import { buildZip, type FixtureEntry } from './zip-builder.js';

const CUSTOM_TYPE = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties';
const CONTENT_TYPES =
  '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">' +
  '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>' +
  '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>';
const DOCUMENT =
  '<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>Hello</w:t></w:r></w:p></w:body></w:document>';

const customXml = (properties: string) =>
  '<?xml version="1.0" encoding="UTF-8"?><Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">' +
  `${properties}</Properties>`;
const property = (pid: number, name: string, value: string) =>
  `<property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="${pid}" name="${name}">${value}</property>`;

/** A DOCX whose package relationships hold `relationship` (a custom-properties one, as the test crafts it), plus `entries`. */
function craftedDocx(relationship: string, entries: FixtureEntry[] = []): Uint8Array {
  const rels =
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">' +
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>' +
    `${relationship}</Relationships>`;
  return buildZip([
    { name: '[Content_Types].xml', data: CONTENT_TYPES },
    { name: '_rels/.rels', data: rels },
    { name: 'word/document.xml', data: DOCUMENT },
    ...entries,
  ]);
}

async function names(bytes: Uint8Array): Promise<string[]> {
  return (await readZipDirectory(bytesSource(bytes))).entries.map((e) => e.name);
}

async function part(bytes: Uint8Array, name: string): Promise<string> {
  const source = bytesSource(bytes);
  const entry = (await readZipDirectory(source)).entries.find((e) => e.name === name);
  if (!entry) throw new Error(`no ${name}`);
  return fromUtf8(await readEntryData(source, entry, 1 << 20));
}

function tempFile(bytes: Uint8Array): string {
  const path = join(mkdtempSync(join(tmpdir(), 'aigc-opc-')), 'x.docx');
  writeFileSync(path, bytes);
  return path;
}

describe('OPC part names (issue 24)', () => {
  it('resolves relationship targets against the source part, percent-decoded, refusing what leaves the package', () => {
    expect(resolveTarget('', 'docProps/custom.xml', false)).toEqual({ part: 'docProps/custom.xml' });
    expect(resolveTarget('', '/docProps/custom.xml', false)).toEqual({ part: 'docProps/custom.xml' });
    expect(resolveTarget('', './docProps/../docProps/custom%20props.xml', false)).toEqual({ part: 'docProps/custom props.xml' });
    expect(resolveTarget('word/document.xml', 'media/image1.png', false)).toEqual({ part: 'word/media/image1.png' });
    expect(resolveTarget('word/document.xml', '../customXml/item1.xml', false)).toEqual({ part: 'customXml/item1.xml' });
    expect(resolveTarget('word/document.xml', '/etc/evil.xml', false)).toEqual({ part: 'etc/evil.xml' });
    for (const [target, why] of [
      ['../../../../tmp/evil.xml', /leaves the package/],
      ['word/../../evil.xml', /leaves the package/],
      ['http://example.com/custom.xml', /absolute URI/],
      ['file:///etc/passwd', /absolute URI/],
      ['//host/share/custom.xml', /absolute URI/],
      ['docProps\\custom.xml', /backslash/],
      ['docProps%2fcustom.xml', /percent-encoded/],
      ['docProps/custom.xml#x', /query or fragment/],
      ['docProps//custom.xml', /empty segment/],
      ['%E0%A4%A', /percent-encoding/],
    ] as const) {
      const resolved = resolveTarget('', target, false);
      expect('rejected' in resolved && resolved.rejected, target).toMatch(why);
    }
    expect(resolveTarget('', 'docProps/custom.xml', true)).toEqual({
      rejected: '"docProps/custom.xml" is an external target (TargetMode="External")',
    });
  });

  it("flags every entry name that could leave an extractor's folder", () => {
    for (const bad of [
      '../evil.xml',
      'a/../../evil.xml',
      '/etc/evil.xml',
      'C:/evil.xml',
      'c:evil.xml',
      'docProps\\custom.xml',
      '',
      'a\0b',
    ]) {
      expect(unsafeEntryName(bad), JSON.stringify(bad)).not.toBeNull();
    }
    for (const good of ['docProps/custom.xml', '[Content_Types].xml', 'word/media/image..1.png', 'a/b/'])
      expect(unsafeEntryName(good)).toBeNull();
  });

  for (const target of ['../../../../tmp/evil.xml', '/etc/evil.xml', 'http://example.com/custom.xml']) {
    it(`writes the label to docProps/custom.xml with a repaired relationship when the target is ${target}`, async () => {
      const input = craftedDocx(`<Relationship Id="rId2" Type="${CUSTOM_TYPE}" Target="${target}"/>`);
      const before = await ooxml.read(bytesSource(input));
      expect(before.findings.map((f) => f.rule)).toContain('ooxml/custom-relationship-repaired');
      const label = sampleLabel();
      const { bytes, findings } = await labelBytes(ooxml, input, label);
      expect(findings.map((f) => f.rule)).toContain('ooxml/custom-relationship-repaired');
      const written = await names(bytes);
      expect(written.filter((n) => unsafeEntryName(n) !== null)).toEqual([]);
      expect(written).not.toContain('etc/evil.xml');
      expect(written).toEqual(['[Content_Types].xml', '_rels/.rels', 'word/document.xml', 'docProps/custom.xml']);
      const rels = await part(bytes, '_rels/.rels');
      expect(rels).toContain(`<Relationship Id="rId2" Type="${CUSTOM_TYPE}" Target="docProps/custom.xml"/>`);
      expect(rels.match(/custom-properties/g)).toHaveLength(1);
      expect(await part(bytes, 'docProps/custom.xml')).toContain('name="AIGC"');
      expect((await ooxml.read(bytesSource(bytes))).carriers.map((c) => c.label)).toEqual([label]);
    });
  }

  it('repairs an external custom-properties relationship by dropping its TargetMode', async () => {
    const input = craftedDocx(`<Relationship Id="rId9" Type="${CUSTOM_TYPE}" Target="https://example.com/p.xml" TargetMode="External"/>`);
    const { bytes } = await labelBytes(ooxml, input, sampleLabel());
    const rels = await part(bytes, '_rels/.rels');
    expect(rels).toContain(`<Relationship Id="rId9" Type="${CUSTOM_TYPE}" Target="docProps/custom.xml"/>`);
    expect(rels).not.toContain('TargetMode');
  });

  it('edits the part a relative, percent-encoded or differently cased target names, in place', async () => {
    for (const [target, entry] of [
      ['./docProps/custom%20props.xml', 'docProps/custom props.xml'],
      ['DOCPROPS/CUSTOM.XML', 'docProps/custom.xml'],
      ['/docProps/custom.xml', 'docProps/custom.xml'],
    ] as const) {
      const input = craftedDocx(`<Relationship Id="rId2" Type="${CUSTOM_TYPE}" Target="${target}"/>`, [
        { name: entry, data: customXml(property(2, 'Client', '<vt:lpwstr>ACME</vt:lpwstr>')) },
      ]);
      const label = sampleLabel();
      const { bytes, findings } = await labelBytes(ooxml, input, label);
      expect(findings.map((f) => f.rule)).not.toContain('ooxml/custom-relationship-repaired');
      expect(await names(bytes)).toEqual(['[Content_Types].xml', '_rels/.rels', 'word/document.xml', entry]);
      expect(await part(bytes, entry)).toContain('name="Client"><vt:lpwstr>ACME</vt:lpwstr></property><property');
      // The relationship already named the part: it is copied as it was.
      expect(await part(bytes, '_rels/.rels')).toContain(`Target="${target}"`);
      expect((await ooxml.read(bytesSource(bytes))).carriers.map((c) => c.label)).toEqual([label]);
    }
  });

  it('refuses to rewrite a package whose entry names leave the package or repeat, and says so on read', async () => {
    const slip = craftedDocx(`<Relationship Id="rId2" Type="${CUSTOM_TYPE}" Target="../evil.xml"/>`, [
      { name: '../evil.xml', data: customXml(property(2, 'AIGC', `<vt:lpwstr>{"Label":"1"}</vt:lpwstr>`)) },
    ]);
    const read = await ooxml.read(bytesSource(slip));
    expect(read.findings.map((f) => f.message).join(' ')).toMatch(/"\.\.\/evil\.xml" has a \.\. segment/);
    await expect(labelBytes(ooxml, slip, sampleLabel())).rejects.toThrow(/\.\. segment; an archive with such a name is not rewritten/);
    const duplicate = craftedDocx('', [
      { name: 'word/media/a.png', data: 'x' },
      { name: 'WORD/media/A.png', data: 'y' },
    ]);
    expect((await ooxml.read(bytesSource(duplicate))).findings.map((f) => f.rule)).toContain('format/damaged');
    await expect(labelBytes(ooxml, duplicate, sampleLabel())).rejects.toThrow(MalformedInputError);
  });

  withTool('python3')("Python's zipfile sees the same safe entries as our reader, and Word's part holds the label", async () => {
    const input = craftedDocx(`<Relationship Id="rId2" Type="${CUSTOM_TYPE}" Target="../../../../tmp/evil.xml"/>`);
    const label = sampleLabel();
    const { bytes } = await labelBytes(ooxml, input, label);
    const script =
      'import sys,zipfile,json,posixpath\nz=zipfile.ZipFile(sys.argv[1])\nassert z.testzip() is None\n' +
      'print(json.dumps({"names":z.namelist(),"custom":z.read("docProps/custom.xml").decode(),"rels":z.read("_rels/.rels").decode()}))';
    const out = JSON.parse(execFileSync('python3', ['-c', script, tempFile(bytes)]).toString()) as {
      names: string[];
      custom: string;
      rels: string;
    };
    expect(out.names).toEqual(await names(bytes));
    expect(out.names.every((n) => !n.startsWith('/') && !n.split('/').includes('..') && !n.includes('\\'))).toBe(true);
    const value = /<vt:lpwstr>(.*)<\/vt:lpwstr>/.exec(out.custom)?.[1] ?? '';
    expect(JSON.parse(value.replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>'))).toEqual(label);
    expect(out.rels).toContain('Target="docProps/custom.xml"');
  });
});

describe('custom properties: fail closed, empty, and kept (issues 24, 25, 13)', () => {
  const withCustom = (xml: string, extra: Partial<FixtureEntry> = {}) =>
    craftedDocx(`<Relationship Id="rId2" Type="${CUSTOM_TYPE}" Target="docProps/custom.xml"/>`, [
      { name: 'docProps/custom.xml', data: xml, ...extra },
    ]);

  it('reports an AIGC property it cannot read, and labeling refuses it without force', async () => {
    for (const value of ['<vt:blob>AAEC</vt:blob>', '<vt:vector size="1" baseType="lpwstr"><vt:lpwstr>x</vt:lpwstr></vt:vector>']) {
      const input = withCustom(customXml(property(2, 'AIGC', value)));
      const read = await ooxml.read(bytesSource(input));
      expect(read.carriers).toHaveLength(1);
      expect(read.carriers[0]?.label).toBeNull();
      expect(read.carriers[0]?.findings.map((f) => f.rule)).toEqual(['carrier/unreadable']);
      await expect(labelBytes(ooxml, input, sampleLabel())).rejects.toBeInstanceOf(LabelConflictError);
      const { bytes } = await labelBytes(ooxml, input, sampleLabel(), { force: true });
      expect((await ooxml.read(bytesSource(bytes))).carriers.map((c) => c.label)).toEqual([sampleLabel()]);
    }
  });

  it('reports a custom-properties part it cannot open (encrypted, UTF-16) as an unreadable carrier', async () => {
    const encrypted = withCustom(customXml(property(2, 'AIGC', '<vt:lpwstr>x</vt:lpwstr>')), { flags: 1 });
    const read = await ooxml.read(bytesSource(encrypted));
    expect(read.carriers.map((c) => [c.label, c.findings[0]?.rule])).toEqual([[null, 'carrier/unreadable']]);
    await expect(labelBytes(ooxml, encrypted, sampleLabel())).rejects.toBeInstanceOf(LabelConflictError);
    await expect(labelBytes(ooxml, encrypted, sampleLabel(), { force: true })).rejects.toBeInstanceOf(UnsupportedFormatError);
    const utf16 = new Uint8Array([0xff, 0xfe, ...new Uint8Array(new Uint16Array([...customXml('')].map((c) => c.charCodeAt(0))).buffer)]);
    expect((await ooxml.read(bytesSource(withCustom('', { data: utf16 })))).carriers[0]?.findings[0]?.rule).toBe('carrier/unreadable');
  });

  it('finds an AIGC property after one that does not parse, keeps the broken one byte for byte, and fails closed on a broken AIGC', async () => {
    const broken = '<property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="9" name="Draft"><vt:lpwstr>unclosed';
    const other = { ...sampleLabel(), ContentProducer: PRODUCER };
    const xml = customXml(`${broken}${property(3, 'AIGC', `<vt:lpwstr>${JSON.stringify(other).replace(/"/g, '&quot;')}</vt:lpwstr>`)}`);
    const read = await ooxml.read(bytesSource(withCustom(xml)));
    expect(read.carriers.map((c) => c.label)).toEqual([other]);
    expect(read.findings.map((f) => f.rule)).toContain('ooxml/custom-property-kept');
    const label = sampleLabel({ ProduceID: 'new-1', PropagateID: 'new-1' });
    const { bytes } = await labelBytes(ooxml, withCustom(xml), label);
    const custom = await part(bytes, 'docProps/custom.xml');
    expect(custom).toContain(broken);
    expect(custom).toContain('pid="3" name="AIGC"');
    // A broken element that names AIGC may be a label: it is never written beside.
    const brokenAigc = customXml('<property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="2" name="AIGC"><vt:lpwstr>{"Label":"1"');
    const unreadable = await ooxml.read(bytesSource(withCustom(brokenAigc)));
    expect(unreadable.carriers.map((c) => c.findings[0]?.rule)).toEqual(['carrier/unreadable']);
    await expect(labelBytes(ooxml, withCustom(brokenAigc), label)).rejects.toBeInstanceOf(LabelConflictError);
  });

  it('gives new properties a pid above every pid in the part, parsed or not', async () => {
    const xml = customXml(`${property(4, 'A', '<vt:lpwstr>a</vt:lpwstr>')}<property pid="40" name="Broken"><vt:i4>1</vt:i4>`);
    const { bytes } = await labelBytes(ooxml, withCustom(xml), sampleLabel());
    expect(await part(bytes, 'docProps/custom.xml')).toContain('pid="41" name="AIGC"');
  });

  it('says plainly that an empty AIGC property is present but empty, and replaces it', async () => {
    for (const value of ['<vt:lpwstr></vt:lpwstr>', '<vt:lpwstr>  \n </vt:lpwstr>', '<vt:lpwstr/>']) {
      const input = withCustom(customXml(property(2, 'AIGC', value)));
      const read = await ooxml.read(bytesSource(input));
      expect(read.carriers.map((c) => [c.label, c.findings.map((f) => [f.rule, f.severity])])).toEqual([
        [null, [['carrier/empty', 'warning']]],
      ]);
      expect(read.carriers[0]?.findings[0]?.message).toBe(
        'the AIGC carrier is present but empty; a label may have been removed (Measures Art. 10)',
      );
      const { bytes } = await labelBytes(ooxml, input, sampleLabel());
      expect((await ooxml.read(bytesSource(bytes))).carriers.map((c) => c.label)).toEqual([sampleLabel()]);
    }
  });
});
