import { realpath, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';

/** A file the batch refuses before anything is written, and why. */
export interface Refusal {
  readonly index: number;
  readonly reason: string;
}

/** The real path a path has, or would have once written: its folder resolved (symlinks followed), its name kept. */
async function resolved(path: string, folders: Map<string, Promise<string>>): Promise<string> {
  const folder = dirname(resolve(path));
  let real = folders.get(folder);
  if (!real) {
    real = realpath(folder).catch(() => folder);
    folders.set(folder, real);
  }
  return join(await real, basename(path));
}

const identity = async (path: string): Promise<string | null> => {
  const info = await stat(path).catch(() => null);
  return info ? `${info.dev}:${info.ino}` : null;
};

/**
 * The writes of a batch that must not happen, found before any of them does: two inputs that
 * would write the same output (neither is written; a silent overwrite would lose one), and an
 * output that is one of the inputs, whatever path names it (a symlinked folder, a hard link).
 * `outputs[i]` is null for a job that writes back to its own input (--in-place).
 */
export async function findCollisions(inputs: readonly string[], outputs: readonly (string | null)[]): Promise<Refusal[]> {
  const folders = new Map<string, Promise<string>>();
  const inputPaths = new Map<string, number>();
  const inputIds = new Map<string, number>();
  for (const [index, input] of inputs.entries()) {
    inputPaths.set(await realpath(input).catch(() => resolve(input)), index);
    const id = await identity(input);
    if (id) inputIds.set(id, index);
  }
  const byOutput = new Map<string, number[]>();
  const refusals: Refusal[] = [];
  for (const [index, output] of outputs.entries()) {
    if (output === null) continue;
    const target = await resolved(output, folders);
    const input = inputPaths.get(target) ?? inputIds.get((await identity(target)) ?? '');
    if (input !== undefined) {
      refusals.push({ index, reason: `its output ${output} is the input ${inputs[input]}; pass --in-place to replace inputs` });
      continue;
    }
    byOutput.set(target, [...(byOutput.get(target) ?? []), index]);
  }
  for (const [, indexes] of byOutput) {
    if (indexes.length < 2) continue;
    const names = indexes.map((i) => inputs[i]).join(', ');
    for (const index of indexes) {
      refusals.push({
        index,
        reason: `${names} would all be written to ${outputs[index]}; nothing was written for them (give them distinct names or output folders)`,
      });
    }
  }
  return refusals;
}
