import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

// The benches import built modules by name and run only under `pnpm bench`, so a renamed or
// narrowed export breaks them without any test noticing (issue 12's explicit export list did).
// Every name a bench takes from a package's dist must exist there.
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const benchFiles = ['bench', 'bench/lib'].flatMap((folder) =>
  readdirSync(join(root, folder))
    .filter((name) => name.endsWith('.mjs'))
    .map((name) => join(root, folder, name)),
);
// `import { a, b as c } from '…/dist/x.js'` and `const { a, b } = await import('…/dist/x.js')`.
const NAMED_IMPORT =
  /(?:import\s*\{([^}]*)\}\s*from|const\s*\{([^}]*)\}\s*=\s*await\s+import\()\s*['"]([^'"]*\/packages\/[^'"]*\/dist\/[^'"]+\.js)['"]/g;

const imports = benchFiles.flatMap((file) =>
  [...readFileSync(file, 'utf8').matchAll(NAMED_IMPORT)].map((m) => ({
    bench: file.slice(root.length + 1),
    module: resolve(dirname(file), m[3] as string),
    names: (m[1] ?? m[2] ?? '')
      .split(',')
      .map((part) => part.trim().split(/\s+as\s+|\s*:\s*/)[0] as string)
      .filter(Boolean),
  })),
);

describe('bench imports', () => {
  it('finds the benches’ imports', () => {
    expect(imports.length).toBeGreaterThan(10);
  });
  it.each(imports.map((i) => [`${i.bench} ← ${i.module.slice(root.length + 1)}`, i]))('%s', async (_, { module, names }) => {
    const loaded = (await import(pathToFileURL(module).href)) as Record<string, unknown>;
    const missing = names.filter((name) => loaded[name] === undefined);
    expect(missing).toEqual([]);
  });
});
