/**
 * Third-party tools that check our output in tests (ExifTool, poppler's pdfinfo, Python,
 * OpenSSL, Chromium, redis-server). They come from Debian in CI (`.ci/run` installs them),
 * never from the product's own set-up. Under `CI=true` a test whose tool is missing fails, so
 * CI can never pass by skipping; on a developer machine it is skipped with a printed reason.
 */
import { spawnSync } from 'node:child_process';
import { it } from 'vitest';

const found = new Map<string, string | null>();

/** The absolute path of `command` on PATH, or null. */
export function toolPath(command: string): string | null {
  if (!found.has(command)) {
    const result = spawnSync('sh', ['-c', 'command -v "$1"', 'sh', command], { encoding: 'utf8' });
    const path = result.status === 0 ? result.stdout.trim() : '';
    found.set(command, path.startsWith('/') ? path : null);
  }
  return found.get(command) ?? null;
}

const warned = new Set<string>();

/**
 * `it` for a test that needs `command`: runs it when the tool is there; when it is not,
 * fails under CI=true and skips (saying why, once per tool) elsewhere.
 * @example withTool('exiftool')('is read by ExifTool', async () => { ... });
 */
export function withTool(command: string, why = 'checks our output'): typeof it {
  if (toolPath(command)) return it;
  if (process.env.CI === 'true') {
    return ((name: string) =>
      it(name, () => {
        throw new Error(`${command} is required under CI=true (it ${why}); .ci/run installs it with apt`);
      })) as unknown as typeof it;
  }
  if (!warned.has(command)) {
    warned.add(command);
    console.warn(`skipping tests that need ${command} (${why}); install it to run them, e.g. apt-get install ${debianPackage(command)}`);
  }
  return it.skip as unknown as typeof it;
}

function debianPackage(command: string): string {
  return (
    { exiftool: 'libimage-exiftool-perl', pdfinfo: 'poppler-utils', pdftotext: 'poppler-utils', python3: 'python3' }[command] ?? command
  );
}
