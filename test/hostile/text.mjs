/**
 * Worst-case documents for the text package's parsers (issue 15): huge counts of small elements,
 * deep nesting, lengths that ask for big allocations, and damaged containers that salvage reads.
 * Plain JavaScript so that the hostile harness can import it in a child process. Each case builds
 * its file at `sizes` (element counts at 1×, 10× and 100×) so that super-linear work shows; the
 * 100× file is built in well under a second.
 */
import { deflateRawSync, deflateSync } from 'node:zlib';

const encoder = new TextEncoder();
const ascii = (text) => encoder.encode(text);

const LABEL_JSON =
  '{"Label":"1","ContentProducer":"001191440300708461136T1XGW3","ProduceID":"hostile-0001","ReservedCode1":"","ContentPropagator":"001191440300708461136T1XGW3","PropagateID":"hostile-0001","ReservedCode2":""}';

// ---------------------------------------------------------------- PDF

/** Bytes of a string of code units below 256 (PDF files are built as Latin-1 strings: one allocation). */
const latin1 = (text) => {
  const buffer = Buffer.from(text, 'latin1');
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.length);
};

/**
 * A PDF from object bodies (object n is bodies[n - 1]), a classic cross-reference table and
 * `trailer` entries; `tail(offset)` replaces the table when given.
 */
function pdfFile(bodies, trailer, tail) {
  const parts = ['%PDF-1.7\n%\xe2\xe3\xcf\xd3\n'];
  let size = parts[0].length;
  const offsets = new Array(bodies.length);
  bodies.forEach((body, i) => {
    offsets[i] = size;
    const object = `${i + 1} 0 obj\n${body}\nendobj\n`;
    parts.push(object);
    size += object.length;
  });
  if (tail) return latin1(parts.join('') + tail(size));
  const rows = offsets.map((offset) => `${String(offset).padStart(10, '0')} 00000 n\r\n`);
  const table = `xref\n0 ${bodies.length + 1}\n0000000000 65535 f\r\n${rows.join('')}`;
  return latin1(`${parts.join('')}${table}trailer\n<< /Size ${bodies.length + 1} /Root 1 0 R ${trailer} >>\nstartxref\n${size}\n%%EOF\n`);
}

const CATALOG = '<< /Type /Catalog /Pages 2 0 R >>';
const PAGES = '<< /Type /Pages /Kids [3 0 R] /Count 1 >>';
const PAGE = '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>';

/** A stream object body around Latin-1 `data`. */
const stream = (dict, data) => `<< ${dict} /Length ${data.length} >>\nstream\n${data}\nendstream`;

/** Only a cross-reference stream (object 4): `xref()` gives its dictionary entries and Latin-1 data. */
function pdfWithXrefStream(xref) {
  return pdfFile([CATALOG, PAGES, PAGE], '', (offset) => {
    const { dict, data } = xref();
    return `4 0 obj\n${stream(`/Type /XRef /Root 1 0 R ${dict}`, data)}\nendobj\nstartxref\n${offset}\n%%EOF\n`;
  });
}

// ---------------------------------------------------------------- ZIP

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(bytes) {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = crcTable[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * A ZIP of entries `{ name, data, method = 0, size = data.length, crc }` (names ASCII), with or
 * without its central directory, written into one buffer.
 */
function zipFile(entries, { centralDirectory = true } = {}) {
  let total = 22 + 76;
  for (const { name, data } of entries) total += 30 + 46 + 2 * name.length + data.length;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  const records = [];
  let at = 0;
  for (const { name, data, method = 0, size = data.length, crc = crc32(data) } of entries) {
    records.push({ name, method, size, crc, compressed: data.length, offset: at });
    view.setUint32(at, 0x04034b50, true);
    view.setUint16(at + 4, 20, true);
    view.setUint16(at + 8, method, true);
    view.setUint32(at + 14, crc, true);
    view.setUint32(at + 18, data.length, true);
    view.setUint32(at + 22, size, true);
    view.setUint16(at + 26, name.length, true);
    out.set(ascii(name), at + 30);
    out.set(data, at + 30 + name.length);
    at += 30 + name.length + data.length;
  }
  if (!centralDirectory) return out.subarray(0, at);
  const directoryStart = at;
  for (const { name, method, size, crc, compressed, offset } of records) {
    view.setUint32(at, 0x02014b50, true);
    view.setUint16(at + 4, 20, true);
    view.setUint16(at + 6, 20, true);
    view.setUint16(at + 10, method, true);
    view.setUint32(at + 16, crc, true);
    view.setUint32(at + 20, compressed, true);
    view.setUint32(at + 24, size, true);
    view.setUint16(at + 28, name.length, true);
    view.setUint32(at + 42, offset, true);
    out.set(ascii(name), at + 46);
    at += 46 + name.length;
  }
  const directoryLength = at - directoryStart;
  if (records.length >= 0xffff) {
    // More entries than the 16-bit count holds: a ZIP64 end record and its locator (APPNOTE.TXT 4.3.14, 4.3.15).
    view.setUint32(at, 0x06064b50, true);
    view.setBigUint64(at + 4, 44n, true);
    view.setUint16(at + 12, 45, true);
    view.setUint16(at + 14, 45, true);
    view.setBigUint64(at + 24, BigInt(records.length), true);
    view.setBigUint64(at + 32, BigInt(records.length), true);
    view.setBigUint64(at + 40, BigInt(directoryLength), true);
    view.setBigUint64(at + 48, BigInt(directoryStart), true);
    view.setUint32(at + 56, 0x07064b50, true);
    view.setBigUint64(at + 64, BigInt(at), true);
    view.setUint32(at + 72, 1, true);
    at += 76;
  }
  view.setUint32(at, 0x06054b50, true);
  view.setUint16(at + 8, Math.min(records.length, 0xffff), true);
  view.setUint16(at + 10, Math.min(records.length, 0xffff), true);
  view.setUint32(at + 12, directoryLength, true);
  view.setUint32(at + 16, directoryStart, true);
  return out.subarray(0, at + 22);
}

const CONTENT_TYPES =
  '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">' +
  '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>' +
  '<Default Extension="xml" ContentType="application/xml"/>' +
  '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>' +
  '<Override PartName="/docProps/custom.xml" ContentType="application/vnd.openxmlformats-officedocument.custom-properties+xml"/></Types>';
const PACKAGE_RELS =
  '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">' +
  '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>' +
  '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties" Target="docProps/custom.xml"/>' +
  '</Relationships>';
const DOCUMENT =
  '<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>Hello</w:t></w:r></w:p></w:body></w:document>';
const customXml = (properties) =>
  '<?xml version="1.0" encoding="UTF-8"?><Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">' +
  `${properties}</Properties>`;
const aigcProperty = (pid) =>
  `<property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="${pid}" name="AIGC"><vt:lpwstr>${LABEL_JSON.replace(/&/g, '&amp;')}</vt:lpwstr></property>`;

function docx({ document = DOCUMENT, custom = { data: ascii(customXml(aigcProperty(2))) }, extra = [], centralDirectory = true } = {}) {
  return zipFile(
    [
      { name: '[Content_Types].xml', data: ascii(CONTENT_TYPES) },
      { name: '_rels/.rels', data: ascii(PACKAGE_RELS) },
      { name: 'word/document.xml', data: ascii(document) },
      { name: 'docProps/custom.xml', ...custom },
      ...extra,
    ],
    { centralDirectory },
  );
}

// ---------------------------------------------------------------- the cases

/** Latin-1 text of a deflated buffer, to put into a PDF stream. */
const deflatedLatin1 = (bytes) => Buffer.from(deflateSync(bytes, { level: 1 })).toString('latin1');

export const cases = [
  {
    id: 'pdf/xref-stream-entries',
    format: 'pdf',
    filename: 'x.pdf',
    // Declared entries with /W [0 0 0]: no data at all stands for millions of objects.
    sizes: [100_000, 1_000_000, 10_000_000],
    build: (n) => pdfWithXrefStream(() => ({ dict: `/Size ${n} /Index [0 ${n}] /W [0 0 0]`, data: '' })),
  },
  {
    id: 'pdf/xref-stream-bomb',
    format: 'pdf',
    filename: 'x.pdf',
    // Real rows (/W [1 2 0]) in a compressed stream: kilobytes that inflate to n entries.
    sizes: [100_000, 1_000_000, 10_000_000],
    build: (n) =>
      pdfWithXrefStream(() => ({
        dict: `/Size ${n} /W [1 2 0] /Filter /FlateDecode`,
        data: deflatedLatin1(new Uint8Array(3 * n).fill(1)),
      })),
  },
  {
    id: 'pdf/xref-table-entries',
    format: 'pdf',
    filename: 'x.pdf',
    // A classic table of n in-use entries, all pointing at the first object.
    sizes: [10_000, 100_000, 1_000_000],
    build: (n) =>
      pdfFile([CATALOG, PAGES, PAGE], '', (offset) => {
        const table = `xref\n0 ${n + 1}\n0000000000 65535 f\r\n${'0000000015 00000 n\r\n'.repeat(n)}`;
        return `${table}trailer\n<< /Size ${n + 1} /Root 1 0 R >>\nstartxref\n${offset}\n%%EOF\n`;
      }),
  },
  {
    id: 'pdf/info-huge-string',
    format: 'pdf',
    filename: 'x.pdf',
    // One Info string of n bytes.
    sizes: [200_000, 2_000_000, 20_000_000],
    build: (n) => pdfFile([CATALOG, PAGES, PAGE, `<< /Subject (${'A'.repeat(n)}) >>`], '/Info 4 0 R'),
  },
  {
    id: 'pdf/info-unterminated-string',
    format: 'pdf',
    filename: 'x.pdf',
    // An Info string that never ends, n bytes of escapes before the end of the file.
    sizes: [200_000, 2_000_000, 20_000_000],
    build: (n) => pdfFile([CATALOG, PAGES, PAGE, `<< /Subject (${'\\('.repeat(n / 2)} >>`], '/Info 4 0 R'),
  },
  {
    id: 'pdf/info-entries',
    format: 'pdf',
    filename: 'x.pdf',
    // n small Info entries, then the label (the limit is 10,000 entries in a dictionary).
    sizes: [900, 9_000, 90_000],
    build: (n) => pdfFile([CATALOG, PAGES, PAGE, `<< ${'/K (v) '.repeat(n)}/AIGC (${LABEL_JSON}) >>`], '/Info 4 0 R'),
  },
  {
    id: 'pdf/nested-arrays',
    format: 'pdf',
    filename: 'x.pdf',
    // An Info value nested n arrays deep.
    sizes: [1_000, 10_000, 100_000],
    build: (n) => pdfFile([CATALOG, PAGES, PAGE, `<< /Keywords ${'['.repeat(n)}${']'.repeat(n)} >>`], '/Info 4 0 R'),
  },
  {
    id: 'pdf/page-tree-depth',
    format: 'pdf',
    filename: 'x.pdf',
    // Pages nodes nested n deep above the first page.
    sizes: [1_000, 10_000, 100_000],
    build: (n) => {
      const bodies = new Array(n + 2);
      bodies[0] = CATALOG;
      for (let i = 0; i < n; i++) bodies[i + 1] = `<< /Type /Pages /Kids [${i + 3} 0 R] /Count 1 >>`;
      bodies[n + 1] = '<< /Type /Page /MediaBox [0 0 200 200] >>';
      return pdfFile(bodies, '');
    },
  },
  {
    id: 'pdf/page-tree-kids',
    format: 'pdf',
    filename: 'x.pdf',
    // One Pages node with n kids that all point back at it.
    sizes: [10_000, 100_000, 1_000_000],
    build: (n) => pdfFile([CATALOG, `<< /Type /Pages /Kids [${'2 0 R '.repeat(n)}] /Count ${n} >>`], ''),
  },
  {
    id: 'pdf/content-operators',
    format: 'pdf',
    filename: 'x.pdf',
    // A first page whose content stream shows n strings.
    sizes: [10_000, 100_000, 1_000_000],
    build: (n) =>
      pdfFile(
        [
          CATALOG,
          PAGES,
          '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
          stream('', `BT /F1 12 Tf ${'(ab) Tj\n'.repeat(n)}ET`),
          '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
        ],
        '',
      ),
  },
  {
    id: 'ooxml/entries',
    format: 'ooxml',
    filename: 'x.docx',
    // n empty entries besides the package parts (the limit is 100,000 entries).
    sizes: [999, 9_990, 99_990],
    build: (n) => docx({ extra: emptyEntries(n) }),
  },
  {
    id: 'ooxml/custom-properties',
    format: 'ooxml',
    filename: 'x.docx',
    // n custom properties before the AIGC one.
    sizes: [1_000, 10_000, 100_000],
    build: (n) => {
      const property = '<property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="3" name="P"><vt:lpwstr>v</vt:lpwstr></property>';
      return docx({ custom: { data: ascii(customXml(property.repeat(n) + aigcProperty(2))) } });
    },
  },
  {
    id: 'ooxml/paragraphs',
    format: 'ooxml',
    filename: 'x.docx',
    // n paragraphs in the body (the explicit label is read from the body text).
    sizes: [1_000, 10_000, 100_000],
    build: (n) => docx({ document: DOCUMENT.replace('<w:body>', `<w:body>${'<w:p><w:r><w:t>Lorem ipsum</w:t></w:r></w:p>'.repeat(n)}`) }),
  },
  {
    id: 'ooxml/no-central-directory',
    format: 'ooxml',
    filename: 'x.docx',
    // Salvage: local headers only, n entries to walk.
    sizes: [999, 9_990, 99_990],
    build: (n) => docx({ extra: emptyEntries(n), centralDirectory: false }),
  },
  {
    id: 'ooxml/deflate-bomb',
    format: 'ooxml',
    filename: 'x.docx',
    // A custom.xml that declares 100 bytes and inflates to n KiB of spaces (the cap on XML parts applies).
    sizes: [200, 2_000, 20_000],
    build: (n) =>
      docx({ custom: { data: deflateRawSync(new Uint8Array(n * 1024).fill(0x20), { level: 1 }), method: 8, size: 100, crc: 0 } }),
  },
  {
    id: 'html/meta-tags',
    format: 'html',
    filename: 'x.html',
    // n AIGC meta elements on one line.
    sizes: [1_000, 10_000, 100_000],
    build: (n) => {
      const meta = `<meta name="AIGC" content="${LABEL_JSON.replace(/"/g, '&quot;')}">`;
      return ascii(`<!doctype html><html><head>${meta.repeat(n)}</head><body><p>text</p></body></html>`);
    },
  },
  {
    id: 'html/other-tags',
    format: 'html',
    filename: 'x.html',
    // n ordinary tags with attributes, none closed.
    sizes: [10_000, 100_000, 1_000_000],
    build: (n) => ascii(`<!doctype html><html><head></head><body>${'<div class=a id=b>'.repeat(n)}</body></html>`),
  },
  {
    id: 'html/unclosed-raw-text',
    format: 'html',
    filename: 'x.html',
    // n raw-text elements (title, script) whose end tag never comes.
    sizes: [10_000, 100_000, 1_000_000],
    build: (n) => ascii(`<!doctype html><html><head>${'<title>x<script>y'.repeat(n)}</head></html>`),
  },
  {
    id: 'markdown/yaml-flow-depth',
    format: 'markdown',
    filename: 'x.md',
    // Front matter nested n flow sequences deep.
    sizes: [1_000, 10_000, 100_000],
    build: (n) => ascii(`---\nkey: ${'['.repeat(n)}${']'.repeat(n)}\n---\nbody\n`),
  },
  {
    id: 'markdown/yaml-block-depth',
    format: 'markdown',
    filename: 'x.md',
    // Front matter nested n block sequences deep on one line (- - - - x).
    sizes: [1_000, 10_000, 100_000],
    build: (n) => ascii(`---\nkey:\n${'- '.repeat(n)}x\n---\nbody\n`),
  },
  {
    id: 'markdown/front-matter-keys',
    format: 'markdown',
    filename: 'x.md',
    // n keys in the front matter, then the label.
    sizes: [1_000, 10_000, 100_000],
    build: (n) => {
      const keys = new Array(n);
      for (let i = 0; i < n; i++) keys[i] = `k${i}: v\n`;
      return ascii(`---\n${keys.join('')}AIGC:\n  Label: '1'\n---\nbody\n`);
    },
  },
  {
    id: 'markdown/aigc-keys',
    format: 'markdown',
    filename: 'x.md',
    // n AIGC keys: every one is a carrier.
    sizes: [1_000, 10_000, 100_000],
    build: (n) => ascii(`---\n${`AIGC: '${LABEL_JSON}'\n`.repeat(n)}---\nbody\n`),
  },
  {
    id: 'markdown/yaml-aliases',
    format: 'markdown',
    filename: 'x.md',
    // Billion laughs: n levels, each referring three times to the one before, the label the last.
    sizes: [10, 100, 1_000],
    build: (n) => {
      let yaml = 'a0: &a0 [x]\n';
      for (let i = 1; i < n; i++) yaml += `a${i}: &a${i} [*a${i - 1}, *a${i - 1}, *a${i - 1}]\n`;
      return ascii(`---\n${yaml}AIGC: *a${n - 1}\n---\nbody\n`);
    },
  },
  {
    id: 'txt/lines',
    format: 'txt',
    filename: 'x.txt',
    // n short lines, each an explicit label.
    sizes: [10_000, 100_000, 1_000_000],
    build: (n) => ascii('本内容由人工智能生成\n'.repeat(n)),
  },
];

/** n empty entries under word/media/. */
function emptyEntries(n) {
  const entries = new Array(n);
  const empty = new Uint8Array(0);
  for (let i = 0; i < n; i++) entries[i] = { name: `word/media/e${i}.bin`, data: empty, crc: 0 };
  return entries;
}
