import {
  appendCrc,
  bitsToBytes,
  CRC32_MPEG2,
  checkCrc,
  KeyedRandom,
  LTE_CONVOLUTIONAL_CODE,
  payloadBits,
  WATERMARK_PAYLOAD_BITS,
  watermarkSeed,
} from '@aigc-label/core';

/**
 * What one tile of the mark carries and where: the payload's 64 bits, a CRC-32 that tells a
 * real mark from noise, a rate-1/3 convolutional code, and the keyed layout of the tile's chips.
 */

/** Chips along one side of the square tile that repeats over the image. */
export const TILE_CHIPS = 32;
export const TILE_CHIP_COUNT = TILE_CHIPS * TILE_CHIPS;
/** Chips whose value the detector knows in advance (for synchronisation), out of TILE_CHIP_COUNT. */
export const PILOT_CHIP_COUNT = 256;

const CRC = CRC32_MPEG2;
const CODE = LTE_CONVOLUTIONAL_CODE;
/** Payload plus CRC. */
export const MESSAGE_BITS = WATERMARK_PAYLOAD_BITS + CRC.width;
/** Coded bits in a tile (306 with the K = 7 code's tail). */
export const CODED_BITS = CODE.codedLength(MESSAGE_BITS);
/** A random word passes the CRC with this probability: the false-positive rate of one message tried. */
export const CRC_PASS_PROBABILITY = 2 ** -CRC.width;
/**
 * Messages tried per decoding: the list Viterbi decoder's best paths, each checked against the
 * CRC. A reading with a burst of errors sometimes holds the mark only in a later path (800
 * photos of 640 × 480, resized to 75% and saved at JPEG q60: 794 read with one message tried,
 * 798 with 4, 799 with 8).
 */
export const LIST_SIZE = 8;
/** A decoding of content without this key's mark passes a CRC with at most this probability. */
export const DECODING_FALSE_POSITIVE_BOUND = LIST_SIZE * CRC_PASS_PROBABILITY;

/** The keyed arrangement of a tile: which chips are pilots, each chip's pseudo-noise sign, and which coded bit a message chip carries. */
export interface TileLayout {
  /** 1 for a pilot chip. Chip index = row × TILE_CHIPS + column. */
  readonly pilot: Uint8Array;
  /** Pseudo-noise sign (+1/−1) of every chip. */
  readonly sign: Int8Array;
  /** For a message chip, the coded bit it carries; −1 for a pilot. */
  readonly codedBit: Int16Array;
}

const layouts = new Map<string, TileLayout>();

/** The tile layout for a key (derived once per key and kept; a few keys per process at most). */
export function tileLayout(key: string | undefined): TileLayout {
  const id = key ?? '';
  const known = layouts.get(id);
  if (known) return known;
  const random = new KeyedRandom(watermarkSeed(key, 'image/tile-layout'));
  const order = random.permutation(TILE_CHIP_COUNT);
  const pilot = new Uint8Array(TILE_CHIP_COUNT);
  const codedBit = new Int16Array(TILE_CHIP_COUNT);
  for (let k = 0; k < TILE_CHIP_COUNT; k++) {
    const chip = order[k]!;
    if (k < PILOT_CHIP_COUNT) {
      pilot[chip] = 1;
      codedBit[chip] = -1;
    } else {
      codedBit[chip] = (k - PILOT_CHIP_COUNT) % CODED_BITS; // each coded bit on 2 or 3 chips, scattered
    }
  }
  const sign = Int8Array.from({ length: TILE_CHIP_COUNT }, () => random.nextSign());
  const layout = { pilot, sign, codedBit };
  if (layouts.size >= 16) layouts.clear();
  layouts.set(id, layout);
  return layout;
}

/** The coded bits (0/1) for a payload: payload ‖ CRC-32, convolutionally encoded. */
export function encodeMessage(payload: Uint8Array): Uint8Array {
  return CODE.encode(appendCrc(payloadBits(payload), CRC));
}

/** The tile's chip values (+1/−1): pilots carry their sign, message chips their sign times the coded bit. */
export function chipValues(layout: TileLayout, coded: Uint8Array): Float32Array {
  const chips = new Float32Array(TILE_CHIP_COUNT);
  for (let j = 0; j < TILE_CHIP_COUNT; j++) {
    const bit = layout.codedBit[j]!;
    chips[j] = bit < 0 ? layout.sign[j]! : layout.sign[j]! * (coded[bit] ? 1 : -1);
  }
  return chips;
}

/**
 * Chips with their local mean taken out: each minus the mean of its 3×3 neighbourhood
 * (cyclic over the tile). Independent ±1 chips clump into blotches a few chips wide, the part
 * of the pattern the eye sees first on flat areas; this shaping removes it (the spectrum
 * becomes zero at DC and rises towards the chip rate) at a cost of 11% of the energy.
 */
export function shapeChips(chips: Float32Array): Float32Array {
  const out = new Float32Array(TILE_CHIP_COUNT);
  for (let y = 0; y < TILE_CHIPS; y++) {
    for (let x = 0; x < TILE_CHIPS; x++) {
      let sum = 0;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++)
          sum += chips[((y + dy + TILE_CHIPS) % TILE_CHIPS) * TILE_CHIPS + ((x + dx + TILE_CHIPS) % TILE_CHIPS)]!;
      }
      out[y * TILE_CHIPS + x] = chips[y * TILE_CHIPS + x]! - sum / 9;
    }
  }
  return out;
}

/** The pilot chips alone (message chips 0): what the detector correlates against. */
export function pilotValues(layout: TileLayout): Float32Array {
  return Float32Array.from(layout.sign, (s, j) => (layout.pilot[j] ? s : 0));
}

export interface DecodedMessage {
  /** The payload when the CRC holds, else null. */
  readonly payload: Uint8Array | null;
  /** The 64 payload bits as decoded, CRC or not (for measuring bit accuracy only). */
  readonly bits: Uint8Array;
  /** Coded bits whose received sign disagrees with the decoded code word (of CODED_BITS). */
  readonly bitErrors: number;
}

/**
 * Decodes soft values of the coded bits (positive = 1 more likely): the LIST_SIZE most likely
 * messages are tried best first and the first whose CRC holds is taken, else the most likely.
 * Noise passes with probability at most DECODING_FALSE_POSITIVE_BOUND.
 */
export function decodeMessage(soft: Float64Array): DecodedMessage {
  const messages = CODE.decodeList(soft, LIST_SIZE);
  const message = messages.find((m) => checkCrc(m, CRC) !== null) ?? messages[0]!;
  const checked = checkCrc(message, CRC);
  const recoded = CODE.encode(message);
  let bitErrors = 0;
  for (let i = 0; i < CODED_BITS; i++) if (soft[i]! > 0 !== (recoded[i] === 1)) bitErrors++;
  return { payload: checked ? bitsToBytes(checked) : null, bits: message.subarray(0, WATERMARK_PAYLOAD_BITS), bitErrors };
}
