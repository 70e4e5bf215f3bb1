import { UsageError } from '@aigc-label/core';
import { Redis } from 'ioredis';

/** The queue's name when none is given. */
export const DEFAULT_QUEUE = 'aigc-label';

/**
 * A Redis connection from a redis:// or rediss:// URL. Workers retry commands for ever across a
 * Redis restart (BullMQ requires maxRetriesPerRequest: null for them); clients that submit or
 * read fail after a few tries instead of hanging.
 */
export function connect(url: string, forWorker: boolean): Redis {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError('--redis takes a URL such as redis://host:6379');
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') throw new UsageError('--redis takes a redis:// or rediss:// URL');
  return new Redis(url, {
    maxRetriesPerRequest: forWorker ? null : 3,
    retryStrategy: (times) => Math.min(times * 200, 2000),
    lazyConnect: false,
  });
}

/** The URL without its password, for logs and messages. */
export const redactedUrl = (url: string): string => {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(an invalid URL)';
  }
};
