import { readdir, realpath, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import picomatch from 'picomatch';
import { type Shard, shardOf } from './shard.js';

/** One file to process; `relative` is its path under the folder it was found in (for -o DIR layouts). */
export interface InputFile {
  readonly file: string;
  readonly relative: string;
}

/** Something the walk did not process, and why (reported and counted in the summary). */
export interface Skipped {
  readonly file: string;
  readonly reason: string;
}

export interface ExpandOptions {
  /** Globs a file under a folder must match (relative to that folder); all files when empty. */
  readonly include?: readonly string[] | undefined;
  readonly exclude?: readonly string[] | undefined;
  /** Reads standard input, for a `-` argument. */
  readonly readStdin?: (() => Promise<string>) | undefined;
  /** The stdin list is NUL-separated (`find -print0`), so a name may hold any character but NUL. */
  readonly nulSeparated?: boolean | undefined;
  /** Follow symbolic links met in a folder walk (loops are detected); without it they are skipped and reported. */
  readonly followSymlinks?: boolean | undefined;
  /** Real paths of folders never walked into: an output folder inside an input folder. */
  readonly skipFolders?: readonly string[] | undefined;
  readonly onSkip?: ((skipped: Skipped) => void) | undefined;
  /** Only the files of this shard (`--shard I/N`): the filter every batch verb goes through. */
  readonly shard?: Shard | undefined;
}

/** The paths a stdin list names: NUL-separated, or one per line taken exactly as it is, minus its newline. */
export function stdinPaths(text: string, nulSeparated: boolean): string[] {
  const parts = nulSeparated ? text.split('\0') : text.split(/\r?\n/);
  return parts.filter((path) => path !== '');
}

/**
 * Files, folders (walked recursively, hidden entries and our own temporary files skipped,
 * include/exclude globs applied) and `-` (a list of paths on stdin), in a stable order. Paths
 * that do not exist are passed through so the batch reports them as failures instead of
 * silently dropping them.
 */
export async function* expandInputs(inputs: readonly string[], options: ExpandOptions = {}): AsyncGenerator<InputFile> {
  const { shard } = options;
  for await (const input of expandAll(inputs, options)) {
    if (!shard || shardOf(input.relative, shard.count) === shard.index) yield input;
  }
}

async function* expandAll(inputs: readonly string[], options: ExpandOptions): AsyncGenerator<InputFile> {
  const include = options.include?.length ? picomatch([...options.include], { dot: false }) : () => true;
  const exclude = options.exclude?.length ? picomatch([...options.exclude], { dot: true }) : () => false;
  for (const input of inputs) {
    if (input === '-') {
      const text = options.readStdin ? await options.readStdin() : '';
      const listed = stdinPaths(text, options.nulSeparated === true);
      yield* expandAll(listed, { ...options, readStdin: undefined });
      continue;
    }
    const info = await stat(input).catch(() => null);
    if (!info?.isDirectory()) {
      yield { file: input, relative: input.replace(/^.*[\\/]/, '') };
      continue;
    }
    const visited = new Set<string>([await realpath(input)]);
    for await (const file of walk(input, options, visited)) {
      const rel = relative(input, file).split('\\').join('/');
      if (include(rel) && !exclude(rel)) yield { file, relative: rel };
    }
  }
}

async function* walk(dir: string, options: ExpandOptions, visited: Set<string>): AsyncGenerator<string> {
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isSymbolicLink()) {
      if (!options.followSymlinks) {
        options.onSkip?.({ file: path, reason: 'a symbolic link (pass --follow-symlinks to follow links)' });
        continue;
      }
      const target = await stat(path).catch(() => null);
      if (target?.isFile()) yield path;
      else if (target?.isDirectory()) yield* walkFolder(path, options, visited);
      else options.onSkip?.({ file: path, reason: 'a symbolic link to nothing' });
    } else if (entry.isDirectory()) {
      yield* walkFolder(path, options, visited);
    } else if (entry.isFile()) {
      yield path;
    }
  }
}

/** Walks a folder once: a folder met again (a link loop) or one to skip (the output folder) is reported, not walked. */
async function* walkFolder(path: string, options: ExpandOptions, visited: Set<string>): AsyncGenerator<string> {
  const real = await realpath(path).catch(() => null);
  if (real === null) return;
  if (options.skipFolders?.includes(real)) {
    options.onSkip?.({ file: path, reason: 'the output folder, inside an input folder' });
    return;
  }
  if (visited.has(real)) {
    options.onSkip?.({ file: path, reason: 'a folder already walked (a symbolic link loop)' });
    return;
  }
  visited.add(real);
  yield* walk(path, options, visited);
}
