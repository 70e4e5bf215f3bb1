import { describe, expect, it } from 'vitest';
import { musicLike, speechLike } from '../../scripts/test-signals.mjs';
import { excerptSpans, MEASURED_WHOLE_SECONDS, programmeFromExcerpts } from '../../src/pcm/excerpts.js';
import { measureProgramme } from '../../src/pcm/splice.js';

async function* whole(samples: Float32Array): AsyncGenerator<Float32Array> {
  for (let i = 0; i < samples.length; i += 4096) yield samples.subarray(i, i + 4096);
}

describe('programme level from excerpts', () => {
  const RATE = 8000;
  it.each([
    ['music', musicLike],
    ['speech', speechLike],
  ] as const)('%s: three minutes measured from a minute of excerpts, within 0.5 dB of the whole', async (_name, make) => {
    // Louder in the second half, so excerpts that only looked at the start would be wrong.
    const samples = make(RATE, 180, 5) as Float32Array;
    for (let i = samples.length / 2; i < samples.length; i++) samples[i]! *= 2;
    const all = await measureProgramme(whole(samples), 1, RATE);
    const spans = excerptSpans(samples.length, RATE);
    expect(spans.reduce((n, s) => n + s.frames, 0)).toBe(MEASURED_WHOLE_SECONDS * RATE);
    const sampled = await programmeFromExcerpts(samples.length, RATE, 1, (span) =>
      whole(samples.subarray(span.start, span.start + span.frames)),
    );
    expect(sampled.frames).toBe(samples.length);
    expect(Math.abs(20 * Math.log10(sampled.gatedRms / all.gatedRms))).toBeLessThan(0.5);
  });

  it('measures a programme up to a minute long whole', () => {
    expect(excerptSpans(60 * 8000, 8000)).toEqual([{ start: 0, frames: 60 * 8000 }]);
    const spans = excerptSpans(61 * 8000, 8000);
    expect(spans[0]!.start).toBe(0);
    expect(spans.at(-1)!.start + spans.at(-1)!.frames).toBe(61 * 8000);
  });
});
