/** Test helpers: generate audio with the npm ffmpeg, decode it to PCM, read tags with ffprobe. */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
export const ffmpegPath: string = require('@ffmpeg-installer/ffmpeg').path;
export const ffprobePath: string = require('@ffprobe-installer/ffprobe').path;

function withTempDir<T>(run: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'aigc-audio-'));
  try {
    return run(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Half a second of a two-tone signal encoded with `args` into a file named `name`. */
export function generateAudio(name: string, args: readonly string[]): Uint8Array {
  return withTempDir((dir) => {
    const out = join(dir, name);
    execFileSync(
      ffmpegPath,
      ['-v', 'error', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=0.5:sample_rate=22050', '-ac', '1', ...args, '-y', out],
      { stdio: 'pipe' },
    );
    return new Uint8Array(readFileSync(out));
  });
}

/** The same tone written by ffmpeg to a pipe, as streaming tools do: WAV with placeholder sizes. */
export function generatePipedWav(): Uint8Array {
  const out = execFileSync(
    ffmpegPath,
    ['-v', 'error', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=0.5:sample_rate=22050', '-ac', '1', '-f', 'wav', '-'],
    { maxBuffer: 16 * 1024 * 1024 },
  );
  return new Uint8Array(out);
}

/** A tiny real PNG (an 8×8 red square), for cover-art frames. */
export function generatePng(): Uint8Array {
  return withTempDir((dir) => {
    const out = join(dir, 'cover.png');
    execFileSync(ffmpegPath, ['-v', 'error', '-f', 'lavfi', '-i', 'color=red:s=8x8', '-frames:v', '1', '-y', out], { stdio: 'pipe' });
    return new Uint8Array(readFileSync(out));
  });
}

/** Decodes to signed 16-bit PCM; fails the test when ffmpeg reports any error. */
export function decodePcm(bytes: Uint8Array, name: string): Uint8Array {
  return withTempDir((dir) => {
    const input = join(dir, name);
    writeFileSync(input, bytes);
    const result = spawnSync(ffmpegPath, ['-v', 'error', '-i', input, '-f', 's16le', '-'], { maxBuffer: 64 * 1024 * 1024 });
    const errors = result.stderr.toString().trim();
    if (result.status !== 0 || errors !== '') throw new Error(`ffmpeg could not decode ${name}: ${errors}`);
    return new Uint8Array(result.stdout);
  });
}

/** Format and stream tags as ffprobe sees them, keys as stored. */
export function probeTags(bytes: Uint8Array, name: string): Record<string, string> {
  return withTempDir((dir) => {
    const input = join(dir, name);
    writeFileSync(input, bytes);
    const out = execFileSync(ffprobePath, ['-v', 'error', '-show_entries', 'format_tags:stream_tags', '-of', 'json', input]);
    const json = JSON.parse(out.toString()) as {
      format?: { tags?: Record<string, string> };
      streams?: { tags?: Record<string, string> }[];
    };
    return { ...(json.streams?.[0]?.tags ?? {}), ...(json.format?.tags ?? {}) };
  });
}

/** The tag value whose key is `key`, compared case-insensitively (ffprobe upper- or lower-cases some). */
export const tagValue = (tags: Record<string, string>, key: string): string | undefined =>
  Object.entries(tags).find(([k]) => k.toLowerCase() === key.toLowerCase())?.[1];
