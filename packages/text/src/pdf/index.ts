import {
  type AigcLabel,
  ascii,
  type ByteSource,
  concat,
  decodeLabel,
  encodeBare,
  type Finding,
  type FormatHandler,
  finding,
  indexOfBytes,
  type LabelCarrier,
  MalformedInputError,
  type ReadResult,
  UnsupportedFormatError,
  type WriteResult,
} from '@aigc-label/core';
import {
  dictEntry,
  loadStructure,
  type ParsedObject,
  type PdfStructure,
  resolveObject,
  scanStructure,
  valueBytes,
  type XrefEntry,
} from './document.js';
import { decodeTextString, dictGet, encodeTextString } from './syntax.js';

/** Findings only this format emits, with their meaning (the README's rule table is generated from these). */
export const pdfRules = {
  'pdf/xref-damaged': 'the cross-reference data is damaged; objects were found by scanning the file',
  'pdf/aigc-unreadable': 'an /AIGC Info entry that cannot be read (e.g. encrypted)',
  'pdf/utf8-without-bom': '/AIGC holds UTF-8 without a BOM; PDF text strings are PDFDocEncoding or UTF-16BE (info)',
  'pdf/encrypted': 'the PDF is encrypted (/Encrypt in the trailer)',
  'pdf/info-created': 'the PDF had no Info dictionary; one was added (info)',
} as const;

/** TC260-PG-20258A §6.3: the Info dictionary key. */
const AIGC_KEY = 'AIGC';
const PDF_MAGIC = ascii('%PDF-');

interface Located {
  readonly trailer: ParsedObject;
  readonly entries: ReadonlyMap<number, XrefEntry>;
  readonly info: ParsedObject | null;
  readonly findings: Finding[];
}

async function locateInfo(source: ByteSource, structure: Pick<PdfStructure, 'entries' | 'trailer'>): Promise<ParsedObject | null> {
  const ref = dictGet(structure.trailer.value.value, 'Info');
  if (ref?.type !== 'ref') return null;
  // §7.6.1: an object stream in an encrypted file is itself encrypted; it cannot be opened without the key.
  if (isEncrypted(structure) && structure.entries.get(ref.num)?.kind === 'compressed') return null;
  const info = await resolveObject(source, structure, ref.num);
  if (info && info.value.value.type !== 'dict') throw new MalformedInputError('pdf', `the Info object ${ref.num} is not a dictionary`);
  return info;
}

const isEncrypted = (structure: Pick<PdfStructure, 'trailer'>): boolean => dictGet(structure.trailer.value.value, 'Encrypt') !== undefined;

/** Reads through the cross-reference data, or, when it is damaged, through a scan of the whole file. */
async function locate(source: ByteSource): Promise<Located> {
  try {
    const structure = await loadStructure(source);
    return { ...structure, info: await locateInfo(source, structure), findings: [] };
  } catch (error) {
    if (!(error instanceof MalformedInputError)) throw error;
    const scanned = await scanStructure(source);
    if (!scanned.trailer) throw new MalformedInputError('pdf', `${causeOf(error)}, and no trailer was found by scanning the file`);
    const structure = { entries: scanned.entries, trailer: scanned.trailer };
    const findings = [
      finding(
        'pdf/xref-damaged',
        'warning',
        `the cross-reference data is damaged (${causeOf(error)}); objects were found by scanning the file`,
      ),
    ];
    return { ...structure, info: await locateInfo(source, structure), findings };
  }
}

const causeOf = (error: Error): string => error.message.replace(/^pdf: /, '');

async function aigcCarrier(source: ByteSource, located: Located, encrypted: boolean): Promise<LabelCarrier | null> {
  const info = located.info;
  const entry = info && dictEntry(info, AIGC_KEY);
  if (!info || !entry) return null;
  const location = `Info dictionary (${info.where}), /${AIGC_KEY}`;
  const unreadable = (message: string): LabelCarrier => ({
    carrier: 'pdf-info',
    location,
    raw: '',
    label: null,
    form: null,
    canonical: true,
    findings: [finding('pdf/aigc-unreadable', 'error', message)],
  });
  // §7.6.1: every string in an encrypted file is encrypted, Info values included.
  if (encrypted) return unreadable('the PDF is encrypted, so the /AIGC string is encrypted too and cannot be read');
  let value = entry.value.value;
  if (value.type === 'ref') {
    const resolved = await resolveObject(source, located, value.num);
    if (!resolved) return unreadable(`/${AIGC_KEY} points to object ${value.num}, which is missing`);
    value = resolved.value.value;
  }
  if (value.type !== 'string') return unreadable(`/${AIGC_KEY} is a ${value.type}, not a string`);
  const { text, rawUtf8 } = decodeTextString(value.bytes);
  const decoded = decodeLabel(text);
  const findings = [...decoded.findings];
  if (rawUtf8)
    findings.push(
      finding('pdf/utf8-without-bom', 'info', '/AIGC holds UTF-8 without a BOM; PDF text strings are PDFDocEncoding or UTF-16BE'),
    );
  return { carrier: 'pdf-info', location, raw: text, label: decoded.label, form: decoded.form, canonical: true, findings };
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');

/** Bytes needed to hold `n` in big-endian. */
const byteWidth = (n: number): number => Math.max(1, Math.ceil(Math.log2(n + 1) / 8));

function bigEndian(out: Uint8Array, at: number, width: number, value: number): void {
  let v = value;
  for (let k = width - 1; k >= 0; k--) {
    out[at + k] = v % 256;
    v = Math.floor(v / 256);
  }
}

export const pdf: FormatHandler = {
  id: 'pdf',
  kind: 'text',
  name: 'PDF',
  extensions: ['pdf'],
  mimeTypes: ['application/pdf'],
  carrier: 'Info dictionary /AIGC',
  rules: pdfRules,
  // §7.5.2 puts the header first; readers accept it within the first 1024 bytes.
  explicit: { unsupported: 'no visible PDF label yet: a text line on the first page is planned (issue 14)' },
  sniff: (head) => {
    const at = indexOfBytes(head.subarray(0, 1024 + PDF_MAGIC.length), PDF_MAGIC);
    return at >= 0 && at < 1024;
  },

  async read(source: ByteSource): Promise<ReadResult> {
    const located = await locate(source);
    const encrypted = isEncrypted(located);
    const findings = [...located.findings];
    if (encrypted) findings.push(finding('pdf/encrypted', 'warning', 'the PDF is encrypted (/Encrypt in the trailer)'));
    const carrier = await aigcCarrier(source, located, encrypted);
    return { format: 'pdf', carriers: carrier ? [carrier] : [], findings };
  },

  /**
   * TC260-PG-20258A §6.3 as an incremental update (ISO 32000-1 §7.5.6): a new
   * definition of the Info object with its old entries plus /AIGC, a
   * cross-reference section of the same kind as the newest one, and a trailer
   * whose /Prev points back. The original bytes are a prefix of the output, so
   * signatures keep their byte ranges. An existing Info keeps its object number,
   * as ExifTool and Acrobat do: a new number would leave older trailers naming a
   * different Info, which ExifTool reports as a duplicate Info dictionary.
   */
  async write(source: ByteSource, label: AigcLabel): Promise<WriteResult> {
    let structure: PdfStructure;
    try {
      structure = await loadStructure(source);
    } catch (error) {
      if (!(error instanceof MalformedInputError)) throw error;
      throw new MalformedInputError(
        'pdf',
        `${causeOf(error)}; the cross-reference data is damaged, so no update can be appended (repair the file first, e.g. with qpdf)`,
      );
    }
    const trailer = structure.trailer;
    if (isEncrypted(structure)) {
      throw new UnsupportedFormatError('pdf: the file is encrypted (/Encrypt in the trailer); decrypt it before labeling');
    }
    const size = dictGet(trailer.value.value, 'Size');
    const root = dictEntry(trailer, 'Root');
    if (size?.type !== 'number' || !Number.isInteger(size.value) || size.value < 1)
      throw new MalformedInputError('pdf', 'the trailer has no valid /Size');
    if (!root) throw new MalformedInputError('pdf', 'the trailer has no /Root');
    const info = await locateInfo(source, structure);
    const kept: Uint8Array[] = [];
    const infoDict = info?.value.value;
    if (info && infoDict?.type === 'dict') {
      for (const entry of infoDict.entries) if (entry.key !== AIGC_KEY) kept.push(valueBytes(info, entry), ascii(' '));
    }
    const last = source.size > 0 ? (await source.read(source.size - 1, 1))[0] : 0;
    const separator = last === 0x0a || last === 0x0d ? '' : '\n';
    const infoRef = dictGet(trailer.value.value, 'Info');
    const existing = info && infoRef?.type === 'ref' ? structure.entries.get(infoRef.num) : undefined;
    const infoNumber = existing && infoRef?.type === 'ref' ? infoRef.num : size.value;
    // An object moved out of an object stream gets generation 0 (§7.5.7).
    const infoGeneration = existing?.kind === 'offset' ? existing.gen : 0;
    const nextNumber = existing ? size.value : size.value + 1;
    const infoOffset = source.size + separator.length;
    const infoObject = concat([
      ascii(`${separator}${infoNumber} ${infoGeneration} obj\n<<`),
      ...kept,
      ascii(`/${AIGC_KEY} ${encodeTextString(encodeBare(label))}>>\nendobj\n`),
    ]);
    const xrefOffset = infoOffset + infoObject.length - separator.length;
    const id = dictEntry(trailer, 'ID');
    const common = concat([
      ascii('/Root '),
      valueBytes(trailer, root.value),
      ascii(` /Info ${infoNumber} ${infoGeneration} R`),
      ...(id ? [ascii(' /ID '), valueBytes(trailer, id.value)] : []),
      ascii(` /Prev ${structure.startxref}`),
    ]);
    let section: Uint8Array;
    if (structure.newestKind === 'table') {
      // §7.5.4: fixed 20-byte entries; an update lists only the objects it changes.
      section = concat([
        ascii(`xref\n${infoNumber} 1\n${pad(infoOffset, 10)} ${pad(infoGeneration, 5)} n\r\ntrailer\n<</Size ${nextNumber} `),
        common,
        ascii(`>>\nstartxref\n${xrefOffset}\n%%EOF\n`),
      ]);
    } else {
      // §7.5.8: an uncompressed cross-reference stream covering the Info object and itself.
      const xrefNumber = nextNumber;
      const width = Math.max(4, byteWidth(xrefOffset));
      const rowLength = 1 + width + 2;
      const rows = new Uint8Array(2 * rowLength);
      for (const [row, [offset, generation]] of [
        [infoOffset, infoGeneration],
        [xrefOffset, 0],
      ].entries()) {
        rows[row * rowLength] = 1;
        bigEndian(rows, row * rowLength + 1, width, offset);
        bigEndian(rows, row * rowLength + 1 + width, 2, generation);
      }
      const index = infoNumber + 1 === xrefNumber ? `${infoNumber} 2` : `${infoNumber} 1 ${xrefNumber} 1`;
      section = concat([
        ascii(`${xrefNumber} 0 obj\n<</Type /XRef /Size ${xrefNumber + 1} /Index [${index}] /W [1 ${width} 2] `),
        common,
        ascii(` /Length ${rows.length}>>\nstream\n`),
        rows,
        ascii(`\nendstream\nendobj\nstartxref\n${xrefOffset}\n%%EOF\n`),
      ]);
    }
    const findings: Finding[] = info ? [] : [finding('pdf/info-created', 'info', 'the PDF had no Info dictionary; one was added')];
    return { segments: [{ from: 0, length: source.size }, infoObject, section], findings };
  },
};
