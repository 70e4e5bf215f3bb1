import { writeKeyFiles } from 'aigc-label';
import type { Command } from 'commander';
import { printable } from '../format.js';
import { type CommandContext, collect } from './batch-command.js';

interface GenerateFlags {
  readonly out: string;
  readonly producer?: string[];
  readonly name?: string;
  readonly json?: boolean;
}

/** `aigc-label keys generate`: a new SM2 signing key pair; the private key is written to its file and nowhere else. */
export function registerKeys(program: Command, context: CommandContext): void {
  const keys = program.command('keys').description('SM2 signing keys for signed labels (ReservedCode1/ReservedCode2)');
  keys
    .command('generate')
    .description('write a new SM2 key pair: private-key.pem (PKCS#8, mode 0600) and public-key.pem (SPKI), as OpenSSL 3 reads them')
    .requiredOption('--out <dir>', 'folder for the key files (created when missing; existing key files are never overwritten)')
    .option('--producer <code>', 'also write trust-entry.pem, trusting the key for this producer code (repeatable)', collect)
    .option('--name <text>', 'the name trust-entry.pem gives the key')
    .option('--json', 'machine-readable output')
    .action(async (flags: GenerateFlags) => {
      const files = await writeKeyFiles(flags.out, {
        ...(flags.producer ? { producers: flags.producer } : {}),
        ...(flags.name ? { name: flags.name } : {}),
      });
      if (flags.json) {
        context.io.out(`${JSON.stringify(files, null, 2)}\n`);
        return;
      }
      const lines = [
        `key id       ${files.keyId}`,
        `private key  ${printable(files.privateKey)}  (keep it secret: label --sign-key, or AIGC_SIGN_KEY)`,
        `public key   ${printable(files.publicKey)}`,
        ...(files.trust ? [`trust entry  ${printable(files.trust)}  (for verifiers: --trust)`] : []),
      ];
      context.io.out(`${lines.join('\n')}\n`);
    });
}
