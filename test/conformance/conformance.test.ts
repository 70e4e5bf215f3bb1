/**
 * The conformance corpus (issue 25 item 7): every file under files/ through the built library's
 * verifyFile, compared with what corpus.mjs expects (outcome or error, ProduceID, warning and
 * error findings). A case marked with a gap is a known shortfall that an open issue item asks
 * to fix: it is expected to fail, so when a fix lands the test says so and the gap mark goes.
 * Needs `pnpm build` (hostile tests do too).
 */
import { describe, expect, it } from 'vitest';
import { compare, observe } from './check.mjs';
import { cases } from './corpus.mjs';
import { differences } from './generate.mjs';

interface Case {
  readonly name: string;
  readonly expect: Record<string, unknown>;
  readonly gap?: string;
}

describe('conformance corpus', () => {
  it('files/, expected.jsonl and the README table are what generate.mjs makes', () => {
    expect(differences(), 'run: node test/conformance/generate.mjs').toEqual([]);
  });

  for (const { name, expect: expected, gap } of cases as Case[]) {
    const check = async () => {
      expect(compare(await observe(name), expected)).toEqual([]);
    };
    if (gap) it.fails(`${name} (known gap, ${gap})`, check);
    else it(name, check);
  }
});
