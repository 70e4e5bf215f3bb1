import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type BytesExplicitLabeler,
  bytesEqual,
  bytesSource,
  type ExplicitLabelOptions,
  fromUtf8,
  InvalidLabelError,
  isExplicitCapability,
} from '@aigc-label/core';
import { describe, expect, it } from 'vitest';
import { withTool } from '../../../../test/oracles.js';
import { ooxml } from '../../src/ooxml/index.js';
import { entryDataOffset, readEntryData, readZipDirectory } from '../../src/zip/archive.js';
import { buildPackage } from './zip-builder.js';

const W = 'http://schemas.openxmlformats.org/wordprocessingml/2006/main';
const DOCUMENT =
  `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n<w:document xmlns:w="${W}" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><w:body>` +
  '<w:p><w:pPr><w:sectPr><w:pgSz w:w="11906" w:h="16838"/></w:sectPr></w:pPr><w:r><w:t>First section.</w:t></w:r></w:p>' +
  '<w:p><w:r><w:t xml:space="preserve">Quarterly report </w:t></w:r><w:r><w:t>body.</w:t></w:r></w:p>' +
  '<w:sectPr><w:pgSz w:w="11906" w:h="16838"/><w:pgMar w:top="1440" w:right="1800" w:bottom="1440" w:left="1800"/></w:sectPr></w:body></w:document>';

/** A DOCX with `document` as word/document.xml, plus an image stored as is. */
const docx = (document = DOCUMENT): Uint8Array =>
  buildPackage({ kind: 'docx', media: Uint8Array.from({ length: 5000 }, (_, i) => i % 251), mainXml: document });

async function entries(bytes: Uint8Array): Promise<Map<string, Uint8Array>> {
  const source = bytesSource(bytes);
  const map = new Map<string, Uint8Array>();
  for (const entry of (await readZipDirectory(source)).entries) {
    const start = await entryDataOffset(source, entry);
    map.set(entry.name, bytes.slice(entry.localHeaderOffset, start + entry.compressedSize));
  }
  return map;
}

async function part(bytes: Uint8Array, name: string): Promise<string> {
  const source = bytesSource(bytes);
  const entry = (await readZipDirectory(source)).entries.find((e) => e.name === name);
  if (!entry) throw new Error(`no ${name}`);
  return fromUtf8(await readEntryData(source, entry, 1 << 24));
}

const labeler = (): BytesExplicitLabeler => {
  const explicit = ooxml.explicit;
  if (!explicit || !isExplicitCapability(explicit) || explicit.labeler.input !== 'bytes') throw new Error('no bytes labeler');
  return explicit.labeler;
};

const apply = (bytes: Uint8Array, options: ExplicitLabelOptions = {}) => labeler().apply(bytes, options);

function tempFile(bytes: Uint8Array): string {
  const path = join(mkdtempSync(join(tmpdir(), 'aigc-docx-')), 'x.docx');
  writeFileSync(path, bytes);
  return path;
}

describe('DOCX explicit label (issue 14)', () => {
  it('declares a bytes labeler that takes any wording and whose label read finds', () => {
    const explicit = ooxml.explicit;
    expect(explicit && isExplicitCapability(explicit)).toBe(true);
    if (!explicit || !isExplicitCapability(explicit)) return;
    expect(explicit).toMatchObject({ cost: 'metadata', customWording: true, inRead: true, searches: [] });
  });

  it('adds a paragraph at the end of the body, before its section properties, and changes nothing else', async () => {
    const input = docx();
    const { bytes, summary, findings } = await apply(input);
    expect(findings).toEqual([]);
    expect(summary.detail).toBe('paragraph "本内容由人工智能生成" at the end of word/document.xml');
    const paragraph = '<w:p><w:r><w:t xml:space="preserve">本内容由人工智能生成</w:t></w:r></w:p>';
    const at = DOCUMENT.lastIndexOf('<w:sectPr>');
    expect(await part(bytes, 'word/document.xml')).toBe(DOCUMENT.slice(0, at) + paragraph + DOCUMENT.slice(at));
    const before = await entries(input);
    const after = await entries(bytes);
    expect([...after.keys()]).toEqual([...before.keys()]);
    for (const [name, record] of before)
      if (name !== 'word/document.xml') expect(bytesEqual(after.get(name) as Uint8Array, record), name).toBe(true);
    const read = await ooxml.read(bytesSource(bytes));
    expect(read.evidence?.map((e) => [e.kind, e.detail, e.where?.split(',')[0]])).toEqual([
      ['explicit-text-label', 'explicit label "本内容由人工智能生成"', 'end'],
    ]);
  });

  it('adds it at the start of the body, at both ends, with custom wording escaped, or refuses wording without the elements', async () => {
    const start = await part(
      (await apply(docx(), { text: { placement: ['start'], wording: '疑似人工智能生成 <R&D>' } })).bytes,
      'word/document.xml',
    );
    expect(start).toContain('<w:body><w:p><w:r><w:t xml:space="preserve">疑似人工智能生成 &lt;R&amp;D&gt;</w:t></w:r></w:p><w:p><w:pPr>');
    const both = await apply(docx(), { text: { placement: ['start', 'end'] } });
    const read = await ooxml.read(bytesSource(both.bytes));
    expect(read.evidence?.map((e) => e.where?.split(',')[0])).toEqual(['start', 'end']);
    const middle = await apply(docx(), { text: { placement: ['middle'] } });
    expect(middle.findings.map((f) => f.rule)).toEqual(['explicit/placement']);
    await expect(apply(docx(), { text: { wording: 'made by a model' } })).rejects.toBeInstanceOf(InvalidLabelError);
  });

  it('handles a body without section properties, an empty body and another prefix', async () => {
    const plain = `${DOCUMENT.slice(0, DOCUMENT.lastIndexOf('<w:sectPr>'))}</w:body></w:document>`;
    expect(await part((await apply(docx(plain))).bytes, 'word/document.xml')).toMatch(
      /body\.<\/w:t><\/w:r><\/w:p><w:p><w:r><w:t xml:space="preserve">本内容由人工智能生成<\/w:t><\/w:r><\/w:p><\/w:body>/,
    );
    const empty = `<w:document xmlns:w="${W}"><w:body/></w:document>`;
    expect(await part((await apply(docx(empty))).bytes, 'word/document.xml')).toBe(
      `<w:document xmlns:w="${W}"><w:body><w:p><w:r><w:t xml:space="preserve">本内容由人工智能生成</w:t></w:r></w:p></w:body></w:document>`,
    );
    const prefixed = `<x:document xmlns:x="${W}"><x:body><x:p/></x:body></x:document>`;
    expect(await part((await apply(docx(prefixed))).bytes, 'word/document.xml')).toContain('<x:p/><x:p><x:r><x:t xml:space="preserve">');
  });

  it('leaves spreadsheets and presentations unchanged with a finding', async () => {
    for (const kind of ['xlsx', 'pptx'] as const) {
      const input = buildPackage({ kind });
      const { bytes, findings } = await apply(input);
      expect(bytes).toBe(input);
      expect(findings.map((f) => f.rule)).toEqual(['explicit/unsupported']);
    }
  });

  withTool('python3')('an XML parser finds the paragraph as the last of the body, before the section properties', async () => {
    const { bytes } = await apply(docx());
    const script =
      'import sys,zipfile,json\nimport xml.etree.ElementTree as ET\nW="{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"\n' +
      'body=ET.fromstring(zipfile.ZipFile(sys.argv[1]).read("word/document.xml")).find(W+"body")\n' +
      'print(json.dumps([[c.tag.replace(W,""),"".join(t.text or "" for t in c.iter(W+"t"))] for c in body]))';
    const children = JSON.parse(execFileSync('python3', ['-c', script, tempFile(bytes)]).toString()) as [string, string][];
    expect(children).toEqual([
      ['p', 'First section.'],
      ['p', 'Quarterly report body.'],
      ['p', '本内容由人工智能生成'],
      ['sectPr', ''],
    ]);
  });
});
