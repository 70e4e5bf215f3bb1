import type { Command } from 'commander';
import { verifyTable } from '../format.js';
import { batchCommand, type CommandContext, ExitCode, emit, runVerb } from './batch-command.js';
import { addWatermarkSearchOptions, NO_RHYTHM_HELP, OCR_HELP, type SearchFlags, searchOptions } from './detect.js';

interface VerifyFlags extends SearchFlags {
  readonly declared?: boolean;
}

export function registerVerify(program: Command, context: CommandContext): void {
  addWatermarkSearchOptions(
    batchCommand(program, 'verify', 'decide what a platform must show for each file (Measures Art. 6)')
      .option('--declared', 'the uploader declared the content AI-generated')
      .option('--ocr', OCR_HELP)
      .option('--no-rhythm', NO_RHYTHM_HELP),
  ).action(async (inputs: string[], flags: VerifyFlags) => {
    const options = { declared: flags.declared === true, ...searchOptions(flags) };
    const run = await runVerb(context, 'verify', inputs, flags, (input) => ({ verb: 'verify', file: input.file, options }));
    if (run.results.some((r) => r.ok && r.report.outcome === 'none')) context.raise(ExitCode.failed);
    emit(context, flags, run, verifyTable);
  });
}
