/**
 * The 短长短短 rhythm label (GB 45438 §5.3 c)): "AI" in Morse, ·−··, as sine tone bursts.
 * The standard fixes only the pattern, not the timing, tone or level (see the reference notes
 * §1.5), so every figure below is a documented default that callers may change.
 */
import { UsageError } from '@aigc-label/core';

/** GB 45438 §5.3 c) Note 1: "短长短短" is "AI" in Morse code (A = ·−, I = ··). */
export const AI_MORSE_RHYTHM = ['short', 'long', 'short', 'short'] as const;

export interface RhythmTiming {
  /** Length of a dot (短) in milliseconds. Default 120. */
  readonly unitMs?: number;
  /** Length of a dash (长) in units. Default 3 (ITU-R M.1677-1). */
  readonly dashUnits?: number;
  /** Silence between the elements of one letter (· − and · ·), in units. Default 1 (ITU-R M.1677-1). */
  readonly gapUnits?: number;
  /**
   * Silence between A (·−) and I (··), in units. Default 1, so the four elements are evenly
   * spaced and heard as one rhythm; ITU-R M.1677-1 letter spacing would be 3.
   */
  readonly letterGapUnits?: number;
  /** Tone frequency in Hz. Default 1000: clear on phone and laptop speakers, away from speech's strongest harmonics. */
  readonly frequencyHz?: number;
  /** Raised-cosine fade at each burst's start and end, in ms, so bursts start and stop without clicks. Default 5. */
  readonly fadeMs?: number;
  /** Silence added before and after the rhythm in insert mode, separating it from the content, in ms. Default 250. */
  readonly paddingMs?: number;
}

export const DEFAULT_RHYTHM_TIMING: Required<RhythmTiming> = {
  unitMs: 120,
  dashUnits: 3,
  gapUnits: 1,
  letterGapUnits: 1,
  frequencyHz: 1000,
  fadeMs: 5,
  paddingMs: 250,
};

/** One tone burst of the rhythm, in seconds from the rhythm's first sample. */
export interface RhythmElement {
  readonly kind: (typeof AI_MORSE_RHYTHM)[number];
  readonly startSeconds: number;
  readonly durationSeconds: number;
}

function resolveTiming(timing: RhythmTiming, sampleRate: number): Required<RhythmTiming> {
  const t = { ...DEFAULT_RHYTHM_TIMING, ...timing };
  const check = (ok: boolean, message: string) => {
    if (!ok) throw new UsageError(`rhythm label: ${message}`);
  };
  check(Number.isFinite(t.unitMs) && t.unitMs >= 20 && t.unitMs <= 2000, 'unitMs must be between 20 and 2000');
  check(Number.isFinite(t.dashUnits) && t.dashUnits >= 1.5 && t.dashUnits <= 6, 'dashUnits must be between 1.5 and 6');
  check(Number.isFinite(t.gapUnits) && t.gapUnits >= 0.25 && t.gapUnits <= 6, 'gapUnits must be between 0.25 and 6');
  check(
    Number.isFinite(t.letterGapUnits) && t.letterGapUnits >= 0.25 && t.letterGapUnits <= 6,
    'letterGapUnits must be between 0.25 and 6',
  );
  check(
    Number.isFinite(t.frequencyHz) && t.frequencyHz >= 100 && t.frequencyHz < sampleRate * 0.45,
    'frequencyHz must be above 100 Hz and below 0.45 × the sample rate',
  );
  check(Number.isFinite(t.fadeMs) && t.fadeMs >= 0 && t.fadeMs * 2 <= t.unitMs, 'fadeMs must be between 0 and half a unit');
  check(Number.isFinite(t.paddingMs) && t.paddingMs >= 0 && t.paddingMs <= 10_000, 'paddingMs must be between 0 and 10000');
  return t;
}

/** The bursts of ·−·· for the given timing (without padding). */
export function rhythmElements(timing: RhythmTiming = {}, sampleRate = 48_000): RhythmElement[] {
  const t = resolveTiming(timing, sampleRate);
  const unit = t.unitMs / 1000;
  const lengths = AI_MORSE_RHYTHM.map((kind) => (kind === 'short' ? unit : unit * t.dashUnits));
  const gaps = [t.gapUnits, t.letterGapUnits, t.gapUnits].map((units) => units * unit);
  const elements: RhythmElement[] = [];
  let time = 0;
  AI_MORSE_RHYTHM.forEach((kind, index) => {
    elements.push({ kind, startSeconds: time, durationSeconds: lengths[index]! });
    time += lengths[index]! + (gaps[index] ?? 0);
  });
  return elements;
}

/**
 * Synthesises the rhythm as mono float PCM with peak amplitude 1 (scale it to the programme
 * afterwards). With `padded`, `paddingMs` of silence surrounds it (the insert-mode label).
 */
export function synthesizeRhythm(sampleRate: number, timing: RhythmTiming = {}, padded = false): Float32Array {
  if (!Number.isInteger(sampleRate) || sampleRate < 4000 || sampleRate > 768_000) throw new UsageError(`bad sample rate ${sampleRate}`);
  const t = resolveTiming(timing, sampleRate);
  const elements = rhythmElements(t, sampleRate);
  const pad = padded ? Math.round((t.paddingMs / 1000) * sampleRate) : 0;
  const last = elements.at(-1)!;
  const body = Math.round((last.startSeconds + last.durationSeconds) * sampleRate);
  const out = new Float32Array(pad + body + pad);
  const fade = Math.round((t.fadeMs / 1000) * sampleRate);
  const omega = (2 * Math.PI * t.frequencyHz) / sampleRate;
  for (const element of elements) {
    const start = pad + Math.round(element.startSeconds * sampleRate);
    const length = Math.round(element.durationSeconds * sampleRate);
    for (let n = 0; n < length; n++) {
      // Raised-cosine (Hann half-window) ramps: continuous value and slope at both ends.
      const edge = Math.min(n, length - 1 - n);
      const envelope = edge < fade ? 0.5 - 0.5 * Math.cos((Math.PI * (edge + 0.5)) / fade) : 1;
      out[start + n] = envelope * Math.sin(omega * n);
    }
  }
  return out;
}

/** Total length of the synthesised rhythm in seconds (with padding when `padded`), as `synthesizeRhythm` rounds it. */
export function rhythmDurationSeconds(sampleRate: number, timing: RhythmTiming = {}, padded = false): number {
  const t = resolveTiming(timing, sampleRate);
  const last = rhythmElements(t, sampleRate).at(-1)!;
  const pad = padded ? Math.round((t.paddingMs / 1000) * sampleRate) : 0;
  return (2 * pad + Math.round((last.startSeconds + last.durationSeconds) * sampleRate)) / sampleRate;
}
