import { createHash } from 'node:crypto';
import { UsageError } from '@aigc-label/core';

/** Shard `index` of `count` (0 ≤ index < count): one of the parallel runs a batch is split into. */
export interface Shard {
  readonly index: number;
  readonly count: number;
}

/** Up to this many shards: a Kubernetes Indexed Job allows completions up to 100,000. */
const MAX_SHARDS = 100_000;

const integer = (text: string, what: string): number => {
  if (!/^\d{1,6}$/.test(text)) throw new UsageError(`${what} must be a whole number, not "${text}"`);
  return Number(text);
};

function checked(index: number, count: number): Shard {
  if (count < 1 || count > MAX_SHARDS) throw new UsageError(`the shard count must be from 1 to ${MAX_SHARDS}, not ${count}`);
  if (index >= count) throw new UsageError(`shard index ${index} is not below the shard count ${count} (indexes start at 0)`);
  return { index, count };
}

/** `--shard I/N`. */
export function parseShard(text: string): Shard {
  const match = /^([^/]*)\/([^/]*)$/.exec(text);
  if (!match) throw new UsageError(`--shard takes INDEX/COUNT, e.g. 0/4, not "${text}"`);
  return checked(integer(match[1] ?? '', 'the shard index'), integer(match[2] ?? '', 'the shard count'));
}

/**
 * The shard a run processes: `--shard I/N`, or with only a count (`--shard-count N` or
 * AIGC_SHARD_COUNT), the index a Kubernetes Indexed Job gives each pod in JOB_COMPLETION_INDEX.
 */
export function shardFrom(shard: string | undefined, count: string | undefined, env: NodeJS.ProcessEnv): Shard | undefined {
  if (shard !== undefined) {
    if (count !== undefined) throw new UsageError('give --shard I/N or --shard-count N, not both');
    return parseShard(shard);
  }
  if (count === undefined) return undefined;
  const index = env.JOB_COMPLETION_INDEX;
  if (index === undefined)
    throw new UsageError('--shard-count needs JOB_COMPLETION_INDEX (set by a Kubernetes Indexed Job), or give --shard I/N');
  return checked(integer(index, 'JOB_COMPLETION_INDEX'), integer(count, 'the shard count'));
}

/**
 * The shard a file belongs to: a stable hash (SHA-256) of its path relative to the folder it
 * was found in, so every run and every retry of a shard picks the same files whatever order the
 * walk meets them in, and the files spread evenly. Files that would write the same `-o` output
 * have the same relative path, so they meet in one shard, where the collision check sees them.
 */
export function shardOf(relativePath: string, count: number): number {
  const digest = createHash('sha256').update(relativePath).digest();
  // 48 bits: exact in a double, and the modulo bias is below 2^-30 for any allowed count.
  return digest.readUIntBE(0, 6) % count;
}
