import { ascii, type ByteSource, concat, MalformedInputError } from '@aigc-label/core';
import { dictEntry, type PdfStructure, valueBytes } from './document.js';
import { dictGet } from './syntax.js';

/**
 * An incremental update (ISO 32000-1 §7.5.6): new definitions of objects appended after the
 * original bytes, a cross-reference section of the same kind as the newest one that lists only
 * them, and a trailer whose /Prev points back. The original bytes stay a prefix of the output,
 * so signatures keep their byte ranges.
 */

export interface UpdatedObject {
  readonly num: number;
  readonly gen: number;
  /** The object's value as PDF syntax (a dictionary, or a stream dictionary with its data). */
  readonly body: Uint8Array;
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

/** The trailer's /Size: one past the highest object number in use. */
export function trailerSize(structure: PdfStructure): number {
  const size = dictGet(structure.trailer.value.value, 'Size');
  if (size?.type !== 'number' || !Number.isInteger(size.value) || size.value < 1)
    throw new MalformedInputError('pdf', 'the trailer has no valid /Size');
  return size.value;
}

/** A stream object's body: its dictionary entries, /Length, and the data. */
export const streamBody = (entries: string, data: Uint8Array): Uint8Array =>
  concat([ascii(`<<${entries} /Length ${data.length}>>\nstream\n`), data, ascii('\nendstream')]);

/**
 * The bytes to append to `source` for `objects`; `info` is the /Info reference the new trailer
 * carries (the old one when undefined). Objects numbered from `trailerSize` on are new; the
 * new /Size covers them, and a cross-reference stream, which is an object too, takes the
 * next number.
 */
export async function appendUpdate(
  source: ByteSource,
  structure: PdfStructure,
  objects: readonly UpdatedObject[],
  info?: { readonly num: number; readonly gen: number },
): Promise<Uint8Array> {
  const trailer = structure.trailer;
  const root = dictEntry(trailer, 'Root');
  if (!root) throw new MalformedInputError('pdf', 'the trailer has no /Root');
  const last = source.size > 0 ? (await source.read(source.size - 1, 1))[0] : 0;
  const separator = last === 0x0a || last === 0x0d ? '' : '\n';
  const parts: Uint8Array[] = [ascii(separator)];
  const offsets: { num: number; gen: number; offset: number }[] = [];
  let offset = source.size + separator.length;
  for (const object of objects) {
    const bytes = concat([ascii(`${object.num} ${object.gen} obj\n`), object.body, ascii('\nendobj\n')]);
    offsets.push({ num: object.num, gen: object.gen, offset });
    parts.push(bytes);
    offset += bytes.length;
  }
  const xrefOffset = offset;
  const oldInfo = dictEntry(trailer, 'Info');
  const id = dictEntry(trailer, 'ID');
  const common = concat([
    ascii('/Root '),
    valueBytes(trailer, root.value),
    ...(info ? [ascii(` /Info ${info.num} ${info.gen} R`)] : oldInfo ? [ascii(' /Info '), valueBytes(trailer, oldInfo.value)] : []),
    ...(id ? [ascii(' /ID '), valueBytes(trailer, id.value)] : []),
    ascii(` /Prev ${structure.startxref}`),
  ]);
  const size = Math.max(trailerSize(structure), ...objects.map((o) => o.num + 1));
  if (structure.newestKind === 'table') {
    // §7.5.4: fixed 20-byte entries in subsections of consecutive numbers.
    const rows = [...offsets].sort((a, b) => a.num - b.num);
    let table = 'xref\n';
    for (let i = 0; i < rows.length; ) {
      let j = i;
      while (j + 1 < rows.length && (rows[j + 1] as (typeof rows)[number]).num === (rows[j] as (typeof rows)[number]).num + 1) j++;
      table += `${(rows[i] as (typeof rows)[number]).num} ${j - i + 1}\n`;
      for (let k = i; k <= j; k++) {
        const row = rows[k] as (typeof rows)[number];
        table += `${pad(row.offset, 10)} ${pad(row.gen, 5)} n\r\n`;
      }
      i = j + 1;
    }
    parts.push(ascii(`${table}trailer\n<</Size ${size} `), common, ascii(`>>\nstartxref\n${xrefOffset}\n%%EOF\n`));
  } else {
    // §7.5.8: an uncompressed cross-reference stream covering the new objects and itself.
    const xrefNumber = size;
    const rows = [...offsets, { num: xrefNumber, gen: 0, offset: xrefOffset }].sort((a, b) => a.num - b.num);
    const width = Math.max(4, byteWidth(xrefOffset));
    const rowLength = 1 + width + 2;
    const data = new Uint8Array(rows.length * rowLength);
    const index: number[] = [];
    rows.forEach((row, r) => {
      data[r * rowLength] = 1;
      bigEndian(data, r * rowLength + 1, width, row.offset);
      bigEndian(data, r * rowLength + 1 + width, 2, row.gen);
      const previous = index.length > 0 ? (index[index.length - 2] as number) + (index[index.length - 1] as number) : -1;
      if (previous === row.num) index[index.length - 1] = (index[index.length - 1] as number) + 1;
      else index.push(row.num, 1);
    });
    parts.push(
      ascii(`${xrefNumber} 0 obj\n<</Type /XRef /Size ${xrefNumber + 1} /Index [${index.join(' ')}] /W [1 ${width} 2] `),
      common,
      ascii(` /Length ${data.length}>>\nstream\n`),
      data,
      ascii(`\nendstream\nendobj\nstartxref\n${xrefOffset}\n%%EOF\n`),
    );
  }
  return concat(parts);
}
