import { join } from 'node:path';
import { VISIBLE_POSITIONS } from '@aigc-label/core';
import type { ExplicitLabelOptions, LabelFileOptions, LabelValue } from 'aigc-label';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { labelTable } from '../format.js';
import { type BatchFlags, batchCommand, type CommandContext, emit, runVerb } from './batch-command.js';

interface LabelFlags extends BatchFlags {
  readonly producer?: string;
  readonly produceId?: string;
  readonly label: LabelValue;
  readonly reservedCode1?: string;
  readonly outDir?: string;
  readonly inPlace?: boolean;
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
  for (const where of flags.at ?? []) {
    if (!isPlacement(where)) throw new InvalidArgumentError(`--at must be start, middle or end, not "${where}"`);
    placement.push(where);
  }
  if (flags.voice && placement.includes('middle'))
    throw new InvalidArgumentError('--voice goes at the start and/or the end (GB 45438 §5.3 d)), not the middle');
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
  batchCommand(program, 'label', 'add the explicit label (visible, audible or text) and write the implicit metadata label')
    .addOption(new Option('-p, --producer <code>', 'provider name or 27-character code (ContentProducer)').env('AIGC_PRODUCER'))
    .option('--produce-id <id>', 'content id (ProduceID); a fresh UUIDv7 per file when omitted')
    .option('--label <value>', 'Label value: 1 confirmed, 2 possible, 3 suspected', parseLabelValue, '1')
    .option('--reserved-code1 <text>', 'producer security data (ReservedCode1)')
    .option('-o, --out-dir <dir>', 'write labeled files into this folder (keeping sub-folders of folder inputs)')
    .option('--in-place', 'overwrite the input files')
    .option('-f, --force', 'replace a label written by another producer')
    .option('--iptc', 'also write IPTC DigitalSourceType trainedAlgorithmicMedia into XMP (dual labeling)')
    .option('--no-explicit', 'metadata label only: no visible label, rhythm or text prompt')
    .option('--wording <text>', 'explicit label wording; must contain 人工智能 or AI and 生成 or 合成 (default 人工智能生成)')
    .addOption(new Option('--position <corner>', 'image/video label position').choices([...VISIBLE_POSITIONS]))
    .option('--bilingual', 'add an English line (AI-generated) to the visible label')
    .option('--at <where...>', 'text and audio label placement: start, middle and/or end')
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
    .action(async (inputs: string[], flags: LabelFlags) => {
      if (!flags.producer) throw new InvalidArgumentError('--producer <code> is required (or set AIGC_PRODUCER)');
      if (flags.produceId && (inputs.length > 1 || inputs[0] === '-'))
        throw new InvalidArgumentError('--produce-id names one content item; give one file');
      const common: LabelFileOptions = {
        producer: flags.producer,
        produceId: flags.produceId,
        labelValue: flags.label,
        reservedCode1: flags.reservedCode1,
        inPlace: flags.inPlace,
        force: flags.force,
        form: flags.form,
        iptc: flags.iptc,
        ...explicitOptions(flags),
      };
      const outDir = flags.outDir;
      const run = await runVerb(context, 'label', inputs, flags, (input) => ({
        verb: 'label',
        file: input.file,
        options: outDir ? { ...common, output: join(outDir, input.relative) } : common,
      }));
      emit(context, flags, run, labelTable);
    });
}
