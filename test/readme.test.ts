import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultRegistry, explicitSupport } from 'aigc-label';
import { describe, expect, it } from 'vitest';
import { formatsTable } from './formats-table.mjs';

const readme = readFileSync(join(import.meta.dirname, '..', 'README.md'), 'utf8');

describe('README', () => {
  it('lists exactly the formats the registry handles', () => {
    // Cells are compared without their padding: the formatter aligns the columns.
    const cells = (table: string | undefined) => table?.split('\n').map((row) => row.replace(/\s*\|\s*/g, '|').replace(/-{3,}/g, '---'));
    const table = /<!-- formats:start -->\n([\s\S]*?)\n<!-- formats:end -->/.exec(readme)?.[1];
    expect(cells(table), 'run `node scripts/formats-table.mjs` after `pnpm build` and paste its output').toEqual(
      cells(formatsTable(defaultRegistry.list(), explicitSupport)),
    );
  });

  it('documents every finding rule id the core can emit', async () => {
    const { Rules } = await import('@aigc-label/core');
    for (const rule of Object.values(Rules)) expect(readme).toContain(`\`${rule}\``);
  });
});
