/**
 * The little DER (ITU-T X.690) this package reads: the outer layers of SubjectPublicKeyInfo
 * (RFC 5280), PKCS#8 (RFC 5208) and SEC1 ECPrivateKey (RFC 5915). Lengths are bounded by
 * the input; anything else is a MalformedInputError.
 */
import { MalformedInputError } from '@aigc-label/core';

export interface DerElement {
  readonly tag: number;
  readonly value: Uint8Array;
  /** The whole element: tag, length and value. */
  readonly tlv: Uint8Array;
  /** Offset just past this element in the buffer it was read from. */
  readonly end: number;
}

const fail = (message: string) => new MalformedInputError('key', message);

/** Reads one element at `offset`; the tag must be a single byte (all this package needs). */
export function readDer(bytes: Uint8Array, offset = 0): DerElement {
  if (offset + 2 > bytes.length) throw fail('DER element truncated');
  const tag = bytes[offset];
  if ((tag & 0x1f) === 0x1f) throw fail('DER multi-byte tags are not used in keys');
  let length = bytes[offset + 1];
  let start = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4 || start + count > bytes.length) throw fail('DER length is malformed');
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + bytes[start + i];
    start += count;
  }
  if (start + length > bytes.length) throw fail('DER element runs past the end of its container');
  return { tag, value: bytes.subarray(start, start + length), tlv: bytes.subarray(offset, start + length), end: start + length };
}

/** The elements inside a constructed element's value, in order. */
export function derChildren(value: Uint8Array): DerElement[] {
  const children: DerElement[] = [];
  for (let offset = 0; offset < value.length; ) {
    const child = readDer(value, offset);
    children.push(child);
    offset = child.end;
  }
  return children;
}

export const DerTag = { integer: 0x02, bitString: 0x03, octetString: 0x04, oid: 0x06, sequence: 0x30 } as const;

/** Dotted text of an OBJECT IDENTIFIER value. */
export function oidText(value: Uint8Array): string {
  if (value.length === 0 || value.length > 64) throw fail('OBJECT IDENTIFIER is empty or too long');
  const arcs: number[] = [];
  let arc = 0;
  for (const byte of value) {
    arc = arc * 128 + (byte & 0x7f);
    if (!(byte & 0x80)) {
      arcs.push(arc);
      arc = 0;
    }
  }
  const first = Math.min(2, Math.floor(arcs[0] / 40));
  return [first, arcs[0] - first * 40, ...arcs.slice(1)].join('.');
}

/** The children of `bytes` as one SEQUENCE, or a MalformedInputError naming `what`. */
export function sequence(bytes: Uint8Array, what: string): DerElement[] {
  const outer = readDer(bytes);
  if (outer.tag !== DerTag.sequence || outer.end !== bytes.length) throw fail(`${what} is not one DER SEQUENCE`);
  return derChildren(outer.value);
}
