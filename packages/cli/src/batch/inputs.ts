import { readdir, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import picomatch from 'picomatch';

/** One file to process; `relative` is its path under the folder it was found in (for -o DIR layouts). */
export interface InputFile {
  readonly file: string;
  readonly relative: string;
}

export interface ExpandOptions {
  /** Globs a file under a folder must match (relative to that folder); all files when empty. */
  readonly include?: readonly string[] | undefined;
  readonly exclude?: readonly string[] | undefined;
  /** Lines read for a `-` argument. */
  readonly readStdin?: (() => Promise<string>) | undefined;
}

/**
 * Files, folders (walked recursively, hidden entries and our own temporary files
 * skipped, include/exclude globs applied) and `-` (a list of paths on stdin),
 * in a stable order. Paths that do not exist are passed through so the batch
 * reports them as failures instead of silently dropping them.
 */
export async function* expandInputs(inputs: readonly string[], options: ExpandOptions = {}): AsyncGenerator<InputFile> {
  const include = options.include?.length ? picomatch([...options.include], { dot: false }) : () => true;
  const exclude = options.exclude?.length ? picomatch([...options.exclude], { dot: true }) : () => false;
  for (const input of inputs) {
    if (input === '-') {
      const text = options.readStdin ? await options.readStdin() : '';
      for (const line of text.split(/\r?\n/)) {
        const file = line.trim();
        if (file) yield* expandInputs([file], { ...options, readStdin: undefined });
      }
      continue;
    }
    const info = await stat(input).catch(() => null);
    if (!info?.isDirectory()) {
      yield { file: input, relative: input.replace(/^.*[\\/]/, '') };
      continue;
    }
    for await (const file of walk(input)) {
      const rel = relative(input, file).split('\\').join('/');
      if (include(rel) && !exclude(rel)) yield { file, relative: rel };
    }
  }
}

async function* walk(dir: string): AsyncGenerator<string> {
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else if (entry.isFile()) yield path;
  }
}
