import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ByteSource, bytesSource, type WritePlan, WriteVerificationError } from '@aigc-label/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { openFileSource, writeAtomically } from '../src/file-io.js';

// Issue 24 item 1: an output that does not read back exactly as planned is refused with
// WriteVerificationError, and neither it nor its temporary file is left behind. The file system
// is made to lie: every write stores one byte other than it was given, and reports success.

/** Set by a test: the next writes store `chunks` with their first byte flipped. */
const corruption = { on: false };

const flipFirstByte = (chunks: readonly Uint8Array[]) => {
  if (!corruption.on) return [...chunks];
  return chunks.map((chunk, i) => {
    if (i > 0 || chunk.length === 0) return chunk;
    const copy = chunk.slice();
    copy[0] = copy[0]! ^ 0xff;
    return copy;
  });
};

vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  return { ...fs, writevSync: (fd: number, chunks: readonly Uint8Array[]) => fs.writevSync(fd, flipFirstByte(chunks)) };
});

let folder: string;
beforeEach(async () => {
  folder = mkdtempSync(join(tmpdir(), 'aigc-write-verification-'));
  // The async writer goes through FileHandle.writev: lie there too.
  const handle = await open(join(folder, 'probe'), 'w');
  const prototype = Object.getPrototypeOf(handle) as { writev: (chunks: Uint8Array[], position?: number) => Promise<unknown> };
  await handle.close();
  rmSync(join(folder, 'probe'));
  const writev = prototype.writev;
  vi.spyOn(prototype, 'writev').mockImplementation(function (this: unknown, chunks, position) {
    return writev.call(this, flipFirstByte(chunks), position);
  });
});
afterEach(() => {
  corruption.on = false;
  vi.restoreAllMocks();
  rmSync(folder, { recursive: true, force: true });
});

function pattern(size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 31 + 7) & 0xff;
  return bytes;
}

/** A plan that copies the source around an inserted label-sized piece, as a metadata writer does. */
const planOver = (size: number): WritePlan => ({
  segments: [{ from: 0, length: 100 }, new TextEncoder().encode('{"Label":"1"}'), { from: 100, length: size - 100 }],
});

const expectedBytes = (source: Uint8Array) => Buffer.concat([source.subarray(0, 100), Buffer.from('{"Label":"1"}'), source.subarray(100)]);

const cases: { name: string; size: number; fileBacked: boolean }[] = [
  { name: 'a small in-memory plan (synchronous writer)', size: 64 * 1024, fileBacked: false },
  // Over two read-back buffers (8 MiB each) and not a multiple of one: every turn of the read-back is taken.
  { name: 'a large file-backed plan (streamed writer)', size: 2 * 8 * 1024 * 1024 + 3 * 1024 * 1024 + 5, fileBacked: true },
];

async function sourceFor(bytes: Uint8Array, fileBacked: boolean): Promise<{ source: ByteSource; close: () => Promise<void> }> {
  if (!fileBacked) return { source: bytesSource(bytes), close: async () => {} };
  const input = join(folder, 'input.bin');
  writeFileSync(input, bytes);
  return openFileSource(input);
}

describe('writeAtomically read-back', () => {
  it.each(cases)('keeps $name that reads back identical', async ({ size, fileBacked }) => {
    const bytes = pattern(size);
    const { source, close } = await sourceFor(bytes, fileBacked);
    const output = join(folder, 'out.bin');
    try {
      await writeAtomically(output, planOver(size), source, async () => {}, { durable: true, blockingIo: true });
    } finally {
      await close();
    }
    expect(Buffer.compare(readFileSync(output), expectedBytes(bytes))).toBe(0);
    expect(readdirSync(folder).sort()).toEqual(fileBacked ? ['input.bin', 'out.bin'] : ['out.bin']);
  });

  it.each(cases)('refuses $name that reads back with other bytes, leaving nothing behind', async ({ size, fileBacked }) => {
    const bytes = pattern(size);
    const { source, close } = await sourceFor(bytes, fileBacked);
    const output = join(folder, 'out.bin');
    const check = vi.fn(async () => {});
    corruption.on = true;
    try {
      const written = writeAtomically(output, planOver(size), source, check, { durable: true, blockingIo: true });
      await expect(written).rejects.toBeInstanceOf(WriteVerificationError);
      await expect(written).rejects.toThrow(/reads back with other bytes than were written; it was not kept/);
    } finally {
      await close();
    }
    expect(check).not.toHaveBeenCalled();
    expect(readdirSync(folder)).toEqual(fileBacked ? ['input.bin'] : []);
  });
});
