import { readFile } from 'node:fs/promises';
import { UsageError } from '@aigc-label/core';
import type { Command } from 'commander';
import { isReportLine, type ReportLine, ReportWriter } from '../batch/report-file.js';
import { printable } from '../format.js';
import { type CommandContext, ExitCode } from './batch-command.js';

interface MergeFlags {
  readonly output: string;
  readonly json?: boolean;
}

interface Merged {
  readonly lines: Map<string, ReportLine>;
  /** Files listed by more than one report: shards that overlapped (a wrong --shard) or a file reported twice. */
  readonly repeated: Set<string>;
}

/**
 * The last line per verb and file across the shard reports. Within one report a later line
 * supersedes an earlier one (a --resume run appending); a file in two reports is counted.
 */
async function merge(paths: readonly string[]): Promise<Merged> {
  const lines = new Map<string, ReportLine>();
  const owner = new Map<string, string>();
  const repeated = new Set<string>();
  for (const path of paths) {
    const text = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
      throw new UsageError(`cannot read the report ${path} (${error.code ?? error.message})`);
    });
    for (const [number, line] of text.split('\n').entries()) {
      if (!line.trim()) continue;
      let entry: unknown;
      try {
        entry = JSON.parse(line);
      } catch {
        // A report's last line may be cut short by a killed run; anywhere else it is not one of ours.
        if (number === text.split('\n').length - 1) continue;
        throw new UsageError(`${path} line ${number + 1} is not JSON: it is not an aigc-label report`);
      }
      if (!isReportLine(entry)) throw new UsageError(`${path} line ${number + 1} is not an aigc-label report line`);
      const key = `${entry.verb}\0${entry.file}`;
      const first = owner.get(key);
      if (first !== undefined && first !== path) repeated.add(key);
      owner.set(key, path);
      lines.set(key, entry);
    }
  }
  return { lines, repeated };
}

export function registerMergeReports(program: Command, context: CommandContext): void {
  program
    .command('merge-reports')
    .description('merge the --report files of sharded runs (--shard) into one, a line per file')
    .argument('<reports...>', 'the JSON Lines reports to merge')
    .requiredOption('-o, --output <file>', 'the merged report (a new file, or an earlier report to replace)')
    .option('--json', 'machine-readable counts')
    .action(async (reports: string[], flags: MergeFlags) => {
      const { lines, repeated } = await merge(reports);
      const sorted = [...lines.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      const writer = await ReportWriter.open(flags.output, false);
      for (const [, line] of sorted) writer.write(line);
      await writer.close();
      const failed = sorted.filter(([, line]) => !line.ok).length;
      const counts = { reports: reports.length, files: sorted.length, ok: sorted.length - failed, failed, inSeveralReports: repeated.size };
      if (flags.json) context.io.out(`${JSON.stringify(counts)}\n`);
      else
        context.io.out(
          `${counts.files} files from ${counts.reports} reports into ${printable(flags.output)}: ${counts.ok} ok, ${counts.failed} failed\n`,
        );
      if (repeated.size > 0) {
        context.io.err(
          `warning: ${repeated.size} files are in more than one report (the last report given wins); were the shards the same?\n`,
        );
      }
      if (failed > 0) context.raise(ExitCode.failed);
    });
}
