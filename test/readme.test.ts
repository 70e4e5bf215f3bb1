import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as audio from '@aigc-label/audio';
import * as core from '@aigc-label/core';
import * as evidence from '@aigc-label/evidence';
import * as image from '@aigc-label/image';
import * as text from '@aigc-label/text';
import * as video from '@aigc-label/video';
import { defaultRegistry } from 'aigc-label';
import { describe, expect, it } from 'vitest';
import { allEvidenceKinds, allRules, formatsTable, idTable } from './readme-tables.mjs';

const readme = readFileSync(join(import.meta.dirname, '..', 'README.md'), 'utf8');
const packages = { core, text, image, audio, video, evidence };
const modules = defaultRegistry.list();

/** A generated table in the README, compared without its padding (the formatter aligns the columns). */
function section(name: string): string[] | undefined {
  const table = new RegExp(`<!-- ${name}:start -->\\n([\\s\\S]*?)\\n<!-- ${name}:end -->`).exec(readme)?.[1];
  return cells(table);
}
const cells = (table: string | undefined) => table?.split('\n').map((row) => row.replace(/\s*\|\s*/g, '|').replace(/-{3,}/g, '---'));
const hint = 'run `pnpm build && node scripts/readme-tables.mjs --write`';

describe('README', () => {
  it('lists exactly the formats the registry handles', () => {
    expect(section('formats'), hint).toEqual(cells(formatsTable(modules)));
  });

  it('documents every finding rule id with its meaning', () => {
    expect(section('rules'), hint).toEqual(cells(idTable('Rule id', allRules(packages, modules))));
  });

  it('documents every evidence kind with its meaning', () => {
    expect(section('evidence'), hint).toEqual(cells(idTable('Evidence kind', allEvidenceKinds(packages))));
  });
});
