/**
 * The programme level an audible label is scaled to, without decoding a long file whole: up to
 * a minute of audio is measured in full; a longer programme is measured over 20 excerpts of 3 s
 * spread evenly from start to end (a minute in all), which gives its gated RMS to a fraction of
 * a dB on real programmes (music, speech; the peak may be missed between excerpts, which only
 * matters with `reference: 'peak'`) while the splice reads only what it copies. The frame count
 * is the programme's own, not the excerpts'.
 */
import { measureProgramme, type ProgrammeLevel } from './splice.js';

/** Programmes up to this long are measured whole. */
export const MEASURED_WHOLE_SECONDS = 60;
const EXCERPTS = 20;
const EXCERPT_SECONDS = 3;

/** Where the excerpts start (content frame indices), or one whole-programme span. */
export function excerptSpans(totalFrames: number, sampleRate: number): { start: number; frames: number }[] {
  if (totalFrames <= MEASURED_WHOLE_SECONDS * sampleRate) return [{ start: 0, frames: totalFrames }];
  const frames = EXCERPT_SECONDS * sampleRate;
  const step = (totalFrames - frames) / (EXCERPTS - 1);
  return Array.from({ length: EXCERPTS }, (_, i) => ({ start: Math.round(i * step), frames }));
}

/** Measures the programme from its excerpts; `read` gives interleaved float PCM for a span. */
export async function programmeFromExcerpts(
  totalFrames: number,
  sampleRate: number,
  channels: number,
  read: (span: { start: number; frames: number }) => AsyncIterable<Float32Array>,
): Promise<ProgrammeLevel> {
  async function* all(): AsyncGenerator<Float32Array> {
    for (const span of excerptSpans(totalFrames, sampleRate)) yield* read(span);
  }
  const measured = await measureProgramme(all(), channels, sampleRate);
  return { ...measured, frames: totalFrames };
}
