import { createLabel } from '@aigc-label/core';
import { describe, expect, it } from 'vitest';
import { formatLogLine, LOG_GENESIS, logLineHash, type OperationRecord, verifyLogChain } from '../src/index.js';

const record = (i: number): OperationRecord => ({
  operation: 'label',
  input: `in/${i}.png`,
  output: `out/${i}.png`,
  inputSm3: '11'.repeat(32),
  outputSm3: '22'.repeat(32),
  label: createLabel({ producer: '001191440300708461136T1XGW3', produceId: `id-${i}` }),
  explicit: i % 2 ? { added: true } : { added: false, reason: 'user-request' },
  signerKeyId: null,
});

function log(count: number): string {
  let previous: string | null = null;
  let text = '';
  for (let i = 0; i < count; i++) {
    const line = formatLogLine(record(i), previous);
    text += `${line}\n`;
    previous = line;
  }
  return text;
}

describe('operations log chain', () => {
  it('writes one JSON line per record, each carrying SM3 of the line before', () => {
    const text = log(3);
    const lines = text.trimEnd().split('\n');
    const parsed = lines.map((line) => JSON.parse(line));
    expect(parsed[0]).toMatchObject({
      v: 1,
      prev: LOG_GENESIS,
      operation: 'label',
      explicit: { added: false, reason: 'user-request' },
      signerKeyId: null,
    });
    expect(parsed[1].prev).toBe(logLineHash(lines[0]));
    expect(parsed[2].prev).toBe(logLineHash(lines[1]));
    expect(Date.parse(parsed[0].time)).not.toBeNaN();
    expect(verifyLogChain(text)).toEqual({ ok: true, lines: 3, head: logLineHash(lines[2]) });
    expect(verifyLogChain('')).toEqual({ ok: true, lines: 0, head: LOG_GENESIS });
  });

  it('names the first line that breaks: an edited, removed or inserted line, a cut write', () => {
    const lines = log(6).split('\n');
    const edited = [...lines];
    edited[2] = edited[2].replace('id-2', 'id-9');
    expect(verifyLogChain(edited.join('\n'))).toMatchObject({ ok: false, line: 4 });
    const removed = lines.filter((_, i) => i !== 3);
    expect(verifyLogChain(removed.join('\n'))).toMatchObject({ ok: false, line: 4 });
    const firstEdited = [...lines];
    firstEdited[0] = firstEdited[0].replace('in/0', 'in/x');
    expect(verifyLogChain(firstEdited.join('\n'))).toMatchObject({ ok: false, line: 2 });
    expect(verifyLogChain(`${lines.join('\n')}{"v":1`)).toMatchObject({
      ok: false,
      line: 7,
      reason: expect.stringContaining('incomplete'),
    });
    expect(verifyLogChain(`not json\n${lines.join('\n')}`)).toMatchObject({ ok: false, line: 1, reason: 'not a JSON line' });
  });

  it('chains a rotated file to the head of the one before', () => {
    const first = log(2);
    const head = (verifyLogChain(first) as { head: string }).head;
    const lastOfFirst = first.trimEnd().split('\n').at(-1)!;
    const next = `${formatLogLine(record(9), lastOfFirst)}\n`;
    expect(verifyLogChain(next, head).ok).toBe(true);
    expect(verifyLogChain(next).ok).toBe(false);
  });
});
