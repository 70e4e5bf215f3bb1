import { type ByteSource, bytesSource, UnsupportedFormatError } from '@aigc-label/core';
import { describe, expect, it } from 'vitest';
import { labelInput, memorySink } from '../src/pipeline.js';

const PRODUCER = '001191440300708461136T1XGW3';

/** A source over `bytes` that counts what is read from it. */
function counted(bytes: Uint8Array): { source: ByteSource; read: () => number } {
  const inner = bytesSource(bytes);
  let read = 0;
  return {
    source: {
      size: inner.size,
      async read(offset, length) {
        const part = await inner.read(offset, length);
        read += part.length;
        return part;
      },
    },
    read: () => read,
  };
}

// Issue 15: plain text has no metadata carrier, so with the explicit label off there is nothing to
// write; the refusal comes before the file is read (a hostile text of a million labels took seconds).
describe('label on a format with no metadata carrier and nothing asked for', () => {
  const text = new TextEncoder().encode('本内容由人工智能生成\n'.repeat(50_000));

  it('is refused after reading only the head the format sniff needs', async () => {
    const { source, read } = counted(text);
    const labeling = labelInput({ source, file: null }, memorySink(), { producer: PRODUCER, filename: 'a.txt', explicit: false });
    await expect(labeling).rejects.toBeInstanceOf(UnsupportedFormatError);
    await expect(labeling).rejects.toThrow(/no metadata carrier for an implicit label/);
    expect(read()).toBeLessThan(text.length / 10);
  });

  it('still reads the whole text when the explicit label is asked for', async () => {
    const short = text.subarray(0, 31 * 1000);
    const { source, read } = counted(short);
    await labelInput({ source, file: null }, memorySink(), { producer: PRODUCER, filename: 'a.txt' });
    expect(read()).toBeGreaterThanOrEqual(short.length);
  });
});
