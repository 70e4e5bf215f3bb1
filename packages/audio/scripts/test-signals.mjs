/**
 * Seeded synthetic programme material for the explicit-label tests and the rhythm benchmark:
 * speech-like (glottal pulses through moving formants, syllables, fricatives, pauses),
 * music-like (harmonic-rich notes, chords, bass, drum hits) and noise-like (pink and white
 * noise with slow swells) signals, plus a 16-bit WAV writer. Plain ESM so the bench (which
 * runs on the built packages) and the vitest suites share it.
 */
import { writeFileSync } from 'node:fs';

/** Small fast seeded PRNG (mulberry32). */
export function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const between = (rng, lo, hi) => lo + (hi - lo) * rng();

function normalise(samples, peak) {
  let max = 0;
  for (const v of samples) max = Math.max(max, Math.abs(v));
  if (max > 0) for (let i = 0; i < samples.length; i++) samples[i] *= peak / max;
  return samples;
}

/** Two-pole resonator (formant filter) state machine. */
function resonator(sampleRate) {
  let y1 = 0;
  let y2 = 0;
  return (x, hz, bandwidth) => {
    const r = Math.exp((-Math.PI * bandwidth) / sampleRate);
    const y = (1 - r) * x + 2 * r * Math.cos((2 * Math.PI * hz) / sampleRate) * y1 - r * r * y2;
    y2 = y1;
    y1 = y;
    return y;
  };
}

const VOWELS = [
  [730, 1090, 2440],
  [270, 2290, 3010],
  [300, 870, 2240],
  [530, 1840, 2480],
  [570, 840, 2410],
  [660, 1720, 2410],
  [440, 1020, 2240],
];

/** Speech-like mono signal: voiced syllables with gliding pitch and formants, fricatives, pauses. */
export function speechLike(sampleRate, seconds, seed) {
  const rng = random(seed);
  const out = new Float32Array(Math.round(sampleRate * seconds));
  const f = [resonator(sampleRate), resonator(sampleRate), resonator(sampleRate)];
  let n = Math.round(between(rng, 0, 0.2) * sampleRate);
  let pitch = between(rng, 95, 230);
  let phase = 0;
  while (n < out.length) {
    const syllables = 2 + Math.floor(rng() * 6);
    for (let s = 0; s < syllables && n < out.length; s++) {
      const length = Math.round(between(rng, 0.12, 0.3) * sampleRate);
      const from = VOWELS[Math.floor(rng() * VOWELS.length)];
      const to = VOWELS[Math.floor(rng() * VOWELS.length)];
      const glide = between(rng, -0.4, 0.4);
      if (rng() < 0.35) {
        // fricative onset: high-passed noise
        const fricative = Math.round(between(rng, 0.04, 0.1) * sampleRate);
        let previous = 0;
        for (let i = 0; i < fricative && n < out.length; i++, n++) {
          const white = rng() * 2 - 1;
          out[n] = 0.25 * (white - previous) * Math.sin((Math.PI * i) / fricative);
          previous = white;
        }
      }
      for (let i = 0; i < length && n < out.length; i++, n++) {
        const t = i / length;
        const hz = pitch * (1 + glide * t) * (1 + 0.01 * Math.sin(2 * Math.PI * 5 * (n / sampleRate)));
        phase += hz / sampleRate;
        let source = 0;
        if (phase >= 1) {
          phase -= 1;
          source = 1;
        }
        source += 0.02 * (rng() * 2 - 1); // breath
        let y = 0;
        for (let k = 0; k < 3; k++) y += f[k](source, from[k] + (to[k] - from[k]) * t, 60 + 40 * k) / (k + 1);
        out[n] = y * Math.sin(Math.PI * t) ** 0.5;
      }
      pitch = Math.min(260, Math.max(85, pitch * between(rng, 0.85, 1.15)));
      n += Math.round(between(rng, 0.01, 0.06) * sampleRate);
    }
    n += Math.round(between(rng, 0.15, 0.6) * sampleRate);
  }
  return normalise(out, 0.5);
}

/** Music-like mono signal: chords and a melody of harmonic-rich notes, a bass line and drum hits. */
export function musicLike(sampleRate, seconds, seed) {
  const rng = random(seed);
  const out = new Float32Array(Math.round(sampleRate * seconds));
  const tempo = between(rng, 0.18, 0.4); // seconds per beat
  const root = 45 + Math.floor(rng() * 12); // MIDI
  const scale = [0, 2, 4, 5, 7, 9, 11, 12, 14, 16];
  const hz = (midi) => 440 * 2 ** ((midi - 69) / 12);
  const note = (start, length, frequency, amplitude, harmonics) => {
    const begin = Math.round(start * sampleRate);
    const count = Math.round(length * sampleRate);
    const vibrato = rng() < 0.3 ? between(rng, 0.002, 0.006) : 0;
    for (let i = 0; i < count && begin + i < out.length; i++) {
      const t = i / sampleRate;
      const envelope = Math.min(1, t / 0.01) * Math.exp(-t / (length * 0.8)) * Math.min(1, (count - i) / (0.02 * sampleRate));
      let v = 0;
      const f = frequency * (1 + vibrato * Math.sin(2 * Math.PI * 5.5 * t));
      for (let h = 1; h <= harmonics; h++) v += Math.sin(2 * Math.PI * f * h * t) / h;
      out[begin + i] += amplitude * envelope * v;
    }
  };
  for (let beat = 0; beat * tempo < seconds; beat++) {
    const time = beat * tempo;
    if (beat % 4 === 0) {
      const degree = Math.floor(rng() * 5);
      for (const step of [0, 2, 4]) note(time, tempo * 4, hz(root + 12 + scale[degree + step]), 0.12, 6);
      note(time, tempo * 2, hz(root - 12 + scale[degree]), 0.25, 8);
    }
    if (rng() < 0.8) {
      const steps = rng() < 0.3 ? 2 : 1;
      for (let s = 0; s < steps; s++) {
        note(
          time + (s * tempo) / steps,
          tempo / steps,
          hz(root + 24 + scale[Math.floor(rng() * scale.length)]),
          0.2,
          4 + Math.floor(rng() * 5),
        );
      }
    }
    if (beat % 2 === 0 || rng() < 0.3) {
      const begin = Math.round(time * sampleRate);
      const decay = between(rng, 0.03, 0.12);
      for (let i = 0; i < 0.2 * sampleRate && begin + i < out.length; i++)
        out[begin + i] += 0.3 * (rng() * 2 - 1) * Math.exp(-i / sampleRate / decay);
    }
  }
  return normalise(out, 0.6);
}

/** Noise-like mono signal: pink or white noise with slow swells. */
export function noiseLike(sampleRate, seconds, seed) {
  const rng = random(seed);
  const out = new Float32Array(Math.round(sampleRate * seconds));
  const pink = rng() < 0.6;
  const swell = between(rng, 0.1, 0.6);
  let b0 = 0;
  let b1 = 0;
  let b2 = 0;
  for (let i = 0; i < out.length; i++) {
    const white = rng() * 2 - 1;
    let v = white;
    if (pink) {
      // Paul Kellet's economy pink filter
      b0 = 0.99765 * b0 + white * 0.099046;
      b1 = 0.963 * b1 + white * 0.2965164;
      b2 = 0.57 * b2 + white * 1.0526913;
      v = b0 + b1 + b2 + white * 0.1848;
    }
    out[i] = v * (1 + 0.5 * Math.sin(2 * Math.PI * swell * (i / sampleRate)));
  }
  return normalise(out, 0.5);
}

export const CONTENT_KINDS = { speech: speechLike, music: musicLike, noise: noiseLike };

/** Writes interleaved float samples as a 16-bit PCM WAV file. */
export function writeWav(path, samples, sampleRate, channels = 1) {
  const data = new Uint8Array(44 + samples.length * 2);
  const view = new DataView(data.buffer);
  const ascii = (offset, text) => {
    for (let i = 0; i < text.length; i++) data[offset + i] = text.charCodeAt(i);
  };
  ascii(0, 'RIFF');
  view.setUint32(4, 36 + samples.length * 2, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true);
  view.setUint16(22, channels, true);
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * channels * 2, true);
  view.setUint16(32, channels * 2, true);
  view.setUint16(34, 16, true);
  ascii(36, 'data');
  view.setUint32(40, samples.length * 2, true);
  for (let i = 0; i < samples.length; i++) view.setInt16(44 + i * 2, Math.round(Math.max(-1, Math.min(1, samples[i])) * 32767), true);
  writeFileSync(path, data);
}

/** Copies a mono signal to `channels` interleaved channels. */
export function toChannels(mono, channels) {
  if (channels === 1) return mono;
  const out = new Float32Array(mono.length * channels);
  for (let i = 0; i < mono.length; i++) for (let c = 0; c < channels; c++) out[i * channels + c] = mono[i];
  return out;
}
