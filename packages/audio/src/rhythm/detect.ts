/**
 * Finds the 短长短短 (·−··) rhythm label (GB 45438 §5.3 c)) anywhere in audio, without knowing
 * its tone or timing. Mono PCM at a fixed analysis rate streams through a short-time FFT; frames
 * whose band energy sits in one narrow, harmonic-free spectral peak are tonal; runs of tonal
 * frames at one stable frequency are bursts; four bursts at the same frequency that read as
 * short-long-short-short with consistent timing, and stand alone, are an occurrence. Memory does
 * not grow with the input's length.
 */
import { UsageError } from '@aigc-label/core';
import { type AnalysisInput, analysisPcm } from '../pcm/analysis.js';
import { RealPowerSpectrum } from './fft.js';

/** The analysis runs on mono PCM at this rate; ffmpeg resamples and downmixes. */
export const RHYTHM_ANALYSIS_RATE = 8000;
const FFT_SIZE = 256; // 32 ms window, 31.25 Hz bins
const HOP = 80; // 10 ms
const HOP_SECONDS = HOP / RHYTHM_ANALYSIS_RATE;

export interface RhythmDetectOptions {
  /** Lowest tone frequency considered, Hz. Default 280. */
  readonly minFrequencyHz?: number;
  /** Highest tone frequency considered, Hz (below half the analysis rate). Default 3900. */
  readonly maxFrequencyHz?: number;
  /**
   * An occurrence that begins (ends) within this many seconds of the start (end) counts as at the
   * start (end). Default 3; on clips shorter than 20 s, 15% of the length (at least 0.5 s).
   */
  readonly edgeSeconds?: number;
  /** Tones quieter than this (dBFS amplitude) are ignored. Default −60. */
  readonly minLevelDbfs?: number;
}

export interface RhythmOccurrence {
  /** Start of the first burst and end of the last one, seconds from the start of the audio. */
  readonly startSeconds: number;
  readonly endSeconds: number;
  /** GB 45438 §5.3 d): start, end or a middle position. */
  readonly position: 'start' | 'end' | 'middle';
  /** Tone frequency, Hz. */
  readonly toneHz: number;
  /** Mean length of the three short elements (the unit), ms. */
  readonly unitMs: number;
  /** Length of the long element, ms. */
  readonly dashMs: number;
  /** Silences between the four elements, ms. */
  readonly gapsMs: readonly [number, number, number];
  /** Tone amplitude, dBFS (after the analysis downmix). */
  readonly levelDbfs: number;
}

export interface RhythmDetection {
  readonly occurrences: readonly RhythmOccurrence[];
  /** Length of the decoded audio, seconds. */
  readonly durationSeconds: number;
}

/** Tone candidates kept per frame, and the share of the band's energy a candidate needs. */
const MAX_PEAKS = 3;
const MIN_SHARE = 0.15;
/** Per-frame values kept for one tone (3 s); longer tones are too long to be an element anyway. */
const MAX_TRACK_FRAMES = 300;
/**
 * A frame of a tone this far below the loudest frame of the burst it would continue (−20 dB) is
 * not more of that burst: it is what fills a gap (an inaudible mark planned under the tone's
 * masking, a codec's pre-echo), and it would join two elements into one.
 */
const FAINT_SHARE = 0.01;
/** The four elements of one label are sent at one level: a burst 10 dB weaker or stronger than the last element is not one of them. */
const ELEMENT_LEVEL_SPREAD = 10;

interface Track {
  last: number;
  /** The loudest frame so far. */
  loudest: number;
  readonly hz: number[];
  readonly power: number[];
  readonly frames: number[];
}

interface Burst {
  readonly start: number; // seconds
  readonly end: number;
  readonly hz: number;
  readonly power: number; // median tone power
}

/**
 * Power a sine of amplitude A leaves in the three bins around its peak under the Hann window:
 * Parseval gives A²·N·Σw²/4 = 3A²N²/32 over the positive frequencies, nearly all in those bins.
 */
const tonePower = (amplitude: number): number => (3 * amplitude * amplitude * FFT_SIZE * FFT_SIZE) / 32;

const toneHz = (hz: number[]): number => hz.reduce((sum, f) => sum + f, 0) / hz.length;

/** Whether a burst could be more of the same signalling: the same tone (tightly) at no less than a tenth of its power. */
const continues = (burst: Burst, hz: number, power: number): boolean =>
  Math.abs(burst.hz - hz) <= Math.max(8, 0.006 * hz) && burst.power >= 0.1 * power;

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
};

/** Tone frequency tolerance between the elements of one rhythm and the frames of one burst. */
const sameTone = (a: number, b: number): boolean => Math.abs(a - b) <= Math.max(15, 0.015 * Math.max(a, b));

/**
 * The streaming core: push mono float PCM at {@link RHYTHM_ANALYSIS_RATE}, then `finish()`.
 * Exposed so callers with their own PCM can skip ffmpeg.
 */
export class RhythmDetector {
  private readonly spectrum = new RealPowerSpectrum(FFT_SIZE);
  private readonly window = new Float64Array(FFT_SIZE);
  private readonly frame = new Float64Array(FFT_SIZE);
  private readonly power = new Float64Array(FFT_SIZE / 2 + 1);
  private readonly minBin: number;
  private readonly maxBin: number;
  private readonly edgeSeconds: number;
  private readonly minPower: number;
  private buffer = new Float32Array(FFT_SIZE * 64);
  private buffered = 0;
  private frameIndex = 0;
  private samples = 0;
  // Tones being followed: per-frame tone power and frequency.
  private tracks: Track[] = [];
  private bursts: Burst[] = [];
  private pending: { occurrence: Omit<RhythmOccurrence, 'position'>; clearAfter: number; hz: number; power: number }[] = [];
  private readonly found: Omit<RhythmOccurrence, 'position'>[] = [];

  constructor(options: RhythmDetectOptions = {}) {
    const binHz = RHYTHM_ANALYSIS_RATE / FFT_SIZE;
    const minHz = options.minFrequencyHz ?? 280;
    const maxHz = options.maxFrequencyHz ?? 3900;
    if (!(minHz >= 100 && maxHz > minHz && maxHz <= RHYTHM_ANALYSIS_RATE / 2 - 3 * binHz)) {
      throw new UsageError(`rhythm detection band ${minHz}-${maxHz} Hz must lie within 100-${RHYTHM_ANALYSIS_RATE / 2 - 3 * binHz} Hz`);
    }
    this.minBin = Math.max(4, Math.ceil(minHz / binHz));
    this.maxBin = Math.floor(maxHz / binHz);
    this.edgeSeconds = options.edgeSeconds ?? 3;
    this.minPower = tonePower(10 ** ((options.minLevelDbfs ?? -60) / 20));
    for (let i = 0; i < FFT_SIZE; i++) this.window[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / FFT_SIZE);
  }

  /** Feeds mono samples at the analysis rate. */
  push(samples: Float32Array): void {
    this.samples += samples.length;
    let offset = 0;
    while (offset < samples.length) {
      const room = this.buffer.length - this.buffered;
      const take = Math.min(room, samples.length - offset);
      this.buffer.set(samples.subarray(offset, offset + take), this.buffered);
      this.buffered += take;
      offset += take;
      let position = 0;
      while (this.buffered - position >= FFT_SIZE) {
        this.analyseFrame(position);
        position += HOP;
      }
      this.buffer.copyWithin(0, position, this.buffered);
      this.buffered -= position;
    }
  }

  /** Ends the stream and returns every occurrence with its position. */
  finish(): RhythmDetection {
    for (const track of this.tracks.sort((x, y) => x.last - y.last)) this.closeTrack(track);
    this.tracks = [];
    const durationSeconds = this.samples / RHYTHM_ANALYSIS_RATE;
    for (const entry of this.pending) this.found.push(entry.occurrence);
    this.pending = [];
    // On short clips the edge zone shrinks so that a label in the middle is not called start or end.
    const edge = Math.max(0.5, Math.min(this.edgeSeconds, 0.15 * durationSeconds));
    const occurrences = this.found.map((occurrence): RhythmOccurrence => {
      const fromStart = occurrence.startSeconds;
      const toEnd = Math.max(0, durationSeconds - occurrence.endSeconds);
      const position = fromStart <= edge && fromStart <= toEnd ? 'start' : toEnd <= edge ? 'end' : 'middle';
      return { ...occurrence, position };
    });
    return { occurrences, durationSeconds };
  }

  private analyseFrame(offset: number): void {
    const { power, window, buffer } = this;
    for (let i = 0; i < FFT_SIZE; i++) this.frame[i] = buffer[offset + i] * window[i];
    this.spectrum.compute(this.frame, power, this.minBin - 3, Math.min(FFT_SIZE / 2, 2 * this.maxBin + 1));
    let total = 0;
    for (let k = this.minBin; k <= this.maxBin; k++) total += power[k];
    const frame = this.frameIndex++;
    // Candidate tones: the strongest local maxima that hold a fair share of the band's energy,
    // are as narrow as a windowed sine and have no second harmonic (voiced speech and
    // instrument notes do), so a tone is found even when mixed over music.
    const candidates: { bin: number; peak: number }[] = [];
    for (let k = this.minBin; k <= this.maxBin; k++) {
      const p = power[k];
      if (p < power[k - 1] || p <= power[k + 1]) continue;
      const peak = power[k - 1] + p + power[k + 1];
      if (peak < this.minPower || peak < MIN_SHARE * total) continue;
      if (power[k - 3] + power[k + 3] > 0.25 * peak) continue;
      const h = 2 * k;
      if (h + 1 <= FFT_SIZE / 2 && power[h - 1] + power[h] + power[h + 1] > 0.1 * peak) continue;
      candidates.push({ bin: k, peak });
    }
    candidates.sort((x, y) => y.peak - x.peak);
    for (const { bin, peak } of candidates.slice(0, MAX_PEAKS)) {
      // Parabolic interpolation on log power refines the peak to a fraction of a bin.
      const a = Math.log(power[bin - 1] + 1e-20);
      const b = Math.log(power[bin] + 1e-20);
      const c = Math.log(power[bin + 1] + 1e-20);
      const denominator = a - 2 * b + c;
      const shift = denominator < 0 ? Math.max(-0.5, Math.min(0.5, (0.5 * (a - c)) / denominator)) : 0;
      const hz = ((bin + shift) * RHYTHM_ANALYSIS_RATE) / FFT_SIZE;
      const track = this.tracks.find((t) => t.last < frame && sameTone(hz, t.hz[t.hz.length - 1]));
      if (track && peak < FAINT_SHARE * track.loudest) continue;
      if (track) {
        track.last = frame;
        track.loudest = Math.max(track.loudest, peak);
        // A tone far longer than any element only needs its end kept: memory stays bounded.
        if (track.frames.length < MAX_TRACK_FRAMES) {
          track.hz.push(hz);
          track.power.push(peak);
          track.frames.push(frame);
        }
      } else {
        this.tracks.push({ last: frame, loudest: peak, hz: [hz], power: [peak], frames: [frame] });
      }
    }
    // A track with no tone for more than two frames (20 ms) is a finished burst.
    if (this.tracks.some((t) => frame - t.last > 2)) {
      const finished = this.tracks.filter((t) => frame - t.last > 2);
      this.tracks = this.tracks.filter((t) => frame - t.last <= 2);
      for (const track of finished.sort((x, y) => x.last - y.last)) this.closeTrack(track);
    }
  }

  private closeTrack(track: Track): void {
    if (track.frames.length < 3) return;
    // Edges where the tone power falls to a quarter of the burst's median: half the window
    // over the tone (Hann), i.e. where the burst really starts and stops.
    const level = median(track.power);
    const strong = track.frames.filter((_, i) => track.power[i] >= 0.25 * level);
    const first = strong[0];
    const last = track.last > track.frames[track.frames.length - 1] ? track.last : (strong.at(-1) ?? first);
    const centre = (frame: number) => (frame * HOP + FFT_SIZE / 2) / RHYTHM_ANALYSIS_RATE;
    const burst: Burst = {
      start: centre(first) - HOP_SECONDS / 2,
      end: centre(last) + HOP_SECONDS / 2,
      hz: median(track.hz),
      power: level,
    };
    // Bursts of any length are kept: a long tone still breaks the isolation of a neighbouring rhythm.
    this.bursts.push(burst);
    if (burst.end - burst.start >= 0.03 && burst.end - burst.start <= 2.5) this.matchEndingAt(burst);
    this.settlePending(burst);
    // Only the last few seconds of bursts can take part in a rhythm.
    const horizon = burst.end - 12;
    if (this.bursts.length > 64 || (this.bursts[0] && this.bursts[0].end < horizon)) {
      this.bursts = this.bursts.filter((b) => b.end >= horizon).slice(-64);
    }
  }

  /** Drops pending occurrences that a later same-tone burst shows to be part of a longer sequence; confirms the rest once clear. */
  private settlePending(latest: Burst): void {
    this.pending = this.pending.filter((entry) => {
      if (latest.start <= entry.occurrence.endSeconds) return true; // the burst that completed it
      if (latest.start > entry.clearAfter) {
        this.found.push(entry.occurrence);
        return false;
      }
      return !continues(latest, entry.hz, entry.power);
    });
  }

  private matchEndingAt(last: Burst): void {
    const sameFrequency = this.bursts.filter((b) => sameTone(b.hz, last.hz) && b.end <= last.end);
    const elements = sameFrequency.filter(
      (b) => b.power * ELEMENT_LEVEL_SPREAD >= last.power && b.power <= ELEMENT_LEVEL_SPREAD * last.power,
    );
    if (elements.length < 4) return;
    const [b0, b1, b2, b3] = elements.slice(-4);
    const d = [b0, b1, b2, b3].map((b) => b.end - b.start);
    const shorts = [d[0], d[2], d[3]];
    const dot = (shorts[0] + shorts[1] + shorts[2]) / 3;
    if (dot < 0.03 || dot > 0.6) return;
    // A short element may be partly masked by a loud onset in the content it is mixed over.
    if (Math.max(...shorts) / Math.min(...shorts) > 2) return;
    const ratio = d[1] / dot;
    if (ratio < 1.8 || ratio > 4.5) return;
    const gaps: [number, number, number] = [b1.start - b0.end, b2.start - b1.end, b3.start - b2.end];
    if (gaps.some((g) => g < 0.3 * dot || g > 4 * dot)) return;
    // The two gaps inside a letter (A = ·−, I = ··) match; the one between letters may be longer (Morse letter space).
    if (Math.max(gaps[0], gaps[2]) / Math.min(gaps[0], gaps[2]) > 2.2) return;
    if (gaps[1] < 0.5 * Math.min(gaps[0], gaps[2])) return;
    const hz = [b0, b1, b2, b3].map((b) => b.hz);
    if (!hz.every((f) => sameTone(f, hz[0]))) return;
    // Stand-alone: no burst of the same tone and a similar level shortly before (a longer Morse
    // sequence is not the label; a quieter note of the content nearby does not count).
    const power = median([b0.power, b1.power, b2.power, b3.power]);
    const quiet = Math.max(...gaps) * 1.5 + dot;
    if (sameFrequency.slice(0, sameFrequency.indexOf(b0)).some((b) => continues(b, toneHz(hz), power) && b0.start - b.end < quiet)) return;
    if (this.pending.some((p) => p.occurrence.endSeconds >= b0.start) || this.found.some((f) => f.endSeconds >= b0.start)) return;
    const amplitude = Math.sqrt(power / tonePower(1));
    this.pending.push({
      hz: toneHz(hz),
      power,
      clearAfter: b3.end + quiet,
      occurrence: {
        startSeconds: b0.start,
        endSeconds: b3.end,
        toneHz: toneHz(hz),
        unitMs: dot * 1000,
        dashMs: d[1] * 1000,
        gapsMs: [gaps[0] * 1000, gaps[1] * 1000, gaps[2] * 1000],
        levelDbfs: 20 * Math.log10(Math.max(amplitude, 1e-9)),
      },
    });
  }
}

/**
 * Detects ·−·· rhythm labels in an audio (or video) file, streamed as mono
 * {@link RHYTHM_ANALYSIS_RATE} Hz PCM so memory stays flat for hours of audio: decoded in this
 * process from a ByteSource when the codec allows (`analysisPcm`), else by ffmpeg from a path or
 * bytes (bytes are piped to its stdin, which needs a streamable format: MP4 with `moov` first).
 */
export async function detectRhythm(input: AnalysisInput, options: RhythmDetectOptions = {}): Promise<RhythmDetection> {
  const detector = new RhythmDetector(options);
  for await (const samples of analysisPcm(input, RHYTHM_ANALYSIS_RATE)) detector.push(samples);
  return detector.finish();
}
