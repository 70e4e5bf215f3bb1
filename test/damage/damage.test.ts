/**
 * The damage study (issue 25): labeled samples damaged the ways players and viewers tolerate
 * (mutants.mjs), each checked by the format's player or viewer, by our detect and by ExifTool
 * (study.mjs). It prints the figures per format and asserts issue 25's promise: no damaged file
 * makes detect fail with anything but a toolkit error, every undamaged labeled file is accepted
 * and read, every accepted mutant that still holds the label's bytes keeps its label, and we find
 * it at least wherever ExifTool does.
 * Needs `pnpm build`; the oracles come from Debian (.ci/run).
 */
import { describe, expect, it } from 'vitest';
import { withTool } from '../oracles.js';
import { study, table } from './study.mjs';

const oracles = ['ffprobe', 'exiftool', 'pdfinfo', 'python3'] as const;
const needed = oracles.map((tool) => withTool(tool, 'accepts or reads the damaged files of the study')).find((t) => t !== it) ?? it;

interface Row {
  readonly sample: string;
  readonly id: string;
  readonly accepted: boolean;
  readonly cutOff: boolean;
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
    const kept = rows.filter((r) => r.id !== 'original' && r.accepted && !r.cutOff);
    expect(kept.filter((r) => r.ours !== 'found').map((r) => `${r.sample} ${r.id}: ${r.ours}`)).toEqual([]);
    const exifReads = new Set(originals.filter((r) => r.exiftool).map((r) => r.sample));
    expect(kept.filter((r) => exifReads.has(r.sample) && r.exiftool && r.ours !== 'found').map((r) => `${r.sample} ${r.id}`)).toEqual([]);
  });
});
