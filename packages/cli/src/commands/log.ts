import { verifyLogFile } from 'aigc-label';
import { type Command, InvalidArgumentError } from 'commander';
import { printable } from '../format.js';
import { type CommandContext, ExitCode } from './batch-command.js';

interface VerifyLogFlags {
  readonly previous?: string;
  readonly json?: boolean;
}

const parseHash = (value: string): string => {
  if (!/^[0-9a-f]{64}$/.test(value)) throw new InvalidArgumentError('must be 64 lower-case hex digits (the head hash of the file before)');
  return value;
};

/** `aigc-label log verify`: checks an operations log's hash chain (Measures Art. 9) and names the first broken line. */
export function registerLog(program: Command, context: CommandContext): void {
  const log = program.command('log').description('the operations log that label and propagate write with --log (Measures Art. 9)');
  log
    .command('verify')
    .description('check the hash chain of an operations log; prints the head hash to keep elsewhere, or the first line that breaks it')
    .argument('<file>', 'the log file')
    .option('--previous <hash>', 'the head hash of the rotated file before this one (its first line chains to it)', parseHash)
    .option('--json', 'machine-readable output')
    .action(async (file: string, flags: VerifyLogFlags) => {
      const result = await verifyLogFile(file, flags.previous);
      if (!result.ok) context.raise(ExitCode.failed);
      if (flags.json) context.io.out(`${JSON.stringify({ file, ...result }, null, 2)}\n`);
      else if (result.ok) context.io.out(`${printable(file)}: the chain holds, ${result.lines} lines; head ${result.head}\n`);
      else context.io.out(`${printable(file)}: line ${result.line} of ${result.lines} breaks the chain: ${result.reason}\n`);
    });
}
