import { UsageError } from '@aigc-label/core';
import { describe, expect, it } from 'vitest';
import {
  AI_MORSE_RHYTHM,
  DEFAULT_RHYTHM_TIMING,
  rhythmDurationSeconds,
  rhythmElements,
  synthesizeRhythm,
} from '../../src/rhythm/generate.js';

const RATE = 48_000;

/** Bursts measured from the PCM: runs of non-zero samples, with gaps shorter than 1 ms bridged. */
function measureBursts(pcm: Float32Array, sampleRate: number) {
  const bursts: { start: number; end: number }[] = [];
  const bridge = Math.round(sampleRate * 0.001);
  for (let i = 0; i < pcm.length; i++) {
    if (pcm[i] === 0) continue;
    const last = bursts.at(-1);
    if (last && i - last.end <= bridge) last.end = i + 1;
    else bursts.push({ start: i, end: i + 1 });
  }
  return bursts.map((b) => ({ startMs: (b.start / sampleRate) * 1000, lengthMs: ((b.end - b.start) / sampleRate) * 1000 }));
}

/** Largest sample-to-sample step: a pure sine of frequency f never steps more than 2πf/fs. */
function largestStep(pcm: Float32Array): number {
  let step = Math.abs(pcm[0]);
  for (let i = 1; i < pcm.length; i++) step = Math.max(step, Math.abs(pcm[i] - pcm[i - 1]));
  return Math.max(step, Math.abs(pcm[pcm.length - 1]));
}

describe('rhythm generator', () => {
  it('plays ·−·· with the documented default timing, measured from the PCM', () => {
    const pcm = synthesizeRhythm(RATE);
    const bursts = measureBursts(pcm, RATE);
    expect(bursts).toHaveLength(4);
    const unit = DEFAULT_RHYTHM_TIMING.unitMs;
    const expectedLengths = AI_MORSE_RHYTHM.map((kind) => (kind === 'short' ? unit : 3 * unit));
    for (const [i, burst] of bursts.entries()) expect(burst.lengthMs).toBeCloseTo(expectedLengths[i], 0);
    const gaps = bursts.slice(1).map((b, i) => b.startMs - (bursts[i].startMs + bursts[i].lengthMs));
    for (const gap of gaps) expect(gap).toBeCloseTo(unit, 0);
    expect(pcm.length / RATE).toBeCloseTo((9 * unit) / 1000, 3);
  });

  it('follows every timing option (Morse letter space, other units and dash lengths)', () => {
    const timing = { unitMs: 80, dashUnits: 2.5, gapUnits: 1.5, letterGapUnits: 3 };
    const bursts = measureBursts(synthesizeRhythm(RATE, timing), RATE);
    expect(bursts.map((b) => Math.round(b.lengthMs))).toEqual([80, 200, 80, 80]);
    const gaps = bursts.slice(1).map((b, i) => Math.round(b.startMs - (bursts[i].startMs + bursts[i].lengthMs)));
    expect(gaps).toEqual([120, 240, 120]);
    expect(rhythmElements(timing).map((e) => e.kind)).toEqual(['short', 'long', 'short', 'short']);
  });

  it('adds the insert-mode padding on both sides', () => {
    const bare = synthesizeRhythm(RATE);
    const padded = synthesizeRhythm(RATE, { paddingMs: 100 }, true);
    expect(padded.length - bare.length).toBe(2 * 0.1 * RATE);
    expect(Array.from(padded.subarray(0.1 * RATE, 0.1 * RATE + bare.length))).toEqual(Array.from(bare));
    expect(rhythmDurationSeconds(RATE, { paddingMs: 100 }, true)).toBe(padded.length / RATE);
  });

  it('has the requested tone: zero crossings match the frequency', () => {
    const pcm = synthesizeRhythm(RATE, { frequencyHz: 800 });
    const first = pcm.subarray(0, 0.12 * RATE);
    let crossings = 0;
    for (let i = 1; i < first.length; i++) if (first[i - 1] < 0 !== first[i] < 0) crossings++;
    // 800 Hz over 120 ms: 96 cycles, two crossings each
    expect(Math.abs(crossings - 192)).toBeLessThanOrEqual(2);
  });

  it('fades bursts in and out, so no sample jumps more than the sine itself does (no clicks)', () => {
    const frequencyHz = 1000;
    const sineStep = (2 * Math.PI * frequencyHz) / RATE;
    expect(largestStep(synthesizeRhythm(RATE, { frequencyHz }))).toBeLessThanOrEqual(sineStep * 1.001);
    // Without fades the bursts stop mid-cycle: a click the check above catches.
    expect(largestStep(synthesizeRhythm(RATE, { frequencyHz, fadeMs: 0, unitMs: 121.3 }))).toBeGreaterThan(sineStep * 1.5);
  });

  it('shapes the fade as a raised cosine of the requested length', () => {
    const fadeMs = 10;
    const pcm = synthesizeRhythm(RATE, { fadeMs, frequencyHz: 250 });
    const fade = (fadeMs / 1000) * RATE;
    // Peak of each quarter of the fade follows 0.5 − 0.5·cos(πt/T) from below.
    for (const at of [0.25, 0.5, 0.75]) {
      const n = Math.round(at * fade);
      expect(Math.abs(pcm[n])).toBeLessThanOrEqual(0.5 - 0.5 * Math.cos(Math.PI * ((n + 0.5) / fade)) + 1e-6);
    }
    let steady = 0;
    for (let n = fade; n < 0.05 * RATE; n++) steady = Math.max(steady, Math.abs(pcm[n]));
    expect(steady).toBeGreaterThan(0.99);
  });

  it('refuses impossible settings', () => {
    expect(() => synthesizeRhythm(RATE, { unitMs: 5 })).toThrow(UsageError);
    expect(() => synthesizeRhythm(8000, { frequencyHz: 5000 })).toThrow(UsageError);
    expect(() => synthesizeRhythm(RATE, { fadeMs: 70 })).toThrow(UsageError);
    expect(() => synthesizeRhythm(RATE, { dashUnits: 1 })).toThrow(UsageError);
  });
});
