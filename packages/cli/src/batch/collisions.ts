import { realpathSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

/** A file the batch refuses before anything is written, and why. */
export interface Refusal {
  readonly index: number;
  readonly reason: string;
}

// Synchronous calls: the batch does nothing else until this check is done, and a thread-pool
// round trip per call cost more than the calls themselves (three per file).
const realpathOr = (path: string, otherwise: string): string => {
  try {
    return realpathSync.native(path);
  } catch {
    return otherwise;
  }
};

/** The real path a path has, or would have once written: its folder resolved (symlinks followed), its name kept. */
function resolved(path: string, folders: Map<string, string>): string {
  const folder = dirname(resolve(path));
  let real = folders.get(folder);
  if (real === undefined) {
    real = realpathOr(folder, folder);
    folders.set(folder, real);
  }
  return join(real, basename(path));
}

const identity = (path: string): string | null => {
  try {
    const info = statSync(path);
    return `${info.dev}:${info.ino}`;
  } catch {
    return null;
  }
};

/**
 * The writes of a batch that must not happen, found before any of them does: two inputs that
 * would write the same output (neither is written; a silent overwrite would lose one), and an
 * output that is one of the inputs, whatever path names it (a symlinked folder, a hard link).
 * `outputs[i]` is null for a job that writes back to its own input (--in-place).
 */
export async function findCollisions(inputs: readonly string[], outputs: readonly (string | null)[]): Promise<Refusal[]> {
  const folders = new Map<string, string>();
  const inputPaths = new Map<string, number>();
  const inputIds = new Map<string, number>();
  for (const [index, input] of inputs.entries()) {
    inputPaths.set(realpathOr(input, resolve(input)), index);
    const id = identity(input);
    if (id) inputIds.set(id, index);
  }
  const byOutput = new Map<string, number[]>();
  const refusals: Refusal[] = [];
  for (const [index, output] of outputs.entries()) {
    if (output === null) continue;
    const target = resolved(output, folders);
    const input = inputPaths.get(target) ?? inputIds.get(identity(target) ?? '');
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
