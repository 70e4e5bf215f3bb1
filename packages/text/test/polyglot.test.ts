import { bytesSource, concat, createLabel, FormatRegistry, labelBytes, MalformedInputError } from '@aigc-label/core';
import { describe, expect, it } from 'vitest';
import { ooxml } from '../src/ooxml/index.js';
import { pdf } from '../src/pdf/index.js';
import { buildPackage } from './ooxml/zip-builder.js';

/**
 * PDF and ZIP polyglots (issue 25 item 5): the registry decides that a file is both (another
 * helper's part); here, each reader finds its own label in a file that is also the other
 * format, whichever comes first and however far apart they are, and neither writer rewrites it.
 */
const producer = '001191440300708461136T1XGW3';
const pdfLabel = createLabel({ producer, produceId: 'pdf-0001' });
const zipLabel = createLabel({ producer, produceId: 'zip-0001' });

function plainPdf(): Uint8Array {
  const objects = ['<< /Type /Catalog /Pages 2 0 R >>', '<< /Type /Pages /Kids [] /Count 0 >>', '<< /Title (Report) >>'];
  let text = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(text.length);
    text += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = text.length;
  text += `xref\n0 4\n0000000000 65535 f\r\n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n\r\n`).join('')}`;
  text += `trailer\n<< /Size 4 /Root 1 0 R /Info 3 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return new TextEncoder().encode(text);
}

describe('PDF + ZIP polyglots: each reader finds its label', async () => {
  const labeledPdf = (await labelBytes(pdf, plainPdf(), pdfLabel)).bytes;
  const labeledZip = (await labelBytes(ooxml, buildPackage(), zipLabel)).bytes;
  const gap = new Uint8Array(100_000).fill(0x20);
  const layouts = {
    'PDF then ZIP': concat([labeledPdf, labeledZip]),
    'ZIP then PDF': concat([labeledZip, labeledPdf]),
    'PDF, 100 kB, ZIP': concat([labeledPdf, gap, labeledZip]),
    'ZIP, 100 kB, PDF': concat([labeledZip, gap, labeledPdf]),
  };
  for (const [layout, bytes] of Object.entries(layouts)) {
    it(layout, async () => {
      // Both readings are offered: the head names one, the last 4 KiB the other.
      const registry = new FormatRegistry([pdf, ooxml]);
      const { handler, alsoFits } = registry.resolve(bytes.subarray(0, 4096), undefined, bytes.subarray(bytes.length - 4096));
      expect([handler, ...alsoFits].map((h) => h.id).sort()).toEqual(['ooxml', 'pdf']);
      const pdfRead = await pdf.read(bytesSource(bytes));
      expect(pdfRead.carriers.map((c) => c.label)).toEqual([pdfLabel]);
      // A PDF first is read through its own cross-reference data, its startxref found before the ZIP.
      if (layout.startsWith('PDF')) expect(pdfRead.findings.map((f) => f.rule)).not.toContain('pdf/xref-damaged');
      expect((await ooxml.read(bytesSource(bytes))).carriers.map((c) => c.label)).toEqual([zipLabel]);
      // Relabeling under either reading would drop or shift the other file: refused.
      await expect(labelBytes(pdf, bytes, pdfLabel)).rejects.toBeInstanceOf(MalformedInputError);
      await expect(labelBytes(ooxml, bytes, zipLabel)).rejects.toBeInstanceOf(MalformedInputError);
    });
  }
});
