/**
 * The damage study (issue 25): labeled samples damaged the ways players and viewers tolerate
 * (mutants.mjs), each checked by the format's player or viewer, by our detect and by ExifTool
 * (study.mjs). It prints the figures per format. It asserts what holds today: no damaged file
 * makes detect fail with anything but a toolkit error, every undamaged labeled file is accepted
 * and read, and every accepted mutant listed in found-today.txt keeps its label. The rest (the
 * mutants we miss, ExifTool's figure beside ours) is in the printed table and README.md.
 * Needs `pnpm build`; the oracles come from Debian (.ci/run).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { withTool } from '../oracles.js';
import { study, table } from './study.mjs';

const oracles = ['ffprobe', 'exiftool', 'pdfinfo', 'python3'] as const;
const needed = oracles.map((tool) => withTool(tool, 'accepts or reads the damaged files of the study')).find((t) => t !== it) ?? it;

interface Row {
  readonly sample: string;
  readonly id: string;
  readonly accepted: boolean;
  readonly ours: string;
  readonly exiftool: boolean;
}

describe('damage study', () => {
  needed('damaged labeled files: detect never crashes, and keeps every label it finds today', { timeout: 600_000 }, async () => {
    const rows = (await study()) as Row[];
    console.log(table(rows));
    expect(rows.filter((r) => r.ours.startsWith('crash')).map((r) => `${r.sample} ${r.id}: ${r.ours}`)).toEqual([]);
    const originals = rows.filter((r) => r.id === 'original');
    expect(originals.length).toBeGreaterThanOrEqual(21);
    expect(originals.filter((r) => !r.accepted || r.ours !== 'found').map((r) => r.sample)).toEqual([]);
    const today = readFileSync(join(import.meta.dirname, 'found-today.txt'), 'utf8')
      .split('\n')
      .filter(Boolean);
    const now = new Map(rows.map((r) => [`${r.sample} ${r.id}`, r]));
    const lost = today.filter((key) => {
      const row = now.get(key);
      return row === undefined || (row.accepted && row.ours !== 'found');
    });
    expect(lost, 'accepted mutants whose label we found before (found-today.txt)').toEqual([]);
  });
});
