import { join } from 'node:path';
import { UsageError, VISIBLE_POSITIONS } from '@aigc-label/core';
import { type ExplicitLabelOptions, type LabelFileOptions, type LabelValue, outputPathFor } from 'aigc-label';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { labelTable } from '../format.js';
import { type BatchFlags, batchCommand, type CommandContext, collect, emit, parseLabelField, runVerb, timeoutOf } from './batch-command.js';
import { addSignOptions, type SignFlags, signOptionsOf } from './signing-options.js';
import {
  WATERMARK_KEY_HELP,
  WATERMARK_LABEL_HELP,
  WATERMARK_LABEL_OFF_HELP,
  type WatermarkFlags,
  watermarkOptions,
} from './watermark-flags.js';

interface LabelFlags extends BatchFlags, SignFlags, WatermarkFlags {
  readonly producer?: string;
  readonly produceId?: string;
  readonly label: LabelValue;
  readonly reservedCode1?: string;
  readonly outDir?: string;
  readonly inPlace?: boolean;
  readonly preserveMtime?: boolean;
  readonly force?: boolean;
  readonly iptc?: boolean;
  readonly explicit: boolean;
  readonly wording?: string;
  readonly position?: (typeof VISIBLE_POSITIONS)[number];
  readonly bilingual?: boolean;
  readonly at?: string[];
  readonly rhythmMode?: 'insert' | 'mix';
  readonly voice?: true | 'zh' | 'zh-en';
  readonly duration?: number;
  readonly allowNoncompliant?: boolean;
  readonly form?: 'bare' | 'wrapped';
}

const PLACEMENTS = ['start', 'middle', 'end'] as const;
type Placement = (typeof PLACEMENTS)[number];
const isPlacement = (value: string): value is Placement => (PLACEMENTS as readonly string[]).includes(value);

const parseLabelValue = (value: string): LabelValue => {
  if (value !== '1' && value !== '2' && value !== '3')
    throw new InvalidArgumentError('must be 1 (confirmed), 2 (possible) or 3 (suspected)');
  return value;
};

/** Explicit-label options from `label`'s flags. */
function explicitOptions(flags: LabelFlags): ExplicitLabelOptions {
  const placement: Placement[] = [];
  for (const where of (flags.at ?? []).flatMap((at) => at.split(','))) {
    if (!isPlacement(where)) throw new UsageError(`--at takes start, middle or end, not "${where}" (repeat --at for several)`);
    placement.push(where);
  }
  if (flags.voice && placement.includes('middle'))
    throw new UsageError('--voice goes at the start and/or the end (GB 45438 §5.3 d)), not the middle');
  const at = placement.length > 0 ? { placement } : {};
  const { wording } = flags;
  return {
    explicit: flags.explicit !== false,
    visible: {
      ...(wording ? { text: wording } : {}),
      ...(flags.position ? { position: flags.position } : {}),
      ...(flags.bilingual ? { bilingual: true } : {}),
      ...(flags.allowNoncompliant ? { allowNoncompliant: true } : {}),
    },
    text: { ...(wording ? { wording } : {}), ...at },
    audio: {
      ...at,
      ...(flags.rhythmMode ? { mode: flags.rhythmMode } : {}),
      ...(flags.voice ? { voice: flags.voice === true ? 'zh' : flags.voice } : {}),
    },
    video: { ...(flags.duration !== undefined ? { duration: flags.duration } : {}), ...at },
  };
}

export function registerLabel(program: Command, context: CommandContext): void {
  addSignOptions(
    batchCommand(program, 'label', 'add the explicit label (visible, audible or text) and write the implicit metadata label'),
    'ReservedCode1',
  )
    .addOption(
      new Option(
        '-p, --producer <code>',
        'your 27-character provider code, or a name (ContentProducer): printable ASCII without spaces (GB 45438 Annex E j)); a Chinese name goes in as its code',
      )
        .env('AIGC_PRODUCER')
        .argParser(parseLabelField),
    )
    .option('--produce-id <id>', 'content id (ProduceID); a fresh UUIDv7 per file when omitted')
    .option('--label <value>', 'Label value: 1 confirmed, 2 possible, 3 suspected', parseLabelValue, '1')
    .option('--reserved-code1 <text>', 'producer security data (ReservedCode1)')
    .option('-o, --out-dir <dir>', 'write labeled files into this folder (keeping sub-folders of folder inputs)')
    .option('--in-place', 'replace the input files (mode, owner and links kept; a file with several hard links is refused)')
    .option('--preserve-mtime', "with --in-place: keep the files' modification times")
    .option('-f, --force', 'replace a label written by another producer')
    .option('--iptc', 'also write IPTC DigitalSourceType trainedAlgorithmicMedia into XMP (dual labeling)')
    .option('--no-explicit', 'metadata label only: no visible label, rhythm or text prompt')
    .option('--wording <text>', 'explicit label wording; must contain 人工智能 or AI and 生成 or 合成 (default 人工智能生成)')
    .addOption(new Option('--position <corner>', 'image/video label position').choices([...VISIBLE_POSITIONS]))
    .option('--bilingual', 'add an English line (AI-generated) to the visible label')
    .option('--at <where>', 'text, audio and video label placement: start, middle or end (repeat for several)', collect)
    .addOption(new Option('--rhythm-mode <mode>', 'audio: insert the rhythm (content shifts) or mix it over').choices(['insert', 'mix']))
    .addOption(
      new Option('--voice [prompt]', 'audio: a spoken prompt instead of the rhythm, zh (本内容由人工智能生成) or zh-en').choices([
        'zh',
        'zh-en',
      ]),
    )
    .option('--duration <seconds>', 'video: seconds the visible label shows (at least 2, GB 45438 §5.4)', Number.parseFloat)
    .option('--allow-noncompliant', 'draw a visible label below the 5% rule rather than refuse (reported as a finding)')
    .addOption(new Option('--form <form>', 'value form for the canonical carrier').choices(['bare', 'wrapped']))
    .option('--watermark', WATERMARK_LABEL_HELP)
    .option('--no-watermark', WATERMARK_LABEL_OFF_HELP)
    .option('--watermark-key <file>', WATERMARK_KEY_HELP)
    .action(async (inputs: string[], flags: LabelFlags) => {
      if (!flags.producer) throw new UsageError('--producer <code> is required (or set AIGC_PRODUCER): your provider code or name');
      if (flags.produceId && (inputs.length > 1 || inputs[0] === '-'))
        throw new UsageError('--produce-id names one content item; give one file, or leave it out for a fresh id per file');
      if (flags.inPlace && flags.outDir) throw new UsageError('--in-place replaces the inputs and -o writes elsewhere; give one of them');
      const common: LabelFileOptions = {
        producer: flags.producer,
        produceId: flags.produceId,
        labelValue: flags.label,
        reservedCode1: flags.reservedCode1,
        inPlace: flags.inPlace,
        preserveMtime: flags.preserveMtime,
        force: flags.force,
        form: flags.form,
        iptc: flags.iptc,
        ...timeoutOf(flags),
        ...explicitOptions(flags),
        ...signOptionsOf(flags),
        ...watermarkOptions(flags),
      };
      const outDir = flags.outDir;
      const run = await runVerb(
        context,
        'label',
        inputs,
        flags,
        (input) => ({ verb: 'label', file: input.file, options: outDir ? { ...common, output: join(outDir, input.relative) } : common }),
        { outputOf: (job) => (job.options.inPlace ? null : outputPathFor(job.file, job.options)), outDir },
      );
      emit(context, flags, run, labelTable);
    });
}
