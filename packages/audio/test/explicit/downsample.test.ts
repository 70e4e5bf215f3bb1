import { describe, expect, it } from 'vitest';
import { MonoDownsampler } from '../../src/pcm/downsample.js';

function sine(rate: number, hz: number, seconds: number, channels = 1, amplitude = 0.5): Float32Array {
  const out = new Float32Array(Math.round(rate * seconds) * channels);
  for (let i = 0; i < out.length; i++) out[i] = amplitude * Math.sin((2 * Math.PI * hz * Math.floor(i / channels)) / rate);
  return out;
}

/** Runs a signal through in uneven blocks, as decoders deliver it. */
function run(down: MonoDownsampler, input: Float32Array, channels: number): Float32Array {
  const parts: Float32Array[] = [];
  let at = 0;
  for (let block = 1; at < input.length; block = (block * 7 + 3) % 5000) {
    const frames = Math.min(block + 1, (input.length - at) / channels);
    parts.push(down.push(input.subarray(at, at + frames * channels), channels));
    at += frames * channels;
  }
  parts.push(down.finish());
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

const rms = (x: Float32Array, from = 0, to = x.length) => {
  let e = 0;
  for (let i = from; i < to; i++) e += x[i]! * x[i]!;
  return Math.sqrt(e / (to - from));
};

describe('MonoDownsampler', () => {
  it.each([44_100, 48_000, 22_050, 32_000, 11_025, 16_000, 96_000, 44_056])(
    'keeps a 1 kHz tone and removes a 6 kHz one from %i Hz',
    (rate) => {
      const seconds = 1;
      const inBand = run(new MonoDownsampler(rate, 8000), sine(rate, 1000, seconds), 1);
      expect(inBand.length).toBe(Math.ceil((Math.round(rate * seconds) * 8000) / rate));
      // Away from the edges (the filter's half length), the tone keeps its level within 0.1 dB...
      expect(20 * Math.log10(rms(inBand, 400, 7600) / (0.5 / Math.SQRT2))).toBeCloseTo(0, 1);
      // ...and sits where it was: output sample m is input time m · rate / 8000.
      const m = 4000;
      expect(inBand[m]).toBeCloseTo(0.5 * Math.sin((2 * Math.PI * 1000 * m) / 8000), 2);
      if (rate > 12_000) {
        // A tone above the new Nyquist frequency does not fold back into the band (60 dB stop band).
        const alias = run(new MonoDownsampler(rate, 8000), sine(rate, 6000, seconds), 1);
        expect(20 * Math.log10(rms(alias, 400, 7600) / (0.5 / Math.SQRT2))).toBeLessThan(-55);
      }
    },
  );

  it('mixes stereo to mono as ffmpeg does (−3 dB each), interleaved or planar alike', () => {
    const stereo = sine(44_100, 440, 0.5, 2);
    for (let i = 1; i < stereo.length; i += 2) stereo[i] = 0; // right channel silent
    const interleaved = run(new MonoDownsampler(44_100, 8000), stereo, 2);
    const planar = new MonoDownsampler(44_100, 8000);
    const left = sine(44_100, 440, 0.5);
    const out = [planar.pushPlanar([left, new Float32Array(left.length)], left.length), planar.finish()];
    const joined = new Float32Array(out[0]!.length + out[1]!.length);
    joined.set(out[0]!);
    joined.set(out[1]!, out[0]!.length);
    expect(joined.length).toBe(interleaved.length);
    for (let i = 0; i < joined.length; i += 97) expect(joined[i]).toBeCloseTo(interleaved[i]!, 6);
    expect(rms(interleaved, 400, 3600)).toBeCloseTo((0.5 * Math.SQRT1_2) / Math.SQRT2, 2);
  });

  it('passes 8 kHz through unchanged (mixed to mono)', () => {
    const input = sine(8000, 700, 0.3);
    const out = run(new MonoDownsampler(8000, 8000), input, 1);
    expect(Array.from(out)).toEqual(Array.from(input));
  });
});
