import { join } from 'node:path';
import { UsageError } from '@aigc-label/core';
import { newProduceId, outputPathFor } from 'aigc-label';
import type { Command } from 'commander';
import { signatureCell, table } from '../format.js';
import { batchCommand, type CommandContext, emit, parseLabelField, runVerb } from './batch-command.js';
import { NO_RHYTHM_HELP, OCR_HELP, type SearchFlags, searchOptions } from './detect.js';
import { addSignOptions, addTrustOption, type SignFlags, signOptionsOf } from './signing-options.js';

interface PropagateFlags extends SearchFlags, SignFlags {
  readonly platform: string;
  readonly propagateId?: string;
  readonly reservedCode2?: string;
  readonly declared?: boolean;
  readonly outDir?: string;
  readonly inPlace?: boolean;
  readonly preserveMtime?: boolean;
  readonly visiblePrompt?: boolean;
}

export function registerPropagate(program: Command, context: CommandContext): void {
  addTrustOption(
    addSignOptions(
      batchCommand(program, 'propagate', "a platform's step after verify: add its propagation elements (Measures Art. 6)"),
      'ReservedCode2',
    ),
  )
    .requiredOption(
      '--platform <code>',
      'platform code or name (ContentPropagator): printable ASCII without spaces (GB 45438 Annex E j))',
      parseLabelField,
    )
    .option('--propagate-id <id>', "the platform's content id (PropagateID); a fresh UUIDv7 per file when omitted")
    .option('--reserved-code2 <text>', 'platform security data (ReservedCode2)')
    .option('--declared', 'the uploader declared the content AI-generated')
    .option('-o, --out-dir <dir>', 'write files into this folder')
    .option('--in-place', 'replace the input files (mode, owner and links kept; a file with several hard links is refused)')
    .option('--preserve-mtime', "with --in-place: keep the files' modification times")
    .option('--visible-prompt', 'also add the prompt for the outcome (人工智能生成 / 可能为… / 疑似…) on images, video and text')
    .option('--ocr', `${OCR_HELP}, as traces`)
    .option('--no-rhythm', NO_RHYTHM_HELP)
    .action(async (inputs: string[], flags: PropagateFlags) => {
      if (flags.propagateId && (inputs.length > 1 || inputs[0] === '-'))
        throw new UsageError('--propagate-id names one content item; give one file, or leave it out for a fresh id per file');
      if (flags.inPlace && flags.outDir) throw new UsageError('--in-place replaces the inputs and -o writes elsewhere; give one of them');
      const outDir = flags.outDir;
      const run = await runVerb(
        context,
        'propagate',
        inputs,
        flags,
        (input) => ({
          verb: 'propagate',
          file: input.file,
          options: {
            propagator: flags.platform,
            propagateId: flags.propagateId ?? newProduceId(),
            reservedCode2: flags.reservedCode2,
            declared: flags.declared === true,
            visiblePrompt: flags.visiblePrompt === true,
            ...searchOptions(flags),
            ...signOptionsOf(flags),
            inPlace: flags.inPlace,
            preserveMtime: flags.preserveMtime,
            ...(outDir ? { output: join(outDir, input.relative) } : {}),
          },
        }),
        { outputOf: (job) => (job.options.inPlace ? null : outputPathFor(job.file, job.options)), outDir },
      );
      emit(context, flags, run, (reports) =>
        table([
          ['FILE', 'OUTCOME', 'LABEL', 'SIGNATURE', 'OUTPUT'],
          ...reports.map((r) =>
            'error' in r
              ? [r.file ?? '-', 'error', '', '', r.error.message]
              : [
                  r.verify.file ?? '-',
                  r.verify.outcome,
                  r.label ? r.label.label.Label : '-',
                  signatureCell(r.verify),
                  r.label?.output ?? 'nothing to propagate',
                ],
          ),
        ]),
      );
    });
}
