/**
 * Builds classic TIFF data (a TIFF file, or the TIFF stream of an EXIF block) from a
 * list of IFDs, for tests that need tags no library writes: MakerNotes with offsets
 * of their own, UserComment in IFD0, looping page chains.
 */
import { concat } from '@aigc-label/core';

/** Where things land, for values that depend on it (a pointer, a MakerNote with absolute offsets). */
export interface Placement {
  /** Offset of this value. */
  readonly at: number;
  readonly ifd: (index: number) => number;
  readonly blob: (index: number) => number;
}

export interface EntrySpec {
  readonly tag: number;
  readonly type: number;
  readonly value: Uint8Array | ((where: Placement) => Uint8Array);
}

export interface IfdSpec {
  readonly entries: readonly EntrySpec[];
  /** Index of the next IFD in the chain. */
  readonly next?: number;
}

const TYPE_SIZES: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 7: 1 };

export const Type = { byte: 1, ascii: 2, short: 3, long: 4, rational: 5, undefined: 7 } as const;

export function numbers(littleEndian: boolean, width: 2 | 4, ...values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * width);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => {
    if (width === 2) view.setUint16(i * width, v, littleEndian);
    else view.setUint32(i * width, v, littleEndian);
  });
  return out;
}

export const asciiz = (text: string): Uint8Array => new TextEncoder().encode(`${text}\0`);

/** An IFD at `at` followed by its out-of-line values, each on a word boundary. */
export function ifdWithValues(
  littleEndian: boolean,
  at: number,
  entries: readonly EntrySpec[],
  next: number,
  where: Omit<Placement, 'at'>,
) {
  const head = new Uint8Array(2 + entries.length * 12 + 4);
  const view = new DataView(head.buffer);
  view.setUint16(0, entries.length, littleEndian);
  const values: Uint8Array[] = [];
  let end = at + head.length;
  entries.forEach((e, i) => {
    const value = typeof e.value === 'function' ? e.value({ ...where, at: end + (end % 2) }) : e.value;
    const entry = 2 + i * 12;
    view.setUint16(entry, e.tag, littleEndian);
    view.setUint16(entry + 2, e.type, littleEndian);
    view.setUint32(entry + 4, value.length / TYPE_SIZES[e.type], littleEndian);
    if (value.length <= 4) head.set(value, entry + 8);
    else {
      if (end % 2) {
        values.push(new Uint8Array(1));
        end++;
      }
      view.setUint32(entry + 8, end, littleEndian);
      values.push(value);
      end += value.length;
    }
  });
  view.setUint32(head.length - 4, next, littleEndian);
  return concat([head, ...values]);
}

/** Classic TIFF data: header, the IFDs in order (each followed by its values), then the blobs. */
export function tiffData(littleEndian: boolean, ifds: readonly IfdSpec[], blobs: readonly Uint8Array[] = []): Uint8Array {
  const layout = (ifdAt: number[], blobAt: number[]) => {
    const where = { ifd: (i: number) => ifdAt[i] ?? 0, blob: (i: number) => blobAt[i] ?? 0 };
    const parts: Uint8Array[] = [Uint8Array.of(...(littleEndian ? [0x49, 0x49, 42, 0] : [0x4d, 0x4d, 0, 42])), numbers(littleEndian, 4, 8)];
    let end = 8;
    const placedIfds: number[] = [];
    const placedBlobs: number[] = [];
    for (const spec of ifds) {
      placedIfds.push(end);
      const block = ifdWithValues(littleEndian, end, spec.entries, spec.next === undefined ? 0 : where.ifd(spec.next), where);
      parts.push(block, new Uint8Array(block.length % 2));
      end += block.length + (block.length % 2);
    }
    for (const blob of blobs) {
      placedBlobs.push(end);
      parts.push(blob, new Uint8Array(blob.length % 2));
      end += blob.length + (blob.length % 2);
    }
    return { bytes: concat(parts), placedIfds, placedBlobs };
  };
  // Sizes do not depend on where things land, so one pass finds the offsets and a second uses them.
  const first = layout([], []);
  return layout(first.placedIfds, first.placedBlobs).bytes;
}
