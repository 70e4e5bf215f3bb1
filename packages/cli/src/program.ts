import {
  AIGC_FIELDS,
  type DetectReport,
  defaultRegistry,
  detectFile,
  type ErrorReport,
  type LabelReport,
  type LabelValue,
  labelFile,
  REPORT_SCHEMA_VERSION,
  type VerifyReport,
  verifyFile,
} from 'aigc-label';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { detectTable, labelTable, table, verifyTable } from './format.js';

export interface Io {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

/** Exit codes: 0 success, 1 a file failed (or verify found no label), 2 usage error. */
export const ExitCode = { ok: 0, failed: 1, usage: 2 } as const;

const errorReport = (file: string, error: unknown): ErrorReport => ({
  schemaVersion: REPORT_SCHEMA_VERSION,
  file,
  error: error instanceof Error ? { name: error.name, message: error.message } : { name: 'Error', message: String(error) },
});

const parseLabelValue = (value: string): LabelValue => {
  if (value !== '1' && value !== '2' && value !== '3')
    throw new InvalidArgumentError('must be 1 (confirmed), 2 (possible) or 3 (suspected)');
  return value;
};

/**
 * Builds the CLI. Nothing here calls process.exit: `run` returns the exit code,
 * so tests drive the program in-process.
 */
export function createProgram(io: Io): { program: Command; exitCode: () => number } {
  let exitCode: number = ExitCode.ok;
  const fail = () => {
    exitCode = Math.max(exitCode, ExitCode.failed);
  };
  const program = new Command('aigc-label')
    .description('Apply, detect and verify GB 45438-2025 labels on AI-generated content.')
    .version('0.1.0')
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .showHelpAfterError('(run with --help for usage)');

  /** Runs `work` per file, in order; one failing file never stops the others. */
  async function eachFile<R>(files: readonly string[], work: (file: string) => Promise<R>): Promise<(R | ErrorReport)[]> {
    const results: (R | ErrorReport)[] = [];
    for (const file of files) {
      try {
        results.push(await work(file));
      } catch (error) {
        fail();
        const report = errorReport(file, error);
        io.err(`error: ${report.error.message}\n`);
        results.push(report);
      }
    }
    return results;
  }

  const emit = <R>(json: boolean | undefined, results: R[], human: (r: R[]) => string) => {
    io.out(`${json ? JSON.stringify(results.length === 1 ? results[0] : results, null, 2) : human(results)}\n`);
  };

  program
    .command('label')
    .description('write the implicit (metadata) label into each file')
    .argument('<files...>', 'files to label')
    .addOption(new Option('-p, --producer <code>', 'provider name or 27-character code (ContentProducer)').env('AIGC_PRODUCER'))
    .option('--produce-id <id>', 'content id (ProduceID); a fresh UUIDv7 per file when omitted')
    .option('--label <value>', 'Label value: 1 confirmed, 2 possible, 3 suspected', parseLabelValue, '1')
    .option('--reserved-code1 <text>', 'producer security data (ReservedCode1)')
    .option('-o, --out-dir <dir>', 'write labeled files into this folder')
    .option('--in-place', 'overwrite the input files')
    .option('-f, --force', 'replace a label written by another producer')
    .addOption(new Option('--form <form>', 'value form for the canonical carrier').choices(['bare', 'wrapped']))
    .option('--json', 'machine-readable output')
    .action(async (files: string[], opts) => {
      if (!opts.producer) throw new InvalidArgumentError('--producer <code> is required (or set AIGC_PRODUCER)');
      if (opts.produceId && files.length > 1) throw new InvalidArgumentError('--produce-id names one content item; give one file');
      const results = await eachFile(files, (file) =>
        labelFile(file, {
          producer: opts.producer,
          produceId: opts.produceId,
          labelValue: opts.label,
          reservedCode1: opts.reservedCode1,
          outDir: opts.outDir,
          inPlace: opts.inPlace,
          force: opts.force,
          form: opts.form,
        }),
      );
      emit<LabelReport | ErrorReport>(opts.json, results, labelTable);
    });

  program
    .command('detect')
    .description('read every label carrier in each file')
    .argument('<files...>', 'files to read')
    .option('--json', 'machine-readable output')
    .action(async (files: string[], opts) => {
      const results = await eachFile(files, (file) => detectFile(file));
      emit<DetectReport | ErrorReport>(opts.json, results, detectTable);
    });

  program
    .command('verify')
    .description('decide what a platform must show for each file (Measures Art. 6)')
    .argument('<files...>', 'files to verify')
    .option('--declared', 'the uploader declared the content AI-generated')
    .option('--json', 'machine-readable output')
    .action(async (files: string[], opts) => {
      const results = await eachFile(files, (file) => verifyFile(file, { declared: opts.declared }));
      if (results.some((r) => 'outcome' in r && r.outcome === 'none')) fail();
      emit<VerifyReport | ErrorReport>(opts.json, results, verifyTable);
    });

  program
    .command('inspect')
    .description('show every carrier, its location, raw value and the findings')
    .argument('<files...>', 'files to inspect')
    .option('--json', 'machine-readable output')
    .action(async (files: string[], opts) => {
      const results = await eachFile(files, (file) => detectFile(file));
      emit<DetectReport | ErrorReport>(opts.json, results, (rs) => rs.map(inspectText).join('\n\n'));
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
  }
}
