import { MalformedInputError } from './errors.js';

/**
 * EBML variable-length integers (RFC 8794 §4), shared by Matroska and WebM.
 * An element is ID (vint, marker kept) + size (vint, marker removed) + data.
 */
export interface Vint {
  readonly value: number;
  readonly length: number;
  /** All value bits set: "unknown size" (RFC 8794 §6.2). */
  readonly unknown: boolean;
}

/** Reads a size vint (marker bit removed). */
export function readVint(bytes: Uint8Array, offset: number, format = 'matroska'): Vint {
  const first = bytes[offset];
  if (first === undefined) throw new MalformedInputError(format, `EBML integer at offset ${offset} is truncated`);
  if (first === 0) throw new MalformedInputError(format, `EBML integer at offset ${offset} is longer than 8 bytes`);
  const length = Math.clz32(first) - 23;
  if (offset + length > bytes.length) throw new MalformedInputError(format, `EBML integer at offset ${offset} is truncated`);
  let value = first & (0xff >> length);
  let allOnes = value === 0xff >> length;
  for (let i = 1; i < length; i++) {
    value = value * 256 + bytes[offset + i];
    if (bytes[offset + i] !== 0xff) allOnes = false;
  }
  return { value, length, unknown: allOnes };
}

/** Reads an element ID (marker bit kept, as IDs are written in specs: 0x1A45DFA3). */
export function readElementId(bytes: Uint8Array, offset: number, format = 'matroska'): { id: number; length: number } {
  const first = bytes[offset];
  if (first === undefined || first < 0x10) throw new MalformedInputError(format, `invalid EBML element ID at offset ${offset}`);
  const length = Math.clz32(first) - 23;
  if (offset + length > bytes.length) throw new MalformedInputError(format, `EBML element ID at offset ${offset} is truncated`);
  let id = 0;
  for (let i = 0; i < length; i++) id = id * 256 + bytes[offset + i];
  return { id, length };
}

/** Encodes a size vint, in `length` bytes when given (for fixed-width fields). */
export function encodeVint(value: number, length?: number): Uint8Array {
  let n = length ?? 1;
  if (length === undefined) while (n < 8 && value >= 2 ** (7 * n) - 1) n++;
  if (value >= 2 ** (7 * n) - 1)
    throw new RangeError(`Expected a value below ${2 ** (7 * n) - 1} for a ${n}-byte EBML integer but received ${value}`);
  const out = new Uint8Array(n);
  let v = value;
  for (let i = n - 1; i > 0; i--) {
    out[i] = v % 256;
    v = Math.floor(v / 256);
  }
  out[0] = v | (0x80 >> (n - 1));
  return out;
}

/** Encodes an element ID given in spec form (marker included). */
export function encodeElementId(id: number): Uint8Array {
  const bytes: number[] = [];
  let v = id;
  while (v > 0) {
    bytes.unshift(v % 256);
    v = Math.floor(v / 256);
  }
  return Uint8Array.from(bytes);
}
