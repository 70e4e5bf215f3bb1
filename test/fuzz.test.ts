import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AigcLabelError, extensionOf } from '@aigc-label/core';
import { defaultRegistry, detectBuffer, labelBuffer } from 'aigc-label';
import { beforeAll, describe, expect, it } from 'vitest';
import { prng } from './handler-contract.js';

// Uploads are hostile input. Whatever a file's bytes, reading it and labeling it either work
// or fail with one of the toolkit's errors (a clear message naming the cause); never a
// TypeError, RangeError or a hang from a length read off the file. Mutations are seeded, so a
// failure names the exact input to reproduce.
const root = join(import.meta.dirname, '..');
const samplesDir = join(root, 'samples');
const PRODUCER = '001191440300708461136T1XGW3';
const MUTATIONS_PER_SAMPLE = Number(process.env.FUZZ_MUTATIONS ?? 60);

/** One damaged copy: flipped bytes, a length-like field set to an extreme, a cut, or a repeated slice. */
function mutate(bytes: Uint8Array, seed: number): { bytes: Uint8Array; how: string } {
  const next = prng(seed);
  const at = (n = bytes.length) => Math.floor(next() * n);
  const out = bytes.slice();
  switch (seed % 5) {
    case 0: {
      const flips = 1 + at(8);
      for (let i = 0; i < flips; i++) out[at()] = at(256);
      return { bytes: out, how: `${flips} random bytes` };
    }
    case 1: {
      // Lengths live in the first bytes of structures: make four of them huge, zero or just wrong.
      const where = at(Math.min(bytes.length, 4096));
      const value = [0xff, 0x00, 0x7f, 0x80][at(4)];
      for (let i = where; i < Math.min(out.length, where + 4); i++) out[i] = value;
      return { bytes: out, how: `4 bytes at ${where} set to ${value}` };
    }
    case 2: {
      const end = at();
      return { bytes: bytes.subarray(0, end), how: `cut at ${end}` };
    }
    case 3: {
      const from = at(Math.min(bytes.length, 8192));
      const length = 1 + at(256);
      const slice = bytes.subarray(from, from + length);
      const into = at(Math.min(bytes.length, 8192));
      return {
        bytes: new Uint8Array([...bytes.subarray(0, into), ...slice, ...bytes.subarray(into)]),
        how: `${slice.length} bytes from ${from} repeated at ${into}`,
      };
    }
    default: {
      const where = at(Math.min(bytes.length, 8192));
      const length = 1 + at(64);
      return {
        bytes: new Uint8Array([...bytes.subarray(0, where), ...bytes.subarray(where + length)]),
        how: `${length} bytes removed at ${where}`,
      };
    }
  }
}

/** Runs `work`; returns a description of the failure when it throws anything but a one-line toolkit error. */
async function escapes(work: () => Promise<unknown>, what: string): Promise<string | null> {
  try {
    await work();
    return null;
  } catch (error) {
    if (error instanceof AigcLabelError && !error.message.includes('\n')) return null;
    return `${what}: ${(error as Error).stack?.split('\n').slice(0, 3).join(' | ')}`;
  }
}

let samples: { name: string; bytes: Uint8Array; labeled: Uint8Array }[] = [];

beforeAll(async () => {
  if (!existsSync(join(samplesDir, 'sample.png'))) execFileSync(process.execPath, [join(root, 'scripts', 'make-samples.mjs')]);
  const names = (await readdir(samplesDir)).filter((f) => f.startsWith('sample.') && defaultRegistry.byExtension(extensionOf(f)));
  samples = await Promise.all(
    names
      .filter((name) => !name.endsWith('.txt')) // plain text has no metadata carrier to label
      .map(async (name) => {
        const bytes = new Uint8Array(await readFile(join(samplesDir, name)));
        const { bytes: labeled } = await labelBuffer(bytes, {
          producer: PRODUCER,
          produceId: 'fuzz-0001',
          explicit: false,
          filename: name,
        });
        return { name, bytes, labeled };
      }),
  );
}, 60_000);

describe('damaged input never escapes as anything but a toolkit error', () => {
  it('covers every format with a sample', () => {
    expect(samples.length).toBeGreaterThanOrEqual(21);
  });

  it('detect and label on seeded mutations of every sample, unlabeled and labeled', { timeout: 180_000 }, async () => {
    const failures: string[] = [];
    for (const sample of samples) {
      for (const [state, source] of [
        ['unlabeled', sample.bytes],
        ['labeled', sample.labeled],
      ] as const) {
        for (let seed = 1; seed <= MUTATIONS_PER_SAMPLE; seed++) {
          const { bytes, how } = mutate(source, seed);
          const what = `${sample.name} (${state}), seed ${seed}: ${how}`;
          const detected = await escapes(() => detectBuffer(bytes, { filename: sample.name, rhythm: false }), `detect ${what}`);
          const labeled = await escapes(
            () => labelBuffer(bytes, { producer: PRODUCER, explicit: false, force: true, filename: sample.name }),
            `label ${what}`,
          );
          for (const failure of [detected, labeled]) if (failure) failures.push(failure);
        }
      }
    }
    expect(failures.slice(0, 20)).toEqual([]);
  });
});
