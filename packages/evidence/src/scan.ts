import { type ByteSource, indexOfBytes } from '@aigc-label/core';

/** Bytes read per step of a scan: large enough that reads are few, small enough that memory stays flat. */
const SCAN_WINDOW_IN_BYTES = 1024 * 1024;

/**
 * The offset of the first of `needles` found in `[start, end)` of a source, read a window at a
 * time (each window overlaps the last by the longest needle, so a match across two windows is
 * found), or -1. Linear in the range; memory is one window.
 */
export async function findInSource(source: ByteSource, needles: readonly Uint8Array[], start = 0, end = source.size): Promise<number> {
  const overlap = Math.max(...needles.map((n) => n.length)) - 1;
  for (let at = start; at < end; at += SCAN_WINDOW_IN_BYTES) {
    const window = await source.read(at, Math.min(SCAN_WINDOW_IN_BYTES + overlap, end - at));
    let best = -1;
    for (const needle of needles) {
      const found = indexOfBytes(window, needle);
      if (found >= 0 && (best < 0 || found < best)) best = found;
    }
    if (best >= 0) return at + best;
  }
  return -1;
}

/**
 * `findInSource` over the first `head` and the last `tail` bytes only (the whole file when it is
 * smaller): where writers put what they add to formats whose structure is not walked here (an
 * incremental PDF update at the end, a GIF application extension after the header).
 */
export async function findNearEnds(source: ByteSource, needles: readonly Uint8Array[], head: number, tail: number): Promise<number> {
  if (source.size <= head + tail) return findInSource(source, needles);
  const atStart = await findInSource(source, needles, 0, head);
  return atStart >= 0 ? atStart : findInSource(source, needles, source.size - tail, source.size);
}
