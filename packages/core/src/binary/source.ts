import { LimitExceededError, MalformedInputError } from '../errors.js';

/**
 * Random-access bytes. Handlers read through this, so a 4 GB video is never
 * loaded whole: the facade backs it with a file handle, tests with a Uint8Array.
 */
export interface ByteSource {
  readonly size: number;
  /** Reads exactly `length` bytes at `offset`, or fewer at the end of the source. */
  read(offset: number, length: number): Promise<Uint8Array>;
  /** Optional: fills `target` from `offset` and returns the count read, so a copy can reuse one buffer. */
  readInto?(offset: number, target: Uint8Array): Promise<number>;
}

export function bytesSource(bytes: Uint8Array): ByteSource {
  return {
    size: bytes.length,
    read: async (offset, length) => bytes.subarray(offset, Math.min(bytes.length, offset + length)),
  };
}

/** Largest file a handler that needs the whole file in memory will load. */
export const maximumInMemoryFileInBytes = 1024 * 1024 * 1024;

/** Reads the whole source, refusing sizes a whole-file handler should not load. */
export async function readAll(source: ByteSource, format: string): Promise<Uint8Array> {
  if (source.size > maximumInMemoryFileInBytes) {
    throw new LimitExceededError(`${format}: ${source.size} bytes is over the ${maximumInMemoryFileInBytes}-byte in-memory limit`);
  }
  return source.read(0, source.size);
}

/** Reads exactly `length` bytes or fails with a clear "truncated" error. */
export async function readExact(source: ByteSource, offset: number, length: number, format: string, what: string): Promise<Uint8Array> {
  if (offset < 0 || length < 0 || offset + length > source.size) {
    throw new MalformedInputError(
      format,
      `${what} at offset ${offset} (${length} bytes) runs past the end of the file (${source.size} bytes)`,
    );
  }
  const bytes = await source.read(offset, length);
  if (bytes.length !== length) throw new MalformedInputError(format, `${what} at offset ${offset} is truncated`);
  return bytes;
}

/**
 * `readExact` for a walk over many small headers (boxes, chunks, tags). Once the walk has met
 * `denseAfter` headers in a row each close behind the last (a flood of tiny structures, never
 * a real file's few), reads are served from blocks read ahead, as views into them, so a
 * million headers cost a few hundred source reads. Until then each read is exact, so a walk
 * over a real file reads nothing but its headers.
 */
export function headerReader(source: ByteSource, format: string, blockSize = 256 * 1024, denseAfter = 64) {
  let block: { start: number; bytes: Uint8Array } = { start: 0, bytes: new Uint8Array(0) };
  let last = Number.NEGATIVE_INFINITY;
  let dense = 0;
  return async (offset: number, length: number, what: string): Promise<Uint8Array> => {
    dense = offset > last && offset - last <= 4096 ? dense + 1 : 0;
    last = offset;
    if (offset >= block.start && offset + length <= block.start + block.bytes.length) {
      return block.bytes.subarray(offset - block.start, offset - block.start + length);
    }
    if (dense < denseAfter || length > blockSize / 4 || offset < 0 || offset + length > source.size) {
      return readExact(source, offset, length, format, what);
    }
    block = { start: offset, bytes: await readExact(source, offset, Math.min(blockSize, source.size - offset), format, what) };
    return block.bytes.subarray(0, length);
  };
}

/** A range of the source copied unchanged into the output. */
export interface CopyRange {
  readonly from: number;
  readonly length: number;
}
/** New bytes, or a range of the source. */
export type Segment = Uint8Array | CopyRange;

/**
 * How to build the output: segments in order. Writers describe edits this way so
 * that the untouched bulk of a file is copied, not held in memory, and so that
 * "every other byte unchanged" is true by construction.
 */
export interface WritePlan {
  readonly segments: readonly Segment[];
}

export const isCopy = (segment: Segment): segment is CopyRange => !(segment instanceof Uint8Array);

export const planSize = (plan: WritePlan): number => plan.segments.reduce((sum, s) => sum + s.length, 0);

/** Builds a plan that keeps the source except for `[start, end)`, which becomes `replacement`. */
export function splicePlan(sourceSize: number, edits: readonly { start: number; end: number; insert: Uint8Array }[]): WritePlan {
  const sorted = [...edits].sort((a, b) => a.start - b.start);
  const segments: Segment[] = [];
  let cursor = 0;
  for (const edit of sorted) {
    if (edit.start < cursor || edit.end < edit.start || edit.end > sourceSize) {
      throw new RangeError(`overlapping or out-of-range edit [${edit.start}, ${edit.end})`);
    }
    if (edit.start > cursor) segments.push({ from: cursor, length: edit.start - cursor });
    if (edit.insert.length > 0) segments.push(edit.insert);
    cursor = edit.end;
  }
  if (cursor < sourceSize) segments.push({ from: cursor, length: sourceSize - cursor });
  return { segments };
}

/** Assembles a plan into one buffer; for in-memory use and tests. */
export async function materialize(plan: WritePlan, source: ByteSource): Promise<Uint8Array> {
  const out = new Uint8Array(planSize(plan));
  let offset = 0;
  for (const segment of plan.segments) {
    const part = isCopy(segment) ? await source.read(segment.from, segment.length) : segment;
    if (part.length !== segment.length) throw new MalformedInputError('source', `a read of ${segment.length} bytes is truncated`);
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/**
 * Streams a plan out in chunks of at most `chunkSize` bytes; memory stays flat.
 * With `readInto`, copied ranges reuse one buffer: each chunk is only valid until
 * the next one is pulled, so consumers must write it before asking for more.
 */
export async function* streamPlan(plan: WritePlan, source: ByteSource, chunkSize = 4 * 1024 * 1024): AsyncGenerator<Uint8Array> {
  // No bigger than the largest copy: a small file must not pay for zeroing a 4 MiB buffer.
  const largestCopy = plan.segments.reduce((max, s) => (isCopy(s) ? Math.max(max, s.length) : max), 0);
  const buffer = source.readInto && largestCopy > 0 ? new Uint8Array(Math.min(chunkSize, largestCopy)) : null;
  for (const segment of plan.segments) {
    if (!isCopy(segment)) {
      yield segment;
      continue;
    }
    const step = buffer?.length ?? chunkSize;
    for (let done = 0; done < segment.length; done += step) {
      const n = Math.min(step, segment.length - done);
      if (!buffer || !source.readInto) {
        yield await source.read(segment.from + done, n);
        continue;
      }
      const got = await source.readInto(segment.from + done, buffer.subarray(0, n));
      if (got !== n) throw new MalformedInputError('source', `read at offset ${segment.from + done} is truncated`);
      yield buffer.subarray(0, n);
    }
  }
}

/**
 * The bytes a plan would write, as a source read on demand: one plan can be made over
 * another's output, and the two written with a single copy of the file.
 */
export function planSource(plan: WritePlan, source: ByteSource): ByteSource {
  const starts: number[] = [];
  let size = 0;
  for (const segment of plan.segments) {
    starts.push(size);
    size += segment.length;
  }
  // Fills `target` from output offset `offset`; returns the bytes filled (fewer only at the end).
  const fill = async (offset: number, target: Uint8Array): Promise<number> => {
    let done = 0;
    let i = Math.max(
      0,
      starts.findLastIndex((start) => start <= offset),
    );
    for (; i < plan.segments.length && done < target.length && offset + done < size; i++) {
      const segment = plan.segments[i]!;
      const from = offset + done - starts[i]!;
      const n = Math.min(segment.length - from, target.length - done);
      if (n <= 0) continue;
      const part = target.subarray(done, done + n);
      if (!isCopy(segment)) part.set(segment.subarray(from, from + n));
      else if (source.readInto) {
        if ((await source.readInto(segment.from + from, part)) !== n) throw new MalformedInputError('source', 'a read is truncated');
      } else {
        const read = await source.read(segment.from + from, n);
        if (read.length !== n) throw new MalformedInputError('source', 'a read is truncated');
        part.set(read);
      }
      done += n;
    }
    return done;
  };
  return {
    size,
    async read(offset, length) {
      const buffer = new Uint8Array(Math.max(0, Math.min(length, size - offset)));
      return buffer.subarray(0, await fill(offset, buffer));
    },
    readInto: fill,
  };
}

/** The default per-file budget for reading and planning (not for copying bytes or rendering media). */
export const defaultTimeBudgetMs = 30_000;

/**
 * `source` with a deadline: every read after it fails with a LimitExceededError naming the
 * budget. Parsers read through their source as they walk a file, so this stops one that meets a
 * structure it cannot finish in time (issue 15); the bulk copy of a write plan is not budgeted.
 */
export function withDeadline(source: ByteSource, deadline: number, budgetMs: number): ByteSource {
  const check = () => {
    if (Date.now() >= deadline) {
      throw new LimitExceededError(`reading the file took longer than its ${budgetMs / 1000} s budget (--timeout); it was stopped`);
    }
  };
  return {
    size: source.size,
    read: async (offset, length) => {
      check();
      return source.read(offset, length);
    },
    ...(source.readInto
      ? {
          readInto: async (offset: number, target: Uint8Array) => {
            check();
            return (source.readInto as NonNullable<ByteSource['readInto']>)(offset, target);
          },
        }
      : {}),
  };
}
