import { describe, expect, it } from 'vitest';
import {
  bytesSource,
  decideOutcome,
  inflateCapped,
  LimitExceededError,
  materialize,
  planSource,
  splicePlan,
  streamPlan,
  withDeadline,
} from '../src/index.js';
import { createLabel } from '../src/label.js';

describe('write plans', () => {
  const source = bytesSource(Uint8Array.from({ length: 100 }, (_, i) => i));

  it('splices edits and copies everything else', async () => {
    const plan = splicePlan(100, [
      { start: 10, end: 20, insert: Uint8Array.of(255) },
      { start: 50, end: 50, insert: Uint8Array.of(254, 253) },
    ]);
    const out = await materialize(plan, source);
    expect(out.length).toBe(100 - 10 + 1 + 2);
    expect([...out.subarray(0, 11)]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 255]);
    expect([...out.subarray(39, 44)]).toEqual([48, 49, 254, 253, 50]);
  });

  it('refuses overlapping edits', () => {
    expect(() =>
      splicePlan(100, [
        { start: 10, end: 20, insert: new Uint8Array() },
        { start: 15, end: 16, insert: new Uint8Array() },
      ]),
    ).toThrow(RangeError);
  });

  it('reuses one buffer through readInto and still yields the same bytes', async () => {
    const bytes = Uint8Array.from({ length: 100 }, (_, i) => i);
    const targets = new Set<ArrayBufferLike>();
    const reusing = {
      ...bytesSource(bytes),
      readInto: async (offset: number, target: Uint8Array) => {
        targets.add(target.buffer);
        target.set(bytes.subarray(offset, offset + target.length));
        return target.length;
      },
    };
    const plan = splicePlan(100, [{ start: 50, end: 50, insert: Uint8Array.of(9) }]);
    const copied: number[] = [];
    for await (const c of streamPlan(plan, reusing, 16)) copied.push(...c);
    expect(Uint8Array.from(copied)).toEqual(await materialize(plan, source));
    expect(targets.size).toBe(1);
  });

  it('streams the same bytes in bounded chunks', async () => {
    const plan = splicePlan(100, [{ start: 0, end: 0, insert: Uint8Array.of(7) }]);
    const chunks: Uint8Array[] = [];
    for await (const c of streamPlan(plan, source, 16)) chunks.push(c);
    expect(Math.max(...chunks.map((c) => c.length))).toBeLessThanOrEqual(16);
    expect(Buffer.concat(chunks)).toEqual(Buffer.from(await materialize(plan, source)));
  });
});

describe('inflateCapped', () => {
  it('stops a compression bomb at the cap', async () => {
    const { deflateSync } = await import('node:zlib');
    const bomb = deflateSync(new Uint8Array(10 * 1024 * 1024));
    expect(() => inflateCapped(bomb, 'test', { maxOutputBytes: 1024 * 1024 })).toThrow(LimitExceededError);
    expect(inflateCapped(bomb, 'test').length).toBe(10 * 1024 * 1024);
  });
});

describe('decideOutcome (Measures Art. 6)', () => {
  const label = createLabel({ producer: 'p', produceId: 'i' });
  it('follows the four branches', () => {
    expect(decideOutcome({ label }).outcome).toBe('confirmed');
    expect(decideOutcome({ label: null, declared: true }).outcome).toBe('possible');
    expect(
      decideOutcome({ label: null, traces: [{ kind: 'explicit-text-label', scheme: 'explicit', aiTrace: true, detail: 'AI生成' }] })
        .outcome,
    ).toBe('suspected');
    expect(decideOutcome({ label: null }).outcome).toBe('none');
  });
  it('does not count a C2PA manifest alone as a trace of AI generation', () => {
    expect(
      decideOutcome({ label: null, traces: [{ kind: 'c2pa-manifest', scheme: 'c2pa', aiTrace: false, detail: 'manifest store' }] }).outcome,
    ).toBe('none');
    expect(
      decideOutcome({ label: null, traces: [{ kind: 'c2pa-manifest', scheme: 'c2pa', detail: 'trainedAlgorithmicMedia', aiTrace: true }] })
        .outcome,
    ).toBe('suspected');
  });
  it('keeps a platform-written Label 2 or 3', () => {
    expect(decideOutcome({ label: { ...label, Label: '3' } }).outcome).toBe('suspected');
  });
});

describe('planSource', () => {
  const input = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7) % 251);
  const first = splicePlan(input.length, [
    { start: 10, end: 20, insert: Uint8Array.of(1, 2, 3) },
    { start: 500, end: 500, insert: new Uint8Array(40).fill(9) },
  ]);

  it('reads what the plan would write, at any offset and length, through read and readInto', async () => {
    const expected = await materialize(first, bytesSource(input));
    const viewed = planSource(first, bytesSource(input));
    expect(viewed.size).toBe(expected.length);
    for (const [offset, length] of [
      [0, expected.length],
      [0, 5],
      [8, 30],
      [499, 50],
      [520, 600],
      [expected.length - 3, 10],
    ]) {
      expect(await viewed.read(offset, length), `read ${offset}+${length}`).toEqual(expected.subarray(offset, offset + length));
      const target = new Uint8Array(Math.min(length, expected.length - offset));
      expect(await viewed.readInto?.(offset, target)).toBe(target.length);
      expect(target).toEqual(expected.subarray(offset, offset + length));
    }
  });

  it('lets a second plan be made over the first and written in one pass', async () => {
    const middle = planSource(first, bytesSource(input));
    const second = splicePlan(middle.size, [{ start: 0, end: 4, insert: Uint8Array.of(7) }]);
    const once = await materialize(second, middle);
    const twice = await materialize(second, bytesSource(await materialize(first, bytesSource(input))));
    expect(once).toEqual(twice);
  });
});

describe('withDeadline', () => {
  it('fails every read after the deadline with a LimitExceededError naming the budget', async () => {
    const source = bytesSource(new Uint8Array(8));
    await expect(withDeadline(source, Date.now() + 60_000, 60_000).read(0, 4)).resolves.toHaveLength(4);
    await expect(withDeadline(source, Date.now() - 1, 30_000).read(0, 4)).rejects.toThrow(LimitExceededError);
    await expect(withDeadline(source, Date.now() - 1, 30_000).read(0, 4)).rejects.toThrow(/30 s budget \(--timeout\)/);
  });
});
