/**
 * The streaming watermark detector. It is fed the same mono 8 kHz PCM as the rhythm and voice
 * detectors (one decode serves all three), measures the energy of every patch in STFT frames on
 * eight slot grids 2 ms apart, turns each cell into a normalised log-energy contrast against its
 * neighbours in time, and folds the contrasts modulo the block length, so memory is constant
 * and a long programme adds up coherently. At the end, the sync pattern is correlated with the
 * folded cells at every block phase and offset (any time shift), and the best alignments are
 * Viterbi-decoded and checked against their CRC-24.
 */
import { bitsToBytes, toHex } from '@aigc-label/core';
import { type AudioInput, decodePcm } from '../pcm/ffmpeg.js';
import { RealPowerSpectrum } from '../rhythm/fft.js';
import { CRC_BITS, decodeWithCrc } from './ecc.js';
import {
  AUDIO_PAYLOAD_BITS,
  CELLS_PER_BLOCK,
  CODED_BITS,
  cellContrast,
  FFT_SIZE,
  FIRST_BIN,
  FRAMES_PER_SLOT,
  HOP,
  PATCH_BINS,
  PATCHES,
  SLOT_SAMPLES,
  SLOTS_PER_BLOCK,
  SYNC,
  sqrtHann,
  WATERMARK_RATE,
  WatermarkLayout,
} from './layout.js';

/** Frames are analysed every FINE_HOP samples: the slot grid is found to within FINE_HOP / 2 (1 ms). */
const FINE_HOP = 16;
const FINE_PER_HOP = HOP / FINE_HOP;
/** Grid offsets searched: every FINE_HOP within a slot (8). */
const OFFSETS = SLOT_SAMPLES / FINE_HOP;
/**
 * Readings decoded at most: the best alignment, the second best, and the best jointly with the
 * best one at least JOINT_SEPARATION away (see `decodeAttempts`).
 */
export const DECODE_ATTEMPTS = 3;
/** Samples between the two alignments of a joint reading, at least (two slots, 32 ms). */
const JOINT_SEPARATION = 2 * SLOT_SAMPLES;
/**
 * Messages the list Viterbi decoder tries per reading against the CRC-24. Each message tried
 * passes by chance with probability 2⁻²⁴, so a clip is tried DECODE_ATTEMPTS × LIST_SIZE = 15
 * times: a false positive rate of at most 15 × 2⁻²⁴ = 8.9 × 10⁻⁷ (union bound), under 10⁻⁶.
 */
export const LIST_SIZE = 5;
/** A cell quieter than this (about −90 dBFS) carries nothing readable. */
export const SILENT_CELL_ENERGY = 1e-6;
/**
 * A cell this far below the slot's loudest patch holds little but spectral leakage, whose
 * reading depends on the exact frame grid: it is an erasure, and the embedder leaves it alone.
 */
export const WEAK_CELL_SHARE = 1e-5;
/** Contrasts are normalised by their running RMS per patch (time constant ~50 slots, 0.8 s) and clipped. */
const RMS_SMOOTHING = 0.02;
const CONTRAST_CLIP = 3;
/**
 * Cells are also folded apart by level class, their level below the slot's loudest patch in
 * steps of LEVEL_STEP_DB (the last class takes everything below): a cell far below its slot's
 * loudest patch is where a codec's quantisation noise, its noise filling or added noise replace
 * the programme, and with it the mark. Each class is weighted by what its readings carry.
 */
const LEVEL_CLASSES = 8;
const LEVEL_STEP_DB = 6;
const LEVEL_STEP = (LEVEL_STEP_DB * Math.LN10) / 10; // in natural-log energy units

export interface WatermarkDetectOptions {
  /** The key the mark was embedded with; default the public key. */
  readonly key?: string | undefined;
}

export interface WatermarkDetection {
  /** Whether a mark was read whose CRC-24 matched. */
  readonly found: boolean;
  /** The 32-bit payload, the first bits of the label's `watermarkPayload` (only when found). */
  readonly payload?: Uint8Array | undefined;
  /** The payload as 8 hex digits (only when found). */
  readonly payloadHex?: string | undefined;
  /** Best Viterbi output whether or not its CRC matched (for measuring bit accuracy). */
  readonly bestGuess: Uint8Array;
  /** The soft coded bits at the best alignment, before the Viterbi decoder (for measuring the raw bit error rate). */
  readonly softBits: Float64Array;
  /** Correlation with the sync pattern at the best alignment, in standard deviations. */
  readonly syncZ: number;
  /** Correlation of the cells with the decoded codeword, in standard deviations. */
  readonly codewordZ: number;
  /**
   * Upper bound on the chance that unmarked audio gives a detection like this one: the number
   * of messages checked (readings decoded × list size) times 2⁻²⁴ (the CRC check).
   */
  readonly falsePositiveBound: number;
  /** Where a block starts, in seconds from the start of the input (modulo the block length). */
  readonly blockOffsetSeconds: number;
  /** Length of the audio read, seconds. */
  readonly durationSeconds: number;
}

/** The per-offset folds: most of a detector's memory (9 MB), kept for the next detector. */
interface Folds {
  readonly folded: Float64Array; // SLOTS_PER_BLOCK × PATCHES sums of normalised contrasts (the classes' sum, formed at the end)
  readonly byLevel: Float64Array; // LEVEL_CLASSES × SLOTS_PER_BLOCK × PATCHES: the same sums split by the cell's level class
  readonly counts: Float32Array; // readings per class and cell
}

/**
 * Folds of finished detectors, zeroed where they were written, for the next detectors: `verify`
 * creates one per audio file, and fresh zeroed buffers of this size cost a short clip's search a
 * quarter of its time in allocation and garbage collection. A few sets serve the jobs one thread
 * interleaves.
 */
const spareFolds: Folds[][] = [];
const SPARE_FOLD_SETS = 4;

const newFolds = (): Folds => ({
  folded: new Float64Array(SLOTS_PER_BLOCK * PATCHES),
  byLevel: new Float64Array(LEVEL_CLASSES * SLOTS_PER_BLOCK * PATCHES),
  counts: new Float32Array(LEVEL_CLASSES * SLOTS_PER_BLOCK * PATCHES),
});

interface OffsetState extends Folds {
  /** Cell log energies of the last two slots (older first), or null before they exist. */
  older: Float64Array | null;
  previous: Float64Array | null;
  slot: number; // index of the slot being accumulated
  readonly energy: Float64Array; // cell energies of that slot so far
  readonly meanSquare: Float64Array; // running mean square of contrasts, per patch
  readonly levels: Int8Array; // per patch, the level class of the `previous` slot's cells
  readonly nextLevels: Int8Array;
  readonly read: Uint8Array; // per folded slot, 1 once a reading was folded into it
}

export class WatermarkDetector {
  private readonly layout: WatermarkLayout;
  private readonly spectrum = new RealPowerSpectrum(FFT_SIZE);
  private readonly window = sqrtHann(FFT_SIZE);
  private readonly frame = new Float64Array(FFT_SIZE);
  private readonly power = new Float64Array(FFT_SIZE / 2 + 1);
  private readonly smoothed = new Float64Array(PATCHES);
  private readonly offsets: OffsetState[];
  private buffer = new Float32Array(FFT_SIZE * 64);
  private buffered = 0;
  private bufferStart = 0; // absolute sample index of buffer[0]
  private fineFrame = 0; // next fine frame (start = fineFrame × FINE_HOP)
  private samples = 0;
  private finished = false;

  constructor(options: WatermarkDetectOptions = {}) {
    this.layout = new WatermarkLayout(options.key);
    const folds = spareFolds.pop() ?? Array.from({ length: OFFSETS }, newFolds);
    this.offsets = folds.map((fold) => ({
      ...fold,
      older: null,
      previous: null,
      slot: 0,
      energy: new Float64Array(PATCHES),
      meanSquare: new Float64Array(PATCHES),
      levels: new Int8Array(PATCHES),
      nextLevels: new Int8Array(PATCHES),
      read: new Uint8Array(SLOTS_PER_BLOCK),
    }));
  }

  /** Feeds mono samples at {@link WATERMARK_RATE}. */
  push(samples: Float32Array): void {
    if (this.finished) throw new RangeError('the watermark detector has finished');
    this.samples += samples.length;
    let offset = 0;
    while (offset < samples.length) {
      const take = Math.min(this.buffer.length - this.buffered, samples.length - offset);
      this.buffer.set(samples.subarray(offset, offset + take), this.buffered);
      this.buffered += take;
      offset += take;
      while (this.fineFrame * FINE_HOP + FFT_SIZE <= this.bufferStart + this.buffered) {
        this.analyse(this.fineFrame * FINE_HOP - this.bufferStart);
        this.fineFrame++;
      }
      const keep = this.fineFrame * FINE_HOP - this.bufferStart;
      this.buffer.copyWithin(0, keep, this.buffered);
      this.buffered -= keep;
      this.bufferStart += keep;
    }
  }

  /** Ends the stream: searches the alignment and decodes. */
  finish(): WatermarkDetection {
    if (this.finished) throw new RangeError('the watermark detector has finished');
    this.finished = true;
    try {
      return this.search();
    } finally {
      this.releaseFolds();
    }
  }

  /** Zeroes the folds where readings went (a short clip's are a fraction of them) and keeps them for the next detector. */
  private releaseFolds(): void {
    if (spareFolds.length >= SPARE_FOLD_SETS) return;
    for (const state of this.offsets) {
      for (const slot of readSlots(state)) {
        for (let k = 0; k < LEVEL_CLASSES; k++) {
          const at = k * CELLS_PER_BLOCK + slot * PATCHES;
          state.byLevel.fill(0, at, at + PATCHES);
          state.counts.fill(0, at, at + PATCHES);
        }
      }
    }
    spareFolds.push(this.offsets.map(({ folded, byLevel, counts }) => ({ folded, byLevel, counts })));
  }

  private search(): WatermarkDetection {
    const { layout } = this;
    // Sync correlation at every (offset, block phase). Only slots that were read count (a short
    // clip fills a quarter of the block; the rest is zero), so the sync cells are listed by their
    // slot in the block and each phase visits the read slots only.
    const syncStart = new Int32Array(SLOTS_PER_BLOCK + 1);
    for (const cell of layout.syncCells) syncStart[Math.floor(cell / PATCHES) + 1]!++;
    for (let slot = 0; slot < SLOTS_PER_BLOCK; slot++) syncStart[slot + 1]! += syncStart[slot]!;
    const syncPatch = new Int32Array(layout.syncCells.length);
    const syncChip = new Float64Array(layout.syncCells.length);
    const filled = syncStart.slice(0, SLOTS_PER_BLOCK);
    for (const cell of layout.syncCells) {
      const at = filled[Math.floor(cell / PATCHES)]!++;
      syncPatch[at] = cell % PATCHES;
      syncChip[at] = layout.chip[cell]!;
    }
    const zs = new Float64Array(OFFSETS * SLOTS_PER_BLOCK); // per alignment: offset × SLOTS_PER_BLOCK + phase
    for (let o = 0; o < OFFSETS; o++) {
      const state = this.offsets[o]!;
      const { folded, byLevel } = state;
      const read = Int32Array.from(readSlots(state));
      folded.fill(0);
      for (const slot of read)
        for (let k = 0; k < LEVEL_CLASSES; k++)
          for (let i = slot * PATCHES, at = k * CELLS_PER_BLOCK + i, end = i + PATCHES; i < end; i++, at++) folded[i]! += byLevel[at]!;
      for (let phase = 0; phase < SLOTS_PER_BLOCK; phase++) {
        let score = 0;
        let energy = 0;
        for (let r = 0; r < read.length; r++) {
          const slot = read[r]!;
          // The block slot whose cells land in folded slot `slot` at this phase.
          const blockSlot = slot >= phase ? slot - phase : slot - phase + SLOTS_PER_BLOCK;
          const base = slot * PATCHES;
          for (let i = syncStart[blockSlot]!, end = syncStart[blockSlot + 1]!; i < end; i++) {
            const value = folded[base + syncPatch[i]!]!;
            score += syncChip[i]! * value;
            energy += value * value;
          }
        }
        zs[o * SLOTS_PER_BLOCK + phase] = energy > 0 ? score / Math.sqrt(energy) : 0;
      }
    }
    // The known sign of each cell for the first pass: the sync cells' chips (0: unknown).
    const syncSigns = new Float64Array(CELLS_PER_BLOCK);
    for (const cell of layout.syncCells) syncSigns[cell] = layout.chip[cell]!;
    // One alignment's soft bits under the given known signs (maximal-ratio weighted, so the two
    // alignments of a joint reading add); with the sync signs, kept: the joint reading's first
    // alignment is the first reading's.
    const readings = new Map<Alignment, { index: Int32Array; cells: Int32Array; syncSoft?: Float64Array }>();
    const addSoftBits = (alignment: Alignment, signs: Float64Array, soft: Float64Array): void => {
      const state = this.offsets[alignment.offset]!;
      let reading = readings.get(alignment);
      if (!reading) {
        reading = { index: foldedIndices(alignment.phase), cells: cellsRead(readSlots(state), alignment.phase) };
        readings.set(alignment, reading);
      }
      const cached = signs === syncSigns ? reading.syncSoft : undefined;
      if (cached) {
        for (let bit = 0; bit < CODED_BITS; bit++) soft[bit]! += cached[bit]!;
        return;
      }
      const { index, cells } = reading;
      const folded = this.levelCombined(state, index, cells, signs);
      const weights = this.patchWeights(folded, index, signs);
      const own = new Float64Array(CODED_BITS);
      for (let bit = 0; bit < CODED_BITS; bit++) {
        let sum = 0;
        for (const cell of layout.bitCells[bit]!) sum += weights[cell % PATCHES]! * layout.chip[cell]! * folded[index[cell]!]!;
        own[bit] = sum;
        soft[bit]! += sum;
      }
      if (signs === syncSigns) reading.syncSoft = own;
    };
    let best: { decoded: ReturnType<typeof decodeWithCrc>; soft: Float64Array; alignment: Alignment } | undefined;
    for (const parts of decodeAttempts(zs)) {
      const softBits = (signs: Float64Array): Float64Array => {
        const soft = new Float64Array(CODED_BITS);
        for (const alignment of parts) addSoftBits(alignment, signs, soft);
        return soft;
      };
      // Weights from the sync cells, then from every cell with the signs of that first decode
      // (decision-directed estimation); only the second decode's list is checked against the
      // CRC, so each attempt costs LIST_SIZE chances of 2⁻²⁴.
      const first = decodeWithCrc(softBits(syncSigns), AUDIO_PAYLOAD_BITS, 1);
      const decidedSigns = new Float64Array(CELLS_PER_BLOCK);
      for (let cell = 0; cell < CELLS_PER_BLOCK; cell++) {
        const role = layout.role[cell]!;
        decidedSigns[cell] = role === SYNC ? layout.chip[cell]! : layout.chip[cell]! * (first.codeword[role] ? 1 : -1);
      }
      const soft = softBits(decidedSigns);
      const decoded = decodeWithCrc(soft, AUDIO_PAYLOAD_BITS, LIST_SIZE);
      if (!best || (decoded.crcOk && !best.decoded.crcOk)) best = { decoded, soft, alignment: parts[0]! };
      if (decoded.crcOk) break;
    }
    const top = best ?? {
      decoded: decodeWithCrc(new Float64Array(CODED_BITS), AUDIO_PAYLOAD_BITS),
      soft: new Float64Array(CODED_BITS),
      alignment: { offset: 0, phase: 0, z: 0 },
    };
    const found = top.decoded.crcOk;
    const payload = found ? bitsToBytes(top.decoded.payloadBits) : undefined;
    const { offset, phase, z } = top.alignment;
    return {
      found,
      payload,
      payloadHex: payload ? toHex(payload) : undefined,
      bestGuess: bitsToBytes(top.decoded.payloadBits),
      softBits: top.soft,
      syncZ: z,
      codewordZ: top.decoded.codewordZ,
      falsePositiveBound: DECODE_ATTEMPTS * LIST_SIZE * 2 ** -CRC_BITS,
      blockOffsetSeconds: (offset * FINE_HOP + phase * SLOT_SAMPLES) / WATERMARK_RATE,
      durationSeconds: this.samples / WATERMARK_RATE,
    };
  }

  /**
   * Per patch, the weight of its cells in the soft bits (maximal-ratio combining): the mark's
   * mean reading on the cells whose signs are known (`sign`, 0 for the others), over the
   * readings' variance, each pooled with the neighbouring patches. A codec that keeps one part
   * of the band better than another (MP3 at 32 kbit/s loses most of 2-3.5 kHz, Opus at 32
   * kbit/s most of 2.5-3.5 kHz) then counts each part for what it still carries.
   */
  private patchWeights(folded: Float64Array, index: Int32Array, signs: Float64Array): Float64Array {
    const signal = new Float64Array(PATCHES);
    const signed = new Float64Array(PATCHES);
    const power = new Float64Array(PATCHES);
    for (let cell = 0; cell < CELLS_PER_BLOCK; cell++) {
      const known = signs[cell]!;
      if (known === 0) continue;
      const p = cell % PATCHES;
      signal[p]! += known * folded[index[cell]!]!;
      signed[p]!++;
    }
    for (let i = 0; i < folded.length; i++) power[i % PATCHES]! += folded[i]! ** 2;
    const weights = new Float64Array(PATCHES);
    let any = false;
    for (let p = 0; p < PATCHES; p++) {
      let sum = 0;
      let count = 0;
      let energy = 0;
      let cells = 0;
      for (let q = Math.max(0, p - 1); q <= Math.min(PATCHES - 1, p + 1); q++) {
        sum += signal[q]!;
        count += signed[q]!;
        energy += power[q]!;
        cells += SLOTS_PER_BLOCK;
      }
      const mean = sum / count;
      const variance = energy / cells - mean * mean;
      if (mean > 0 && variance > 0) {
        weights[p] = mean / variance;
        any = true;
      }
    }
    // No patch reads the known signs (unmarked audio): equal weights, as without combining.
    if (!any) weights.fill(1);
    return weights;
  }

  /**
   * The folded contrasts with each level class weighted by what its readings carry (maximal-ratio
   * combining over the cells whose signs are known): mean over variance per reading.
   */
  private levelCombined(state: OffsetState, index: Int32Array, cells: Int32Array, signs: Float64Array): Float64Array {
    const weights = new Float64Array(LEVEL_CLASSES);
    let any = false;
    for (let k = 0; k < LEVEL_CLASSES; k++) {
      const base = k * CELLS_PER_BLOCK;
      let sum = 0;
      let n = 0;
      for (const cell of cells) {
        const known = signs[cell]!;
        if (known === 0) continue;
        const at = base + index[cell]!;
        sum += known * state.byLevel[at]!;
        n += state.counts[at]!;
      }
      if (n < 8) continue;
      const mean = sum / n;
      let residual = 0;
      for (const cell of cells) {
        const known = signs[cell]!;
        if (known === 0) continue;
        const at = base + index[cell]!;
        residual += (known * state.byLevel[at]! - state.counts[at]! * mean) ** 2;
      }
      const variance = residual / n;
      if (mean > 0 && variance > 0) {
        weights[k] = mean / variance;
        any = true;
      }
    }
    if (!any) return state.folded;
    const out = new Float64Array(CELLS_PER_BLOCK);
    for (let k = 0; k < LEVEL_CLASSES; k++) {
      const w = weights[k]!;
      if (w === 0) continue;
      const base = k * CELLS_PER_BLOCK;
      for (let i = 0; i < CELLS_PER_BLOCK; i++) out[i]! += w * state.byLevel[base + i]!;
    }
    return out;
  }

  private analyse(at: number): void {
    const { frame, window, power, buffer } = this;
    for (let i = 0; i < FFT_SIZE; i++) frame[i] = buffer[at + i]! * window[i]!;
    this.spectrum.compute(frame, power, FIRST_BIN, FIRST_BIN + PATCHES * PATCH_BINS - 1);
    // This frame is frame i of a slot on the grid of offset o, for each i.
    for (let i = 0; i < FRAMES_PER_SLOT; i++) {
      const rest = this.fineFrame - i * FINE_PER_HOP;
      if (rest < 0) continue;
      const o = rest % OFFSETS;
      const slot = (rest - o) / OFFSETS;
      const state = this.offsets[o]!;
      if (slot !== state.slot) this.closeSlot(state);
      for (let p = 0; p < PATCHES; p++) {
        let e = 0;
        for (let b = 0; b < PATCH_BINS; b++) e += power[FIRST_BIN + p * PATCH_BINS + b]!;
        state.energy[p]! += e;
      }
    }
  }

  /**
   * A slot's cells are complete, so the slot before it has both time neighbours: its cells'
   * contrasts can be formed and folded. The contrast is a 3 × 3 second difference of log
   * energies (time and frequency), which cancels both a level change across the band (speech
   * onsets) and a spectrum that holds still (tones), the two things that hide a patchwork;
   * beside erased patches it uses the neighbours it has (`cellContrast`).
   */
  private closeSlot(state: OffsetState): void {
    const current = new Float64Array(PATCHES);
    let loudest = 0;
    for (let p = 0; p < PATCHES; p++) loudest = Math.max(loudest, state.energy[p]!);
    const floor = Math.max(SILENT_CELL_ENERGY, WEAK_CELL_SHARE * loudest);
    for (let p = 0; p < PATCHES; p++) current[p] = state.energy[p]! > floor ? Math.log(state.energy[p]!) : Number.NaN;
    const logLoudest = Math.log(loudest);
    for (let p = 0; p < PATCHES; p++)
      state.nextLevels[p] = Math.min(LEVEL_CLASSES - 1, Math.max(0, Math.floor((logLoudest - current[p]!) / LEVEL_STEP) || 0));
    const { older, previous } = state;
    if (older && previous) {
      const base = ((state.slot - 1) % SLOTS_PER_BLOCK) * PATCHES;
      const smoothed = this.smoothed;
      for (let p = 0; p < PATCHES; p++) smoothed[p] = previous[p]! - 0.5 * (older[p]! + current[p]!);
      for (let p = 0; p < PATCHES; p++) {
        const contrast = cellContrast(smoothed, p);
        if (Number.isNaN(contrast)) continue; // a silent cell or time neighbour: an erasure
        const ms = state.meanSquare[p]!;
        state.meanSquare[p] = ms === 0 ? contrast * contrast : (1 - RMS_SMOOTHING) * ms + RMS_SMOOTHING * contrast * contrast;
        const scale = Math.sqrt(state.meanSquare[p]!) + 1e-9;
        const value = Math.max(-CONTRAST_CLIP, Math.min(CONTRAST_CLIP, contrast / scale));
        const at = state.levels[p]! * CELLS_PER_BLOCK + base + p;
        state.byLevel[at]! += value;
        state.counts[at]!++;
        state.read[base / PATCHES] = 1;
      }
    }
    state.levels.set(state.nextLevels);
    state.older = previous;
    state.previous = current;
    state.energy.fill(0);
    state.slot++;
  }
}

/** The folded slots a reading went into. */
function readSlots(state: OffsetState): number[] {
  const slots: number[] = [];
  for (let slot = 0; slot < SLOTS_PER_BLOCK; slot++) if (state.read[slot]) slots.push(slot);
  return slots;
}

/** The block cells that land in the folded slots `read` when blocks start at slot `phase`: the only cells holding readings. */
function cellsRead(read: readonly number[], phase: number): Int32Array {
  const cells = new Int32Array(read.length * PATCHES);
  let n = 0;
  for (const slot of read) {
    const blockSlot = (slot - phase + SLOTS_PER_BLOCK) % SLOTS_PER_BLOCK;
    for (let p = 0; p < PATCHES; p++) cells[n++] = blockSlot * PATCHES + p;
  }
  return cells;
}

/** Where each block cell lands in the folded array when blocks start at slot `phase` (mod block). */
function foldedIndices(phase: number): Int32Array {
  const index = new Int32Array(CELLS_PER_BLOCK);
  for (let cell = 0; cell < CELLS_PER_BLOCK; cell++) {
    const slot = Math.floor(cell / PATCHES);
    index[cell] = ((slot + phase) % SLOTS_PER_BLOCK) * PATCHES + (cell % PATCHES);
  }
  return index;
}

/** A block alignment: the grid offset, the block phase in slots, and the sync correlation there. */
interface Alignment {
  readonly offset: number;
  readonly phase: number;
  readonly z: number;
}

/** Samples between two alignments' block starts, the shorter way round the block. */
function alignmentDistance(a: Alignment, b: Alignment): number {
  const block = SLOTS_PER_BLOCK * SLOT_SAMPLES;
  const d = Math.abs(a.offset * FINE_HOP + a.phase * SLOT_SAMPLES - (b.offset * FINE_HOP + b.phase * SLOT_SAMPLES)) % block;
  return Math.min(d, block - d);
}

/**
 * The DECODE_ATTEMPTS readings tried, from the sync correlation `zs` of every alignment: the
 * best alignment, the second best, and the best jointly with the best alignment at least
 * JOINT_SEPARATION away. A programme cut by an insert or an edit holds the mark at two block
 * phases, each piece folding coherently at its own; where the pieces are shorter than a block,
 * neither alone holds every cell, while the two readings together do. (On a tie the alignment
 * found first, in offset-then-phase order, wins.)
 */
function decodeAttempts(zs: Float64Array): Alignment[][] {
  const alignmentAt = (i: number): Alignment => ({ offset: Math.floor(i / SLOTS_PER_BLOCK), phase: i % SLOTS_PER_BLOCK, z: zs[i]! });
  const bestWhere = (accept: (candidate: Alignment) => boolean): Alignment | undefined => {
    let found: Alignment | undefined;
    for (let i = 0; i < zs.length; i++) {
      if (found && zs[i]! <= found.z) continue;
      const candidate = alignmentAt(i);
      if (accept(candidate)) found = candidate;
    }
    return found;
  };
  const first = bestWhere(() => true)!;
  const second = bestWhere((a) => a.offset !== first.offset || a.phase !== first.phase)!;
  const apart = bestWhere((a) => alignmentDistance(a, first) >= JOINT_SEPARATION);
  return [[first], [second], apart ? [first, apart] : [second]];
}

/**
 * Detects the audio watermark in a file (path or bytes), decoding it to mono 8 kHz with the
 * npm ffmpeg. Where the rhythm search runs too, feed a {@link WatermarkDetector} from the same
 * decode instead (see the README).
 */
export async function detectWatermark(input: AudioInput, options: WatermarkDetectOptions = {}): Promise<WatermarkDetection> {
  const detector = new WatermarkDetector(options);
  for await (const samples of decodePcm(input, { sampleRate: WATERMARK_RATE, channels: 1 })) detector.push(samples);
  return detector.finish();
}
