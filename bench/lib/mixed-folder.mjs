/**
 * The mixed-corpus folder the batch and queue benches share: `count` copies of the samples
 * (`pnpm samples`) whose formats the registry reads, 500 to a subfolder, in a fresh temporary folder.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** `{ work, folder, formats }`: the temporary folder (remove it when done), the input folder inside it, the extensions used. */
export async function mixedFolder(prefix, count) {
  if (!existsSync(join(root, 'samples', 'sample.png')))
    execFileSync(process.execPath, [join(root, 'scripts', 'make-samples.mjs')], { stdio: 'inherit' });
  const { defaultRegistry } = await import('../../packages/aigc-label/dist/index.js');
  const { extensionOf } = await import('../../packages/core/dist/index.js');
  const samples = readdirSync(join(root, 'samples')).filter((f) => f.startsWith('sample.') && defaultRegistry.byExtension(extensionOf(f)));
  const work = mkdtempSync(join(tmpdir(), prefix));
  const folder = join(work, 'in');
  for (let i = 0; i < count; i++) {
    const sample = samples[i % samples.length];
    const sub = join(folder, String(Math.floor(i / 500)));
    mkdirSync(sub, { recursive: true });
    copyFileSync(join(root, 'samples', sample), join(sub, `${i}.${extensionOf(sample)}`));
  }
  return { work, folder, formats: [...new Set(samples.map((s) => extensionOf(s)))].join(' ') };
}
