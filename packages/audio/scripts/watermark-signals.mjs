/**
 * Programme material for the audio watermark tests and benchmark, beside the speech-, music-
 * and noise-like signals of test-signals.mjs: tonal signals (held pure tones, chords and slow
 * glides with soft envelopes), where a patchwork mark is easiest to hear; and a stereo helper.
 */
import { random } from './test-signals.mjs';

/** Tonal mono signal: a sequence of held notes (1-4 pure or lightly harmonic tones), optionally gliding. */
export function tonalLike(sampleRate, seconds, seed) {
  const rng = random(seed);
  const out = new Float32Array(Math.round(sampleRate * seconds));
  let start = 0;
  while (start < out.length) {
    const length = Math.round((1 + 3 * rng()) * sampleRate);
    const voices = 1 + Math.floor(rng() * 4);
    const harmonics = rng() < 0.5 ? 1 : 3;
    const glide = rng() < 0.25 ? (rng() - 0.5) * 0.2 : 0;
    for (let v = 0; v < voices; v++) {
      const hz = 150 * 2 ** (rng() * 4.5); // 150 Hz - 3.4 kHz
      const amplitude = 0.3 / voices;
      let phase = rng() * 2 * Math.PI;
      for (let i = 0; i < length && start + i < out.length; i++) {
        const t = i / length;
        const f = hz * (1 + glide * t);
        phase += (2 * Math.PI * f) / sampleRate;
        const envelope = Math.min(1, i / (0.05 * sampleRate), (length - i) / (0.05 * sampleRate));
        let value = 0;
        for (let h = 1; h <= harmonics; h++) value += Math.sin(h * phase) / (h * h);
        out[start + i] += amplitude * envelope * value;
      }
    }
    start += length;
  }
  return out;
}

/** Stereo from mono: the right channel a slightly delayed, quieter copy, so a downmix is not trivial. */
export function toStereo(mono, rng) {
  const delay = Math.floor(rng() * 20);
  const gain = 0.7 + 0.3 * rng();
  const out = new Float32Array(mono.length * 2);
  for (let i = 0; i < mono.length; i++) {
    out[2 * i] = mono[i];
    out[2 * i + 1] = gain * (mono[i - delay] ?? 0);
  }
  return out;
}
