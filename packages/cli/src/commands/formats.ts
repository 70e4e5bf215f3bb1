import { isExplicitCapability } from '@aigc-label/core';
import { defaultRegistry } from 'aigc-label';
import type { Command } from 'commander';
import { table } from '../format.js';
import type { CommandContext } from './batch-command.js';

export function registerFormats(program: Command, context: CommandContext): void {
  program
    .command('formats')
    .description('list the supported formats and their carriers')
    .option('--json', 'machine-readable output')
    .action((flags: { json?: boolean }) => {
      const list = defaultRegistry.list().map((h) => ({
        id: h.id,
        kind: h.kind,
        name: h.name,
        extensions: h.extensions,
        mimeTypes: h.mimeTypes,
        carrier: h.carrier,
        explicit: h.explicit && isExplicitCapability(h.explicit) ? h.explicit.summary : null,
      }));
      if (flags.json) context.io.out(`${JSON.stringify(list, null, 2)}\n`);
      else
        context.io.out(
          `${table([
            ['ID', 'KIND', 'EXTENSIONS', 'CARRIER', 'EXPLICIT LABEL'],
            ...list.map((f) => [f.id, f.kind, f.extensions.join(' '), f.carrier, f.explicit ?? '-']),
          ])}\n`,
        );
    });
}
