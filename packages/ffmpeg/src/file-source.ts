import { open } from 'node:fs/promises';
import type { ByteSource } from '@aigc-label/core';

/** A ByteSource over a file, open for as long as `use` runs: for the media steps that work on paths, as ffmpeg does. */
export async function withFileSource<T>(path: string, use: (source: ByteSource) => Promise<T>): Promise<T> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    const readInto = async (offset: number, target: Uint8Array): Promise<number> => {
      let filled = 0;
      while (filled < target.length) {
        const { bytesRead } = await handle.read(target, filled, target.length - filled, offset + filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      return filled;
    };
    return await use({
      size,
      read: async (offset, length) => {
        const bytes = new Uint8Array(Math.max(0, Math.min(length, size - offset)));
        return bytes.subarray(0, await readInto(offset, bytes));
      },
      readInto,
    });
  } finally {
    await handle.close();
  }
}
