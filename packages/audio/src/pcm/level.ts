/**
 * Label loudness relative to the programme: GB 45438 §5.3 f) asks that the label be clearly
 * audible, so by default it plays at the programme's own (gated) RMS level, capped below
 * full scale so it never clips by itself.
 */
import { UsageError } from '@aigc-label/core';
import type { ProgrammeLevel } from './splice.js';

export interface LabelLevel {
  /** What `db` is relative to: the programme's gated RMS (default), its sample peak, or full scale (dBFS). */
  readonly reference?: 'rms' | 'peak' | 'full-scale';
  /** Label level in dB relative to `reference` (RMS for `rms` and `full-scale`, peak for `peak`). Default 0. */
  readonly db?: number;
  /** The label's sample peak never exceeds this, in dBFS. Default −1. */
  readonly maxPeakDbfs?: number;
  /** Label RMS in dBFS used when the programme is silent and `reference` is relative. Default −20. */
  readonly silentProgrammeDbfs?: number;
}

const fromDb = (db: number): number => 10 ** (db / 20);

/** RMS over the 10 ms blocks of a mono signal louder than −60 dBFS (0 if none). */
export function gatedRms(samples: Float32Array, sampleRate: number): number {
  const block = Math.max(1, Math.round(sampleRate * 0.01));
  const gate = 10 ** (-60 / 10);
  let energy = 0;
  let count = 0;
  for (let start = 0; start < samples.length; start += block) {
    const end = Math.min(samples.length, start + block);
    let blockEnergy = 0;
    for (let i = start; i < end; i++) blockEnergy += samples[i]! * samples[i]!;
    if (blockEnergy / (end - start) > gate) {
      energy += blockEnergy;
      count += end - start;
    }
  }
  return count > 0 ? Math.sqrt(energy / count) : 0;
}

/** Scales a mono label in place so its level relates to the programme as `level` asks; returns it. */
export function scaleToLevel(label: Float32Array, sampleRate: number, programme: ProgrammeLevel, level: LabelLevel = {}): Float32Array {
  const reference = level.reference ?? 'rms';
  const db = level.db ?? 0;
  const maxPeak = fromDb(level.maxPeakDbfs ?? -1);
  if (!Number.isFinite(db) || !Number.isFinite(maxPeak)) throw new UsageError('label level must be a finite number of dB');
  let labelPeak = 0;
  for (const v of label) labelPeak = Math.max(labelPeak, Math.abs(v));
  const labelRms = gatedRms(label, sampleRate);
  if (labelPeak === 0 || labelRms === 0) return label;
  const silent = fromDb(level.silentProgrammeDbfs ?? -20);
  let gain: number;
  if (reference === 'full-scale') gain = fromDb(db) / labelRms;
  else if (reference === 'peak') gain = programme.peak > 0 ? (programme.peak * fromDb(db)) / labelPeak : silent / labelRms;
  else gain = programme.gatedRms > 0 ? (programme.gatedRms * fromDb(db)) / labelRms : silent / labelRms;
  gain = Math.min(gain, maxPeak / labelPeak);
  for (let i = 0; i < label.length; i++) label[i]! *= gain;
  return label;
}
