import { randomBytes } from 'node:crypto';
import { type FileHandle, mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { AigcLabelError, type ByteSource, planLabelWrite, streamPlan, UsageError, verifyWritten } from '@aigc-label/core';
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
import { type DetectReport, type LabelReport, REPORT_SCHEMA_VERSION, type VerifyReport } from './reports.js';

/** A file read on demand; only the parts a handler asks for are loaded. */
export async function openFileSource(path: string): Promise<{ source: ByteSource; close: () => Promise<void> }> {
  const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
    throw new FileError(path, error.code === 'ENOENT' ? 'no such file' : error.message);
  });
  if (info.isDirectory()) throw new FileError(path, 'is a directory, not a file');
  if (!info.isFile()) throw new FileError(path, 'is not a regular file');
  const handle: FileHandle = await open(path, 'r');
  const size = info.size;
  const source: ByteSource = {
    size,
    async read(offset, length) {
      const n = Math.max(0, Math.min(length, size - offset));
      const buffer = new Uint8Array(n);
      let done = 0;
      while (done < n) {
        const { bytesRead } = await handle.read(buffer, done, n - done, offset + done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
      return done === n ? buffer : buffer.subarray(0, done);
    },
    async readInto(offset, target) {
      let done = 0;
      while (done < target.length) {
        const { bytesRead } = await handle.read(target, done, target.length - done, offset + done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
      return done;
    },
  };
  return { source, close: () => handle.close() };
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

/** Reads every label carrier in a file. */
export const detectFile = (path: string, options: CommonOptions = {}): Promise<DetectReport> =>
  withSource(path, async (source) => {
    const { handler, findings } = await resolveHandler(source, { filename: path, ...options });
    return detectWith(handler, source, path, findings);
  });

/** Decides what a platform must show for a file (Measures Art. 6). */
export async function verifyFile(path: string, options: VerifyOptions = {}): Promise<VerifyReport> {
  return verifyFromDetect(await detectFile(path, options), options.declared ?? false);
}

export interface LabelFileOptions extends LabelOptions {
  /** Exact output path. */
  readonly output?: string;
  /** Output folder; the file keeps its name. */
  readonly outDir?: string;
  /** Overwrite the input. Without this (or `output`/`outDir`) the output is NAME.labeled.EXT. */
  readonly inPlace?: boolean;
}

/** Where `labelFile` writes: `output`, `outDir/NAME`, the input itself, or NAME.labeled.EXT. */
export function outputPathFor(input: string, options: LabelFileOptions): string {
  if (options.inPlace) return input;
  if (options.output) return options.output;
  if (options.outDir) return join(options.outDir, basename(input));
  const ext = extname(input);
  return join(dirname(input), `${basename(input, ext)}.labeled${ext}`);
}

/**
 * Labels a file. The output goes to a temporary file in the target folder, is
 * read back and checked, and only then renamed into place, so a failure leaves
 * no partial output and the input untouched.
 */
export async function labelFile(path: string, options: LabelFileOptions): Promise<LabelReport> {
  const label = labelFromOptions(options);
  const output = outputPathFor(path, options);
  if (!options.inPlace && resolve(output) === resolve(path)) {
    throw new UsageError(`${path}: the output is the input; pass --in-place (inPlace: true) to overwrite it`);
  }
  return withSource(path, async (source) => {
    const { handler, findings } = await resolveHandler(source, { filename: path, ...options });
    const planned = await planLabelWrite(handler, source, label, writeOptionsFrom(options));
    const temporary = join(dirname(output), `.${basename(output)}.${randomBytes(6).toString('hex')}.tmp`);
    await mkdir(dirname(output), { recursive: true });
    try {
      const out = await open(temporary, 'wx');
      try {
        for await (const chunk of streamPlan(planned.plan, source)) await out.write(chunk);
        await out.sync();
      } finally {
        await out.close();
      }
      const written = await openFileSource(temporary);
      try {
        await verifyWritten(handler, written.source, label);
      } finally {
        await written.close();
      }
      await rename(temporary, output);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
    return {
      schemaVersion: REPORT_SCHEMA_VERSION,
      file: path,
      output,
      format: handler.id,
      label,
      previous: planned.before.label,
      findings: [...findings, ...planned.findings],
    };
  });
}
