import {
  type AigcLabel,
  AigcLabelError,
  ascii,
  type ByteSource,
  concat,
  type Evidence,
  encodeBare,
  type Finding,
  type FormatHandler,
  finding,
  fromLatin1,
  indexOfBytes,
  type LabelCarrier,
  MalformedInputError,
  type ReadResult,
  Rules,
  UnsupportedFormatError,
  type WriteResult,
} from '@aigc-label/core';
import { type ExplicitLabelMatch, findExplicitLabels } from '../explicit/detect.js';
import { explicitLabelEvidence } from '../explicit/evidence.js';
import { decodeCarrierValue, decodeDamagedCarrierValue } from '../plain/carrier.js';
import {
  loadStructure,
  type ParsedObject,
  PdfObjects,
  type PdfStructure,
  scanStructure,
  valueBytes,
  type XrefEntries,
} from './document.js';
import { pdfExplicit } from './explicit.js';
import { findPage } from './pages.js';
import { type DictEntry, decodeTextString, dictGet, encodeTextString } from './syntax.js';
import { pageText } from './text.js';
import { appendUpdate, trailerSize } from './update.js';

/** Findings only this format emits, with their meaning (the README's rule table is generated from these). */
export const pdfRules = {
  'pdf/xref-damaged': 'the cross-reference data is damaged; objects were found by scanning the file',
  'pdf/utf8-without-bom': '/AIGC holds UTF-8 without a BOM; PDF text strings are PDFDocEncoding or UTF-16BE (info)',
  'pdf/encrypted': 'the PDF is encrypted (/Encrypt in the trailer)',
  'pdf/info-created': 'the PDF had no Info dictionary; one was added (info)',
  'pdf/info-entry-kept': 'an Info entry that does not parse; labeling keeps it byte for byte (info)',
  'pdf/text-not-searched': 'the first or last page could not be searched for an explicit label; the reason is given (info)',
} as const;

/** TC260-PG-20258A §6.3: the Info dictionary key. */
const AIGC_KEY = 'AIGC';
const PDF_MAGIC = ascii('%PDF-');
/** The last lines of a PDF (§7.5.5): startxref, its offset, %%EOF. */
const PDF_END = /startxref\s+\d+\s+%%EOF\s*$/;

interface Located {
  readonly trailer: ParsedObject;
  readonly entries: XrefEntries;
  readonly objects: PdfObjects;
  readonly info: ParsedObject | null;
  readonly findings: Finding[];
}

const isEncrypted = (trailer: ParsedObject): boolean => dictGet(trailer.value.value, 'Encrypt') !== undefined;

/**
 * The Info dictionary (§14.3.3), parsed tolerantly: an entry that does not parse is kept as its
 * bytes. Null when the trailer names none, or (encrypted files) when it sits in an object
 * stream, which cannot be opened without the key (§7.6.1).
 */
async function locateInfo(objects: PdfObjects, trailer: ParsedObject, findings: Finding[]): Promise<ParsedObject | null> {
  const ref = dictGet(trailer.value.value, 'Info');
  if (ref?.type !== 'ref') return null;
  if (isEncrypted(trailer) && objects.entries.get(ref.num)?.kind === 'compressed') return null;
  const info = await objects.object(ref.num, true);
  if (info && info.value.value.type !== 'dict') {
    findings.push(
      finding(Rules.damaged, 'warning', `the Info object ${ref.num} is a ${info.value.value.type}, not a dictionary; it is ignored`),
    );
    return null;
  }
  return info;
}

/** Reads through the cross-reference data, or, when it is damaged, through a scan of the whole file. */
async function locate(source: ByteSource): Promise<Located> {
  let structure: Pick<PdfStructure, 'entries' | 'trailer'>;
  const findings: Finding[] = [];
  try {
    structure = await loadStructure(source, true);
  } catch (error) {
    if (!(error instanceof MalformedInputError)) throw error;
    const scanned = await scanStructure(source);
    if (!scanned.trailer) throw new MalformedInputError('pdf', `${causeOf(error)}, and no trailer was found by scanning the file`);
    structure = { entries: scanned.entries, trailer: scanned.trailer };
    findings.push(
      finding(
        'pdf/xref-damaged',
        'warning',
        `the cross-reference data is damaged (${causeOf(error)}); objects were found by scanning the file`,
      ),
    );
  }
  const objects = new PdfObjects(source, structure.entries);
  const info = await locateInfo(objects, structure.trailer, findings);
  return { ...structure, objects, info, findings };
}

const causeOf = (error: Error): string => error.message.replace(/^pdf: /, '');

/** Every /AIGC entry of the Info dictionary; one that cannot be read is reported as such (fail closed, issue 24). */
async function aigcCarrier(located: Located, encrypted: boolean): Promise<LabelCarrier | null> {
  const info = located.info;
  const entry = info && aigcEntry(info);
  if (!info || !entry) return null;
  const location = `Info dictionary (${info.where}), /${AIGC_KEY}`;
  const unreadable = (message: string): LabelCarrier => ({
    carrier: 'pdf-info',
    location,
    raw: '',
    label: null,
    form: null,
    canonical: true,
    findings: [finding(Rules.unreadableCarrier, 'error', message)],
  });
  // §7.6.1: every string in an encrypted file is encrypted, Info values included.
  if (encrypted) return unreadable('the PDF is encrypted, so the /AIGC string is encrypted too and cannot be read');
  let value = entry.value.value;
  if (value.type === 'unparsed') return unreadable(`the /${AIGC_KEY} entry does not parse (${value.reason})`);
  if (value.type === 'ref') {
    const resolved = await located.objects.object(value.num);
    if (!resolved) return unreadable(`/${AIGC_KEY} points to object ${value.num}, which is missing`);
    value = resolved.value.value;
  }
  if (value.type !== 'string') return unreadable(`/${AIGC_KEY} is a ${value.type}, not a string`);
  const { text, rawUtf8 } = decodeTextString(value.bytes);
  // In a file found damaged, a label damaged too is read as far as its members are whole (issue 25).
  const damagedFile = located.findings.some((f) => f.rule === 'pdf/xref-damaged');
  const decoded = damagedFile
    ? decodeDamagedCarrierValue(text, 'the label text does not parse as JSON in this damaged file')
    : decodeCarrierValue(text);
  const findings = [...decoded.findings];
  if (rawUtf8) {
    findings.push(
      finding('pdf/utf8-without-bom', 'info', '/AIGC holds UTF-8 without a BOM; PDF text strings are PDFDocEncoding or UTF-16BE'),
    );
  }
  return { carrier: 'pdf-info', location, raw: text, label: decoded.label, form: decoded.form, canonical: true, findings };
}

const aigcEntry = (info: ParsedObject): DictEntry | undefined =>
  info.value.value.type === 'dict' ? info.value.value.entries.find((e) => e.key === AIGC_KEY) : undefined;

/**
 * Explicit labels on the first and last pages (ours is a line at the top of the first), as
 * evidence. A page's text comes in drawing order, not reading order, so the position is the
 * page's: the first page is the start, the last page of a longer document the end. A page
 * that cannot be searched (an unknown filter, a budget) is a finding, never a failed read.
 */
async function pageEvidence(located: Located): Promise<{ evidence: Evidence[]; findings: Finding[] }> {
  if (isEncrypted(located.trailer)) return { evidence: [], findings: [] };
  try {
    const root = dictGet(located.trailer.value.value, 'Root');
    const first = await findPage(located.objects, root, 'first');
    const last = await findPage(located.objects, root, 'last');
    const pages = [first, last !== null && last.num !== first?.num ? last : null];
    const matches: ExplicitLabelMatch[] = [];
    let offset = 0;
    for (const [i, page] of pages.entries()) {
      if (!page) continue;
      const text = await pageText(located.objects, page);
      const position = i === 0 ? 'start' : 'end';
      for (const m of findExplicitLabels(text)) matches.push({ ...m, position, start: offset + m.start, end: offset + m.end });
      offset += text.length + 1;
    }
    return explicitLabelEvidence(matches);
  } catch (error) {
    if (!(error instanceof AigcLabelError)) throw error;
    return {
      evidence: [],
      findings: [finding('pdf/text-not-searched', 'info', `the pages were not searched for an explicit label: ${causeOf(error)}`)],
    };
  }
}

export const pdf: FormatHandler = {
  id: 'pdf',
  kind: 'text',
  name: 'PDF',
  extensions: ['pdf'],
  mimeTypes: ['application/pdf'],
  carrier: 'Info dictionary /AIGC',
  contentRegions: {
    unsupported:
      'not declared yet: the selection is every revision but the incremental updates that carry the label, which needs the revision boundaries',
  },
  rules: pdfRules,
  explicit: pdfExplicit,
  watermark: { unsupported: 'the text sits in content streams drawn glyph by glyph; invisible selectors have no glyphs to ride on' },
  // §7.5.2 puts the header first; readers accept it within the first 1024 bytes.
  sniff: (head) => {
    const at = indexOfBytes(head.subarray(0, 1024 + PDF_MAGIC.length), PDF_MAGIC);
    return at >= 0 && at < 1024;
  },
  // A PDF after another format's file (a polyglot, issue 25 item 5) is known by its end (§7.5.5).
  sniffTail: (tail) => PDF_END.test(fromLatin1(tail.subarray(-64))),

  async read(source: ByteSource): Promise<ReadResult> {
    const located = await locate(source);
    const encrypted = isEncrypted(located.trailer);
    const findings = [...located.findings];
    if (encrypted) findings.push(finding('pdf/encrypted', 'warning', 'the PDF is encrypted (/Encrypt in the trailer)'));
    const unparsed =
      located.info?.value.value.type === 'dict'
        ? located.info.value.value.entries.filter((e) => e.value.value.type === 'unparsed' && e.key !== AIGC_KEY)
        : [];
    if (unparsed.length > 0) {
      const names = unparsed.map((e) => `/${e.key}`).join(', ');
      findings.push(finding('pdf/info-entry-kept', 'info', `Info entries that do not parse (${names}) are kept byte for byte`));
    }
    const carrier = await aigcCarrier(located, encrypted);
    const { evidence, findings: searched } = await pageEvidence(located);
    return { format: 'pdf', carriers: carrier ? [carrier] : [], findings: [...findings, ...searched], evidence };
  },

  /**
   * TC260-PG-20258A §6.3 as an incremental update (ISO 32000-1 §7.5.6): a new definition of the
   * Info object with its old entries (those that do not parse copied byte for byte) plus /AIGC.
   * An existing Info keeps its object number, as ExifTool and Acrobat do: a new number would
   * leave older trailers naming a different Info, which ExifTool reports as a duplicate Info
   * dictionary.
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
    if (isEncrypted(trailer)) {
      throw new UnsupportedFormatError('pdf: the file is encrypted (/Encrypt in the trailer); decrypt it before labeling');
    }
    const size = trailerSize(structure);
    const objects = new PdfObjects(source, structure.entries);
    const findings: Finding[] = [];
    const info = await locateInfo(objects, trailer, findings);
    const kept: Uint8Array[] = [];
    const keptUnparsed: Uint8Array[] = [];
    const infoDict = info?.value.value;
    if (info && infoDict?.type === 'dict') {
      // Entries that do not parse go last: one may leave a bracket open, which must not swallow /AIGC on the next read.
      for (const entry of infoDict.entries) {
        if (entry.key === AIGC_KEY) continue;
        (entry.value.value.type === 'unparsed' ? keptUnparsed : kept).push(valueBytes(info, entry), ascii(' '));
      }
      const unparsed = infoDict.entries.filter((e) => e.value.value.type === 'unparsed' && e.key !== AIGC_KEY);
      if (unparsed.length > 0) {
        findings.push(
          finding(
            'pdf/info-entry-kept',
            'info',
            `kept ${unparsed.length} Info entr${unparsed.length === 1 ? 'y' : 'ies'} that do not parse byte for byte`,
          ),
        );
      }
    }
    const infoRef = dictGet(trailer.value.value, 'Info');
    const existing = info && infoRef?.type === 'ref' ? structure.entries.get(infoRef.num) : undefined;
    const infoNumber = existing && infoRef?.type === 'ref' ? infoRef.num : size;
    // An object moved out of an object stream gets generation 0 (§7.5.7).
    const infoGeneration = existing?.kind === 'offset' ? existing.gen : 0;
    const aigc = ascii(`/${AIGC_KEY} ${encodeTextString(encodeBare(label))}`);
    const body = concat([ascii('<<'), ...kept, aigc, ...(keptUnparsed.length > 0 ? [ascii(' '), ...keptUnparsed] : []), ascii('>>')]);
    const update = await appendUpdate(source, structure, [{ num: infoNumber, gen: infoGeneration, body }], {
      num: infoNumber,
      gen: infoGeneration,
    });
    if (!info) findings.push(finding('pdf/info-created', 'info', 'the PDF had no Info dictionary; one was added'));
    return { segments: [{ from: 0, length: source.size }, update], findings };
  },
};
