import { type FileHandle, open, readFile, stat } from 'node:fs/promises';
import { UsageError } from '@aigc-label/core';
import type { ErrorReport } from 'aigc-label';
import type { Report, Verb } from './jobs.js';

/** One line of a `--report` JSON Lines file: the file's report plus what `--resume` needs. */
export interface ReportLine {
  readonly verb: Verb;
  readonly file: string;
  readonly ok: boolean;
  readonly size: number | null;
  readonly mtimeMs: number | null;
  readonly report: Report | ErrorReport;
}

export const isReportLine = (value: unknown): value is ReportLine =>
  typeof value === 'object' && value !== null && 'verb' in value && 'file' in value && 'ok' in value && 'report' in value;

/** Files a previous run finished successfully, with the size and mtime they had then. */
export async function readDone(path: string, verb: Verb): Promise<Map<string, { size: number; mtimeMs: number }>> {
  const done = new Map<string, { size: number; mtimeMs: number }>();
  const text = await readFile(path, 'utf8').catch(() => '');
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let entry: ReportLine;
    try {
      entry = JSON.parse(line) as ReportLine;
    } catch {
      continue; // a line cut short by an interruption
    }
    if (entry.verb === verb && entry.ok && entry.size !== null && entry.mtimeMs !== null) {
      done.set(entry.file, { size: entry.size, mtimeMs: entry.mtimeMs });
    } else if (entry.verb === verb) {
      done.delete(entry.file);
    }
  }
  return done;
}

export async function fileStamp(file: string): Promise<{ size: number | null; mtimeMs: number | null }> {
  const info = await stat(file).catch(() => null);
  return info?.isFile() ? { size: info.size, mtimeMs: info.mtimeMs } : { size: null, mtimeMs: null };
}

/**
 * A report is only ever written to a new file, an empty one, or an earlier report of ours
 * (recognised by its first line): `--report photo.png` must never destroy a picture.
 */
async function checkReportTarget(path: string): Promise<void> {
  const info = await stat(path).catch(() => null);
  if (!info) return;
  if (!info.isFile()) throw new UsageError(`--report ${path} is not a regular file`);
  if (info.size === 0) return;
  const handle = await open(path, 'r');
  try {
    const head = new Uint8Array(Math.min(info.size, 64 * 1024));
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    const first = new TextDecoder().decode(head.subarray(0, bytesRead)).split('\n')[0] ?? '';
    let parsed: unknown = null;
    try {
      parsed = JSON.parse(first);
    } catch {}
    if (!isReportLine(parsed)) {
      throw new UsageError(`--report ${path} exists and is not an aigc-label report; it was left untouched (choose a new file)`);
    }
  } finally {
    await handle.close();
  }
}

/** Appends lines one at a time, in order, each complete before the next. */
export class ReportWriter {
  #handle: FileHandle;
  #queue: Promise<void> = Promise.resolve();

  private constructor(handle: FileHandle) {
    this.#handle = handle;
  }

  static async open(path: string, append: boolean): Promise<ReportWriter> {
    await checkReportTarget(path);
    return new ReportWriter(await open(path, append ? 'a' : 'w'));
  }

  write(line: ReportLine): void {
    const bytes = new TextEncoder().encode(`${JSON.stringify(line)}\n`);
    this.#queue = this.#queue.then(async () => {
      // A short write (a quota, a full disk) must not leave half a line that --resume then skips.
      for (let done = 0; done < bytes.length; ) {
        const { bytesWritten } = await this.#handle.write(bytes, done, bytes.length - done);
        if (bytesWritten <= 0) throw new Error('the report file accepts no more bytes');
        done += bytesWritten;
      }
    });
  }

  async close(): Promise<void> {
    await this.#queue;
    await this.#handle.sync();
    await this.#handle.close();
  }
}
