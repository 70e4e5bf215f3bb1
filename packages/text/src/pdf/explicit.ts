import {
  ascii,
  bytesSource,
  concat,
  type ExplicitCapability,
  type ExplicitLabelOptions,
  type Finding,
  finding,
  InvalidLabelError,
  MalformedInputError,
  type Placement,
  UnsupportedFormatError,
} from '@aigc-label/core';
import { explicitLabelText } from '../explicit/wording.js';
import { loadStructure, type ParsedObject, PdfObjects, type PdfStructure, valueBytes } from './document.js';
import { findPage, type PageNode } from './pages.js';
import { dictGet, type PdfValue, type Spanned } from './syntax.js';
import { appendUpdate, streamBody, trailerSize, type UpdatedObject } from './update.js';

/**
 * The explicit label of a PDF (GB 45438 §5.1, issue 14): a line of text at the top of the first
 * page (or the bottom of the last, `placement: ['end']`), added as an incremental update so
 * every earlier byte stays. The page gets a new definition whose /Contents draws the original
 * content inside q/Q and then the label on a white plate, and whose /Resources add one font.
 *
 * The font is not embedded: a Type0 font with the predefined CMap UniGB-UCS2-H over the
 * Adobe-GB1 character collection (ISO 32000-1 §9.7.5.2, §9.7.6), which viewers render with a
 * Chinese font of their own (Acrobat's Asian font pack, poppler and pdf.js through their CJK
 * substitutes; poppler needs the predefined CMaps of poppler-data, which desktop installs carry),
 * so the label costs a few hundred bytes instead of a 10 MB font. A /ToUnicode CMap maps it back
 * to text for search, copy and our own reader.
 */

/** Fraction of the shorter page side used as the font size, and its bounds in points. */
const FONT_SIZE_RATIO = 0.03;
const MIN_FONT_SIZE = 8;
const MAX_FONT_SIZE = 24;
/** Half-width Latin (CIDs 1-95 of Adobe-GB1, where UniGB-UCS2-H puts ASCII) and full-width CJK, in 1/1000 em. */
const HALF_WIDTH = 500;
const FULL_WIDTH = 1000;
/** STSong-Light metrics, as Adobe's CJK font descriptors give them. */
const ASCENT = 0.88;
const DESCENT = 0.12;

const fail = (message: string) => new MalformedInputError('pdf', message);

const width = (text: string): number => [...text].reduce((sum, c) => sum + (c >= ' ' && c <= '~' ? HALF_WIDTH : FULL_WIDTH), 0) / 1000;

function utf16Hex(text: string): string {
  let hex = '';
  for (let i = 0; i < text.length; i++) hex += text.charCodeAt(i).toString(16).toUpperCase().padStart(4, '0');
  return hex;
}

/** A ToUnicode CMap (§9.10.3) mapping each code of `text` to itself: with UniGB-UCS2-H the codes are UCS-2. */
function toUnicodeCMap(text: string): Uint8Array {
  const codes = [...new Set(text)].sort().map((c) => `<${utf16Hex(c)}> <${utf16Hex(c)}>`);
  const chunks: string[] = [];
  // At most 100 mappings per bfchar block (§9.10.3, as Adobe's CMap specification limits them).
  for (let i = 0; i < codes.length; i += 100)
    chunks.push(`${codes.slice(i, i + 100).length} beginbfchar\n${codes.slice(i, i + 100).join('\n')}\nendbfchar`);
  return ascii(
    '/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n' +
      `/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n${chunks.join('\n')}\n` +
      'endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend',
  );
}

interface Box {
  readonly llx: number;
  readonly lly: number;
  readonly urx: number;
  readonly ury: number;
}

async function numbersOf(objects: PdfObjects, value: PdfValue | undefined): Promise<number[] | null> {
  const array = await objects.resolve(value);
  if (array?.type !== 'array') return null;
  const numbers = array.items.map((item) => (item.value.type === 'number' ? item.value.value : Number.NaN));
  return numbers.length === 4 && numbers.every(Number.isFinite) ? numbers : null;
}

/** The visible area of a page: its CropBox, else its MediaBox (§14.11.2), normalised so that ll < ur. */
async function visibleBox(objects: PdfObjects, page: PageNode): Promise<Box> {
  const numbers =
    (await numbersOf(objects, page.inherited.get('CropBox')?.value.value)) ??
    (await numbersOf(objects, page.inherited.get('MediaBox')?.value.value));
  if (!numbers) throw fail(`page object ${page.num} has no usable /MediaBox`);
  const [x0, y0, x1, y1] = numbers as [number, number, number, number];
  return { llx: Math.min(x0, x1), lly: Math.min(y0, y1), urx: Math.max(x0, x1), ury: Math.max(y0, y1) };
}

const format = (n: number): string => (Math.round(n * 100) / 100).toString();

/**
 * The content that draws `text` at the top-left (`start`) or bottom-left (`end`) of the page as
 * displayed: /Rotate turns the page clockwise (§7.7.3.3), so the text's frame is turned with it
 * and the text reads upright.
 */
function labelContent(text: string, box: Box, rotate: number, where: 'start' | 'end', font: string): string {
  const turned = rotate === 90 || rotate === 270;
  const shownWidth = turned ? box.ury - box.lly : box.urx - box.llx;
  const shownHeight = turned ? box.urx - box.llx : box.ury - box.lly;
  const margin = Math.min(shownWidth, shownHeight) * 0.03;
  let size = Math.min(MAX_FONT_SIZE, Math.max(MIN_FONT_SIZE, Math.min(shownWidth, shownHeight) * FONT_SIZE_RATIO));
  size = Math.min(size, (shownWidth - 2 * margin) / Math.max(width(text), 0.5));
  const padding = size * 0.25;
  // The baseline's start in display coordinates (origin bottom-left of the displayed page).
  const x = margin + padding;
  const y = where === 'start' ? shownHeight - margin - padding - ASCENT * size : margin + padding + DESCENT * size;
  // Display → user space for each rotation: [a b c d] turns the axes, (e f) places the origin.
  const [a, b, c, d, e, f] =
    rotate === 90
      ? [0, 1, -1, 0, box.urx - y, box.lly + x]
      : rotate === 180
        ? [-1, 0, 0, -1, box.urx - x, box.ury - y]
        : rotate === 270
          ? [0, -1, 1, 0, box.llx + y, box.ury - x]
          : [1, 0, 0, 1, box.llx + x, box.lly + y];
  const plate = [-padding, -DESCENT * size - padding, width(text) * size + 2 * padding, size + 2 * padding].map(format).join(' ');
  return (
    `Q\nq\n${[a, b, c, d, e, f].map(format).join(' ')} cm\n1 1 1 rg\n${plate} re f\n` +
    `BT\n0 0 0 rg\n/${font} ${format(size)} Tf\n0 0 Td\n<${utf16Hex(text)}> Tj\nET\nQ\n`
  );
}

/** A resource name not yet used in `fonts`. */
function freeFontName(fonts: PdfValue | undefined): string {
  const used = new Set(fonts?.type === 'dict' ? fonts.entries.map((e) => e.key) : []);
  let n = 1;
  while (used.has(`AIGCLabel${n}`)) n++;
  return `AIGCLabel${n}`;
}

/** The raw bytes of a value found in `holder`, for copying into a new object. */
const bytesOf = (holder: ParsedObject, value: Spanned): Uint8Array => valueBytes(holder, value);

/** A dictionary's entries as raw bytes, minus `skip`. */
function entriesExcept(holder: ParsedObject, dict: PdfValue, skip: readonly string[]): Uint8Array[] {
  if (dict.type !== 'dict') return [];
  return dict.entries.filter((e) => !skip.includes(e.key)).flatMap((e) => [ascii(' '), valueBytes(holder, e)]);
}

/** The page's new definition: its entries, the effective resources with the label font added, and the wrapped contents. */
async function relabeledPage(
  objects: PdfObjects,
  page: PageNode,
  font: { name: string; num: number },
  wrap: { before: number; after: number },
): Promise<Uint8Array> {
  const dict = page.object.value.value;
  const parts: Uint8Array[] = [ascii('<<')];
  // Every entry but /Contents and /Resources, byte for byte; inherited attributes stay inherited.
  parts.push(...entriesExcept(page.object, dict, ['Contents', 'Resources']));
  // /Resources: the effective dictionary (own or inherited, direct or not) with /Font extended.
  const resourcesEntry = page.inherited.get('Resources');
  let resources: PdfValue | undefined = resourcesEntry?.value.value;
  let resourcesHolder = resourcesEntry?.holder;
  if (resources?.type === 'ref') {
    const object = await objects.object(resources.num);
    resources = object?.value.value;
    resourcesHolder = object ?? undefined;
  }
  parts.push(ascii(' /Resources <<'));
  if (resources?.type === 'dict' && resourcesHolder) parts.push(...entriesExcept(resourcesHolder, resources, ['Font']));
  let fonts: PdfValue | undefined = resources?.type === 'dict' ? dictGet(resources, 'Font') : undefined;
  let fontsHolder = resourcesHolder;
  if (fonts?.type === 'ref') {
    const object = await objects.object(fonts.num);
    fonts = object?.value.value;
    fontsHolder = object ?? undefined;
  }
  parts.push(ascii(' /Font <<'));
  if (fonts?.type === 'dict' && fontsHolder) parts.push(...entriesExcept(fontsHolder, fonts, []));
  parts.push(ascii(` /${font.name} ${font.num} 0 R>>>>`));
  // /Contents: q, the original streams, then the label (which starts with Q, so the original's graphics state cannot move it).
  const contents = dictGet(dict, 'Contents');
  const original: Uint8Array[] = [];
  if (contents?.type === 'ref') {
    const object = await objects.object(contents.num);
    const value = object?.value.value;
    if (value?.type === 'array' && object) original.push(...value.items.flatMap((item) => [ascii(' '), bytesOf(object, item)]));
    else if (object) original.push(ascii(` ${contents.num} ${contents.gen} R`));
  } else if (contents?.type === 'array') {
    original.push(...contents.items.flatMap((item) => [ascii(' '), bytesOf(page.object, item)]));
  }
  parts.push(ascii(` /Contents [${wrap.before} 0 R`), ...original, ascii(` ${wrap.after} 0 R]>>`));
  return concat(parts);
}

/** The pages to label for the placements asked: the first for `start`, the last for `end`. */
async function targetPages(
  objects: PdfObjects,
  structure: PdfStructure,
  wanted: ReadonlySet<Placement>,
): Promise<{ page: PageNode; where: 'start' | 'end' }[]> {
  const root = dictGet(structure.trailer.value.value, 'Root');
  const targets: { page: PageNode; where: 'start' | 'end' }[] = [];
  for (const where of ['start', 'end'] as const) {
    if (!wanted.has(where)) continue;
    const page = await findPage(objects, root, where === 'start' ? 'first' : 'last');
    if (!page) throw fail('the document has no page to carry a visible label');
    targets.push({ page, where });
  }
  return targets;
}

async function labelPdf(bytes: Uint8Array, options: ExplicitLabelOptions) {
  const { wording, symbol, placement, positions } = options.text ?? {};
  const text = explicitLabelText({ ...(wording === undefined ? {} : { wording }), ...(symbol === undefined ? {} : { symbol }) });
  if (/[\uD800-\uDFFF]/.test(text)) {
    throw new InvalidLabelError(
      `explicit label "${text}" has a character outside the Basic Multilingual Plane, which the standard Chinese CMap of a PDF cannot show`,
    );
  }
  const source = bytesSource(bytes);
  let structure: PdfStructure;
  try {
    structure = await loadStructure(source);
  } catch (error) {
    if (!(error instanceof MalformedInputError)) throw error;
    throw fail(
      `${error.message.replace(/^pdf: /, '')}; the cross-reference data is damaged, so no update can be appended (repair the file first, e.g. with qpdf)`,
    );
  }
  if (dictGet(structure.trailer.value.value, 'Encrypt') !== undefined) {
    throw new UnsupportedFormatError('pdf: the file is encrypted (/Encrypt in the trailer); decrypt it before labeling');
  }
  const findings: Finding[] = [];
  const wanted = new Set<Placement>(placement ?? (typeof positions === 'string' ? [positions] : (positions ?? ['start'])));
  if (wanted.has('middle')) {
    findings.push(
      finding(
        'explicit/placement',
        'info',
        'a PDF gets its label line on the first page (start) or the last (end), not in the middle; it went to the start',
      ),
    );
    wanted.delete('middle');
    wanted.add('start');
  }
  const objects = new PdfObjects(source, structure.entries);
  const targets = await targetPages(objects, structure, wanted);
  let next = trailerSize(structure);
  const number = () => next++;
  const font = { type0: number(), cidFont: number(), descriptor: number(), toUnicode: number() };
  const updated: UpdatedObject[] = [
    {
      num: font.type0,
      gen: 0,
      body: ascii(
        `<</Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H /DescendantFonts [${font.cidFont} 0 R] /ToUnicode ${font.toUnicode} 0 R>>`,
      ),
    },
    {
      num: font.cidFont,
      gen: 0,
      body: ascii(
        `<</Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light /CIDSystemInfo <</Registry (Adobe) /Ordering (GB1) /Supplement 2>> /FontDescriptor ${font.descriptor} 0 R /DW ${FULL_WIDTH} /W [1 95 ${HALF_WIDTH}]>>`,
      ),
    },
    {
      num: font.descriptor,
      gen: 0,
      body: ascii(
        '<</Type /FontDescriptor /FontName /STSong-Light /Flags 6 /FontBBox [-25 -254 1000 880] /ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 /StemV 93>>',
      ),
    },
    { num: font.toUnicode, gen: 0, body: streamBody('', toUnicodeCMap(text)) },
  ];
  const seen = new Map<number, { page: PageNode; where: ('start' | 'end')[] }>();
  for (const { page, where } of targets) {
    const entry = seen.get(page.num);
    if (entry) entry.where.push(where);
    else seen.set(page.num, { page, where: [where] });
  }
  for (const { page, where } of seen.values()) {
    const fonts = await fontsOf(objects, page);
    const name = freeFontName(fonts);
    const box = await visibleBox(objects, page);
    const rotateValue = await objects.resolve(page.inherited.get('Rotate')?.value.value);
    const rotate = rotateValue?.type === 'number' ? (((Math.round(rotateValue.value / 90) * 90) % 360) + 360) % 360 : 0;
    const before = number();
    const after = number();
    updated.push({ num: before, gen: 0, body: streamBody('', ascii('q\n')) });
    updated.push({ num: after, gen: 0, body: streamBody('', ascii(where.map((w) => labelContent(text, box, rotate, w, name)).join(''))) });
    updated.push({ num: page.num, gen: page.gen, body: await relabeledPage(objects, page, { name, num: font.type0 }, { before, after }) });
  }
  const update = await appendUpdate(source, structure, updated);
  const pages = targets.map((t) => (t.where === 'start' ? 'the top of the first page' : 'the bottom of the last page'));
  return {
    bytes: concat([bytes, update]),
    summary: { kind: 'text' as const, detail: `line "${text}" at ${pages.join(' and ')}` },
    findings,
  };
}

async function fontsOf(objects: PdfObjects, page: PageNode): Promise<PdfValue | undefined> {
  const resources = await objects.resolve(page.inherited.get('Resources')?.value.value);
  return resources?.type === 'dict' ? objects.resolve(dictGet(resources, 'Font')) : undefined;
}

export const pdfExplicit: ExplicitCapability = {
  summary: 'a text line at the top of the first page (incremental update)',
  cost: 'metadata',
  customWording: true,
  inRead: true,
  searches: [],
  labeler: { input: 'bytes', apply: labelPdf },
};
