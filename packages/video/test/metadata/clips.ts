/**
 * Tiny clips made with the npm ffmpeg, and the third-party checks the metadata
 * tests run on labeled output: ffprobe's format tags, a decode with `-v error`,
 * and the decoded frames' MD5s (framemd5), which must not change.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, chmodSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

const require = createRequire(import.meta.url);
export const ffmpegPath: string = require('@ffmpeg-installer/ffmpeg').path;
export const ffprobePath: string = require('@ffprobe-installer/ffprobe').path;

// Both binaries come from npm, so the checks always run; ffprobe's tarball lacks the exec bit
// when its postinstall did not run.
for (const binary of [ffmpegPath, ffprobePath]) {
  try {
    accessSync(binary, constants.X_OK);
  } catch {
    chmodSync(binary, 0o755);
  }
}

let directory: string | null = null;
function workDirectory(): string {
  directory ??= mkdtempSync(join(tmpdir(), 'aigc-video-metadata-'));
  return directory;
}
afterAll(() => {
  if (directory) rmSync(directory, { recursive: true, force: true });
  directory = null;
});

const video = [
  '-f',
  'lavfi',
  '-i',
  'testsrc=size=64x48:rate=10',
  '-f',
  'lavfi',
  '-i',
  'sine=frequency=440:sample_rate=8000',
  '-t',
  '2',
  '-g',
  '5',
];
const tags = ['-metadata', 'title=Hello', '-metadata', 'comment=World'];

/** ffmpeg arguments (between the inputs and the output name) for each clip kind. */
export const clipKinds = {
  'faststart.mp4': [...video, '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-c:a', 'aac', ...tags, '-movflags', '+faststart'],
  'moov-at-end.mp4': [...video, '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-c:a', 'aac', ...tags],
  // Without default_base_moof ffmpeg writes tfhd base_data_offset as absolute file offsets.
  'fragmented.mp4': [...video, '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-c:a', 'aac', ...tags, '-movflags', 'frag_keyframe+empty_moov'],
  'clip.mov': [...video, '-c:v', 'mpeg4', '-c:a', 'pcm_s16le', ...tags],
  'clip.mkv': [...video, '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-c:a', 'aac', ...tags],
  'clip.webm': [...video, '-c:v', 'libvpx', '-c:a', 'libopus', ...tags],
  'clip.avi': [...video, '-c:v', 'mpeg4', '-c:a', 'pcm_s16le', ...tags],
  'clip.flv': [...video, '-c:v', 'flv1', '-c:a', 'libmp3lame', '-ar', '22050', ...tags, '-flvflags', 'add_keyframe_index'],
  'clip.m4a': ['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=8000', '-t', '1', '-c:a', 'aac', ...tags],
} as const;
export type ClipKind = keyof typeof clipKinds;

const cache = new Map<string, Uint8Array>();

/** Makes (once per run) a clip of the given kind; extra arguments make a variant. */
export function makeClip(kind: ClipKind, extra: readonly string[] = []): Uint8Array {
  const key = `${kind} ${extra.join(' ')}`;
  const cached = cache.get(key);
  if (cached) return cached;
  const output = join(workDirectory(), `${cache.size}-${kind}`);
  execFileSync(ffmpegPath, ['-v', 'error', '-y', ...clipKinds[kind], ...extra, output], { stdio: ['ignore', 'ignore', 'pipe'] });
  const bytes = new Uint8Array(readFileSync(output));
  cache.set(key, bytes);
  return bytes;
}

/** Writes bytes to a temporary file with the given extension and returns its path. */
export function temporaryFile(bytes: Uint8Array, extension: string): string {
  const path = join(workDirectory(), `${Math.random().toString(36).slice(2)}.${extension}`);
  writeFileSync(path, bytes);
  return path;
}

/** Format-level tags as ffprobe reports them. */
export function probeTags(bytes: Uint8Array, extension: string): Record<string, string> {
  const out = execFileSync(ffprobePath, ['-v', 'error', '-show_entries', 'format_tags', '-of', 'json', temporaryFile(bytes, extension)], {
    encoding: 'utf8',
  });
  return (JSON.parse(out) as { format?: { tags?: Record<string, string> } }).format?.tags ?? {};
}

/** What `ffmpeg -v error` prints while decoding every stream: empty for a clean file. */
export function decodeErrors(bytes: Uint8Array, extension: string): string {
  const path = temporaryFile(bytes, extension);
  const run = spawnSync(ffmpegPath, ['-v', 'error', '-i', path, '-map', '0', '-f', 'null', '-'], { encoding: 'utf8' });
  return `${run.status === 0 ? '' : `exit ${run.status}\n`}${run.stderr}`;
}

/** MD5 of every decoded frame of every stream, one line each. */
export function frameMd5(bytes: Uint8Array, extension: string): string[] {
  const path = temporaryFile(bytes, extension);
  const out = execFileSync(ffmpegPath, ['-v', 'error', '-i', path, '-map', '0', '-f', 'framemd5', '-'], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  return out.split('\n').filter((line) => line && !line.startsWith('#'));
}

/** Format-level tags as Debian's ffprobe (a test oracle, /usr/bin/ffprobe via `withTool('ffprobe')`) reports them. */
export function debianProbeTags(bytes: Uint8Array, extension: string): Record<string, string> {
  const out = execFileSync(
    '/usr/bin/ffprobe',
    ['-v', 'error', '-show_entries', 'format_tags', '-of', 'json', temporaryFile(bytes, extension)],
    {
      encoding: 'utf8',
    },
  );
  return (JSON.parse(out) as { format?: { tags?: Record<string, string> } }).format?.tags ?? {};
}

/**
 * The tags ExifTool (a test oracle, via `withTool('exiftool')`) reads from the file's content, as
 * `Group:Name` (`-a -G1 -j`; a repeated tag keeps its last value), without the file-system groups.
 */
export function exiftoolTags(bytes: Uint8Array, extension: string): Record<string, unknown> {
  const out = execFileSync('/usr/bin/exiftool', ['-a', '-G1', '-j', temporaryFile(bytes, extension)], { encoding: 'utf8' });
  const [tags = {}] = JSON.parse(out) as Record<string, unknown>[];
  return Object.fromEntries(Object.entries(tags).filter(([name]) => !/^(SourceFile|System:|ExifTool:|File:FileSize)/.test(name)));
}
