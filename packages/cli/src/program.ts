import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import {
  AIGC_FIELDS,
  type DetectReport,
  defaultRegistry,
  disposeOcr,
  type ErrorReport,
  LABEL_POSITIONS,
  type LabelReport,
  type LabelValue,
  newProduceId,
  type PropagateResult,
  type VerifyReport,
} from 'aigc-label';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { runBatch } from './batch/batch.js';
import type { InputFile } from './batch/inputs.js';
import type { JobResult, Verb } from './batch/jobs.js';
import { detectTable, labelTable, table, verifyTable } from './format.js';
import { summaryText } from './summary.js';

// One batch thread keeps about one and a half cores busy (measured: 147% CPU for metadata-only
// files, from V8's compiler and GC threads and the kernel's file work; ffmpeg and Tesseract run
// threads of their own for media), so a thread per core oversubscribes: on 2 cores, -j 2 was
// slower than -j 1 (bench/batch.mjs).
const DEFAULT_THREADS = Math.max(1, Math.floor(availableParallelism() / 2));

export interface Io {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  /** stderr is a terminal: show a progress bar. */
  readonly isTTY?: boolean;
  /** Reads standard input, for the `-` argument. */
  readonly readStdin?: () => Promise<string>;
  /** True once the user pressed Ctrl-C. */
  readonly interrupted?: () => boolean;
}

/** Exit codes: 0 success, 1 a file failed (or verify found no label), 2 usage error, 130 interrupted. */
export const ExitCode = { ok: 0, failed: 1, usage: 2, interrupted: 130 } as const;

/** Per-file tables are printed for batches up to this size; larger ones get the summary only. */
const perFileRowsLimit = 100;

const parseLabelValue = (value: string): LabelValue => {
  if (value !== '1' && value !== '2' && value !== '3')
    throw new InvalidArgumentError('must be 1 (confirmed), 2 (possible) or 3 (suspected)');
  return value;
};

const parseConcurrency = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 256) throw new InvalidArgumentError('must be an integer from 1 to 256');
  return n;
};

const collect = (value: string, previous: string[] = []) => [...previous, value];

const PLACEMENTS = ['start', 'middle', 'end'];

/** Explicit-label options from `label`'s flags. */
function explicitOptions(opts: Record<string, unknown>): Record<string, unknown> {
  const at = opts.at as string[] | undefined;
  for (const where of at ?? []) {
    if (!PLACEMENTS.includes(where)) throw new InvalidArgumentError(`--at must be start, middle or end, not "${where}"`);
  }
  if (opts.voice && at?.includes('middle'))
    throw new InvalidArgumentError('--voice goes at the start and/or the end (GB 45438 §5.3 d)), not the middle');
  const wording = opts.wording as string | undefined;
  return {
    explicit: opts.explicit !== false,
    visible: {
      ...(wording ? { text: wording } : {}),
      ...(opts.position ? { position: opts.position } : {}),
      ...(opts.bilingual ? { bilingual: true } : {}),
      ...(opts.allowNoncompliant ? { allowNoncompliant: true } : {}),
    },
    text: { ...(wording ? { wording } : {}), ...(at ? { positions: at } : {}) },
    audio: {
      ...(at ? { positions: at } : {}),
      ...(opts.rhythmMode ? { mode: opts.rhythmMode } : {}),
      ...(opts.voice ? { voice: opts.voice === true ? 'zh' : opts.voice } : {}),
    },
    video: { ...(opts.duration !== undefined ? { duration: opts.duration } : {}), ...(at ? { at } : {}) },
  };
}

/**
 * Builds the CLI. Nothing here calls process.exit: `run` returns the exit code,
 * so tests drive the program in-process.
 */
export function createProgram(io: Io): { program: Command; exitCode: () => number } {
  let exitCode: number = ExitCode.ok;
  const raise = (code: number) => {
    exitCode = Math.max(exitCode, code);
  };
  const program = new Command('aigc-label')
    .description('Apply, detect and verify GB 45438-2025 labels on AI-generated content.')
    .version('0.1.0')
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .showHelpAfterError('(run with --help for usage)');

  /** The options every verb shares: batch input, parallelism, report, output format. */
  const batchCommand = (name: string, description: string) =>
    program
      .command(name)
      .description(description)
      .argument('<inputs...>', 'files, folders (searched recursively) or - for a list of paths on stdin')
      .option('--include <glob>', 'only files under a folder matching this glob (repeatable)', collect)
      .option('--exclude <glob>', 'skip files under a folder matching this glob (repeatable)', collect)
      .option('-j, --concurrency <n>', 'threads processing files (half the cores)', parseConcurrency, DEFAULT_THREADS)
      .option('--report <file>', 'write a JSON Lines report as files finish')
      .option('--resume', 'skip files the --report file lists as done with unchanged size and mtime')
      .option('--no-progress', 'no progress bar (it only appears on a terminal anyway)')
      .option('--json', 'machine-readable output');

  async function batch(
    verb: Verb,
    inputs: string[],
    opts: Record<string, unknown>,
    optionsFor: (input: InputFile) => Record<string, unknown>,
  ) {
    if (opts.resume && !opts.report) throw new InvalidArgumentError('--resume needs --report <file>');
    const started = Date.now();
    const outcome = await runBatch({
      verb,
      inputs,
      optionsFor,
      concurrency: opts.concurrency as number,
      include: opts.include as string[] | undefined,
      exclude: opts.exclude as string[] | undefined,
      reportPath: opts.report as string | undefined,
      resume: opts.resume === true,
      readStdin: io.readStdin,
      progress: io.isTTY && opts.progress !== false && !opts.json ? io.err : undefined,
      stopped: io.interrupted,
    });
    for (const r of outcome.results) {
      if (!r.ok) {
        raise(ExitCode.failed);
        io.err(`error: ${r.report.error.message}\n`);
      }
    }
    if (outcome.interrupted) raise(ExitCode.interrupted);
    return { ...outcome, seconds: (Date.now() - started) / 1000 };
  }

  function emit(
    opts: Record<string, unknown>,
    outcome: { results: JobResult[]; skipped: number; seconds: number },
    human: (reports: never[]) => string,
  ) {
    const reports = outcome.results.map((r) => r.report);
    if (opts.json) {
      io.out(`${JSON.stringify(reports.length === 1 ? reports[0] : reports, null, 2)}\n`);
      return;
    }
    if (reports.length <= perFileRowsLimit && reports.length > 0) io.out(`${human(reports as never[])}\n`);
    if (reports.length > 1 || outcome.skipped > 0) io.out(`\n${summaryText(outcome.results, outcome.skipped, outcome.seconds)}\n`);
  }

  batchCommand('label', 'add the explicit label (visible, audible or text) and write the implicit metadata label')
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
    .addOption(new Option('--position <corner>', 'image/video label position').choices([...LABEL_POSITIONS]))
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
    .action(async (inputs: string[], opts) => {
      if (!opts.producer) throw new InvalidArgumentError('--producer <code> is required (or set AIGC_PRODUCER)');
      if (opts.produceId && (inputs.length > 1 || inputs[0] === '-'))
        throw new InvalidArgumentError('--produce-id names one content item; give one file');
      const common = {
        producer: opts.producer,
        produceId: opts.produceId,
        labelValue: opts.label,
        reservedCode1: opts.reservedCode1,
        inPlace: opts.inPlace,
        force: opts.force,
        form: opts.form,
        iptc: opts.iptc,
        ...explicitOptions(opts),
      };
      const outcome = await batch('label', inputs, opts, (input) => ({
        ...common,
        ...(opts.outDir ? { output: join(opts.outDir, input.relative) } : {}),
      }));
      emit(opts, outcome, (rs: (LabelReport | ErrorReport)[]) => labelTable(rs));
    });

  batchCommand('detect', 'read every label carrier in each file, and explicit labels')
    .option('--ocr', 'read visible labels in images and video frames (slow)')
    .option('--no-rhythm', 'do not look for audible labels (the ·−·· rhythm, the built-in voice prompts) in audio and video')
    .action(async (inputs: string[], opts) => {
      const outcome = await batch('detect', inputs, opts, () => ({ ocr: opts.ocr === true, rhythm: opts.rhythm }));
      emit(opts, outcome, (rs: (DetectReport | ErrorReport)[]) => detectTable(rs));
    });

  batchCommand('verify', 'decide what a platform must show for each file (Measures Art. 6)')
    .option('--declared', 'the uploader declared the content AI-generated')
    .option('--ocr', 'read visible labels in images and video frames (slow)')
    .option('--no-rhythm', 'do not look for audible labels (the ·−·· rhythm, the built-in voice prompts) in audio and video')
    .action(async (inputs: string[], opts) => {
      const outcome = await batch('verify', inputs, opts, () => ({
        declared: opts.declared === true,
        ocr: opts.ocr === true,
        rhythm: opts.rhythm,
      }));
      if (outcome.results.some((r) => r.ok && (r.report as unknown as VerifyReport).outcome === 'none')) raise(ExitCode.failed);
      emit(opts, outcome, (rs: (VerifyReport | ErrorReport)[]) => verifyTable(rs));
    });

  batchCommand('propagate', "a platform's step after verify: add its propagation elements (Measures Art. 6)")
    .requiredOption('--platform <code>', 'platform name or code (ContentPropagator)')
    .option('--propagate-id <id>', "the platform's content id (PropagateID); a fresh UUIDv7 per file when omitted")
    .option('--reserved-code2 <text>', 'platform security data (ReservedCode2)')
    .option('--declared', 'the uploader declared the content AI-generated')
    .option('-o, --out-dir <dir>', 'write files into this folder')
    .option('--in-place', 'overwrite the input files')
    .option('--visible-prompt', 'also add the prompt for the outcome (人工智能生成 / 可能为… / 疑似…) on images, video and text')
    .option('--ocr', 'read visible labels in images and video frames as traces (slow)')
    .option('--no-rhythm', 'do not look for audible labels (the ·−·· rhythm, the built-in voice prompts) in audio and video')
    .action(async (inputs: string[], opts) => {
      if (opts.propagateId && (inputs.length > 1 || inputs[0] === '-'))
        throw new InvalidArgumentError('--propagate-id names one content item; give one file');
      const outcome = await batch('propagate', inputs, opts, (input) => ({
        propagator: opts.platform,
        propagateId: opts.propagateId ?? newProduceId(),
        reservedCode2: opts.reservedCode2,
        declared: opts.declared === true,
        visiblePrompt: opts.visiblePrompt === true,
        ocr: opts.ocr === true,
        rhythm: opts.rhythm,
        inPlace: opts.inPlace,
        ...(opts.outDir ? { output: join(opts.outDir, input.relative) } : {}),
      }));
      emit(opts, outcome, (rs: (PropagateResult | ErrorReport)[]) =>
        table([
          ['FILE', 'OUTCOME', 'LABEL', 'OUTPUT'],
          ...rs.map((r) =>
            'error' in r
              ? [r.file ?? '-', 'error', '', r.error.message]
              : [r.verify.file ?? '-', r.verify.outcome, r.label ? r.label.label.Label : '-', r.label?.output ?? 'nothing to propagate'],
          ),
        ]),
      );
    });

  batchCommand('inspect', 'show every carrier, its location, raw value and the findings').action(async (inputs: string[], opts) => {
    const outcome = await batch('inspect', inputs, opts, () => ({}));
    emit(opts, outcome, (rs: (DetectReport | ErrorReport)[]) => rs.map(inspectText).join('\n\n'));
  });

  program
    .command('formats')
    .description('list the supported formats and their carriers')
    .option('--json', 'machine-readable output')
    .action((opts) => {
      const list = defaultRegistry
        .list()
        .map((h) => ({ id: h.id, kind: h.kind, name: h.name, extensions: h.extensions, mimeTypes: h.mimeTypes, carrier: h.carrier }));
      if (opts.json) io.out(`${JSON.stringify(list, null, 2)}\n`);
      else
        io.out(
          `${table([['ID', 'KIND', 'EXTENSIONS', 'CARRIER'], ...list.map((f) => [f.id, f.kind, f.extensions.join(' '), f.carrier])])}\n`,
        );
    });

  return { program, exitCode: () => exitCode };
}

function inspectText(r: DetectReport | ErrorReport): string {
  if ('error' in r) return `${r.file}: error: ${r.error.message}`;
  const lines = [`${r.file}  (${r.format}, ${r.kind})`];
  if (r.carriers.length === 0) lines.push('  no label carrier');
  for (const c of r.carriers) {
    lines.push(`  ${c.carrier}${c.canonical ? '' : ' (non-canonical)'}: ${c.location}`);
    if (c.label) for (const f of AIGC_FIELDS) lines.push(`    ${f.padEnd(18)} ${c.label[f]}`);
    else lines.push(`    raw: ${c.raw.slice(0, 200)}`);
  }
  for (const e of r.evidence) lines.push(`  evidence: ${e.kind}: ${e.detail}`);
  for (const f of r.findings) lines.push(`  ${f.severity.padEnd(7)} ${f.rule}: ${f.message}`);
  return lines.join('\n');
}

/** Parses argv (without node and script) and returns the exit code. */
export async function run(argv: readonly string[], io: Io): Promise<number> {
  const { program, exitCode } = createProgram(io);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode();
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    }
    if (error instanceof InvalidArgumentError || (error instanceof Error && error.name === 'UsageError')) {
      io.err(`error: ${error.message}\n`);
      return ExitCode.usage;
    }
    io.err(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    return ExitCode.failed;
  } finally {
    // The OCR workers (detect --ocr) would otherwise keep the process alive.
    await disposeOcr();
  }
}
