import { AIGC_FIELDS } from '@aigc-label/core';
import type { DetectReport, ErrorReport } from 'aigc-label';
import type { Command } from 'commander';
import { detectTable, printable } from '../format.js';
import { type BatchFlags, batchCommand, type CommandContext, emit, runVerb, timeoutOf } from './batch-command.js';
import { addTrustOption, signatureLines, type TrustFlags, trustOptionsOf } from './signing-options.js';
import { WATERMARK_DETECT_HELP, WATERMARK_KEY_HELP, type WatermarkFlags, watermarkOptions } from './watermark-flags.js';

export interface SearchFlags extends BatchFlags, TrustFlags, WatermarkFlags {
  readonly ocr?: boolean;
  /** `--no-rhythm` (kept as the flag's name) sets this false. */
  readonly rhythm: boolean;
}

export const OCR_HELP = 'read visible labels in images and video frames (slow)';
export const NO_RHYTHM_HELP = 'do not look for audible labels (the ·−·· rhythm, the built-in voice prompts) in audio and video';

/** The explicit-label searches the flags ask for. */
export const searchOptions = (flags: SearchFlags) => ({
  ocr: flags.ocr === true,
  audible: flags.rhythm,
  ...watermarkOptions(flags),
  ...timeoutOf(flags),
  ...trustOptionsOf(flags),
});

/** `--watermark`, `--no-watermark` and `--watermark-key` on detect and verify. */
export const addWatermarkSearchOptions = (command: Command): Command =>
  command
    .option('--watermark', WATERMARK_DETECT_HELP)
    .option('--no-watermark', 'do not look for invisible watermarks')
    .option('--watermark-key <file>', WATERMARK_KEY_HELP);

export function registerDetect(program: Command, context: CommandContext): void {
  addWatermarkSearchOptions(
    addTrustOption(batchCommand(program, 'detect', 'read every label carrier in each file, and explicit labels'))
      .option('--ocr', OCR_HELP)
      .option('--no-rhythm', NO_RHYTHM_HELP),
  ).action(async (inputs: string[], flags: SearchFlags) => {
    const options = searchOptions(flags);
    const run = await runVerb(context, 'detect', inputs, flags, (input) => ({ verb: 'detect', file: input.file, options }));
    emit(context, flags, run, detectTable);
  });
}

export function registerInspect(program: Command, context: CommandContext): void {
  addTrustOption(batchCommand(program, 'inspect', 'show every carrier, its location, raw value and the findings')).action(
    async (inputs: string[], flags: BatchFlags & TrustFlags) => {
      const run = await runVerb(context, 'inspect', inputs, flags, (input) => ({
        verb: 'inspect',
        file: input.file,
        options: { ...timeoutOf(flags), ...trustOptionsOf(flags) },
      }));
      emit(context, flags, run, (reports) => reports.map(inspectText).join('\n\n'));
    },
  );
}

/** Every carrier with its raw value, evidence and findings; what comes from the file is made printable. */
function inspectText(r: DetectReport | ErrorReport): string {
  if ('error' in r) return printable(`${r.file}: error: ${r.error.message}`);
  const lines = [`${printable(r.file ?? '-')}  (${r.format}, ${r.kind})`];
  if (r.carriers.length === 0) lines.push('  no label carrier');
  for (const c of r.carriers) {
    lines.push(`  ${c.carrier}${c.canonical ? '' : ' (non-canonical)'}: ${printable(c.location)}`);
    if (c.label) for (const f of AIGC_FIELDS) lines.push(`    ${f.padEnd(18)} ${printable(c.label[f])}`);
    else lines.push(`    raw: ${printable(c.raw.slice(0, 200))}`);
  }
  lines.push(...signatureLines(r.signatures ?? []));
  for (const e of r.evidence) lines.push(`  evidence: ${e.kind}: ${printable(e.detail)}`);
  for (const f of r.findings) lines.push(`  ${f.severity.padEnd(7)} ${f.rule}: ${printable(f.message)}`);
  return lines.join('\n');
}
