/**
 * The behaviour every format handler owes (run it from each package's tests):
 * - an unlabeled sample reads as no carrier;
 * - label then read gives back the seven fields, and the input is not mutated;
 * - labeling twice replaces the label (one carrier, the new value), never duplicates;
 * - another producer's label is refused without `force` and replaced with it;
 * - outside the edited region, the output keeps the input's bytes (checked by the caller where it applies).
 */
import {
  type AigcLabel,
  bytesSource,
  concat,
  createLabel,
  type FormatHandler,
  LabelConflictError,
  labelBytes,
  riff,
  summarizeCarriers,
} from '@aigc-label/core';
import { describe, expect, it } from 'vitest';

/** Deterministic xorshift32 in [0, 1), so a failing mutation reproduces from its seed. */
export function prng(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 0x1_0000_0000;
  };
}

/** A 16-bit mono PCM WAV around `samples` (built with core's RIFF helpers). */
export function monoWav(samples: Int16Array, sampleRate: number): Uint8Array {
  const format = new DataView(new ArrayBuffer(16));
  format.setUint16(0, 1, true); // PCM
  format.setUint16(2, 1, true);
  format.setUint32(4, sampleRate, true);
  format.setUint32(8, 2 * sampleRate, true);
  format.setUint16(12, 2, true);
  format.setUint16(14, 16, true);
  const data = new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength);
  const chunks = [riff.riffChunk('fmt ', new Uint8Array(format.buffer)), riff.riffChunk('data', data)];
  return concat([riff.riffHeader('WAVE', chunks[0].length + chunks[1].length), ...chunks]);
}

export const PRODUCER = '001191440300708461136T1XGW3';
export const OTHER_PRODUCER = '001191110102MACQD9K64010000';

export function sampleLabel(overrides: Partial<AigcLabel> = {}): AigcLabel {
  return { ...createLabel({ producer: PRODUCER, produceId: 'sample-0001' }), ...overrides };
}

export function describeHandlerContract(handler: FormatHandler, loadSample: () => Promise<Uint8Array> | Uint8Array): void {
  describe(`${handler.id} handler contract`, () => {
    it('sniffs its own sample', async () => {
      const sample = await loadSample();
      expect(handler.sniff(sample.subarray(0, 4096))).toBe(true);
    });

    it('reads no label from an unlabeled sample', async () => {
      const read = await handler.read(bytesSource(await loadSample()));
      expect(read.carriers).toEqual([]);
    });

    it('round-trips all seven fields without touching the input', async () => {
      const sample = await loadSample();
      const copy = sample.slice();
      const label = sampleLabel();
      const { bytes } = await labelBytes(handler, sample, label);
      expect(sample).toEqual(copy);
      const summary = summarizeCarriers(await handler.read(bytesSource(bytes)));
      expect(summary.label).toEqual(label);
      expect(summary.carriers.filter((c) => c.canonical)).toHaveLength(1);
    });

    it('replaces its own label instead of adding a second one', async () => {
      const first = await labelBytes(handler, await loadSample(), sampleLabel());
      const second = sampleLabel({ ProduceID: 'sample-0002', PropagateID: 'sample-0002' });
      const { bytes } = await labelBytes(handler, first.bytes, second);
      const read = await handler.read(bytesSource(bytes));
      expect(read.carriers).toHaveLength(1);
      expect(read.carriers[0].label).toEqual(second);
    });

    it("refuses another producer's label unless forced", async () => {
      const first = await labelBytes(handler, await loadSample(), sampleLabel());
      const other = createLabel({ producer: OTHER_PRODUCER, produceId: 'other-1' });
      await expect(labelBytes(handler, first.bytes, other)).rejects.toBeInstanceOf(LabelConflictError);
      const forced = await labelBytes(handler, first.bytes, other, { force: true });
      const read = await handler.read(bytesSource(forced.bytes));
      expect(read.carriers.map((c) => c.label)).toEqual([other]);
    });
  });
}
