import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeTemporariesOf } from '../src/index.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aigc-temporaries-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('removeTemporariesOf', () => {
  it("removes a killed write's temporary files for that output, at any age, and nothing else", async () => {
    const ours = ['.a.png.aigc-label-out-0123456789ab0.tmp.png', '.a.png.aigc-label-work-0123456789ab1z.tmp.png'];
    const others = [
      '.b.png.aigc-label-out-0123456789ab0.tmp.png', // another output's
      '.a.png.aigc-label-out-nothex.tmp.png', // not our name pattern
      'a.png',
      '.a.png.notes',
    ];
    for (const name of [...ours, ...others]) await writeFile(join(dir, name), 'x');
    await mkdir(join(dir, '.a.png.aigc-label-work-0123456789ab2.tmp'));
    const removed = await removeTemporariesOf(join(dir, 'a.png'));
    expect(removed.map((p) => p.slice(dir.length + 1)).sort()).toEqual([...ours, '.a.png.aigc-label-work-0123456789ab2.tmp'].sort());
    expect((await readdir(dir)).sort()).toEqual([...others].sort());
    expect(await removeTemporariesOf(join(dir, 'missing-folder', 'x.png'))).toEqual([]);
  });
});
