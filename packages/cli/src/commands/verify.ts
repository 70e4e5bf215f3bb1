import type { Command } from 'commander';
import { verifyTable } from '../format.js';
import { batchCommand, type CommandContext, ExitCode, emit, runVerb } from './batch-command.js';
import { addWatermarkSearchOptions, NO_RHYTHM_HELP, OCR_HELP, type SearchFlags, searchOptions } from './detect.js';
import { addTrustOption } from './signing-options.js';

interface VerifyFlags extends SearchFlags {
  readonly declared?: boolean;
  readonly audit?: boolean;
  readonly requireSignature?: boolean;
}

export function registerVerify(program: Command, context: CommandContext): void {
  addWatermarkSearchOptions(
    addTrustOption(batchCommand(program, 'verify', 'decide what a platform must show for each file (Measures Art. 6)'))
      .option('--declared', 'the uploader declared the content AI-generated')
      .option(
        '--require-signature',
        'platform policy: a producer label that is not `verified` (signed, trusted key, content binding matching) fails the file',
      )
      .option('--ocr', OCR_HELP)
      .option('--no-rhythm', NO_RHYTHM_HELP)
      .option('--audit', 'full compliance check: search for explicit labels even when the metadata label decides the outcome'),
  ).action(async (inputs: string[], flags: VerifyFlags) => {
    const options = {
      declared: flags.declared === true,
      audit: flags.audit === true,
      requireSignature: flags.requireSignature === true,
      ...searchOptions(flags),
    };
    const run = await runVerb(context, 'verify', inputs, flags, (input) => ({ verb: 'verify', file: input.file, options }));
    if (run.results.some((r) => r.ok && r.report.outcome === 'none')) context.raise(ExitCode.failed);
    if (run.results.some((r) => r.ok && r.report.findings.some((f) => f.rule === 'signature/required'))) context.raise(ExitCode.failed);
    emit(context, flags, run, verifyTable);
  });
}
