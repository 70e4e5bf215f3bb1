import type { FieldVerdict } from 'aigc-label';
import { type Command, Option } from 'commander';
import { printable } from '../format.js';
import { collect } from './batch-command.js';

/** `--sign-key` and `--log`, shared by `label` (ReservedCode1) and `propagate` (ReservedCode2). */
export interface SignFlags {
  readonly signKey?: string;
  readonly log?: string;
}

export interface TrustFlags {
  readonly trust?: string[];
}

export const addSignOptions = (command: Command, field: 'ReservedCode1' | 'ReservedCode2'): Command =>
  command
    .addOption(
      new Option(
        '--sign-key <file>',
        `sign ${field} with this SM2 private key (PEM or DER; an encrypted one takes AIGC_SIGN_KEY_PASSPHRASE), bound to the content`,
      ).env('AIGC_SIGN_KEY'),
    )
    .option('--log <file>', 'append one hash-chained line per written file to this operations log (Measures Art. 9)');

export const addTrustOption = (command: Command): Command =>
  command.option(
    '--trust <file|dir>',
    'trust store: PEM public keys or certificates, each with the producer codes it may sign for (repeatable)',
    collect,
  );

/** The library options for the signing flags: paths only, so jobs cross to batch threads as plain data. */
export const signOptionsOf = (flags: SignFlags) => ({
  ...(flags.signKey ? { signKey: flags.signKey } : {}),
  ...(flags.signKey && process.env.AIGC_SIGN_KEY_PASSPHRASE ? { signKeyPassphrase: process.env.AIGC_SIGN_KEY_PASSPHRASE } : {}),
  ...(flags.log ? { log: flags.log } : {}),
});

export const trustOptionsOf = (flags: TrustFlags) => (flags.trust && flags.trust.length > 0 ? { trust: flags.trust } : {});

/** Lines for `inspect`: each reserved field's verdict and why, the key and the binding. */
export function signatureLines(verdicts: readonly FieldVerdict[]): string[] {
  return verdicts.map((v) => {
    const key = v.keyId ? `, key ${v.keyId}` : '';
    const trusted = v.trustedAs ? ` (trusted as ${v.trustedAs})` : '';
    return `  signature ${v.field}: ${v.verdict}${key}${trusted}, binding ${v.binding}: ${printable(v.detail)}`;
  });
}
