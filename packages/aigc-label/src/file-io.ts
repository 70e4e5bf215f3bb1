import { createHash, randomBytes } from 'node:crypto';
import {
  closeSync,
  constants,
  fchmodSync,
  fchownSync,
  fstatSync,
  fsyncSync,
  futimesSync,
  openSync,
  readSync,
  renameSync,
  rmSync,
  type Stats,
  writevSync,
} from 'node:fs';
import { type FileHandle, lstat, mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import zlib from 'node:zlib';
import {
  AigcLabelError,
  type ByteSource,
  bytesSource,
  planSize,
  streamPlan,
  type WritePlan,
  WriteVerificationError,
} from '@aigc-label/core';

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
    message = `${path}: ${cause}`,
  ) {
    super(message);
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
/** Small reads are served from one window of this size read ahead, so a parser walking many small structures makes few calls. */
const READ_AHEAD_BYTES = 64 * 1024;

function handleSource(handle: FileHandle, size: number): ByteSource {
  // The last window read: a walk over 100,000 small headers (a ZIP's local headers, MP4 boxes)
  // would otherwise be 100,000 thread-pool round trips.
  let window = { start: 0, bytes: new Uint8Array(0) };
  return {
    size,
    async read(offset, length) {
      const wanted = Math.max(0, Math.min(length, size - offset));
      if (offset >= window.start && offset + wanted <= window.start + window.bytes.length) {
        return window.bytes.slice(offset - window.start, offset - window.start + wanted);
      }
      if (wanted < READ_AHEAD_BYTES / 4) {
        const ahead = new Uint8Array(Math.min(READ_AHEAD_BYTES, size - offset));
        const done = await readFully(handle, offset, ahead);
        window = { start: offset, bytes: ahead.subarray(0, done) };
        return ahead.slice(0, Math.min(wanted, done));
      }
      const buffer = new Uint8Array(wanted);
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

/**
 * Buffers that small files are read into, and small outputs read back into, reused: a fresh
 * half-megabyte buffer per read (mapped, faulted in page by page, unmapped again) cost more than
 * the read itself, about 0.3 ms per 1080p JPEG, twice per labeled file. A buffer is taken per
 * read, so jobs interleaving on one thread never share one, and given back when the file's work
 * is done; whatever kept a view of it past that would see the next file's bytes, so reports hold
 * no bytes (tested).
 */
const spareBuffers: Uint8Array[] = [];
const SPARE_BYTES_KEPT = 16 * 1024 * 1024;
const SMALLEST_BUFFER = 256 * 1024;

function takeBuffer(size: number): Uint8Array {
  let best = -1;
  for (let i = 0; i < spareBuffers.length; i++) {
    if (spareBuffers[i]!.length >= size && (best < 0 || spareBuffers[i]!.length < spareBuffers[best]!.length)) best = i;
  }
  if (best >= 0) return spareBuffers.splice(best, 1)[0]!;
  // Powers of two, so that files of similar sizes share buffers.
  return new Uint8Array(Math.max(SMALLEST_BUFFER, 2 ** Math.ceil(Math.log2(Math.max(size, 1)))));
}

function giveBackBuffer(buffer: Uint8Array): void {
  // Given back twice (a second close), it would be handed to two reads at once.
  if (spareBuffers.includes(buffer)) return;
  const kept = spareBuffers.reduce((sum, b) => sum + b.length, 0);
  if (kept + buffer.length <= SPARE_BYTES_KEPT) spareBuffers.push(buffer);
}

/** The whole file when it is small, in a buffer to give back, else null (the caller reads it on demand instead). */
function readSmallFileSync(path: string): { bytes: Uint8Array; buffer: Uint8Array } | null {
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
    const buffer = takeBuffer(info.size);
    try {
      return { bytes: buffer.subarray(0, readFullySync(fd, 0, buffer.subarray(0, info.size))), buffer };
    } catch (error) {
      giveBackBuffer(buffer);
      throw error;
    }
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
  if (small) return { source: bytesSource(small.bytes), close: async () => giveBackBuffer(small.buffer) };
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

// Hidden (batch walks skip it), recognisable (a later run removes its own stale ones, and nothing
// else) and ending in the real extension, which ffmpeg needs to pick the muxer. Unique per thread
// (each worker loads its own copy of this module) plus a counter: cheaper than fresh random bytes
// per file, and the exclusive create ('wx') still refuses any collision.
const threadTag = randomBytes(6).toString('hex');
let temporaryCount = 0;
const TEMPORARY_MARK = '.aigc-label-';
export const temporaryBeside = (output: string, tag: 'out' | 'work') =>
  join(dirname(output), `.${basename(output)}${TEMPORARY_MARK}${tag}-${threadTag}${(temporaryCount++).toString(36)}.tmp${extname(output)}`);

/** Our temporary files and folders, and only ours: `.NAME.aigc-label-out-<12 hex><counter>.tmp[.EXT]`. */
const TEMPORARY_NAME = /^\..+\.aigc-label-(out|work)-[0-9a-f]{12}[0-9a-z]+\.tmp(\.[^./]+)?$/;

/** A temporary file untouched this long was left by a run that was killed (`kill -9`, a power cut). */
export const STALE_TEMPORARY_MS = 60 * 60 * 1000;

const cleanedFolders = new Set<string>();

/**
 * Removes this toolkit's own temporary files and folders older than an hour from `folder`, once
 * per folder and process: what a killed run left behind. Nothing else is ever touched.
 */
export async function removeStaleTemporaries(folder: string, now = Date.now()): Promise<string[]> {
  if (cleanedFolders.has(folder)) return [];
  cleanedFolders.add(folder);
  const removed: string[] = [];
  const entries = await readdir(folder, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    if (!TEMPORARY_NAME.test(entry.name) || !(entry.isFile() || entry.isDirectory())) continue;
    const path = join(folder, entry.name);
    // Gone already (another thread or process renamed its output into place meanwhile), or unreadable: not ours to remove.
    const changed = await newestChange(path).catch(() => null);
    if (changed === null || now - changed < STALE_TEMPORARY_MS) continue;
    await rm(path, { recursive: true, force: true });
    removed.push(path);
  }
  return removed;
}

/**
 * Removes the temporary files a killed attempt at writing `output` left beside it, at any age:
 * for a queue worker retrying a job whose earlier worker died (`kill -9`) mid-write, when
 * nothing else can be writing that output. Only our own temporary names for that output.
 */
export async function removeTemporariesOf(output: string): Promise<string[]> {
  const folder = dirname(resolve(output));
  const prefix = `.${basename(output)}${TEMPORARY_MARK}`;
  const removed: string[] = [];
  for (const entry of await readdir(folder, { withFileTypes: true }).catch(() => [])) {
    if (!entry.name.startsWith(prefix) || !TEMPORARY_NAME.test(entry.name)) continue;
    const path = join(folder, entry.name);
    await rm(path, { recursive: true, force: true });
    removed.push(path);
  }
  return removed;
}

/** The newest modification time of a file, or of a folder and what it holds (a render in progress writes inside it). */
async function newestChange(path: string): Promise<number> {
  const info = await lstat(path);
  if (!info.isDirectory()) return info.mtimeMs;
  let newest = info.mtimeMs;
  for (const name of await readdir(path).catch(() => [])) {
    newest = Math.max(newest, await newestChange(join(path, name)).catch(() => 0));
  }
  return newest;
}

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

/**
 * Writes every chunk, or fails: `write` may write fewer bytes than asked (a quota, a network
 * file system, a signal), so what is left is written again until nothing is.
 */
export async function writeAll(write: (chunks: readonly Uint8Array[]) => Promise<number>, chunks: readonly Uint8Array[]): Promise<number> {
  let written = 0;
  for (let pending = chunks.filter((c) => c.length > 0); pending.length > 0; ) {
    const n = await write(pending);
    if (n <= 0) throw Object.assign(new Error('the file system accepted no more bytes'), { code: 'ENOSPC' });
    written += n;
    pending = dropLeading(pending, n);
  }
  return written;
}

function writeAllSync(fd: number, chunks: readonly Uint8Array[]): number {
  let written = 0;
  for (let pending = chunks.filter((c) => c.length > 0); pending.length > 0; ) {
    const n = writevSync(fd, pending);
    if (n <= 0) throw Object.assign(new Error('the file system accepted no more bytes'), { code: 'ENOSPC' });
    written += n;
    pending = dropLeading(pending, n);
  }
  return written;
}

/**
 * A running checksum of the bytes written, compared with one of the file read back. The check
 * guards against short or failed writes and file-system corruption, not against an attacker, so
 * CRC-32 does: zlib's runs at several GB/s, SHA-256 at under 1 GB/s, which made the check cost
 * more than the copy. `zlib.crc32` arrived in Node 20.15; older Node 20 uses SHA-256.
 */
interface Checksum {
  update(bytes: Uint8Array): void;
  value(): string;
}

const zlibCrc32 = (zlib as { crc32?: (bytes: Uint8Array, previous?: number) => number }).crc32;

function newChecksum(): Checksum {
  if (zlibCrc32) {
    let crc = 0;
    return {
      update: (bytes) => {
        crc = zlibCrc32(bytes, crc);
      },
      value: () => crc.toString(16),
    };
  }
  const hash = createHash('sha256');
  return {
    update: (bytes) => {
      hash.update(bytes);
    },
    value: () => hash.digest('hex'),
  };
}

/**
 * Writes a plan, checksumming what it writes while the write is in flight on the thread pool
 * (both only read the chunk). An in-memory source's chunks stay valid, so they go out in one
 * gathered write.
 */
async function writePlan(out: FileHandle, plan: WritePlan, source: ByteSource, checksum: Checksum): Promise<number> {
  const write = async (chunks: readonly Uint8Array[]) => (await out.writev([...chunks])).bytesWritten;
  if (source.readInto) {
    // File-backed: chunks share one buffer (see streamPlan), each is written before the next is read.
    let written = 0;
    for await (const chunk of streamPlan(plan, source)) {
      const writing = writeAll(write, [chunk]);
      checksum.update(chunk);
      written += await writing;
    }
    return written;
  }
  const chunks = await planChunks(plan, source);
  const writing = writeAll(write, chunks);
  for (const chunk of chunks) checksum.update(chunk);
  return writing;
}

/** Attributes a replaced file keeps (--in-place): its mode, owner and group, and with `preserveMtime` its times. */
export interface KeptAttributes {
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly times?: { readonly atime: Date; readonly mtime: Date } | undefined;
}

export interface AtomicWriteOptions extends FileIoOptions {
  /** fsync before the rename: replacing an input must survive a crash right after it. */
  readonly durable: boolean;
  /** Give the new file these attributes before it replaces the old one. */
  readonly keep?: KeptAttributes | undefined;
}

/** Errors of writing an output, in words; each ends the same way because the input is never touched. */
const WRITE_FAILURES: Readonly<Record<string, string>> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is exceeded',
  EFBIG: 'the file is larger than the file system or the file-size limit allows',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'the file system is read-only',
  EXDEV: 'the temporary file and the output are on different file systems',
  ENAMETOOLONG: 'the name is too long',
  ENOTDIR: 'a part of the path is not a folder',
  EISDIR: 'the output is a folder',
  EIO: 'an input/output error',
};

/** One line for a failed output write, naming the output and saying that nothing else changed. */
export function outputError(output: string, error: unknown): unknown {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === undefined || !(code in WRITE_FAILURES)) return error;
  const cause = `${WRITE_FAILURES[code]} (${code}); no output was left behind and the input is unchanged`;
  return new FileError(output, cause, `cannot write ${output}: ${cause}`);
}

const READ_BACK_BYTES = 8 * 1024 * 1024;

/**
 * Reads a file back through its handle and checksums every byte. Two buffers take turns: the
 * next piece is read on the thread pool while this one is checksummed.
 */
async function checksumFile(handle: FileHandle, size: number): Promise<string> {
  const checksum = newChecksum();
  const length = Math.min(size, READ_BACK_BYTES) || 1;
  const buffers = [new Uint8Array(length), new Uint8Array(length)] as const;
  const readAt = (offset: number, buffer: Uint8Array) => readFully(handle, offset, buffer.subarray(0, Math.min(length, size - offset)));
  let next = size > 0 ? readAt(0, buffers[0]) : null;
  for (let offset = 0, turn = 0; next; turn ^= 1) {
    const n = await next;
    if (n === 0) break;
    const following = offset + n;
    next = following < size ? readAt(following, buffers[turn ^ 1]) : null;
    checksum.update(buffers[turn].subarray(0, n));
    offset = following;
  }
  return checksum.value();
}

const asBuffer = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/**
 * Whether `written` holds exactly the bytes of `chunks`, in order. Node's memcmp: a batch reads
 * back every output it writes, and a byte loop over a 0.5 MB JPEG costs more than writing it.
 */
function holdsChunks(written: Uint8Array, chunks: readonly Uint8Array[]): boolean {
  let offset = 0;
  for (const chunk of chunks) {
    if (offset + chunk.length > written.length || !asBuffer(written.subarray(offset, offset + chunk.length)).equals(asBuffer(chunk)))
      return false;
    offset += chunk.length;
  }
  return offset === written.length;
}

function mismatch(output: string, expected: number, size: number): WriteVerificationError {
  return new WriteVerificationError(
    size !== expected
      ? `${output}: the output reads back as ${size} bytes, not the ${expected} written; it was not kept`
      : `${output}: the output reads back with other bytes than were written; it was not kept`,
  );
}

async function keepAttributes(handle: FileHandle, keep: KeptAttributes | undefined): Promise<void> {
  if (!keep) return;
  await handle.chmod(keep.mode & 0o7777);
  // Only root may give a file away; a user may still set a group they belong to.
  await handle.chown(keep.uid, keep.gid).catch(() => handle.chown(-1, keep.gid).catch(() => {}));
  if (keep.times) await handle.utimes(keep.times.atime, keep.times.mtime);
}

/**
 * Writes a plan to a temporary file beside `output`, checksumming it on the way; reads it back and
 * checks that every byte arrived (size, and CRC-32 or, for a plan in memory, the bytes
 * themselves), then hands it to `check` (the label reads back), and only then renames it into
 * place. Any failure removes the temporary file and names the output. Replacing an input
 * (--in-place) fsyncs before the rename (`durable`); a new output next to an untouched input need
 * not pay for an fsync per file.
 */
export async function writeAtomically(
  output: string,
  plan: WritePlan,
  source: ByteSource,
  check: (written: ByteSource) => Promise<void>,
  options: AtomicWriteOptions,
): Promise<void> {
  try {
    if (options.blockingIo && !source.readInto && planSize(plan) <= WHOLE_FILE_READ_LIMIT) {
      await writeSmallFileAtomically(output, await planChunks(plan, source), check, options);
    } else {
      await writeLargeFileAtomically(output, plan, source, check, options);
    }
  } catch (error) {
    throw outputError(output, error);
  }
}

async function writeLargeFileAtomically(
  output: string,
  plan: WritePlan,
  source: ByteSource,
  check: (written: ByteSource) => Promise<void>,
  options: AtomicWriteOptions,
): Promise<void> {
  const temporary = temporaryBeside(output, 'out');
  const expected = planSize(plan);
  let out: FileHandle | undefined;
  try {
    out = await createExclusive(temporary);
    const checksum = newChecksum();
    await writePlan(out, plan, source, checksum);
    const size = (await out.stat()).size;
    // The read-back runs beside the fsync: both wait on the thread pool, and an fsync does not
    // change what reads back (a failed one rejects on its own).
    const [readBack] = await Promise.all([size === expected ? checksumFile(out, size) : null, options.durable ? out.sync() : undefined]);
    if (size !== expected || readBack !== checksum.value()) throw mismatch(output, expected, size);
    await check((await sourceOf(out, size)).source);
    await keepAttributes(out, options.keep);
    await out.close();
    out = undefined;
    await rename(temporary, output);
  } catch (error) {
    await out?.close();
    await rm(temporary, { force: true });
    throw error;
  }
}

/**
 * `writeAtomically` with synchronous calls, for a small plan already in memory. `check` gets the
 * bytes read back in a reused buffer (see spareBuffers): it must not keep them past its promise.
 */
async function writeSmallFileAtomically(
  output: string,
  chunks: Uint8Array[],
  check: (written: ByteSource) => Promise<void>,
  options: AtomicWriteOptions,
): Promise<void> {
  const temporary = temporaryBeside(output, 'out');
  const expected = chunks.reduce((sum, c) => sum + c.length, 0);
  let fd: number | undefined;
  const buffer = takeBuffer(expected);
  try {
    try {
      fd = openSync(temporary, 'wx+');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      await mkdir(dirname(temporary), { recursive: true });
      fd = openSync(temporary, 'wx+');
    }
    writeAllSync(fd, chunks);
    if (options.durable) fsyncSync(fd);
    const size = fstatSync(fd).size;
    if (size !== expected) throw mismatch(output, expected, size);
    const written = buffer.subarray(0, size);
    const got = readFullySync(fd, 0, written);
    // The plan is still in memory: compare the bytes themselves, no checksum needed.
    if (got !== size || !holdsChunks(written, chunks)) throw mismatch(output, expected, got);
    if (options.keep) {
      fchmodSync(fd, options.keep.mode & 0o7777);
      try {
        fchownSync(fd, options.keep.uid, options.keep.gid);
      } catch {
        try {
          fchownSync(fd, -1, options.keep.gid);
        } catch {}
      }
      if (options.keep.times) futimesSync(fd, options.keep.times.atime, options.keep.times.mtime);
    }
    closeSync(fd);
    fd = undefined;
    await check(bytesSource(written));
    renameSync(temporary, output);
  } catch (error) {
    if (fd !== undefined) closeSync(fd);
    rmSync(temporary, { force: true });
    throw error;
  } finally {
    giveBackBuffer(buffer);
  }
}
