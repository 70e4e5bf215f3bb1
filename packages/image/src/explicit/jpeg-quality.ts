/**
 * Estimates the IJG quality a JPEG was saved with from its quantisation tables (DQT), so that
 * re-encoding after drawing the label neither bloats the file nor degrades it further.
 */

// ITU-T T.81 Annex K, tables K.1 and K.2 (the IJG base tables at quality 50).
const LUMA = [
  16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62, 18, 22,
  37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92, 49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
];
const CHROMA = [
  17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99, 24, 26, 56, 99, 99, 99, 99, 99, 47, 66, 99, 99, 99, 99, 99, 99, 99, 99,
  99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
];

// Natural (row-major) index of each coefficient in DQT's zigzag order (T.81 Figure A.6).
const ZIGZAG = [
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28, 35, 42, 49, 56, 57,
  50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
];

/** Luma's sampling factors over chroma's (horizontal, vertical), as the usual names. */
const SUBSAMPLING: Record<string, string> = { '1,1': '4:4:4', '2,1': '4:2:2', '1,2': '4:4:0', '2,2': '4:2:0', '4,1': '4:1:1' };

export interface JpegEncoding {
  /** Estimated IJG quality, 1-100. */
  readonly quality: number;
  /** The chroma subsampling to write: the source's when libjpeg through sharp can write it (4:2:0, 4:4:4), else 4:4:4, which loses nothing more. */
  readonly chromaSubsampling: '4:2:0' | '4:4:4';
  /** The source's own subsampling as read from the frame header (4:2:2 and 4:4:0 included). */
  readonly sourceSubsampling: string;
  readonly progressive: boolean;
}

/** IJG `jpeg_quality_scaling` + `jpeg_add_quant_table` with baseline clamping. */
function scaledTable(base: readonly number[], quality: number): number[] {
  const scale = quality < 50 ? 5000 / quality : 200 - quality * 2;
  return base.map((v) => Math.min(255, Math.max(1, Math.floor((v * scale + 50) / 100))));
}

const distance = (a: readonly number[], b: readonly number[]): number => a.reduce((sum, v, i) => sum + Math.abs(v - b[i]), 0);

/**
 * Reads DQT and SOF segments up to the first SOS. Returns undefined when the header carries
 * no usable luminance table (then the caller keeps its default quality).
 */
export function estimateJpegEncoding(bytes: Uint8Array): JpegEncoding | undefined {
  const tables = new Map<number, number[]>();
  let sourceSubsampling = '4:2:0';
  let progressive = false;
  let pos = 2;
  while (pos + 4 <= bytes.length) {
    if (bytes[pos] !== 0xff) return undefined;
    const marker = bytes[pos + 1];
    if (marker === 0xff) {
      pos += 1; // fill byte
      continue;
    }
    if (marker === 0xda || marker === 0xd9) break; // SOS / EOI: the header is over
    const length = (bytes[pos + 2] << 8) | bytes[pos + 3];
    const end = pos + 2 + length;
    if (length < 2 || end > bytes.length) return undefined;
    if (marker === 0xdb) readQuantTables(bytes.subarray(pos + 4, end), tables);
    if (marker === 0xc0 || marker === 0xc1 || marker === 0xc2) {
      progressive = marker === 0xc2;
      const components = bytes[pos + 9];
      // Sampling factors, H in the high nibble and V in the low, of luma and the first chroma component (T.81 §B.2.2).
      if (components >= 3 && pos + 15 <= end) {
        const [luma, chroma] = [bytes[pos + 11], bytes[pos + 14]];
        const ratio = `${(luma >> 4) / Math.max(1, chroma >> 4)},${(luma & 15) / Math.max(1, chroma & 15)}`;
        sourceSubsampling = SUBSAMPLING[ratio] ?? `sampling ${ratio}`;
      }
    }
    pos = end;
  }
  const luma = tables.get(0);
  if (luma === undefined) return undefined;
  const chroma = tables.get(1);
  let quality = 75;
  let best = Number.POSITIVE_INFINITY;
  for (let q = 1; q <= 100; q++) {
    const d = distance(scaledTable(LUMA, q), luma) + (chroma ? distance(scaledTable(CHROMA, q), chroma) : 0);
    if (d < best) {
      best = d;
      quality = q;
    }
  }
  const chromaSubsampling = sourceSubsampling === '4:2:0' ? '4:2:0' : '4:4:4';
  return { quality, chromaSubsampling, sourceSubsampling, progressive };
}

/** One DQT segment holds one or more tables: Pq/Tq byte then 64 zigzag-ordered values of 8 or 16 bits (T.81 B.2.4.1). */
function readQuantTables(segment: Uint8Array, tables: Map<number, number[]>): void {
  let pos = 0;
  while (pos < segment.length) {
    const wide = segment[pos] >> 4 === 1;
    const id = segment[pos] & 0x0f;
    const size = wide ? 128 : 64;
    if (pos + 1 + size > segment.length) return;
    const values = new Array<number>(64);
    for (let i = 0; i < 64; i++)
      values[ZIGZAG[i]] = wide ? (segment[pos + 1 + 2 * i] << 8) | segment[pos + 2 + 2 * i] : segment[pos + 1 + i];
    tables.set(id, values);
    pos += 1 + size;
  }
}
