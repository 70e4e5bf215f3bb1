import { describe, expect, it } from 'vitest';
import { Resampler } from '../../src/pcm/downsample.js';

const sine = (rate: number, hz: number, n: number) => Float64Array.from({ length: n }, (_, i) => Math.sin((2 * Math.PI * hz * i) / rate));

function run(resampler: Resampler, input: Float64Array, chunk: number, total: number): Float32Array {
  const parts: Float32Array[] = [];
  for (let i = 0; i < input.length; i += chunk) parts.push(resampler.push(input.subarray(i, Math.min(input.length, i + chunk))));
  parts.push(resampler.finish(total));
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

describe('streaming resampler (the watermark 8 kHz side and back)', () => {
  for (const [from, to] of [
    [44_100, 8000],
    [48_000, 8000],
    [8000, 44_100],
    [22_050, 8000],
    [8000, 16_000],
  ] as const) {
    it(`keeps a 1 kHz tone's amplitude and phase from ${from} to ${to} Hz`, () => {
      const input = sine(from, 1000, from); // 1 s
      const total = Math.ceil(input.length * (to / from));
      const out = run(new Resampler(from, to), input, 777, total);
      expect(out.length).toBe(total);
      const expected = sine(to, 1000, total);
      let error = 0;
      // away from the edges, where the filter sees the signal's start and end
      for (let i = Math.floor(0.1 * to); i < Math.floor(0.9 * to); i++) error = Math.max(error, Math.abs(out[i]! - expected[i]!));
      expect(error).toBeLessThan(0.01);
    });
  }

  it('gives the same output whatever the chunking', () => {
    const input = Float64Array.from({ length: 30_000 }, (_, i) => Math.sin(i * 0.37) * Math.cos(i * 0.011));
    const total = Math.ceil((input.length * 8000) / 44_100);
    const a = run(new Resampler(44_100, 8000), input, 1, total);
    const b = run(new Resampler(44_100, 8000), input, 4096, total);
    expect(Array.from(a)).toEqual(Array.from(b));
  });

  it('removes what lies above the new Nyquist frequency (6 kHz to 8 kHz rate)', () => {
    const out = run(new Resampler(44_100, 8000), sine(44_100, 6000, 44_100), 1000, 8000);
    let peak = 0;
    for (let i = 800; i < 7200; i++) peak = Math.max(peak, Math.abs(out[i]!));
    expect(peak).toBeLessThan(0.002); // −54 dB
  });
});
