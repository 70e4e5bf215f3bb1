/**
 * The operations-log file (Measures Art. 9): one hash-chained JSON line per labelled or
 * propagated file, appended safely by any number of threads and processes on one host.
 *
 * A chain needs each new line to know the line before it, so appends are serialised by a
 * lock file (`<log>.lock`, created with O_EXCL; Node has no flock): under the lock the writer
 * reads the last line, appends its lines with one O_APPEND write, fsyncs, and removes the
 * lock. Records that arrive while a write is under way are written together in the next one,
 * so a busy batch pays one lock and one fsync per group, not per file. A lock left by a
 * process that died is broken when its pid is gone (same host only); the log must not live
 * on a file system shared between hosts.
 */
import { randomBytes } from 'node:crypto';
import { constants, createReadStream } from 'node:fs';
import { type FileHandle, link, open, readFile, rename, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { threadId } from 'node:worker_threads';
import { formatLogLine, LOG_GENESIS, type LogChainResult, type OperationRecord, verifyLogChain } from '@aigc-label/security';
import { FileError } from './file-io.js';

export interface OperationsLogOptions {
  /** Give up waiting for the lock after this long (default 30 s). */
  readonly lockTimeoutMs?: number | undefined;
}

interface Pending {
  readonly record: OperationRecord;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/** Longest last line read back to find the chain's previous hash. */
const MAXIMUM_LINE_BYTES = 16 * 1024 * 1024;
const TAIL_CHUNK_BYTES = 64 * 1024;

export class OperationsLog {
  readonly lockPath: string;
  readonly #lockTimeoutMs: number;
  #queue: Pending[] = [];
  #writing: Promise<void> | null = null;

  constructor(
    readonly path: string,
    options: OperationsLogOptions = {},
  ) {
    this.lockPath = `${path}.lock`;
    this.#lockTimeoutMs = options.lockTimeoutMs ?? 30_000;
  }

  /** Appends one line; resolves once it is on disk (after fsync). */
  append(record: OperationRecord): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ record, resolve, reject });
      this.#writing ??= this.#drain();
    });
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0) {
      let batch: Pending[] = [];
      try {
        const release = await acquireLock(this.lockPath, this.#lockTimeoutMs);
        try {
          // Taken under the lock: everything that arrived while we waited goes in this write.
          batch = this.#queue.splice(0);
          await this.#write(batch.map((pending) => pending.record));
        } finally {
          await release();
        }
        for (const pending of batch) pending.resolve();
      } catch (error) {
        for (const pending of [...batch, ...this.#queue.splice(0)]) pending.reject(error);
      }
    }
    this.#writing = null;
  }

  /** Appends `records` after the last line; the caller holds the lock. */
  async #write(records: readonly OperationRecord[]): Promise<void> {
    const handle = await open(this.path, constants.O_RDWR | constants.O_APPEND | constants.O_CREAT, 0o640).catch((error) => {
      throw new FileError(this.path, (error as Error).message);
    });
    try {
      const { previous, unterminated } = await lastLine(handle, this.path);
      // A line cut short by a crash is closed first; the chain then runs through it, and
      // verifyLogChain reports it.
      let text = unterminated ? '\n' : '';
      let before = previous;
      for (const record of records) {
        const line = formatLogLine(record, before);
        text += `${line}\n`;
        before = line;
      }
      const bytes = new TextEncoder().encode(text);
      for (let done = 0; done < bytes.length; ) done += (await handle.write(bytes, done)).bytesWritten;
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
}

/** The last line of the log (without its newline), and whether the file ends mid-line. */
async function lastLine(handle: FileHandle, path: string): Promise<{ previous: string | null; unterminated: boolean }> {
  const { size } = await handle.stat();
  if (size === 0) return { previous: null, unterminated: false };
  const last = new Uint8Array(1);
  await handle.read(last, 0, 1, size - 1);
  const unterminated = last[0] !== 0x0a;
  const end = unterminated ? size : size - 1;
  const chunks: Uint8Array[] = [];
  for (let start = end; start > 0; ) {
    const from = Math.max(0, start - TAIL_CHUNK_BYTES);
    const chunk = new Uint8Array(start - from);
    await handle.read(chunk, 0, chunk.length, from);
    const newline = chunk.lastIndexOf(0x0a);
    chunks.unshift(newline >= 0 ? chunk.subarray(newline + 1) : chunk);
    if (newline >= 0) break;
    start = from;
    if (end - start > MAXIMUM_LINE_BYTES)
      throw new FileError(path, `the last line is over ${MAXIMUM_LINE_BYTES} bytes; this is not an operations log`);
  }
  return { previous: new TextDecoder().decode(Buffer.concat(chunks)), unterminated };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Takes `<log>.lock`; returns its release. The lock names its holder: `pid host thread nonce`. */
async function acquireLock(lockPath: string, timeoutMs: number): Promise<() => Promise<void>> {
  const token = `${process.pid} ${hostname()} ${threadId} ${randomBytes(8).toString('hex')}`;
  const deadline = Date.now() + timeoutMs;
  for (let wait = 0.25; ; wait = Math.min(wait * 2, 2)) {
    try {
      const handle = await open(lockPath, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
      await handle.writeFile(token);
      await handle.close();
      return async () => {
        // Remove only our own lock, never one a stale-lock breaker let someone else take.
        if ((await readFile(lockPath, 'utf8').catch(() => null)) === token) await unlink(lockPath).catch(() => {});
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw new FileError(lockPath, (error as Error).message);
    }
    if (await breakStaleLock(lockPath)) continue;
    if (Date.now() > deadline) {
      throw new FileError(
        lockPath,
        `still locked after ${timeoutMs} ms; if no aigc-label process is writing this log, delete the lock file`,
      );
    }
    await sleep(wait * (0.5 + Math.random()));
  }
}

/** Removes a lock whose holder process is gone (same host); true when the lock is gone now. */
async function breakStaleLock(lockPath: string): Promise<boolean> {
  const content = await readFile(lockPath, 'utf8').catch(() => null);
  if (content === null) return true;
  const [pid, host] = content.split(' ');
  if (!pid || host !== hostname() || isAlive(Number(pid))) return false;
  // Move it aside atomically; if what moved is not what we judged stale, a live lock was
  // taken in between: put it back.
  const aside = `${lockPath}.stale-${randomBytes(6).toString('hex')}`;
  if (
    !(await rename(lockPath, aside).then(
      () => true,
      () => false,
    ))
  )
    return true;
  if ((await readFile(aside, 'utf8').catch(() => '')) !== content) await link(aside, lockPath).catch(() => {});
  await unlink(aside).catch(() => {});
  return true;
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Checks an operations-log file's hash chain, streamed: complete lines are checked a piece at a
 * time, each piece chained to the one before, so a log of any size takes constant memory.
 * `previous` is the head of the rotated file before this one (default: a new log's zero hash).
 */
export async function verifyLogFile(path: string, previous: string = LOG_GENESIS): Promise<LogChainResult> {
  const decoder = new TextDecoder('utf-8', { fatal: false });
  let pending = '';
  let head = previous;
  let lines = 0;
  const check = (text: string): LogChainResult | null => {
    const result = verifyLogChain(text, head);
    if (!result.ok) return { ...result, lines: lines + result.lines, line: lines + result.line };
    lines += result.lines;
    head = result.head;
    return null;
  };
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: TAIL_CHUNK_BYTES * 16 })) {
      pending += decoder.decode(chunk as Uint8Array, { stream: true });
      const cut = pending.lastIndexOf('\n');
      if (cut < 0) {
        if (pending.length > MAXIMUM_LINE_BYTES)
          return { ok: false, lines: lines + 1, line: lines + 1, reason: 'a line is over 16 MiB: not an operations log' };
        continue;
      }
      const broken = check(pending.slice(0, cut + 1));
      if (broken) return broken;
      pending = pending.slice(cut + 1);
    }
  } catch (error) {
    throw new FileError(path, (error as NodeJS.ErrnoException).code ?? (error as Error).message);
  }
  pending += decoder.decode();
  return check(pending) ?? { ok: true, lines, head };
}
