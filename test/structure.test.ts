/**
 * The structure CONTRIBUTING.md promises: the facade and the CLI run one generic pipeline, so
 * no format id or media kind is tested outside the format folders and the registry, and a new
 * format needs no edit there.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { defaultRegistry } from 'aigc-label';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');

function sources(folder: string): string[] {
  return readdirSync(join(root, folder), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(root, folder, f));
}

const ids = defaultRegistry.list().map((m) => m.id);
const kinds = ['text', 'image', 'audio', 'video'];
const names = [...ids, ...kinds].join('|');
// A comparison, a switch case or a set of ids: the ways code picks a format by name.
const formatTest = new RegExp(
  String.raw`[!=]==\s*'(${names})'|'(${names})'\s*[!=]==|case\s+'(${names})'|new Set\(\[[^\]]*'(${ids.join('|')})'`,
);

describe('structure', () => {
  const generic = [
    ...sources('packages/aigc-label/src').filter((f) => !f.endsWith('registry.ts')),
    ...sources('packages/cli/src'),
    ...sources('packages/core/src').filter((f) => !f.includes('/containers/')),
  ];

  it.each(generic.map((f) => [relative(root, f), f]))('%s picks no format by id or kind', (_name, file) => {
    const offending = readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => !line.trim().startsWith('*') && !line.trim().startsWith('//') && formatTest.test(line));
    expect(offending).toEqual([]);
  });

  it('finds what it is looking for (the pattern is not vacuous)', () => {
    expect(formatTest.test(`if (handler.id === 'txt') {`)).toBe(true);
    expect(formatTest.test(`const DRAWABLE = new Set(['png', 'jpeg']);`)).toBe(true);
    expect(formatTest.test(`verify.kind !== 'audio'`)).toBe(true);
    expect(formatTest.test('return this.#handlers.find((h) => h.id === id);')).toBe(false);
    expect(formatTest.test(`case 'mp4':`)).toBe(true);
  });
});
