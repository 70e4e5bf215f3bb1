import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  ascii,
  type BytesExplicitLabeler,
  bytesEqual,
  bytesSource,
  concat,
  type ExplicitLabelOptions,
  fromLatin1,
  InvalidLabelError,
  isExplicitCapability,
  labelBytes,
  MalformedInputError,
  UnsupportedFormatError,
} from '@aigc-label/core';
import { degrees, type PDFArray, PDFDocument, PDFName } from 'pdf-lib';
import { describe, expect, it } from 'vitest';
import { sampleLabel } from '../../../../test/handler-contract.js';
import { withTool } from '../../../../test/oracles.js';
import { pdf } from '../../src/pdf/index.js';

async function sample(options: { rotate?: number; pages?: number; objectStreams?: boolean } = {}): Promise<Uint8Array> {
  const doc = await PDFDocument.create({ updateMetadata: false });
  for (let i = 0; i < (options.pages ?? 2); i++) {
    const page = doc.addPage([400, 300]);
    page.drawText(`Page ${i + 1} of the report`, { x: 40, y: 140, size: 14 });
    page.setRotation(degrees(options.rotate ?? 0));
  }
  return doc.save({ useObjectStreams: options.objectStreams ?? false });
}

const labeler = (): BytesExplicitLabeler => {
  const explicit = pdf.explicit;
  if (!explicit || !isExplicitCapability(explicit) || explicit.labeler.input !== 'bytes') throw new Error('no bytes labeler');
  return explicit.labeler;
};
const apply = (bytes: Uint8Array, options: ExplicitLabelOptions = {}) => labeler().apply(bytes, options);

function tempFile(bytes: Uint8Array, name = 'x.pdf'): string {
  const path = join(mkdtempSync(join(tmpdir(), 'aigc-pdf-explicit-')), name);
  writeFileSync(path, bytes);
  return path;
}

describe('PDF explicit label (issue 14)', () => {
  it('declares a bytes labeler that takes any wording and whose line read finds', () => {
    const explicit = pdf.explicit;
    expect(explicit && isExplicitCapability(explicit) && explicit).toMatchObject({
      cost: 'metadata',
      customWording: true,
      inRead: true,
      searches: [],
    });
  });

  for (const objectStreams of [false, true]) {
    it(`appends the line as an incremental update, every earlier byte kept (${objectStreams ? 'xref stream' : 'classic table'})`, async () => {
      const input = await sample({ objectStreams });
      const copy = input.slice();
      const { bytes, summary, findings } = await apply(input);
      expect(input).toEqual(copy);
      expect(findings).toEqual([]);
      expect(summary.detail).toBe('line "本内容由人工智能生成" at the top of the first page');
      expect(bytesEqual(bytes.subarray(0, input.length), input)).toBe(true);
      // pdf-lib reads the update: the first page now draws the original content, then the label.
      const contentsOf = async (file: Uint8Array) =>
        (await PDFDocument.load(file, { updateMetadata: false }))
          .getPages()
          .map((page) => (page.node.get(PDFName.of('Contents')) as PDFArray).size());
      const [first, second] = await contentsOf(input);
      expect(await contentsOf(bytes)).toEqual([(first as number) + 2, second]);
      const read = await pdf.read(bytesSource(bytes));
      expect(read.evidence?.map((e) => [e.kind, e.detail, e.where?.split(',')[0]])).toEqual([
        ['explicit-text-label', 'explicit label "本内容由人工智能生成"', 'start'],
      ]);
      // The metadata label goes over it as a second update, as the pipeline writes them.
      const labeled = await labelBytes(pdf, bytes, sampleLabel());
      const both = await pdf.read(bytesSource(labeled.bytes));
      expect(both.carriers.map((c) => c.label)).toEqual([sampleLabel()]);
      expect(both.evidence).toHaveLength(1);
    });
  }

  it('puts the line on the last page for the end, on both for both, and the start for the middle (with a finding)', async () => {
    const input = await sample({ pages: 3 });
    const end = await apply(input, { text: { placement: ['end'], wording: '人工智能生成' } });
    expect((await pdf.read(bytesSource(end.bytes))).evidence?.map((e) => [e.detail, e.where?.split(',')[0]])).toEqual([
      ['explicit label "人工智能生成"', 'end'],
    ]);
    const both = await apply(input, { text: { placement: ['start', 'end'] } });
    expect((await pdf.read(bytesSource(both.bytes))).evidence?.map((e) => e.where?.split(',')[0])).toEqual(['start', 'end']);
    const middle = await apply(input, { text: { placement: ['middle'] } });
    expect(middle.findings.map((f) => f.rule)).toEqual(['explicit/placement']);
  });

  it('keeps inherited resources, an existing font and a contents array, and picks a free font name', async () => {
    const text = [
      '%PDF-1.4',
      '1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj',
      '2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 /MediaBox [0 0 300 200] /Resources << /Font << /AIGCLabel1 6 0 R >> /ProcSet [/PDF /Text] >> >>\nendobj',
      '3 0 obj\n<< /Type /Page /Parent 2 0 R /Contents [4 0 R 5 0 R] /Rotate 90 >>\nendobj',
      '4 0 obj\n<< /Length 9 >>\nstream\nBT ET q Q\nendstream\nendobj',
      '5 0 obj\n<< /Length 36 >>\nstream\nBT /AIGCLabel1 12 Tf (Hello) Tj ET\nendstream\nendobj',
      '6 0 obj\n<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>\nendobj',
    ];
    let body = '';
    const offsets: number[] = [];
    for (const part of text) {
      if (body !== '') offsets.push(body.length);
      body += `${part}\n`;
    }
    const xref = body.length;
    body += `xref\n0 7\n0000000000 65535 f\r\n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n\r\n`).join('')}`;
    body += `trailer\n<< /Size 7 /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
    const { bytes } = await apply(ascii(body));
    const update = fromLatin1(bytes.subarray(body.length));
    expect(update).toMatch(
      /3 0 obj\n<< \/Type \/Page \/Parent 2 0 R \/Rotate 90 \/Resources << \/ProcSet \[\/PDF \/Text\] \/Font << \/AIGCLabel1 6 0 R \/AIGCLabel2 7 0 R>>>> \/Contents \[11 0 R 4 0 R 5 0 R 12 0 R\]>>/,
    );
    expect(update).toContain('0 1 -1 0 ');
    const read = await pdf.read(bytesSource(bytes));
    expect(read.evidence?.map((e) => e.detail)).toEqual(['explicit label "本内容由人工智能生成"']);
  });

  it('refuses encrypted files, damaged cross-reference data and characters the CMap cannot show', async () => {
    const input = await sample();
    const text = fromLatin1(input);
    const encrypted = ascii(text.replace(/trailer\n<</, 'trailer\n<< /Encrypt << /Filter /Standard /V 1 /R 2 /O <00> /U <00> /P -4 >>'));
    await expect(apply(encrypted)).rejects.toBeInstanceOf(UnsupportedFormatError);
    const broken = concat([input.subarray(0, text.lastIndexOf('startxref')), ascii('startxref\n99999\n%%EOF\n')]);
    await expect(apply(broken)).rejects.toBeInstanceOf(MalformedInputError);
    await expect(apply(input, { text: { wording: 'AI生成 🤖' } })).rejects.toBeInstanceOf(InvalidLabelError);
  });

  withTool('pdftotext')('pdftotext finds the line once, on the first page', async () => {
    const { bytes } = await apply(await sample({ pages: 2, rotate: 90 }));
    const path = tempFile(bytes);
    const first = execFileSync('pdftotext', ['-f', '1', '-l', '1', path, '-']).toString();
    expect(first.match(/本内容由人工智能生成/g)).toHaveLength(1);
    expect(execFileSync('pdftotext', ['-f', '2', '-l', '2', path, '-']).toString()).not.toContain('人工智能');
  });

  withTool('pdftoppm')('pdftoppm renders the line with a Chinese font, and nothing else on the page changes', async () => {
    for (const rotate of [0, 90, 180, 270]) {
      const input = await sample({ pages: 1, rotate });
      const { bytes } = await apply(input);
      const before = render(input, null);
      const after = render(bytes, null);
      const withFont = render(bytes, cjkFontConfig());
      expect([after.width, after.height]).toEqual([before.width, before.height]);
      // The pixels that changed lie in one small box: the label's plate, near the displayed top-left corner.
      const changed = changedBox(before, after);
      expect(changed, `rotate ${rotate}`).not.toBeNull();
      if (!changed) continue;
      expect(changed.x0).toBeLessThan(after.width * 0.1);
      expect(changed.y0).toBeLessThan(after.height * 0.1);
      expect(changed.x1 - changed.x0).toBeLessThan(after.width * 0.6);
      expect(changed.y1 - changed.y0).toBeLessThan(after.height * 0.15);
      // With a Chinese font installed (Noto Sans SC from npm, through fontconfig) the viewer draws glyphs, not the empty boxes it draws without one.
      expect(changedBox(after, withFont)).not.toBeNull();
      expect(ink(withFont, changed)).toBeGreaterThan(40);
    }
  });
});

interface Gray {
  readonly width: number;
  readonly height: number;
  readonly pixels: Uint8Array;
}

/** Renders the first page as 8-bit gray at 72 dpi (PGM: a small header, then the pixels). */
function render(bytes: Uint8Array, fontConfig: string | null): Gray {
  const path = tempFile(bytes);
  const env = fontConfig ? { ...process.env, FONTCONFIG_FILE: fontConfig } : process.env;
  execFileSync('pdftoppm', ['-r', '72', '-gray', '-f', '1', '-l', '1', '-singlefile', path, join(dirname(path), 'page')], { env });
  const pgm = readFileSync(join(dirname(path), 'page.pgm'));
  const header = /^P5\s+(\d+)\s+(\d+)\s+255\s/.exec(fromLatin1(pgm.subarray(0, 64)));
  if (!header) throw new Error('not a PGM');
  const width = Number(header[1]);
  const height = Number(header[2]);
  return { width, height, pixels: new Uint8Array(pgm.subarray(header[0].length, header[0].length + width * height)) };
}

function changedBox(a: Gray, b: Gray): { x0: number; y0: number; x1: number; y1: number } | null {
  let box: { x0: number; y0: number; x1: number; y1: number } | null = null;
  for (let y = 0; y < a.height; y++) {
    for (let x = 0; x < a.width; x++) {
      if (a.pixels[y * a.width + x] === b.pixels[y * b.width + x]) continue;
      box = box
        ? { x0: Math.min(box.x0, x), y0: Math.min(box.y0, y), x1: Math.max(box.x1, x), y1: Math.max(box.y1, y) }
        : { x0: x, y0: y, x1: x, y1: y };
    }
  }
  return box;
}

const ink = (image: Gray, box: { x0: number; y0: number; x1: number; y1: number }): number => {
  let dark = 0;
  for (let y = box.y0; y <= box.y1; y++)
    for (let x = box.x0; x <= box.x1; x++) if ((image.pixels[y * image.width + x] as number) < 128) dark++;
  return dark;
};

/** A fontconfig file adding the Noto Sans SC that the image package installs from npm, for poppler to substitute. */
function cjkFontConfig(): string {
  const require = createRequire(join(process.cwd(), 'packages/image/package.json'));
  const font = require.resolve('@expo-google-fonts/noto-sans-sc/500Medium/NotoSansSC_500Medium.ttf');
  const folder = mkdtempSync(join(tmpdir(), 'aigc-fonts-'));
  const config = join(folder, 'fonts.conf');
  writeFileSync(
    config,
    `<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig><include ignore_missing="yes">/etc/fonts/fonts.conf</include><dir>${dirname(font)}</dir><cachedir>${folder}/cache</cachedir></fontconfig>\n`,
  );
  return config;
}
