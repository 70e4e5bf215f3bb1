/**
 * Table-driven CRC-8 and CRC-16 over bytes, for the audio frame formats that check their
 * frames with them. One table builder for both bit orders; each CRC continues from `previous`
 * (initial value 0, no final XOR), so a long stream can be fed in pieces.
 * - CRC-16/ARC: polynomial 0x8005 reflected (LSB first), as LAME computes its tag's CRCs.
 * - CRC-16/UMTS: polynomial 0x8005 MSB first, the FLAC frame footer (RFC 9639 §9.3).
 * - CRC-8/SMBUS: polynomial 0x07 MSB first, the FLAC frame header (RFC 9639 §9.1.8).
 * A message followed by its MSB-first CRC (big-endian) has CRC 0, which is how the FLAC frame
 * walk finds where a frame ends without knowing its length.
 */

/** The 256-entry table of a `width`-bit CRC with `poly`, MSB first, or reflected (LSB first) when `reflected`. */
function crcTable(width: 8 | 16, poly: number, reflected: boolean): Uint16Array {
  const table = new Uint16Array(256);
  const top = 1 << (width - 1);
  const mask = (1 << width) - 1;
  const reversed = reflected ? reverseBits(poly, width) : 0;
  for (let n = 0; n < 256; n++) {
    let c = reflected ? n : n << (width - 8);
    for (let k = 0; k < 8; k++) {
      if (reflected) c = c & 1 ? (c >>> 1) ^ reversed : c >>> 1;
      else c = c & top ? ((c << 1) ^ poly) & mask : (c << 1) & mask;
    }
    table[n] = c;
  }
  return table;
}

function reverseBits(value: number, width: number): number {
  let out = 0;
  for (let i = 0; i < width; i++) out |= ((value >>> i) & 1) << (width - 1 - i);
  return out;
}

const ARC_TABLE = crcTable(16, 0x8005, true);
/**
 * CRC-16/UMTS runs over every byte of a FLAC file's frames, so it folds in eight bytes per step
 * (slicing-by-8, as crc32 does): table k holds the CRC of a byte followed by k zero bytes.
 */
const UMTS_TABLES = (() => {
  const tables = new Uint16Array(8 * 256);
  tables.set(crcTable(16, 0x8005, false));
  for (let k = 1; k < 8; k++) {
    for (let n = 0; n < 256; n++) {
      const previous = tables[(k - 1) * 256 + n]!;
      tables[k * 256 + n] = ((previous << 8) & 0xffff) ^ tables[previous >>> 8]!;
    }
  }
  return tables;
})();
const SMBUS_TABLE = crcTable(8, 0x07, false);

/** CRC-16/ARC (polynomial 0x8005 reflected, initial value 0; check value 0xBB3D). */
export function crc16Arc(bytes: Uint8Array, previous = 0): number {
  const t = ARC_TABLE;
  let crc = previous;
  for (let i = 0; i < bytes.length; i++) crc = (crc >>> 8) ^ t[(crc ^ bytes[i]!) & 0xff]!;
  return crc;
}

/** CRC-16/UMTS (polynomial 0x8005 MSB first, initial value 0; check value 0xFEE8): the FLAC frame CRC. */
export function crc16Umts(bytes: Uint8Array, previous = 0, from = 0, to = bytes.length): number {
  const t = UMTS_TABLES;
  let crc = previous;
  let i = from;
  for (const end = to - 7; i < end; i += 8) {
    crc =
      t[1792 + ((crc >>> 8) ^ bytes[i]!)]! ^
      t[1536 + ((crc & 0xff) ^ bytes[i + 1]!)]! ^
      t[1280 + bytes[i + 2]!]! ^
      t[1024 + bytes[i + 3]!]! ^
      t[768 + bytes[i + 4]!]! ^
      t[512 + bytes[i + 5]!]! ^
      t[256 + bytes[i + 6]!]! ^
      t[bytes[i + 7]!]!;
  }
  for (; i < to; i++) crc = ((crc << 8) & 0xffff) ^ t[(crc >>> 8) ^ bytes[i]!]!;
  return crc;
}

/** CRC-8/SMBUS (polynomial 0x07 MSB first, initial value 0; check value 0xF4): the FLAC frame header CRC. */
export function crc8Smbus(bytes: Uint8Array, previous = 0, from = 0, to = bytes.length): number {
  const t = SMBUS_TABLE;
  let crc = previous;
  for (let i = from; i < to; i++) crc = t[crc ^ bytes[i]!]!;
  return crc;
}
