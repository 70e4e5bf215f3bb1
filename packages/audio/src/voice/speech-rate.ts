/**
 * Speech-rate check for voice labels: GB 45438 §5.3 e) asks for a normal speaking rate, and
 * its Note 4 puts normal Mandarin at about 120-160 characters per minute. The rate is the
 * number of spoken units over the voiced time found by an energy voice-activity detector.
 */
import { UsageError } from '@aigc-label/core';
import { type AudioInput, decodePcmWhole } from '../pcm/ffmpeg.js';

/** GB 45438 §5.3 e) Note 4: normal Mandarin speech is about 120-160 字/min. */
export const NORMAL_SPEECH_RATE_ZH = { minCharsPerMinute: 120, maxCharsPerMinute: 160 } as const;

const HAN = /\p{Script=Han}/gu;
const LATIN_WORD = /[A-Za-z]+/g;

/** Syllables of one Latin-script word: an all-capital acronym is read letter by letter, else vowel groups. */
function syllables(word: string): number {
  if (word.length > 1 && word === word.toUpperCase()) return word.length;
  const groups = word.toLowerCase().match(/[aeiouy]+/g)?.length ?? 0;
  const silentE = /[^aeiouy]e$/i.test(word) && !/le$/i.test(word) && groups > 1 ? 1 : 0;
  return Math.max(1, groups - silentE);
}

/**
 * Spoken units in a text, each Hanzi being one syllable (字): Han characters count one each,
 * Latin-script words count their syllables, so a bilingual prompt is measured in the same unit.
 */
export function countSpeechUnits(text: string): number {
  const han = text.match(HAN)?.length ?? 0;
  const latin = (text.match(LATIN_WORD) ?? []).reduce((sum, word) => sum + syllables(word), 0);
  return han + latin;
}

export interface SpeechRateReport {
  /** Spoken units (Hanzi, or syllables of Latin-script words). */
  readonly units: number;
  /** Time the detector judged to be speech, pauses up to `maxPauseMs` included, in seconds. */
  readonly voicedSeconds: number;
  readonly charsPerMinute: number;
  /** Whether the rate is within GB 45438 §5.3 e) Note 4's 120-160 字/min. */
  readonly normal: boolean;
}

export interface SpeechRateOptions {
  /** Pauses up to this length count as speaking time (stop closures, word breaks); longer ones do not. Default 300 ms. */
  readonly maxPauseMs?: number;
  /** Frames this many dB below the loudest 20 ms frame are silence. Default 35. */
  readonly rangeDb?: number;
}

/** Measures the speaking rate of mono PCM for a known number of spoken units (or the text spoken). */
export function measureSpeechRate(
  samples: Float32Array,
  sampleRate: number,
  spoken: string | number,
  options: SpeechRateOptions = {},
): SpeechRateReport {
  const units = typeof spoken === 'number' ? spoken : countSpeechUnits(spoken);
  if (!(units > 0)) throw new UsageError('speech rate needs at least one spoken character');
  const frame = Math.max(1, Math.round(sampleRate * 0.02));
  const energies: number[] = [];
  for (let start = 0; start + frame <= samples.length; start += frame) {
    let energy = 0;
    for (let i = start; i < start + frame; i++) energy += samples[i] * samples[i];
    energies.push(10 * Math.log10(energy / frame + 1e-12));
  }
  const loudest = Math.max(-120, ...energies);
  const threshold = Math.max(loudest - (options.rangeDb ?? 35), -70);
  const maxPauseFrames = Math.round((options.maxPauseMs ?? 300) / 20);
  let voicedFrames = 0;
  let lastVoiced = -1;
  energies.forEach((energy, index) => {
    if (energy < threshold) return;
    // A short pause since the previous voiced frame is still speaking time.
    const pause = lastVoiced >= 0 ? index - lastVoiced - 1 : 0;
    voicedFrames += 1 + (pause <= maxPauseFrames ? pause : 0);
    lastVoiced = index;
  });
  const voicedSeconds = (voicedFrames * frame) / sampleRate;
  const charsPerMinute = voicedSeconds > 0 ? (units / voicedSeconds) * 60 : Number.POSITIVE_INFINITY;
  const normal = charsPerMinute >= NORMAL_SPEECH_RATE_ZH.minCharsPerMinute && charsPerMinute <= NORMAL_SPEECH_RATE_ZH.maxCharsPerMinute;
  return { units, voicedSeconds, charsPerMinute, normal };
}

/** Decodes a voice clip (any format ffmpeg reads) and measures its speaking rate. */
export async function checkSpeechRate(
  clip: AudioInput,
  spoken: string | number,
  options: SpeechRateOptions = {},
): Promise<SpeechRateReport> {
  const rate = 16_000;
  return measureSpeechRate(await decodePcmWhole(clip, { sampleRate: rate, channels: 1 }), rate, spoken, options);
}
