/**
 * Finds the built-in voice prompts (GB 45438 §5.3 a)) at the start or end of audio: the
 * shipped clips are known signals, so a normalised cross-correlation against them finds
 * the prompt after resampling, level changes and lossy coding. Other wording, or another
 * synthesiser's voice, would need speech recognition and is not looked for.
 */
import { type AnalysisInput, analysisPcm } from '../pcm/analysis.js';
import { RHYTHM_ANALYSIS_RATE } from '../rhythm/detect.js';
import { Fft } from '../rhythm/fft.js';
import { type BuiltInVoicePrompt, VOICE_PROMPTS } from './prompt.js';
import { PROMPT_TEMPLATES, unpackTemplate } from './templates.js';

/** Rate the detector is fed: the rhythm detector's, so one decode serves both. */
export const VOICE_INPUT_RATE = RHYTHM_ANALYSIS_RATE;
/** Speech is compared at 2 kHz: its low formants are distinctive enough, and FFTs stay small. */
const DECIMATION = 4;
const ANALYSIS_RATE = VOICE_INPUT_RATE / DECIMATION;
/** The prompt is inserted at the very start or end (§5.3 d)); this much lead-in or tail is searched. */
const SEARCH_SECONDS = 10;
/** Normalised correlation with the clip: a coded copy of it scores well above, other audio far below. */
const MATCH_SIMILARITY = 0.5;

export interface VoicePromptOccurrence {
  readonly prompt: BuiltInVoicePrompt;
  readonly position: 'start' | 'end';
  readonly startSeconds: number;
  readonly endSeconds: number;
  /** Normalised cross-correlation with the shipped clip, 0-1. */
  readonly similarity: number;
}

export interface VoicePromptDetection {
  readonly occurrences: readonly VoicePromptOccurrence[];
}

// Low-pass at 800 Hz before keeping every DECIMATION-th sample (a Hann-windowed sinc): without it,
// aliasing makes the match depend on where the prompt falls relative to the decimation phase.
const LOW_PASS = (() => {
  const taps = 33;
  const cutoff = 800 / VOICE_INPUT_RATE;
  const h = new Float64Array(taps);
  let sum = 0;
  for (let i = 0; i < taps; i++) {
    const t = i - (taps - 1) / 2;
    const sinc = t === 0 ? 2 * cutoff : Math.sin(2 * Math.PI * cutoff * t) / (Math.PI * t);
    h[i] = sinc * (0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (taps - 1)));
    sum += h[i];
  }
  return h.map((v) => v / sum);
})();

function decimate(samples: Float32Array): Float32Array {
  const out = new Float32Array(Math.floor(samples.length / DECIMATION));
  const half = (LOW_PASS.length - 1) / 2;
  for (let i = 0; i < out.length; i++) {
    const centre = i * DECIMATION;
    let sum = 0;
    for (let j = 0; j < LOW_PASS.length; j++) sum += LOW_PASS[j] * (samples[centre + j - half] ?? 0);
    out[i] = sum;
  }
  return out;
}

/** The clip without the silence around it, so the template is speech only. */
function trimSilence(clip: Float32Array): Float32Array {
  let peak = 0;
  for (const s of clip) peak = Math.max(peak, Math.abs(s));
  const floor = peak * 0.02;
  let start = 0;
  let end = clip.length;
  while (start < end && Math.abs(clip[start]) < floor) start++;
  while (end > start && Math.abs(clip[end - 1]) < floor) end--;
  return clip.subarray(start, end);
}

/** The template a clip is matched by: decimated to the analysis rate, its silence trimmed. */
export const promptTemplate = (clip: Float32Array): Float32Array => trimSilence(decimate(clip));

let clips: Map<BuiltInVoicePrompt, Float32Array> | undefined;

/** The built-in prompts' templates, unpacked once per process (no decode: see templates.ts). */
function builtInClips(): Map<BuiltInVoicePrompt, Float32Array> {
  clips ??= new Map(
    (Object.keys(VOICE_PROMPTS) as BuiltInVoicePrompt[]).map((name) => [name, unpackTemplate(PROMPT_TEMPLATES[name])] as const),
  );
  return clips;
}

// Every file is compared with the same clips at the same few sizes: the transform tables and
// the clips' spectra are computed once per process.
const ffts = new Map<number, Fft>();
function fftOfSize(size: number): Fft {
  const cached = ffts.get(size);
  if (cached) return cached;
  const fft = new Fft(size);
  ffts.set(size, fft);
  return fft;
}
const spectra = new WeakMap<Float32Array, Map<number, [Float64Array, Float64Array]>>();
function clipSpectrum(clip: Float32Array, size: number): [Float64Array, Float64Array] {
  const bySize = spectra.get(clip) ?? new Map<number, [Float64Array, Float64Array]>();
  spectra.set(clip, bySize);
  let spectrum = bySize.get(size);
  if (!spectrum) {
    spectrum = [new Float64Array(size), new Float64Array(size)];
    spectrum[0].set(clip);
    fftOfSize(size).transform(spectrum[0], spectrum[1]);
    bySize.set(size, spectrum);
  }
  return spectrum;
}

/** A window of audio to search, with its spectra kept per transform size (every clip reuses them). */
class SearchWindow {
  private readonly spectra = new Map<number, [Float64Array, Float64Array]>();
  readonly prefixEnergy: Float64Array;
  constructor(readonly signal: Float32Array) {
    this.prefixEnergy = new Float64Array(signal.length + 1);
    for (let i = 0; i < signal.length; i++) this.prefixEnergy[i + 1] = this.prefixEnergy[i] + signal[i] * signal[i];
  }
  spectrum(size: number): [Float64Array, Float64Array] {
    let spectrum = this.spectra.get(size);
    if (!spectrum) {
      spectrum = [new Float64Array(size), new Float64Array(size)];
      spectrum[0].set(this.signal);
      fftOfSize(size).transform(spectrum[0], spectrum[1]);
      this.spectra.set(size, spectrum);
    }
    return spectrum;
  }
}

interface Match {
  readonly offset: number;
  readonly similarity: number;
}

/**
 * Where `clip` best matches inside the window, and how well (normalised cross-correlation):
 * the best offset on each side of `split` (an offset within the window), so that one
 * correlation finds a prompt at each end of a short file.
 */
function bestMatches(window: SearchWindow, clip: Float32Array, split: number): [Match | null, Match | null] {
  const n = window.signal.length;
  const m = clip.length;
  if (n < m || m === 0) return [null, null];
  let size = 2;
  while (size < n + m) size *= 2;
  const [sr, si] = window.spectrum(size);
  const [cr, ci] = clipSpectrum(clip, size);
  // X·conj(C), then an inverse transform through the forward one (conjugate in and out).
  const xr = new Float64Array(size);
  const xi = new Float64Array(size);
  for (let k = 0; k < size; k++) {
    xr[k] = sr[k] * cr[k] + si[k] * ci[k];
    xi[k] = -(si[k] * cr[k] - sr[k] * ci[k]);
  }
  fftOfSize(size).transform(xr, xi);
  let clipEnergy = 0;
  for (const s of clip) clipEnergy += s * s;
  const prefix = window.prefixEnergy;
  const best: [Match | null, Match | null] = [null, null];
  for (let k = 0; k + m <= n; k++) {
    const energy = prefix[k + m] - prefix[k];
    if (energy <= clipEnergy * 1e-4) continue; // silence: no speech to match
    const similarity = xr[k] / size / Math.sqrt(clipEnergy * energy);
    const side = k < split ? 0 : 1;
    if (similarity > (best[side]?.similarity ?? 0)) best[side] = { offset: k, similarity };
  }
  return best;
}

/**
 * Streams mono PCM at VOICE_INPUT_RATE and keeps only the first and last seconds, where a
 * prompt can be; `finish` compares them with every built-in clip.
 */
export class VoicePromptDetector {
  private readonly keep = (SEARCH_SECONDS + 12) * VOICE_INPUT_RATE; // the longest clip is under 12 s
  // Grown as samples arrive (most clips are a few seconds, far shorter than `keep`).
  private head = new Float32Array(0);
  private headLength = 0;
  /** The last `keep` samples as a ring buffer, once the input is longer than the head. */
  private tail: Float32Array | null = null;
  private tailStart = 0; // index of the oldest sample
  private total = 0;

  push(samples: Float32Array): void {
    const intoHead = Math.min(samples.length, this.keep - this.headLength);
    if (this.headLength + intoHead > this.head.length) {
      const grown = new Float32Array(Math.min(this.keep, Math.max(this.headLength + intoHead, 2 * this.head.length)));
      grown.set(this.head.subarray(0, this.headLength));
      this.head = grown;
    }
    this.head.set(samples.subarray(0, intoHead), this.headLength);
    this.headLength += intoHead;
    this.total += samples.length;
    if (intoHead === samples.length) return;
    // Past the head: the ring starts as the full head (the last `keep` samples so far).
    this.tail ??= this.head.slice();
    const tail = this.tail;
    const rest = samples.subarray(intoHead);
    for (const s of rest.length > this.keep ? rest.subarray(rest.length - this.keep) : rest) {
      tail[this.tailStart] = s;
      this.tailStart = (this.tailStart + 1) % this.keep;
    }
  }

  /** The ring buffer's samples, oldest first (it is full whenever this is called). */
  private tailInOrder(): Float32Array {
    const tail = this.tail as Float32Array;
    const ordered = new Float32Array(this.keep);
    ordered.set(tail.subarray(this.tailStart));
    ordered.set(tail.subarray(0, this.tailStart), this.keep - this.tailStart);
    return ordered;
  }

  async finish(): Promise<VoicePromptDetection> {
    const occurrences: VoicePromptOccurrence[] = [];
    const seconds = this.total / VOICE_INPUT_RATE;
    const head = decimate(this.head.subarray(0, this.headLength));
    const long = this.total > this.keep;
    // A long file: its first and last seconds. A short one is all in the head, and its two ends
    // are told apart by where a match's middle falls.
    const windows = long
      ? [
          { window: new SearchWindow(head), from: 0 },
          { window: new SearchWindow(decimate(this.tailInOrder())), from: seconds - this.keep / VOICE_INPUT_RATE },
        ]
      : [{ window: new SearchWindow(head), from: 0 }];
    for (const [prompt, clip] of builtInClips()) {
      for (const { window, from } of windows) {
        const split = long ? window.signal.length : Math.round((head.length - clip.length) / 2);
        for (const match of bestMatches(window, clip, split)) {
          if (!match || match.similarity < MATCH_SIMILARITY) continue;
          const startSeconds = from + match.offset / ANALYSIS_RATE;
          const endSeconds = startSeconds + clip.length / ANALYSIS_RATE;
          const position = startSeconds + endSeconds < seconds ? 'start' : 'end';
          occurrences.push({ prompt, position, startSeconds, endSeconds, similarity: match.similarity });
        }
      }
    }
    // The two prompts share their Mandarin part: where both match the same place, keep the better one.
    const kept = occurrences
      .sort((a, b) => b.similarity - a.similarity)
      .filter((o, i, all) => !all.slice(0, i).some((p) => Math.abs(p.startSeconds - o.startSeconds) < 1));
    return { occurrences: kept.sort((a, b) => a.startSeconds - b.startSeconds) };
  }
}

/** Looks for the built-in voice prompts at the start and end of an audio (or video) file. */
export async function detectVoicePrompt(input: AnalysisInput): Promise<VoicePromptDetection> {
  const detector = new VoicePromptDetector();
  for await (const samples of analysisPcm(input, VOICE_INPUT_RATE)) detector.push(samples);
  return detector.finish();
}
