import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { type FileHandle, mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import {
  type AigcLabel,
  AigcLabelError,
  type ByteSource,
  bytesSource,
  type Finding,
  finding,
  otherProducers,
  planLabelWrite,
  Rules,
  readAll,
  streamPlan,
  summarizeCarriers,
  UsageError,
  verifyWritten,
  type WritePlan,
} from '@aigc-label/core';
import {
  type CommonOptions,
  detectWith,
  type LabelOptions,
  labelFromOptions,
  resolveHandler,
  type VerifyOptions,
  verifyFromDetect,
  writeOptionsFrom,
} from './buffer.js';
import {
  applyExplicitBytes,
  applyExplicitFile,
  detectExplicit,
  type ExplicitDetectOptions,
  type ExplicitLabelOptions,
  type ExplicitSummary,
  explicitSupport,
  mergeExplicit,
} from './explicit.js';
import { type DetectReport, type LabelReport, REPORT_SCHEMA_VERSION, type VerifyReport } from './reports.js';

/**
 * Files up to this size are read with one call and served from memory. A batch of
 * small files is bound by file-system round trips, not bytes: a JPEG header parsed
 * through a dozen positioned reads costs more than reading the whole file once.
 */
export const WHOLE_FILE_READ_LIMIT = 4 * 1024 * 1024;

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

/** A file as a ByteSource. Small files are loaded whole; larger ones are read on demand. */
export async function openFileSource(path: string): Promise<{ source: ByteSource; close: () => Promise<void> }> {
  // Non-blocking, so that a FIFO given by mistake is refused instead of waiting for a writer.
  const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK).catch((error: NodeJS.ErrnoException) => {
    throw new FileError(path, error.code === 'ENOENT' ? 'no such file' : error.message);
  });
  try {
    const info = await handle.stat();
    if (info.isDirectory()) throw new FileError(path, 'is a directory, not a file');
    if (!info.isFile()) throw new FileError(path, 'is not a regular file');
    const { source, inMemory } = await sourceOf(handle, info.size);
    if (inMemory) await handle.close();
    return { source, close: inMemory ? async () => {} : () => handle.close() };
  } catch (error) {
    await handle.close();
    throw error;
  }
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

/** Prefixes an error's message with the file it concerns, once. */
export function inFile<E>(path: string, error: E): E {
  if (error instanceof Error && !error.message.startsWith(`${path}:`)) error.message = `${path}: ${error.message}`;
  return error;
}

async function withSource<T>(path: string, work: (source: ByteSource) => Promise<T>): Promise<T> {
  const { source, close } = await openFileSource(path);
  try {
    return await work(source);
  } catch (error) {
    throw inFile(path, error);
  } finally {
    await close();
  }
}

/**
 * Reads every label carrier in a file, and looks for explicit labels: always in
 * text, the ·−·· rhythm in audio and video unless `rhythm: false`, and with
 * `ocr: true` visible labels in images and sampled video frames.
 */
export const detectFile = (path: string, options: CommonOptions & ExplicitDetectOptions = {}): Promise<DetectReport> =>
  withSource(path, async (source) => {
    const { handler, findings } = await resolveHandler(source, { filename: path, ...options });
    const report = await detectWith(handler, source, path, findings);
    return mergeExplicit(report, await detectExplicit(handler, { path, bytes: () => readAll(source, handler.id) }, options));
  });

/** Decides what a platform must show for a file (Measures Art. 6). */
export async function verifyFile(path: string, options: VerifyOptions & ExplicitDetectOptions = {}): Promise<VerifyReport> {
  return verifyFromDetect(await detectFile(path, options), options.declared ?? false);
}

export interface LabelFileOptions extends LabelOptions, ExplicitLabelOptions {
  /** Exact output path. */
  readonly output?: string;
  /** Output folder; the file keeps its name. */
  readonly outDir?: string;
  /** Overwrite the input. Without this (or `output`/`outDir`) the output is NAME.labeled.EXT. */
  readonly inPlace?: boolean;
  /** fsync the output before renaming it into place (always done for `inPlace`). */
  readonly durable?: boolean;
}

/** Where `labelFile` writes: `output`, `outDir/NAME`, the input itself, or NAME.labeled.EXT. */
export function outputPathFor(input: string, options: LabelFileOptions): string {
  if (options.inPlace) return input;
  if (options.output) return options.output;
  if (options.outDir) return join(options.outDir, basename(input));
  const ext = extname(input);
  return join(dirname(input), `${basename(input, ext)}.labeled${ext}`);
}

// Hidden (batch walks skip it) and ending in the real extension, which ffmpeg needs to pick the muxer.
// Unique per thread (each worker loads its own copy of this module) plus a counter: cheaper than
// fresh random bytes per file, and the exclusive create ('wx') still refuses any collision.
const threadTag = randomBytes(6).toString('hex');
let temporaryCount = 0;
const temporaryBeside = (output: string, tag: string) =>
  join(dirname(output), `.${basename(output)}.${tag}-${threadTag}${(temporaryCount++).toString(36)}.tmp${extname(output)}`);

/**
 * Labels a file: first the explicit label where the format has one (a visible
 * label on images and video, the ·−·· rhythm on audio, a text prompt in text;
 * `explicit: false` skips it, and it is not added again to a file that already
 * carries a label), then the implicit metadata label. The output goes to a
 * temporary file in the target folder, is read back and checked, and only then
 * renamed into place, so a failure leaves no partial output and the input untouched.
 */
export async function labelFile(path: string, options: LabelFileOptions): Promise<LabelReport> {
  const label = labelFromOptions(options);
  const output = outputPathFor(path, options);
  if (!options.inPlace && resolve(output) === resolve(path)) {
    throw new UsageError(`${path}: the output is the input; pass --in-place (inPlace: true) to overwrite it`);
  }
  const scratch: string[] = [];
  const opened: (() => Promise<void>)[] = [];
  try {
    return await withSource(path, async (source) => {
      const resolved = await resolveHandler(source, { filename: path, ...options });
      const handler = resolved.handler;
      const findings: Finding[] = [...resolved.findings];
      const before = summarizeCarriers(await handler.read(source));
      otherProducers(before, label, options.force); // refuse before any expensive explicit work
      let working: ByteSource = source;
      let explicit: ExplicitSummary | null = null;
      const support = options.explicit === false ? 'none' : explicitSupport(handler);
      if (support !== 'none' && before.label !== null && !options.redraw) {
        findings.push(finding('explicit/skipped', 'info', 'the file already carries a label, so the explicit label is not added again'));
      } else if (support === 'bytes') {
        const result = await applyExplicitBytes(handler, await readAll(source, handler.id), options);
        working = bytesSource(result.bytes);
        explicit = result.summary;
        findings.push(...result.findings);
      } else if (support === 'file') {
        const labeled = temporaryBeside(output, 'explicit');
        const workDir = temporaryBeside(output, 'work');
        scratch.push(labeled, workDir);
        await mkdir(workDir, { recursive: true });
        const result = await applyExplicitFile(handler, path, labeled, workDir, options);
        const file = await openFileSource(labeled);
        opened.push(file.close);
        working = file.source;
        explicit = result.summary;
        findings.push(...result.findings);
      }
      if (handler.id === 'txt') {
        // Plain text has no metadata carrier (TC260-PG-20258A names none): the explicit label is all it can carry.
        if (!explicit) await handler.write(working, label, writeOptionsFrom(options));
        await writeAtomically(
          output,
          { segments: [{ from: 0, length: working.size }] },
          working,
          async () => {},
          options.inPlace === true || options.durable === true,
        );
        findings.push(finding(Rules.nonNormativeCarrier, 'info', 'plain text has no metadata carrier; only the explicit label was added'));
        return report(path, output, handler.id, label, before.label, findings, explicit);
      }
      const planned = await planLabelWrite(handler, working, label, {
        ...writeOptionsFrom(options),
        ...(working === source ? { before } : {}),
      });
      await writeAtomically(
        output,
        planned.plan,
        working,
        async (written) => {
          await verifyWritten(handler, written, label);
        },
        options.inPlace === true || options.durable === true,
      );
      return report(path, output, handler.id, label, before.label, [...findings, ...planned.findings], explicit);
    });
  } finally {
    for (const close of opened) await close();
    for (const file of scratch) await rm(file, { recursive: true, force: true });
  }
}

function report(
  file: string,
  output: string,
  format: string,
  label: AigcLabel,
  previous: AigcLabel | null,
  findings: Finding[],
  explicit: ExplicitSummary | null,
): LabelReport {
  return { schemaVersion: REPORT_SCHEMA_VERSION, file, output, format, label, previous, findings, explicit };
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

/** Writes a plan. An in-memory source's chunks stay valid, so they go out in one gathered write. */
async function writePlan(out: FileHandle, plan: WritePlan, source: ByteSource): Promise<number> {
  let written = 0;
  if (source.readInto) {
    // File-backed: chunks share one buffer (see streamPlan), each is written before the next is read.
    for await (const chunk of streamPlan(plan, source)) written += (await out.write(chunk)).bytesWritten;
    return written;
  }
  const chunks: Uint8Array[] = [];
  for await (const chunk of streamPlan(plan, source)) chunks.push(chunk);
  let pending = chunks;
  while (pending.length > 0) {
    const n = (await out.writev(pending)).bytesWritten;
    written += n;
    pending = dropLeading(pending, n);
  }
  return written;
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
 * Writes a plan to a temporary file beside `output`, reads it back from the file
 * and checks it, then renames it into place.
 */
async function writeAtomically(
  output: string,
  plan: WritePlan,
  source: ByteSource,
  check: (written: ByteSource) => Promise<void>,
  durable: boolean,
): Promise<void> {
  const temporary = temporaryBeside(output, 'out');
  let out: FileHandle | undefined;
  try {
    out = await createExclusive(temporary);
    const size = await writePlan(out, plan, source);
    // Replacing the input (--in-place) must survive a crash right after the rename; a new
    // output next to an untouched input need not pay for an fsync per file.
    if (durable) await out.sync();
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
