import { randomBytes } from 'node:crypto';
import { closeSync, constants, fstatSync, fsyncSync, openSync, readSync, renameSync, rmSync, type Stats, writevSync } from 'node:fs';
import { type FileHandle, mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { AigcLabelError, type ByteSource, bytesSource, planSize, streamPlan, type WritePlan } from '@aigc-label/core';

/**
 * Files up to this size are read with one call and served from memory. A batch of
 * small files is bound by file-system round trips, not bytes: a JPEG header parsed
 * through a dozen positioned reads costs more than reading the whole file once.
 */
export const WHOLE_FILE_READ_LIMIT = 4 * 1024 * 1024;

export interface FileIoOptions {
  /**
   * Read and write files up to WHOLE_FILE_READ_LIMIT with synchronous calls. Each
   * asynchronous call is a thread-pool round trip that costs about ten times the CPU
   * of the call itself for a small file; but a synchronous call blocks this thread
   * (about a millisecond for 4 MiB from the page cache). For batch workers and
   * command-line tools; leave it off on a server's main thread.
   */
  readonly blockingIo?: boolean | undefined;
}

/** A problem with a path itself (missing, a directory). */
export class FileError extends AigcLabelError {
  override readonly name = 'FileError';
  constructor(
    readonly path: string,
    cause: string,
  ) {
    super(`${path}: ${cause}`);
  }
}

// Non-blocking, so that a FIFO given by mistake is refused instead of waiting for a writer.
const READ_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK;

const openError = (path: string, error: NodeJS.ErrnoException) =>
  new FileError(path, error.code === 'ENOENT' ? 'no such file' : error.message);

function checkRegular(path: string, info: Stats): void {
  if (info.isDirectory()) throw new FileError(path, 'is a directory, not a file');
  if (!info.isFile()) throw new FileError(path, 'is not a regular file');
}

/** Reads `target.length` bytes at `offset`, or fewer at the end of the file; returns the count. */
async function readFully(handle: FileHandle, offset: number, target: Uint8Array): Promise<number> {
  let done = 0;
  while (done < target.length) {
    const { bytesRead } = await handle.read(target, done, target.length - done, offset + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done;
}

function readFullySync(fd: number, offset: number, target: Uint8Array): number {
  let done = 0;
  while (done < target.length) {
    const n = readSync(fd, target, done, target.length - done, offset + done);
    if (n === 0) break;
    done += n;
  }
  return done;
}

/** A source over an open file: only the parts a handler asks for are loaded. */
function handleSource(handle: FileHandle, size: number): ByteSource {
  return {
    size,
    async read(offset, length) {
      const buffer = new Uint8Array(Math.max(0, Math.min(length, size - offset)));
      const done = await readFully(handle, offset, buffer);
      return done === buffer.length ? buffer : buffer.subarray(0, done);
    },
    readInto: (offset, target) => readFully(handle, offset, target),
  };
}

/** Small files are read whole (one call); larger ones on demand, so memory stays flat. */
async function sourceOf(handle: FileHandle, size: number): Promise<{ source: ByteSource; inMemory: boolean }> {
  if (size > WHOLE_FILE_READ_LIMIT) return { source: handleSource(handle, size), inMemory: false };
  const bytes = new Uint8Array(size);
  const got = await readFully(handle, 0, bytes);
  return { source: bytesSource(got === size ? bytes : bytes.subarray(0, got)), inMemory: true };
}

/** The whole file when it is small, else null (the caller reads it on demand instead). */
function readSmallFileSync(path: string): Uint8Array | null {
  let fd: number;
  try {
    fd = openSync(path, READ_FLAGS);
  } catch (error) {
    throw openError(path, error as NodeJS.ErrnoException);
  }
  try {
    const info = fstatSync(fd);
    checkRegular(path, info);
    if (info.size > WHOLE_FILE_READ_LIMIT) return null;
    const bytes = new Uint8Array(info.size);
    const got = readFullySync(fd, 0, bytes);
    return got === info.size ? bytes : bytes.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

/** A file as a ByteSource. Small files are loaded whole; larger ones are read on demand. */
export async function openFileSource(
  path: string,
  options: FileIoOptions = {},
): Promise<{ source: ByteSource; close: () => Promise<void> }> {
  const small = options.blockingIo ? readSmallFileSync(path) : null;
  if (small) return { source: bytesSource(small), close: async () => {} };
  const handle = await open(path, READ_FLAGS).catch((error: NodeJS.ErrnoException) => {
    throw openError(path, error);
  });
  try {
    const info = await handle.stat();
    checkRegular(path, info);
    const { source, inMemory } = await sourceOf(handle, info.size);
    if (inMemory) await handle.close();
    return { source, close: inMemory ? async () => {} : () => handle.close() };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

// Hidden (batch walks skip it) and ending in the real extension, which ffmpeg needs to pick the muxer.
// Unique per thread (each worker loads its own copy of this module) plus a counter: cheaper than
// fresh random bytes per file, and the exclusive create ('wx') still refuses any collision.
const threadTag = randomBytes(6).toString('hex');
let temporaryCount = 0;
export const temporaryBeside = (output: string, tag: string) =>
  join(dirname(output), `.${basename(output)}.${tag}-${threadTag}${(temporaryCount++).toString(36)}.tmp${extname(output)}`);

/** Creates a new file for reading and writing, making its folder when it does not exist yet. */
async function createExclusive(path: string): Promise<FileHandle> {
  try {
    return await open(path, 'wx+');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    await mkdir(dirname(path), { recursive: true });
    return open(path, 'wx+');
  }
}

/** The plan's pieces. Only for in-memory sources, whose chunks stay valid (see streamPlan). */
async function planChunks(plan: WritePlan, source: ByteSource): Promise<Uint8Array[]> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of streamPlan(plan, source)) chunks.push(chunk);
  return chunks;
}

/** What is left of `chunks` after the first `n` bytes (writev may write less than asked). */
function dropLeading(chunks: readonly Uint8Array[], n: number): Uint8Array[] {
  let skip = n;
  const rest: Uint8Array[] = [];
  for (const chunk of chunks) {
    if (skip >= chunk.length) skip -= chunk.length;
    else {
      rest.push(skip > 0 ? chunk.subarray(skip) : chunk);
      skip = 0;
    }
  }
  return rest;
}

/** Writes a plan. An in-memory source's chunks stay valid, so they go out in one gathered write. */
async function writePlan(out: FileHandle, plan: WritePlan, source: ByteSource): Promise<number> {
  let written = 0;
  if (source.readInto) {
    // File-backed: chunks share one buffer (see streamPlan), each is written before the next is read.
    for await (const chunk of streamPlan(plan, source)) written += (await out.write(chunk)).bytesWritten;
    return written;
  }
  for (let pending = await planChunks(plan, source); pending.length > 0; ) {
    const n = (await out.writev(pending)).bytesWritten;
    written += n;
    pending = dropLeading(pending, n);
  }
  return written;
}

/**
 * Writes a plan to a temporary file beside `output`, reads it back from the file
 * and checks it, then renames it into place. Replacing the input (--in-place) must
 * survive a crash right after the rename, so `durable` fsyncs first; a new output
 * next to an untouched input need not pay for an fsync per file.
 */
export async function writeAtomically(
  output: string,
  plan: WritePlan,
  source: ByteSource,
  check: (written: ByteSource) => Promise<void>,
  options: FileIoOptions & { readonly durable: boolean },
): Promise<void> {
  if (options.blockingIo && !source.readInto && planSize(plan) <= WHOLE_FILE_READ_LIMIT) {
    return writeSmallFileAtomically(output, await planChunks(plan, source), check, options.durable);
  }
  const temporary = temporaryBeside(output, 'out');
  let out: FileHandle | undefined;
  try {
    out = await createExclusive(temporary);
    const size = await writePlan(out, plan, source);
    if (options.durable) await out.sync();
    await check((await sourceOf(out, size)).source);
    await out.close();
    out = undefined;
    await rename(temporary, output);
  } catch (error) {
    await out?.close();
    await rm(temporary, { force: true });
    throw error;
  }
}

/** `writeAtomically` with synchronous calls, for a small plan already in memory. */
async function writeSmallFileAtomically(
  output: string,
  chunks: Uint8Array[],
  check: (written: ByteSource) => Promise<void>,
  durable: boolean,
): Promise<void> {
  const temporary = temporaryBeside(output, 'out');
  let fd: number | undefined;
  try {
    try {
      fd = openSync(temporary, 'wx+');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      await mkdir(dirname(temporary), { recursive: true });
      fd = openSync(temporary, 'wx+');
    }
    let size = 0;
    for (let pending = chunks; pending.length > 0; ) {
      const n = writevSync(fd, pending);
      size += n;
      pending = dropLeading(pending, n);
    }
    if (durable) fsyncSync(fd);
    const written = new Uint8Array(size);
    const got = readFullySync(fd, 0, written);
    closeSync(fd);
    fd = undefined;
    await check(bytesSource(written.subarray(0, got)));
    renameSync(temporary, output);
  } catch (error) {
    if (fd !== undefined) closeSync(fd);
    rmSync(temporary, { force: true });
    throw error;
  }
}
