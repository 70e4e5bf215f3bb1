/**
 * Just enough of the AV1 bitstream (AV1 spec §5.3, §5.5) to read the colour configuration of a
 * sequence header: bit depth, chroma subsampling, matrix coefficients and range. AVIF's `av1C`
 * box repeats the first two; the last two say how the encoder turned RGB into YUV.
 */
import { MalformedInputError } from '@aigc-label/core';

export interface Av1ColourConfig {
  readonly bitDepth: 8 | 10 | 12;
  readonly monochrome: boolean;
  readonly subsamplingX: boolean;
  readonly subsamplingY: boolean;
  /** H.273 ColourPrimaries, TransferCharacteristics, MatrixCoefficients; 2 (unspecified) when absent. */
  readonly primaries: number;
  readonly transfer: number;
  readonly matrix: number;
  readonly fullRange: boolean;
}

const OBU_SEQUENCE_HEADER = 1;
const fail = (message: string) => new MalformedInputError('avif', message);

class Bits {
  private at = 0;
  constructor(private readonly bytes: Uint8Array) {}
  bit(): number {
    if (this.at >> 3 >= this.bytes.length) throw fail('the AV1 sequence header is truncated');
    const value = (this.bytes[this.at >> 3]! >> (7 - (this.at & 7))) & 1;
    this.at++;
    return value;
  }
  f(count: number): number {
    let value = 0;
    for (let i = 0; i < count; i++) value = value * 2 + this.bit();
    return value;
  }
  /** uvlc() (§4.10.3). */
  uvlc(): number {
    let zeros = 0;
    while (this.bit() === 0) if (++zeros >= 32) throw fail('an AV1 uvlc() code is too long');
    return zeros === 0 ? 0 : this.f(zeros) + 2 ** zeros - 1;
  }
}

/** leb128() (§4.10.5): the value and the bytes it took. */
function leb128(bytes: Uint8Array, at: number): { value: number; size: number } {
  let value = 0;
  for (let i = 0; i < 8; i++) {
    const byte = bytes[at + i];
    if (byte === undefined) throw fail('an AV1 OBU size is truncated');
    value += (byte & 0x7f) * 2 ** (7 * i);
    if ((byte & 0x80) === 0) return { value, size: i + 1 };
  }
  throw fail('an AV1 OBU size is longer than 8 bytes');
}

/** The payload of the first sequence header OBU in a run of OBUs (low-overhead format, §5.2), or null. */
export function sequenceHeaderObu(obus: Uint8Array): Uint8Array | null {
  let at = 0;
  while (at < obus.length) {
    const header = obus[at]!;
    const type = (header >> 3) & 0xf;
    const extension = (header >> 2) & 1;
    const hasSize = (header >> 1) & 1;
    const start = at + 1 + extension;
    if (!hasSize) return type === OBU_SEQUENCE_HEADER ? obus.subarray(start) : null;
    const { value, size } = leb128(obus, start);
    const payload = start + size;
    if (payload + value > obus.length) throw fail('an AV1 OBU runs past the end of its data');
    if (type === OBU_SEQUENCE_HEADER) return obus.subarray(payload, payload + value);
    at = payload + value;
  }
  return null;
}

/** Reads sequence_header_obu() up to and including color_config() (§5.5.1, §5.5.2). */
export function parseColourConfig(sequenceHeader: Uint8Array): Av1ColourConfig {
  const b = new Bits(sequenceHeader);
  const profile = b.f(3);
  b.f(1); // still_picture
  const reduced = b.bit();
  if (reduced) b.f(5);
  else {
    let decoderModelInfo = 0;
    let bufferDelayLength = 0;
    if (b.bit()) {
      // timing_info()
      b.f(32);
      b.f(32);
      if (b.bit()) b.uvlc();
      decoderModelInfo = b.bit();
      if (decoderModelInfo) {
        bufferDelayLength = b.f(5) + 1;
        b.f(32);
        b.f(5);
        b.f(5);
      }
    }
    const initialDisplayDelay = b.bit();
    const operatingPoints = b.f(5) + 1;
    for (let i = 0; i < operatingPoints; i++) {
      b.f(12);
      if (b.f(5) > 7) b.f(1);
      if (decoderModelInfo && b.bit()) {
        b.f(bufferDelayLength);
        b.f(bufferDelayLength);
        b.f(1);
      }
      if (initialDisplayDelay && b.bit()) b.f(4);
    }
  }
  const widthBits = b.f(4) + 1;
  const heightBits = b.f(4) + 1;
  b.f(widthBits);
  b.f(heightBits);
  if (!reduced && b.bit()) {
    b.f(4);
    b.f(3);
  }
  b.f(3); // use_128x128_superblock, enable_filter_intra, enable_intra_edge_filter
  if (!reduced) {
    b.f(4); // interintra, masked compound, warped motion, dual filter
    const orderHint = b.bit();
    if (orderHint) b.f(2);
    const screenContent = b.bit() ? 2 : b.f(1);
    if (screenContent > 0 && !b.bit()) b.f(1);
    if (orderHint) b.f(3);
  }
  b.f(3); // superres, cdef, restoration
  // color_config()
  const high = b.bit();
  const bitDepth = profile === 2 && high ? (b.bit() ? 12 : 10) : high ? 10 : 8;
  const monochrome = profile === 1 ? false : b.bit() === 1;
  let [primaries, transfer, matrix] = [2, 2, 2];
  if (b.bit()) [primaries, transfer, matrix] = [b.f(8), b.f(8), b.f(8)];
  if (monochrome)
    return { bitDepth, monochrome, subsamplingX: true, subsamplingY: true, primaries, transfer, matrix, fullRange: b.bit() === 1 };
  if (primaries === 1 && transfer === 13 && matrix === 0) {
    return { bitDepth, monochrome, subsamplingX: false, subsamplingY: false, primaries, transfer, matrix, fullRange: true };
  }
  const fullRange = b.bit() === 1;
  let [subsamplingX, subsamplingY] = [true, true];
  if (profile === 1) [subsamplingX, subsamplingY] = [false, false];
  else if (profile === 2 && bitDepth === 12) {
    subsamplingX = b.bit() === 1;
    subsamplingY = subsamplingX ? b.bit() === 1 : false;
  } else if (profile === 2) [subsamplingX, subsamplingY] = [true, false];
  return { bitDepth, monochrome, subsamplingX, subsamplingY, primaries, transfer, matrix, fullRange };
}
