import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bytesSource, materialize } from '@aigc-label/core';
import { afterAll, expect } from 'vitest';
import { decodePcm, ffmpegPath, ffprobePath } from '../../src/pcm/ffmpeg.js';
import type { ExplicitLabelResult } from '../../src/pcm/relabel.js';
import { applyRhythmLabel } from '../../src/rhythm/apply.js';

/** A temporary folder removed after the suite. */
export function tempDir(): (name: string) => string {
  const dir = mkdtempSync(join(tmpdir(), 'aigc-audio-explicit-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return (name) => join(dir, name);
}

export function ffmpeg(args: string[]): void {
  execFileSync(ffmpegPath(), ['-y', '-loglevel', 'error', ...args]);
}

export interface ProbedStream {
  codec_name: string;
  sample_rate: string;
  channels: number;
  channel_layout?: string;
  bit_rate?: string;
  bits_per_raw_sample?: string;
  sample_fmt?: string;
  duration?: string;
}

/** ffprobe's view of a file: its format and first audio stream. */
export function ffprobe(path: string): {
  format: { format_name: string; bit_rate?: string; duration: string; tags?: Record<string, string> };
  audio: ProbedStream;
} {
  const json = JSON.parse(
    execFileSync(ffprobePath(), ['-v', 'error', '-show_format', '-show_streams', '-of', 'json', path], { encoding: 'utf8' }),
  );
  return { format: json.format, audio: json.streams.find((s: { codec_type: string }) => s.codec_type === 'audio') };
}

/** Whole interleaved PCM of a file at its own rate and channel count. */
export async function readPcm(path: string, sampleRate: number, channels: number): Promise<Float32Array> {
  const parts: Float32Array[] = [];
  for await (const part of decodePcm({ path }, { sampleRate, channels })) parts.push(part);
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Index of the first sample where two buffers differ (or the shorter length if one is a prefix); −1 when identical. */
export function firstDifference(a: Float32Array, b: Float32Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

type RhythmOptions = Partial<Parameters<typeof applyRhythmLabel>[0]>;

/** Labels `input` with its bytes given, so the label is spliced (it must be); writes the labeled copy beside it. */
export async function splice(input: string, options: RhythmOptions = {}) {
  const bytes = new Uint8Array(readFileSync(input));
  const source = bytesSource(bytes);
  const extension = input.split('.').pop();
  const result: ExplicitLabelResult = await applyRhythmLabel({ input, output: `${input}.unused.${extension}`, source, ...options });
  expect(result.spliced, JSON.stringify(result.findings)).toBeDefined();
  const out = await materialize(result.spliced!, source);
  const path = `${input}.labeled.${extension}`;
  writeFileSync(path, out);
  return { result, bytes, out, path };
}

/** Each file is re-encoded whole instead of spliced, with the one finding `explicit/audio-reencoded` giving the reason. */
export async function expectReencoded(cases: readonly (readonly [string, RhythmOptions, RegExp])[], output: (index: number) => string) {
  for (const [index, [input, options, reason]] of cases.entries()) {
    const result = await applyRhythmLabel({
      input,
      output: output(index),
      source: bytesSource(new Uint8Array(readFileSync(input))),
      ...options,
    });
    expect(result.spliced).toBeUndefined();
    expect(result.findings.map((f) => f.rule)).toEqual(['explicit/audio-reencoded']);
    expect(result.findings[0]!.message).toMatch(reason);
  }
}

/** SNR (dB) and largest error (dBFS) of `b`, shifted by `offset` frames, against `a` over content frames `[from, to)`. */
export function compareSamples(a: Float32Array, b: Float32Array, offset: number, channels: number, from: number, to: number) {
  let signal = 0;
  let error = 0;
  let peak = 0;
  for (let i = from * channels; i < Math.min(to * channels, a.length); i++) {
    const d = (b[offset * channels + i] ?? 0) - a[i]!;
    signal += a[i]! * a[i]!;
    error += d * d;
    peak = Math.max(peak, Math.abs(d));
  }
  return { snrDb: error === 0 ? Infinity : 10 * Math.log10(signal / error), peakErrorDb: peak === 0 ? -Infinity : 20 * Math.log10(peak) };
}
