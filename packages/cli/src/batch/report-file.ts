import { type FileHandle, open, readFile, stat } from 'node:fs/promises';
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

/** Appends lines one at a time, in order, each complete before the next. */
export class ReportWriter {
  #handle: Promise<FileHandle>;
  #queue: Promise<void> = Promise.resolve();

  constructor(path: string, append: boolean) {
    this.#handle = open(path, append ? 'a' : 'w');
  }

  write(line: ReportLine): void {
    const text = `${JSON.stringify(line)}\n`;
    this.#queue = this.#queue.then(async () => {
      await (await this.#handle).write(text);
    });
  }

  async close(): Promise<void> {
    await this.#queue;
    const handle = await this.#handle;
    await handle.sync();
    await handle.close();
  }
}
