import { realpathSync, statSync } from 'node:fs';
import { mkdir, realpath, stat } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { type ByteSource, UsageError } from '@aigc-label/core';
import { detectInput } from './detect.js';
import {
  type AtomicWriteOptions,
  type FileIoOptions,
  openFileSource,
  removeStaleTemporaries,
  temporaryBeside,
  writeAtomically,
} from './file-io.js';
import type { DetectOptions, LabelOptions, VerifyOptions } from './options.js';
import { labelInput, type Sink } from './pipeline.js';
import type { DetectReport, LabelReport, VerifyReport } from './reports.js';
import { verifyInput } from './verify.js';

/** Prefixes an error's message with the file it concerns, once. */
export function inFile<E>(path: string, error: E): E {
  if (error instanceof Error && !error.message.startsWith(`${path}:`)) error.message = `${path}: ${error.message}`;
  return error;
}

async function withSource<T>(path: string, options: FileIoOptions, work: (source: ByteSource) => Promise<T>): Promise<T> {
  const { source, close } = await openFileSource(path, options);
  try {
    return await work(source);
  } catch (error) {
    throw inFile(path, error);
  } finally {
    await close();
  }
}

/**
 * Reads every label carrier in a file, and looks for explicit labels: always in text, the
 * audible labels in audio and video unless `audible: false`, and with `ocr: true` visible
 * labels in images and sampled video frames.
 */
export const detectFile = (path: string, options: DetectOptions & FileIoOptions = {}): Promise<DetectReport> =>
  withSource(path, options, (source) => detectInput({ source, path, file: path }, options));

/** Decides what a platform must show for a file (Measures Art. 6). */
export const verifyFile = (path: string, options: VerifyOptions & FileIoOptions = {}): Promise<VerifyReport> =>
  withSource(path, options, (source) => verifyInput({ source, path, file: path }, options));

/** Where `labelFile` writes, and how. */
export interface OutputOptions {
  /** Exact output path. */
  readonly output?: string | undefined;
  /** Output folder; the file keeps its name. */
  readonly outDir?: string | undefined;
  /**
   * Overwrite the input. The file keeps its mode, owner and group; a symlink's target is
   * labeled and the link stays a link; a file with several hard links is refused (replacing
   * it would leave the other names on the unlabeled content). Without this (or
   * `output`/`outDir`) the output is NAME.labeled.EXT.
   */
  readonly inPlace?: boolean | undefined;
  /** With `inPlace`: keep the file's access and modification times (as ExifTool's -P does). */
  readonly preserveMtime?: boolean | undefined;
  /** fsync the output before renaming it into place (always done for `inPlace`). */
  readonly durable?: boolean | undefined;
}

export interface LabelFileOptions extends LabelOptions, OutputOptions, FileIoOptions {}

/** Where `labelFile` writes: `output`, `outDir/NAME`, the input itself, or NAME.labeled.EXT. */
export function outputPathFor(input: string, options: OutputOptions): string {
  if (options.inPlace) return input;
  if (options.output) return options.output;
  if (options.outDir) return join(options.outDir, basename(input));
  const ext = extname(input);
  return join(dirname(input), `${basename(input, ext)}.labeled${ext}`);
}

/** A sink that writes a file atomically: a temporary file beside it, read back and checked, then renamed into place. */
export function fileSink(output: string, options: AtomicWriteOptions): Sink {
  return {
    output,
    async write(plan, source, check) {
      await removeStaleTemporaries(dirname(resolve(output)));
      await writeAtomically(output, plan, source, check, options);
    },
    async scratch() {
      const folder = temporaryBeside(output, 'work');
      await mkdir(folder, { recursive: true, mode: 0o700 });
      return folder;
    },
  };
}

/** realpath and stat, or null where they fail: synchronous calls under `blockingIo` (see FileIoOptions), a thread-pool round trip each otherwise. */
function pathQueries(options: FileIoOptions) {
  if (!options.blockingIo) {
    return {
      realpath: (path: string) => realpath(path).catch(() => null),
      stat: (path: string) => stat(path).catch(() => null),
    };
  }
  const orNull = <T>(query: () => T): Promise<T | null> => {
    try {
      return Promise.resolve(query());
    } catch {
      return Promise.resolve(null);
    }
  };
  return {
    realpath: (path: string) => orNull(() => realpathSync.native(path)),
    stat: (path: string) => orNull(() => statSync(path)),
  };
}

/** The real path a path would have once written: its folder resolved (symlinks followed), its name kept. */
async function resolvedOutput(output: string, queries: ReturnType<typeof pathQueries>): Promise<string> {
  const folder = await queries.realpath(dirname(resolve(output)));
  return folder ? join(folder, basename(output)) : resolve(output);
}

/**
 * The file sink for labeling `path` under `options`. Without `inPlace`, an output that is the
 * input itself, whatever path names it (a symlinked folder, a hard link), is refused; with it,
 * the real file behind `path` is replaced and keeps its identity.
 */
export async function fileSinkFor(path: string, options: OutputOptions & FileIoOptions): Promise<Sink> {
  const queries = pathQueries(options);
  const input = (await queries.realpath(path)) ?? resolve(path);
  if (options.inPlace) {
    const info = await queries.stat(input);
    if (options.output || options.outDir)
      throw new UsageError(`${path}: --in-place writes back to the input; drop -o/--output or --in-place`);
    if (info && info.nlink > 1) {
      throw new UsageError(
        `${path}: has ${info.nlink} hard links; replacing it in place would leave the other names on the unlabeled file, so it is refused (label a copy with -o)`,
      );
    }
    const keep = info
      ? {
          mode: info.mode,
          uid: info.uid,
          gid: info.gid,
          times: options.preserveMtime ? { atime: info.atime, mtime: info.mtime } : undefined,
        }
      : undefined;
    return fileSink(input, { blockingIo: options.blockingIo, durable: true, keep });
  }
  const output = outputPathFor(path, options);
  const target = await resolvedOutput(output, queries);
  const existing = await queries.stat(target);
  // The input's identity matters only when something is already there (a hard link to the input).
  const info = existing ? await queries.stat(input) : null;
  if (target === input || (info && existing && existing.dev === info.dev && existing.ino === info.ino)) {
    throw new UsageError(`${path}: the output ${output} is the input itself; pass --in-place (inPlace: true) to overwrite it`);
  }
  return fileSink(output, { blockingIo: options.blockingIo, durable: options.durable === true });
}

/**
 * Labels a file: first the explicit label where the format has one (a visible label on
 * images and video, the ·−·· rhythm on audio, a text prompt in text; `explicit: false` skips
 * it, and it is not added again to a file that already carries a label), then the implicit
 * metadata label. The output goes to a temporary file in the target folder, is read back and
 * checked, and only then renamed into place, so a failure leaves no partial output and the
 * input untouched.
 */
export async function labelFile(path: string, options: LabelFileOptions): Promise<LabelReport> {
  return withSource(path, options, async (source) => labelInput({ source, path, file: path }, await fileSinkFor(path, options), options));
}
