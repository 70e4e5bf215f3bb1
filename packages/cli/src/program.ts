import { disposeOcr } from 'aigc-label';
import { Command, CommanderError } from 'commander';
import { type CommandContext, ExitCode, type Io } from './commands/batch-command.js';
import { registerDetect, registerInspect } from './commands/detect.js';
import { registerFormats } from './commands/formats.js';
import { registerKeys } from './commands/keys.js';
import { registerLabel } from './commands/label.js';
import { registerLog } from './commands/log.js';
import { registerMergeReports } from './commands/merge-reports.js';
import { registerPropagate } from './commands/propagate.js';
import { registerQueue } from './commands/queue.js';
import { registerServe } from './commands/serve.js';
import { registerVerify } from './commands/verify.js';
import { printable } from './format.js';

export { ExitCode, type Io } from './commands/batch-command.js';

/**
 * Builds the CLI, one module per verb under commands/. Nothing here calls process.exit: `run`
 * returns the exit code, so tests drive the program in-process.
 */
export function createProgram(io: Io): { program: Command; exitCode: () => number } {
  let exitCode: number = ExitCode.ok;
  const context: CommandContext = {
    io,
    raise: (code) => {
      exitCode = Math.max(exitCode, code);
    },
  };
  const program = new Command('aigc-label')
    .description('Apply, detect and verify GB 45438-2025 labels on AI-generated content.')
    .version('0.1.0')
    .exitOverride()
    // Every usage error on one line that ends with where to look (commander puts suggestions on lines of their own).
    .configureOutput({
      writeOut: io.out,
      writeErr: io.err,
      outputError: (message, write) => write(`${printable(message.trim().replace(/\s*\n\s*/g, ' '))} (run with --help for usage)\n`),
    })
    .addHelpText(
      'after',
      `
Examples:
  aigc-label label photo.png song.mp3 --producer 001191440300708461136T1XGW3 -o out/
  aigc-label detect out/photo.png --json
  aigc-label verify uploads/ --report verify.jsonl          (then --resume after an interruption)
  find . -name '*.wav' -print0 | aigc-label label - -0 --producer my-service -o labeled/
  aigc-label propagate upload.jpg --platform 001191110108MA01XXXX0X20001 -o published/
  aigc-label keys generate --out keys/ && aigc-label label a.jpg -p my-service --sign-key keys/private-key.pem --log ops.log
  aigc-label verify a.labeled.jpg --trust trust/ --require-signature
  aigc-label serve --port 8080                              (then: curl -T photo.jpg localhost:8080/v1/verify/)
  aigc-label verify uploads/ --shard 2/8 --report r2.jsonl   (then merge-reports -o all.jsonl r*.jsonl)
  aigc-label worker --redis redis://redis:6379                (and enqueue --redis … uploads/ elsewhere)

Exit codes:
  0    success
  1    a file failed, or verify found no label on some file
  2    usage error (nothing was processed)
  130  interrupted (Ctrl-C); files in flight finished, --report flushed
  141  the output pipe closed (e.g. | head); files in flight finished

Run aigc-label <command> --help for a command's options.`,
    );
  registerLabel(program, context);
  registerDetect(program, context);
  registerVerify(program, context);
  registerPropagate(program, context);
  registerInspect(program, context);
  registerFormats(program, context);
  registerKeys(program, context);
  registerLog(program, context);
  registerServe(program, context);
  registerMergeReports(program, context);
  registerQueue(program, context);
  return { program, exitCode: () => exitCode };
}

/** Parses argv (without node and script) and returns the exit code. */
export async function run(argv: readonly string[], io: Io): Promise<number> {
  const { program, exitCode } = createProgram(io);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode();
  } catch (error) {
    // Commander has printed its own parse errors already; a usage error from a verb's checks has not.
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    }
    if (error instanceof Error && error.name === 'UsageError') {
      io.err(`error: ${printable(error.message)} (run with --help for usage)\n`);
      return ExitCode.usage;
    }
    io.err(`error: ${printable(error instanceof Error ? error.message : String(error))}\n`);
    return ExitCode.failed;
  } finally {
    // The OCR workers (detect --ocr) would otherwise keep the process alive.
    await disposeOcr();
  }
}
