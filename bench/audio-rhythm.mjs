/**
 * Rhythm-label (短长短短, GB 45438 §5.3 c)) detection benchmark on the built @aigc-label/audio.
 *
 * Robustness: labelled clips (speech-, music- and noise-like content, a few seconds each; our
 * default timing, 800 Hz with 120/360 ms elements, 1046.5 Hz with a 120 ms unit, and random
 * tones/units; inserted or mixed at the start, end or middle) and as many unlabelled clips go
 * through each degradation, then detection: recall (target ≥ 99%) and false positives (target 0).
 * Speed: detection on 1 hour of 44.1 kHz stereo (target ≥ 100x real time), peak RSS for 6 and
 * 60 minutes measured in child processes (must not grow with length).
 *
 * Environment: AUDIO_BENCH_CLIPS (clips per content kind, default 35 → 105 labelled + 105
 * unlabelled), AUDIO_BENCH_HOURS (length of the speed file, default 1).
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { applyRhythmLabel, decodePcm, detectAudibleLabels, ffmpegPath } from '../packages/audio/dist/index.js';
import { CONTENT_KINDS, random, writeWav } from '../packages/audio/scripts/test-signals.mjs';
import { bytesSource } from '../packages/core/dist/index.js';

const run = promisify(execFile);
const perKind = Number(process.env.AUDIO_BENCH_CLIPS ?? 35);
const hours = Number(process.env.AUDIO_BENCH_HOURS ?? 1);
const RATE = 44_100;
const work = mkdtempSync(join(tmpdir(), 'aigc-audio-bench-'));
const ffmpeg = (args) => run(ffmpegPath(), ['-y', '-loglevel', 'error', ...args], { maxBuffer: 1 << 20 });

/** Stereo content: the right channel is a slightly delayed, quieter copy, so a downmix is not trivial. */
function stereo(mono, rng) {
  const delay = Math.floor(rng() * 20);
  const gain = 0.7 + 0.3 * rng();
  const out = new Float32Array(mono.length * 2);
  for (let i = 0; i < mono.length; i++) {
    out[2 * i] = mono[i];
    out[2 * i + 1] = gain * (mono[i - delay] ?? 0);
  }
  return out;
}

const PROFILES = [
  { name: 'ours (1 kHz, 120 ms)', options: () => ({}) },
  { name: '800 Hz 120/360 ms', options: () => ({ frequencyHz: 800, unitMs: 120, dashUnits: 3 }) },
  { name: '1046.5 Hz 120 ms', options: () => ({ frequencyHz: 1046.5, unitMs: 120 }) },
  {
    name: 'random tone/unit',
    options: (rng) => ({ frequencyHz: 350 + rng() * 2800, unitMs: 70 + rng() * 100, letterGapUnits: rng() < 0.5 ? 1 : 3 }),
  },
];

async function addNoise(input, output) {
  const parts = [];
  for await (const part of decodePcm({ path: input }, { sampleRate: RATE, channels: 2 })) parts.push(part);
  const samples = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    samples.set(part, offset);
    offset += part.length;
  }
  let energy = 0;
  for (const v of samples) energy += v * v;
  const noiseRms = Math.sqrt(energy / samples.length) / Math.sqrt(10); // 10 dB SNR
  const rng = random(samples.length);
  // Gaussian white noise (Box-Muller)
  for (let i = 0; i < samples.length; i++) {
    samples[i] += noiseRms * Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
  }
  writeWav(output, samples, RATE, 2);
}

/** Each degradation writes `${out}.${ext}` from the labelled or unlabelled clip (`ffmpeg` arguments, or JS for the noise). */
const CONDITIONS = [
  { name: 'original WAV' },
  { name: 'MP3 64 kbit/s', ext: 'mp3', args: ['-c:a', 'libmp3lame', '-b:a', '64k'] },
  { name: 'AAC 96 kbit/s', ext: 'm4a', args: ['-c:a', 'aac', '-b:a', '96k'] },
  { name: 'resampled 16 kHz', ext: 'wav', args: ['-ar', '16000'] },
  { name: 'mono downmix', ext: 'wav', args: ['-ac', '1'] },
  { name: 'noise 10 dB SNR', ext: 'wav', noise: true },
  { name: 'level -20 dB', ext: 'wav', args: ['-af', 'volume=-20dB'] },
];

async function degrade(condition, input, out) {
  if (!condition.ext) return input;
  const path = `${out}.${condition.ext}`;
  if (condition.noise) await addNoise(input, path);
  else await ffmpeg(['-i', input, ...condition.args, path]);
  return path;
}

async function makeClip(index, kind, labelled) {
  const rng = random(1000 + index * 31 + (labelled ? 7 : 0));
  const mono = CONTENT_KINDS[kind](RATE, 3 + 2 * rng(), 5000 + index * 13 + (labelled ? 1 : 0));
  const plain = join(work, `${kind}-${index}-${labelled ? 'l' : 'u'}-src.wav`);
  writeWav(plain, stereo(mono, rng), RATE, 2);
  if (!labelled) return { path: plain, labelled, kind };
  const profile = PROFILES[index % PROFILES.length];
  const mode = rng() < 0.3 ? 'mix' : 'insert';
  const position = ['start', 'end', 'middle'][Math.floor(rng() * 3)];
  const path = join(work, `${kind}-${index}-l.wav`);
  const result = await applyRhythmLabel({
    input: plain,
    output: path,
    positions: [position],
    mode,
    level: { db: -6 + 9 * rng() },
    ...profile.options(rng),
  });
  rmSync(plain);
  return { path, labelled, kind, profile: profile.name, mode, position, expected: result.labelStartsSeconds[0] };
}

async function pool(items, width, task) {
  const results = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await task(items[i], i);
      }
    }),
  );
  return results;
}

const started = Date.now();
const jobs = [];
for (const kind of Object.keys(CONTENT_KINDS)) {
  for (let i = 0; i < perKind; i++) jobs.push({ kind, i, labelled: true }, { kind, i, labelled: false });
}
const clips = await pool(jobs, 2, ({ kind, i, labelled }) => makeClip(i, kind, labelled));
console.log(`generated ${clips.length} clips in ${((Date.now() - started) / 1000).toFixed(1)} s (${work})`);

const rows = [];
const misses = [];
for (const condition of CONDITIONS) {
  const t0 = Date.now();
  const outcomes = await pool(clips, 2, async (clip, i) => {
    const degraded = await degrade(condition, clip.path, join(work, `c-${i}`));
    // One decode for both audible forms, as verify runs them (in this process from the file's bytes
    // where the codec allows, ffmpeg for AAC): no clip carries a voice prompt.
    const bytes = new Uint8Array(readFileSync(degraded));
    const { rhythm: detection, voice } = await detectAudibleLabels({ source: bytesSource(bytes), path: degraded });
    if (degraded !== clip.path) rmSync(degraded);
    return { clip, detection, voice };
  });
  const labelled = outcomes.filter((o) => o.clip.labelled);
  const unlabelled = outcomes.filter((o) => !o.clip.labelled);
  // A hit: an occurrence starting where the label's first tone is (after its insert padding).
  const hit = (o) => o.detection.occurrences.some((occ) => Math.abs(occ.startSeconds - o.clip.expected) < 0.6);
  const found = labelled.filter(hit).length;
  for (const o of labelled.filter((x) => !hit(x)))
    misses.push({ condition: condition.name, ...o.clip, occurrences: o.detection.occurrences });
  const falsePositives = unlabelled.filter((o) => o.detection.occurrences.length > 0).length;
  const extra = labelled.reduce((n, o) => n + Math.max(0, o.detection.occurrences.length - 1), 0);
  rows.push({
    condition: condition.name,
    recall: `${found}/${labelled.length} (${((100 * found) / labelled.length).toFixed(1)}%)`,
    'false positives': `${falsePositives}/${unlabelled.length}`,
    'extra hits in labelled': extra,
    'voice prompt false positives': `${outcomes.filter((o) => o.voice.occurrences.length > 0).length}/${outcomes.length}`,
    seconds: ((Date.now() - t0) / 1000).toFixed(1),
  });
}
console.log('\nRhythm detection robustness (targets: recall ≥ 99%, false positives 0)');
console.table(rows);
if (misses.length > 0) {
  console.log('missed:');
  for (const m of misses.slice(0, 20)) console.log(' ', m.condition, m.kind, m.profile, m.mode, m.position, JSON.stringify(m.occurrences));
}

// Speed and memory on long audio, each length and path in its own process so peak RSS is its own:
// decoded in this process (the file read in blocks), and by ffmpeg in a second process.
const speedRows = [];
const child = (path, inProcess) =>
  JSON.parse(
    execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { openSync, readSync, fstatSync } from 'node:fs';
         import { detectRhythm } from ${JSON.stringify(new URL('../packages/audio/dist/index.js', import.meta.url).href)};
         const fd = openSync(${JSON.stringify(path)}, 'r');
         const source = { size: fstatSync(fd).size, read: async (offset, length) => {
           const bytes = new Uint8Array(Math.max(0, Math.min(length, fstatSync(fd).size - offset)));
           readSync(fd, bytes, 0, bytes.length, offset);
           return bytes;
         } };
         const t = performance.now();
         const r = await detectRhythm(${inProcess} ? { source } : { path: ${JSON.stringify(path)} });
         const usage = process.resourceUsage();
         console.log(JSON.stringify({ seconds: (performance.now() - t) / 1000, cpu: (usage.userCPUTime + usage.systemCPUTime) / 1e6, audio: r.durationSeconds, found: r.occurrences.length, maxRssMb: usage.maxRSS / 1024 }));`,
      ],
      { encoding: 'utf8' },
    )
      .trim()
      .split('\n')
      .at(-1),
  );
for (const minutes of [6, Math.round(60 * hours)]) {
  const path = join(work, `long-${minutes}.wav`);
  const t0 = Date.now();
  await ffmpeg(['-f', 'lavfi', '-i', `anoisesrc=d=${minutes * 60}:c=pink:r=${RATE}:a=0.05`, '-ac', '2', '-c:a', 'pcm_s16le', path]);
  const generation = (Date.now() - t0) / 1000;
  for (const inProcess of [true, false]) {
    const figures = child(path, inProcess);
    speedRows.push({
      audio: `${minutes} min 44.1 kHz stereo WAV`,
      decoded: inProcess ? 'in this process' : 'by ffmpeg',
      'detect s': figures.seconds.toFixed(1),
      'x real time': (figures.audio / figures.seconds).toFixed(0),
      'node CPU s': figures.cpu.toFixed(1),
      'peak RSS MB': figures.maxRssMb.toFixed(0),
      occurrences: figures.found,
      'file generation s': generation.toFixed(1),
    });
  }
  rmSync(path);
}
console.log(
  '\nRhythm detection speed (target ≥ 100x real time, wall clock; peak RSS flat across lengths; the ffmpeg rows decode in a second process)',
);
console.table(speedRows);
rmSync(work, { recursive: true, force: true });
