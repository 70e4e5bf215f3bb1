import { fromLatin1, LimitExceededError } from '@aigc-label/core';
import type { PdfObjects } from './document.js';
import { contentStreams, type PageNode } from './pages.js';
import { dictGet, PdfReader, type PdfValue } from './syntax.js';

/**
 * The text a page shows, as far as an explicit label needs it (GB 45438 §5.1): the strings of
 * the text-showing operators (ISO 32000-1 §9.4.3: Tj, TJ, ' and ") in fonts whose codes can be
 * read without the font program: Type0 fonts with a Unicode CMap (UniGB-UCS2-H and the other
 * predefined UCS2/UTF16 CMaps, §9.7.5.2, as our own label uses) as UTF-16, and simple fonts as
 * Latin-1. Text in other fonts is skipped. Linear in the content: one pass, a bounded stack.
 */

/** Largest decoded content of one page searched. */
export const maximumPageContentInBytes = 16 * 1024 * 1024;
/**
 * Text kept of one page: the start and the end, where a label line goes (ours is drawn last).
 * A page with more text keeps this much of each end, so memory stays flat.
 */
export const maximumPageTextInCharacters = 256 * 1024;
/** Operands kept before an operator; more is not a content stream (an operator takes at most a few). */
const maximumOperands = 64;

type Decoder = (bytes: Uint8Array) => string;

const utf16 = new TextDecoder('utf-16be');
const decodeUtf16: Decoder = (bytes) => utf16.decode(bytes);
const decodeLatin1: Decoder = fromLatin1;

/** How each font resource of the page turns string bytes into text, or null when it cannot be read here. */
async function fontDecoders(objects: PdfObjects, page: PageNode): Promise<Map<string, Decoder | null>> {
  const decoders = new Map<string, Decoder | null>();
  const resources = await objects.resolve(page.inherited.get('Resources')?.value.value);
  const fonts = resources?.type === 'dict' ? await objects.resolve(dictGet(resources, 'Font')) : undefined;
  if (fonts?.type !== 'dict') return decoders;
  for (const entry of fonts.entries) {
    const font = await objects.resolve(entry.value.value);
    decoders.set(entry.key, font?.type === 'dict' ? decoderFor(font) : null);
  }
  return decoders;
}

function decoderFor(font: PdfValue): Decoder | null {
  const subtype = dictGet(font, 'Subtype');
  const encoding = dictGet(font, 'Encoding');
  if (subtype?.type === 'name' && subtype.value === 'Type0') {
    return encoding?.type === 'name' && /^Uni\w+-(UCS2|UTF16)-[HV]$/.test(encoding.value) ? decodeUtf16 : null;
  }
  return decodeLatin1;
}

/** The text of a page's content streams: one line per text object or line move. */
export async function pageText(objects: PdfObjects, page: PageNode): Promise<string> {
  const decoders = await fontDecoders(objects, page);
  const text = new PageText();
  let budget = maximumPageContentInBytes;
  for (const stream of await contentStreams(objects, page)) {
    const data = await objects.streamData(stream, budget);
    budget -= data.length;
    showText(data, decoders, text);
    text.push('\n');
  }
  return text.toString();
}

/** The shown text of a page, keeping its first and last `maximumPageTextInCharacters` / 2 characters. */
class PageText {
  #head = '';
  #parts: string[] = [];
  #dropped = false;

  push(part: string): void {
    this.#parts.push(part);
    if (this.#parts.length < 4096) return;
    const half = maximumPageTextInCharacters / 2;
    let rest = this.#parts.join('');
    if (this.#head.length < half) {
      const taken = rest.slice(0, half - this.#head.length);
      this.#head += taken;
      rest = rest.slice(taken.length);
    }
    if (rest.length > half) {
      this.#dropped = true;
      rest = rest.slice(-half);
    }
    this.#parts = [rest];
  }

  toString(): string {
    return this.#head + (this.#dropped ? '\n' : '') + this.#parts.join('');
  }
}

const LINE_OPERATORS = new Set(['ET', 'Td', 'TD', 'T*', 'Tm']);

/** Appends what the text-showing operators of `content` show. */
function showText(content: Uint8Array, decoders: ReadonlyMap<string, Decoder | null>, parts: PageText): void {
  const reader = new PdfReader(content, 0, true);
  let decoder: Decoder | null = null;
  const operands: PdfValue[] = [];
  let at = reader.skipSpace(0);
  while (at < content.length) {
    const byte = content[at] as number;
    // Operands: strings, names, numbers, arrays, dictionaries (§7.8.2); anything else is an operator.
    if (
      byte === 0x28 ||
      byte === 0x3c ||
      byte === 0x5b ||
      byte === 0x2f ||
      byte === 0x2b ||
      byte === 0x2d ||
      byte === 0x2e ||
      (byte >= 0x30 && byte <= 0x39)
    ) {
      const value = reader.parse(at);
      if (operands.length >= maximumOperands) throw new LimitExceededError(`pdf: over ${maximumOperands} operands before an operator`);
      operands.push(value.value);
      at = reader.skipSpace(value.end);
      continue;
    }
    const operator = reader.token(at);
    at = reader.skipSpace(Math.max(operator.end, at + 1));
    if (operator.text === 'BI') {
      at = skipInlineImage(content, at);
    } else if (operator.text === 'Tf') {
      const name = operands[0];
      decoder = name?.type === 'name' ? (decoders.get(name.value) ?? null) : null;
    } else if (operator.text === 'Tj' || operator.text === "'" || operator.text === '"') {
      const shown = operands[operands.length - 1];
      if (operator.text !== 'Tj') parts.push('\n');
      if (decoder && shown?.type === 'string') parts.push(decoder(shown.bytes));
    } else if (operator.text === 'TJ') {
      const shown = operands[0];
      if (decoder && shown?.type === 'array') {
        for (const item of shown.items) if (item.value.type === 'string') parts.push(decoder(item.value.bytes));
      }
    } else if (LINE_OPERATORS.has(operator.text)) parts.push('\n');
    operands.length = 0;
  }
}

/** Just past the `EI` that ends an inline image (§8.9.7): `ID`, binary data, whitespace, `EI`, then whitespace or the end. */
function skipInlineImage(content: Uint8Array, from: number): number {
  for (let i = from; i + 1 < content.length; i++) {
    const boundaryBefore = i === 0 || [0x00, 0x09, 0x0a, 0x0c, 0x0d, 0x20].includes(content[i - 1] as number);
    const after = content[i + 2];
    if (
      content[i] === 0x45 &&
      content[i + 1] === 0x49 &&
      boundaryBefore &&
      (after === undefined || [0x00, 0x09, 0x0a, 0x0c, 0x0d, 0x20].includes(after))
    ) {
      return i + 2;
    }
  }
  return content.length;
}
