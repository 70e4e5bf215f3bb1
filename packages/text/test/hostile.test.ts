import { AigcLabelError, bytesEqual, bytesSource, type FormatModule, labelBytes } from '@aigc-label/core';
import { describe, expect, it } from 'vitest';
import { sampleLabel } from '../../../test/handler-contract.js';
import { cases } from '../../../test/hostile/text.mjs';
import { textHandlers } from '../src/index.js';

/**
 * Every worst case of test/hostile/text.mjs at its smallest size, through read and write: a
 * result or a toolkit error, never a RangeError or another crash, and the input unchanged.
 * Timings and memory are the hostile harness's job (a child process per case); the cases'
 * larger sizes are checked for their outcome in each format's tests.
 */
describe('text hostile cases at 1x (issue 15)', () => {
  for (const hostile of cases) {
    it(`${hostile.id}: a result or a toolkit error, the input unchanged`, async () => {
      const handler = textHandlers.find((h) => h.id === hostile.format) as FormatModule;
      const input = hostile.build(hostile.sizes[0]);
      const copy = input.slice();
      const outcome = async (run: () => Promise<unknown>) => {
        try {
          await run();
          return 'result';
        } catch (error) {
          expect(error, String(error)).toBeInstanceOf(AigcLabelError);
          return (error as Error).name;
        }
      };
      await outcome(() => handler.read(bytesSource(input)));
      if (handler.write) await outcome(() => labelBytes(handler, input, sampleLabel(), { force: true }));
      expect(bytesEqual(input, copy)).toBe(true);
    });
  }
});
