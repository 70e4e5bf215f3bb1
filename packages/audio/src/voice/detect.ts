/**
 * Finds the built-in voice prompts (GB 45438 §5.3 a)) at the start or end of audio: the
 * shipped clips are known signals, so a normalised cross-correlation against them finds
 * the prompt after resampling, level changes and lossy coding. Other wording, or another
 * synthesiser's voice, would need speech recognition and is not looked for.
 */
import { type AudioInput, decodePcm, decodePcmWhole } from '../pcm/ffmpeg.js';
import { RHYTHM_ANALYSIS_RATE } from '../rhythm/detect.js';
import { Fft } from '../rhythm/fft.js';
import { type BuiltInVoicePrompt, VOICE_PROMPTS } from './prompt.js';

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

let clips: Promise<Map<BuiltInVoicePrompt, Float32Array>> | undefined;

function builtInClips(): Promise<Map<BuiltInVoicePrompt, Float32Array>> {
  clips ??= (async () => {
    const map = new Map<BuiltInVoicePrompt, Float32Array>();
    for (const [name, prompt] of Object.entries(VOICE_PROMPTS) as [BuiltInVoicePrompt, { path: string }][]) {
      const pcm = await decodePcmWhole({ path: prompt.path }, { sampleRate: VOICE_INPUT_RATE, channels: 1 });
      map.set(name, trimSilence(decimate(pcm)));
    }
    return map;
  })().catch((error: unknown) => {
    clips = undefined;
    throw error;
  });
  return clips;
}

/** Where `clip` best matches inside `signal`, and how well (normalised cross-correlation). */
function bestMatch(signal: Float32Array, clip: Float32Array): { offset: number; similarity: number } | null {
  const n = signal.length;
  const m = clip.length;
  if (n < m || m === 0) return null;
  let size = 2;
  while (size < n + m) size *= 2;
  const fft = new Fft(size);
  const [xr, xi, cr, ci] = [new Float64Array(size), new Float64Array(size), new Float64Array(size), new Float64Array(size)];
  xr.set(signal);
  cr.set(clip);
  fft.transform(xr, xi);
  fft.transform(cr, ci);
  // X·conj(C), then an inverse transform through the forward one (conjugate in and out).
  for (let k = 0; k < size; k++) {
    const re = xr[k] * cr[k] + xi[k] * ci[k];
    const im = xi[k] * cr[k] - xr[k] * ci[k];
    xr[k] = re;
    xi[k] = -im;
  }
  fft.transform(xr, xi);
  let clipEnergy = 0;
  for (const s of clip) clipEnergy += s * s;
  const prefix = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) prefix[i + 1] = prefix[i] + signal[i] * signal[i];
  let best = { offset: 0, similarity: 0 };
  for (let k = 0; k + m <= n; k++) {
    const energy = prefix[k + m] - prefix[k];
    if (energy <= clipEnergy * 1e-4) continue; // silence: no speech to match
    const similarity = xr[k] / size / Math.sqrt(clipEnergy * energy);
    if (similarity > best.similarity) best = { offset: k, similarity };
  }
  return best;
}

/**
 * Streams mono PCM at VOICE_INPUT_RATE and keeps only the first and last seconds, where a
 * prompt can be; `finish` compares them with every built-in clip.
 */
export class VoicePromptDetector {
  private readonly keep = (SEARCH_SECONDS + 12) * VOICE_INPUT_RATE; // the longest clip is under 12 s
  private readonly head: Float32Array = new Float32Array(this.keep);
  private headLength = 0;
  private readonly tail: Float32Array = new Float32Array(this.keep);
  private tailStart = 0; // ring buffer: index of the oldest sample once full
  private total = 0;

  push(samples: Float32Array): void {
    const intoHead = Math.min(samples.length, this.keep - this.headLength);
    this.head.set(samples.subarray(0, intoHead), this.headLength);
    this.headLength += intoHead;
    for (const s of samples.length > this.keep ? samples.subarray(samples.length - this.keep) : samples) {
      this.tail[this.tailStart] = s;
      this.tailStart = (this.tailStart + 1) % this.keep;
    }
    this.total += samples.length;
  }

  async finish(): Promise<VoicePromptDetection> {
    const occurrences: VoicePromptOccurrence[] = [];
    const tailLength = Math.min(this.total, this.keep);
    const tail = new Float32Array(tailLength);
    for (let i = 0; i < tailLength; i++) tail[i] = this.tail[(this.tailStart - tailLength + i + this.keep) % this.keep];
    const seconds = this.total / VOICE_INPUT_RATE;
    const long = this.total > this.keep;
    const head = decimate(this.head.subarray(0, this.headLength));
    const end = long ? decimate(tail) : head;
    const endFrom = long ? seconds - tailLength / VOICE_INPUT_RATE : 0;
    for (const [prompt, clip] of await builtInClips()) {
      // In a short file both ends are in the head: each half is searched, with room for a whole clip.
      const half = Math.floor(head.length / 2);
      const windows = long
        ? [
            { pcm: head, from: 0 },
            { pcm: end, from: endFrom },
          ]
        : [
            { pcm: head.subarray(0, Math.min(head.length, half + clip.length)), from: 0 },
            { pcm: head.subarray(Math.max(0, half - clip.length)), from: Math.max(0, half - clip.length) / ANALYSIS_RATE },
          ];
      for (const window of windows) {
        const match = bestMatch(window.pcm, clip);
        if (!match || match.similarity < MATCH_SIMILARITY) continue;
        const startSeconds = window.from + match.offset / ANALYSIS_RATE;
        const endSeconds = startSeconds + clip.length / ANALYSIS_RATE;
        const position = startSeconds + endSeconds < seconds ? 'start' : 'end';
        occurrences.push({ prompt, position, startSeconds, endSeconds, similarity: match.similarity });
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
export async function detectVoicePrompt(input: AudioInput): Promise<VoicePromptDetection> {
  const detector = new VoicePromptDetector();
  for await (const samples of decodePcm(input, { sampleRate: VOICE_INPUT_RATE, channels: 1 })) detector.push(samples);
  return detector.finish();
}
