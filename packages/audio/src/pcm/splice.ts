/**
 * Streaming placement of a short mono label (tones or speech) into interleaved content PCM,
 * either inserted (the content after it shifts) or mixed over the content (duration kept).
 * Positions follow GB 45438 §5.3 d): start, end, a suitable middle position, or several.
 */
import { UsageError, type WritePlan } from '@aigc-label/core';

/** Where a label goes: GB 45438 §5.3 d) 1)-3), or an explicit time in seconds from the content's start. */
export type LabelPosition = 'start' | 'end' | 'middle' | { readonly atSeconds: number };

/** `insert`: the content is split and shifted; `mix`: the label is added over the content. */
export type LabelMode = 'insert' | 'mix';

/** Resolves positions to content frame indices (sorted, deduplicated) for a content of `totalFrames`. */
export function resolvePositions(
  positions: readonly LabelPosition[],
  totalFrames: number,
  labelFrames: number,
  sampleRate: number,
  mode: LabelMode,
): number[] {
  if (positions.length === 0) throw new UsageError('at least one label position is required');
  if (mode === 'mix' && totalFrames < labelFrames) {
    throw new UsageError('the content is shorter than the label, so it cannot be mixed over it; use insert mode');
  }
  // In mix mode the whole label must fit inside the content.
  const span = mode === 'mix' ? totalFrames - labelFrames : totalFrames;
  const frames = positions.map((position) => {
    if (position === 'start') return 0;
    if (position === 'end') return span;
    if (position === 'middle') return Math.floor(span / 2);
    if (!Number.isFinite(position.atSeconds) || position.atSeconds < 0) throw new UsageError(`bad label position ${position.atSeconds} s`);
    return Math.min(span, Math.round(position.atSeconds * sampleRate));
  });
  const sorted = [...new Set(frames)].sort((a, b) => a - b);
  if (mode === 'mix') {
    for (let i = 1; i < sorted.length; i++) {
      if (sorted[i]! - sorted[i - 1]! < labelFrames) throw new UsageError('mixed labels would overlap; choose positions further apart');
    }
  }
  return sorted;
}

/** A label spliced into a coded stream, or why the file is re-encoded instead. */
export type SpliceAttempt = { readonly spliced: SplicedLabel } | { readonly reason: string };

/**
 * The ends of the content a splice puts the label at (a time of 0 is the start), or why it
 * cannot: a label mixed over the content, or inside it, needs the coded `units` around it
 * re-encoded, which the splicers do not do (the file is then re-encoded whole).
 */
export function spliceEnds(
  positions: readonly LabelPosition[],
  mode: LabelMode,
  codec: string,
  units: string,
): ReadonlySet<'start' | 'end'> | { readonly reason: string } {
  if (mode !== 'insert') return { reason: `a label mixed over ${codec} content needs those ${units} re-encoded` };
  const ends = new Set<'start' | 'end'>();
  for (const p of positions) {
    if (p === 'start' || (typeof p === 'object' && p.atSeconds === 0)) ends.add('start');
    else if (p === 'end') ends.add('end');
    else return { reason: `a label inside ${codec} content (middle, or at a time) needs the ${units} around it re-encoded` };
  }
  return ends;
}

/** Spreads a mono label over `channels` interleaved channels. */
function interleave(label: Float32Array, channels: number): Float32Array {
  if (channels === 1) return label;
  const out = new Float32Array(label.length * channels);
  for (let i = 0; i < label.length; i++) out.fill(label[i]!, i * channels, (i + 1) * channels);
  return out;
}

/**
 * Places the label at each content frame index. Positions are content frame indices as
 * returned by {@link resolvePositions}; a position equal to the content length appends.
 */
export async function* spliceLabel(
  content: AsyncIterable<Float32Array>,
  label: Float32Array,
  channels: number,
  positions: readonly number[],
  mode: LabelMode,
): AsyncGenerator<Float32Array> {
  const labelInterleaved = interleave(label, channels);
  let frame = 0; // content frames consumed so far
  let next = 0; // index into positions
  for await (const chunk of content) {
    const chunkFrames = chunk.length / channels;
    if (mode === 'insert') {
      let from = 0;
      while (next < positions.length && positions[next]! < frame + chunkFrames) {
        const cut = positions[next]! - frame;
        if (cut > from) yield chunk.subarray(from * channels, cut * channels);
        yield labelInterleaved;
        from = cut;
        next++;
      }
      if (from < chunkFrames) yield chunk.subarray(from * channels);
    } else {
      const mixed = chunk.slice();
      for (const start of positions) {
        const overlapStart = Math.max(start, frame);
        const overlapEnd = Math.min(start + label.length, frame + chunkFrames);
        for (let f = overlapStart; f < overlapEnd; f++) {
          const value = label[f - start]!;
          const base = (f - frame) * channels;
          for (let c = 0; c < channels; c++) mixed[base + c]! += value;
        }
      }
      yield mixed;
    }
    frame += chunkFrames;
  }
  // Positions at the very end (insert mode) append after the last content frame.
  if (mode === 'insert') {
    while (next < positions.length) {
      yield labelInterleaved;
      next++;
    }
  }
}

/** Level figures of the programme, from one streaming pass over its PCM. */
export interface ProgrammeLevel {
  readonly frames: number;
  /** Largest absolute sample value (1 = full scale). */
  readonly peak: number;
  /**
   * RMS over the 50 ms blocks louder than −60 dBFS, so long silences do not pull it down
   * (a simple absolute gate in the spirit of ITU-R BS.1770); 0 when everything is quieter.
   */
  readonly gatedRms: number;
}

/** Measures frame count, peak and gated RMS of interleaved PCM in one streaming pass. */
export async function measureProgramme(
  content: AsyncIterable<Float32Array>,
  channels: number,
  sampleRate: number,
): Promise<ProgrammeLevel> {
  const blockSamples = Math.max(1, Math.round(sampleRate * 0.05)) * channels;
  const gate = 10 ** (-60 / 10);
  let peak = 0;
  let samples = 0;
  let blockEnergy = 0;
  let blockCount = 0;
  let gatedEnergy = 0;
  let gatedSamples = 0;
  const closeBlock = () => {
    if (blockCount > 0 && blockEnergy / blockCount > gate) {
      gatedEnergy += blockEnergy;
      gatedSamples += blockCount;
    }
    blockEnergy = 0;
    blockCount = 0;
  };
  for await (const chunk of content) {
    // Block by block, the sums kept in locals: this runs over every sample measured.
    for (let i = 0; i < chunk.length; ) {
      const end = Math.min(chunk.length, i + blockSamples - blockCount);
      let energy = 0;
      let top = peak;
      for (let j = i; j < end; j++) {
        const v = chunk[j]!;
        energy += v * v;
        if (v > top) top = v;
        else if (-v > top) top = -v;
      }
      peak = top;
      blockEnergy += energy;
      blockCount += end - i;
      if (blockCount === blockSamples) closeBlock();
      i = end;
    }
    samples += chunk.length;
  }
  closeBlock();
  return { frames: Math.floor(samples / channels), peak, gatedRms: gatedSamples > 0 ? Math.sqrt(gatedEnergy / gatedSamples) : 0 };
}

/** Builds the mono label at the content's sample rate for the measured programme level. */
export type LabelFactory = (sampleRate: number, programme: ProgrammeLevel) => Float32Array | Promise<Float32Array>;

/** A label spliced into a file without re-encoding it: the new file as a plan over the source's bytes. */
export interface SplicedLabel {
  readonly plan: WritePlan;
  readonly programme: ProgrammeLevel;
  readonly sampleRate: number;
  /** Length of one label in frames. */
  readonly labelFrames: number;
  /** Output frame where each label starts. */
  readonly labelStarts: readonly number[];
}
