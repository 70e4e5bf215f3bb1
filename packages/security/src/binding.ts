/**
 * Content binding: an SM3 digest over a file's content regions, so that a signed label
 * copied onto other content, or content changed under a label, no longer checks out.
 *
 * Each format module declares its regions (everything but the label carrier, so writing the
 * label does not change them) together with a scheme id naming how they were chosen; the
 * scheme is written into the binding (`CntSel`), so a verifier recomputes the same thing.
 */
import { type ByteSource, type CopyRange, createSm3, MalformedInputError, UsageError } from '@aigc-label/core';

export interface ContentRegions {
  /** How the regions were chosen, e.g. `png/chunks-but-label@1`; see CONTENT_SCHEME. */
  readonly scheme: string;
  /** Ranges of the file, ascending and non-overlapping; the digest covers their concatenation. */
  readonly ranges: readonly CopyRange[];
}

/** A scheme id: printable ASCII that needs no escaping in the Annex E j) character set. */
export const CONTENT_SCHEME = /^[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,63}$/;

/** The whole source as one region: for formats whose label is not inside the file (e.g. a sidecar). */
export const wholeFile = (source: ByteSource, scheme = 'whole-file@1'): ContentRegions => ({
  scheme,
  ranges: [{ from: 0, length: source.size }],
});

const CHUNK_BYTES = 1024 * 1024;

/**
 * SM3 over the concatenated bytes of `regions`, streamed in 1 MiB chunks with one read
 * always in flight while the previous chunk is hashed: constant memory, and the disk and
 * the digest overlap. The result equals `openssl dgst -sm3` over the same bytes.
 */
export async function digestRegions(source: ByteSource, regions: ContentRegions, chunkBytes = CHUNK_BYTES): Promise<Uint8Array> {
  checkRegions(source, regions);
  const chunks = chunkList(regions.ranges, chunkBytes);
  const hash = createSm3();
  const buffers = source.readInto ? [new Uint8Array(chunkBytes), new Uint8Array(chunkBytes)] : null;
  const read = async (index: number): Promise<Uint8Array> => {
    const { from, length } = chunks[index];
    if (!buffers || !source.readInto) return source.read(from, length);
    const target = buffers[index % 2].subarray(0, length);
    const got = await source.readInto(from, target);
    return target.subarray(0, got);
  };
  let pending = chunks.length > 0 ? read(0) : null;
  for (let i = 0; pending; i++) {
    const bytes = await pending;
    if (bytes.length !== chunks[i].length) throw new MalformedInputError('binding', `a read at offset ${chunks[i].from} is truncated`);
    pending = i + 1 < chunks.length ? read(i + 1) : null;
    hash.update(bytes);
  }
  return new Uint8Array(hash.digest());
}

function checkRegions(source: ByteSource, regions: ContentRegions): void {
  if (!CONTENT_SCHEME.test(regions.scheme))
    throw new UsageError(`content scheme id "${regions.scheme.slice(0, 80)}" is not a valid scheme id`);
  let end = 0;
  for (const { from, length } of regions.ranges) {
    if (!Number.isSafeInteger(from) || !Number.isSafeInteger(length) || length < 0 || from < end) {
      throw new RangeError(`content regions must be ascending and non-overlapping; [${from}, +${length}) follows ${end}`);
    }
    end = from + length;
    if (end > source.size)
      throw new MalformedInputError('binding', `content region [${from}, ${end}) runs past the end of the file (${source.size} bytes)`);
  }
}

function chunkList(ranges: readonly CopyRange[], chunkBytes: number): CopyRange[] {
  const chunks: CopyRange[] = [];
  for (const { from, length } of ranges) {
    for (let done = 0; done < length; done += chunkBytes) chunks.push({ from: from + done, length: Math.min(chunkBytes, length - done) });
  }
  return chunks;
}
