import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import {
  ascii,
  bytesEqual,
  bytesSource,
  concat,
  createLabel,
  fromLatin1,
  labelBytes,
  MalformedInputError,
  materialize,
  UnsupportedFormatError,
} from '@aigc-label/core';
import { type PDFDict, PDFDocument, type PDFHexString, PDFName, type PDFString } from 'pdf-lib';
import { describe, expect, it } from 'vitest';
import { describeHandlerContract, sampleLabel } from '../../../../test/handler-contract.js';
import { withTool } from '../../../../test/oracles.js';
import { pdf } from '../../src/pdf/index.js';

const EXIFTOOL = '/usr/bin/exiftool';

async function pdfLibSample(useObjectStreams: boolean): Promise<Uint8Array> {
  const doc = await PDFDocument.create({ updateMetadata: false });
  doc.addPage([200, 200]).drawText('AI generated (sample)', { x: 10, y: 100, size: 12 });
  doc.setTitle('季度报告 (draft)');
  doc.setAuthor('Writer \\ Bot');
  return doc.save({ useObjectStreams });
}

/** A classic-table PDF assembled by hand, for layouts pdf-lib does not write. */
function handmadePdf(trailerExtra = '', info = '<< /Title (Hand made) /Producer (test) >>'): Uint8Array {
  const objects = ['<< /Type /Catalog /Pages 2 0 R >>', '<< /Type /Pages /Kids [] /Count 0 >>', info];
  let text = '%PDF-1.4\n%\xe2\xe3\xcf\xd3\n';
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(text.length);
    text += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = text.length;
  text += `xref\n0 ${objects.length + 1}\n0000000000 65535 f\r\n`;
  for (const offset of offsets) text += `${String(offset).padStart(10, '0')} 00000 n\r\n`;
  text += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R /Info 3 0 R${trailerExtra} >>\nstartxref\n${xref}\n%%EOF\n`;
  return ascii(text);
}

/** A PDF whose only cross-reference section is a stream with PNG predictor 12, as Acrobat and qpdf write them. */
function predictorXrefPdf(): Uint8Array {
  const objects = ['<< /Type /Catalog /Pages 2 0 R >>', '<< /Type /Pages /Kids [] /Count 0 >>', '<< /Title (Predicted) >>'];
  let text = '%PDF-1.5\n';
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(text.length);
    text += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xrefOffset = text.length;
  const rows = [
    [0, 0, 0, 0xff],
    ...offsets.map((o) => [1, (o >> 8) & 0xff, o & 0xff, 0]),
    [1, (xrefOffset >> 8) & 0xff, xrefOffset & 0xff, 0],
  ];
  // PNG "Up" filter on each 4-byte row.
  const predicted: number[] = [];
  rows.forEach((row, r) => {
    predicted.push(2, ...row.map((b, c) => (b - (r > 0 ? rows[r - 1][c] : 0)) & 0xff));
  });
  const data = new Uint8Array(deflateSync(Uint8Array.from(predicted)));
  const head = `4 0 obj\n<< /Type /XRef /Size 5 /W [1 2 1] /Root 1 0 R /Info 3 0 R /Filter /FlateDecode /DecodeParms << /Predictor 12 /Columns 4 >> /Length ${data.length} >>\nstream\n`;
  return concat([ascii(text + head), data, ascii(`\nendstream\nendobj\nstartxref\n${xrefOffset}\n%%EOF\n`)]);
}

async function infoEntry(bytes: Uint8Array, key: string): Promise<string | undefined> {
  const doc = await PDFDocument.load(bytes, { updateMetadata: false });
  const info = doc.context.lookup(doc.context.trailerInfo.Info) as PDFDict;
  return (info.get(PDFName.of(key)) as PDFString | PDFHexString | undefined)?.decodeText();
}

function tempFile(bytes: Uint8Array): string {
  const path = join(mkdtempSync(join(tmpdir(), 'aigc-pdf-')), 'labeled.pdf');
  writeFileSync(path, bytes);
  return path;
}

describeHandlerContract(pdf, () => pdfLibSample(false));
describeHandlerContract(pdf, () => pdfLibSample(true));
describeHandlerContract(pdf, () => handmadePdf());

describe('pdf carrier', () => {
  it('sniffs %PDF- within the first 1024 bytes only', () => {
    expect(pdf.sniff(ascii('%PDF-1.7\n'))).toBe(true);
    expect(pdf.sniff(concat([new Uint8Array(500), ascii('%PDF-1.4')]))).toBe(true);
    expect(pdf.sniff(concat([new Uint8Array(1100), ascii('%PDF-1.4')]))).toBe(false);
    expect(pdf.sniff(ascii('PK\x03\x04'))).toBe(false);
  });

  for (const [name, load] of [
    ['classic table', () => pdfLibSample(false)],
    ['xref stream, Info in an object stream', () => pdfLibSample(true)],
    ['xref stream with PNG predictor', async () => predictorXrefPdf()],
  ] as const) {
    it(`appends an incremental update that pdf-lib reads (${name})`, async () => {
      const input = await load();
      const label = sampleLabel();
      const { bytes } = await labelBytes(pdf, input, label);
      expect(bytesEqual(bytes.subarray(0, input.length), input)).toBe(true);
      const tail = fromLatin1(bytes.subarray(input.length));
      expect(tail).toContain(`/Prev ${/startxref\s+(\d+)\s+%%EOF\s*$/.exec(fromLatin1(input))?.[1]}`);
      expect(tail.includes('/Type /XRef')).toBe(name !== 'classic table');
      // The Info object keeps its number: the update redefines it.
      const infoRef = [...fromLatin1(input).matchAll(/\/Info (\d+ \d+) R/g)].pop()?.[1];
      expect(infoRef).toBeDefined();
      expect(tail).toContain(`${infoRef} obj`);
      expect(tail).toContain(`/Info ${infoRef} R`);
      expect(JSON.parse((await infoEntry(bytes, 'AIGC')) ?? '')).toEqual(label);
      const original = await infoEntry(input, 'Title');
      expect(await infoEntry(bytes, 'Title')).toBe(original);
      // A second update chains onto the first through /Prev.
      const second = sampleLabel({ ProduceID: 'sample-0002', PropagateID: 'sample-0002' });
      const again = (await labelBytes(pdf, bytes, second)).bytes;
      expect(bytesEqual(again.subarray(0, bytes.length), bytes)).toBe(true);
      expect(JSON.parse((await infoEntry(again, 'AIGC')) ?? '')).toEqual(second);
      expect(await infoEntry(again, 'Title')).toBe(original);
    });
  }

  it('escapes ( ) and \\ in a literal string and keeps the other Info entries', async () => {
    const label = createLabel({ producer: 'Example(beta)"lab"', produceId: 'p-(1)' });
    const input = await pdfLibSample(false);
    const { bytes } = await labelBytes(pdf, input, label);
    expect(fromLatin1(bytes.subarray(input.length))).toContain('/AIGC ({"Label":"1","ContentProducer":"Example\\(beta\\)\\\\"lab\\\\""');
    expect(JSON.parse((await infoEntry(bytes, 'AIGC')) ?? '')).toEqual(label);
    expect(await infoEntry(bytes, 'Author')).toBe('Writer \\ Bot');
    expect(await infoEntry(bytes, 'Title')).toBe('季度报告 (draft)');
  });

  it('writes text outside ASCII as UTF-16BE with a BOM', async () => {
    // Annex E j) keeps labels to ASCII, so this goes through the handler directly, as a reader of other tools' labels would see it.
    const label = createLabel({ producer: '某某科技', produceId: 'id-1' });
    const input = await pdfLibSample(true);
    const bytes = await materialize(await pdf.write(bytesSource(input), label), bytesSource(input));
    expect(fromLatin1(bytes.subarray(input.length))).toContain('/AIGC <FEFF007B0022');
    expect(JSON.parse((await infoEntry(bytes, 'AIGC')) ?? '')).toEqual(label);
    expect((await pdf.read(bytesSource(bytes))).carriers[0].label).toEqual(label);
  });

  it('reads damaged cross-reference data by scanning, and refuses to write into it', async () => {
    const good = handmadePdf();
    const label = sampleLabel();
    const labeled = (await labelBytes(pdf, good, label)).bytes;
    const text = fromLatin1(labeled);
    const last = text.lastIndexOf('startxref');
    const broken = concat([labeled.subarray(0, last), ascii('startxref\n99999\n%%EOF\n')]);
    const read = await pdf.read(bytesSource(broken));
    expect(read.carriers.map((c) => c.label)).toEqual([label]);
    expect(read.findings.map((f) => f.rule)).toContain('pdf/xref-damaged');
    await expect(labelBytes(pdf, broken, label)).rejects.toThrow(/cross-reference data is damaged/);
    const noTrailer = ascii('%PDF-1.4\n1 0 obj\n<< >>\nendobj\n');
    await expect(pdf.read(bytesSource(noTrailer))).rejects.toBeInstanceOf(MalformedInputError);
  });

  it('refuses to write into an encrypted PDF and reports its AIGC as unreadable', async () => {
    const encrypt = ' /Encrypt << /Filter /Standard /V 1 /R 2 /O <00> /U <00> /P -4 >> /ID [<01><01>]';
    const plain = handmadePdf(encrypt);
    await expect(labelBytes(pdf, plain, sampleLabel())).rejects.toBeInstanceOf(UnsupportedFormatError);
    const withAigc = handmadePdf(encrypt, '<< /AIGC (\x8f\x12 encrypted bytes) >>');
    const read = await pdf.read(bytesSource(withAigc));
    expect(read.findings.map((f) => f.rule)).toContain('pdf/encrypted');
    expect(read.carriers).toHaveLength(1);
    expect(read.carriers[0].label).toBeNull();
    expect(read.carriers[0].findings.map((f) => f.rule)).toEqual(['carrier/unreadable']);
  });

  it('adds an Info dictionary when the file has none', async () => {
    const text = fromLatin1(handmadePdf()).replace(' /Info 3 0 R', '');
    const { bytes, findings } = await labelBytes(pdf, ascii(text), sampleLabel());
    expect(findings.map((f) => f.rule)).toContain('pdf/info-created');
    expect(JSON.parse((await infoEntry(bytes, 'AIGC')) ?? '')).toEqual(sampleLabel());
  });

  withTool('exiftool')('ExifTool shows the AIGC Info entry', async () => {
    for (const useObjectStreams of [false, true]) {
      const label = sampleLabel();
      const { bytes } = await labelBytes(pdf, await pdfLibSample(useObjectStreams), label);
      const [tags] = JSON.parse(execFileSync(EXIFTOOL, ['-j', '-a', '-G1', tempFile(bytes)]).toString()) as Record<string, unknown>[];
      expect(JSON.parse(String(tags['PDF:AIGC']))).toEqual(label);
      const validate = execFileSync(EXIFTOOL, ['-validate', '-warning', '-a', '-s3', tempFile(bytes)])
        .toString()
        .trim();
      expect(validate).toBe('OK');
    }
  });

  withTool('pdfinfo')('pdfinfo -custom shows the AIGC Info entry', async () => {
    const label = sampleLabel();
    const { bytes } = await labelBytes(pdf, await pdfLibSample(true), label);
    const out = execFileSync('pdfinfo', ['-custom', tempFile(bytes)]).toString();
    expect(out).toContain(`AIGC:`);
    expect(out).toContain(label.ProduceID);
  });
});
