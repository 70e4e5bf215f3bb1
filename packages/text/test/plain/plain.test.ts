import { readFileSync } from 'node:fs';
import { bytesSource, FormatRegistry, labelBytes, MalformedInputError, UnsupportedFormatError, utf8 } from '@aigc-label/core';
import { describe, expect, it } from 'vitest';
import { sampleLabel } from '../../../../test/handler-contract.js';
import { textHandlers } from '../../src/index.js';
import { looksLikeText } from '../../src/plain/encoding.js';
import { plainText } from '../../src/plain/index.js';

const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`../fixtures/plain/${name}`, import.meta.url)));

describe('plain text', () => {
  it('reads explicit labels as evidence and no carrier', async () => {
    const read = await plainText.read(bytesSource(fixture('labeled.txt')));
    expect(read.carriers).toEqual([]);
    expect(read.evidence).toEqual([
      {
        kind: 'explicit-text-label',
        scheme: 'explicit',
        aiTrace: true,
        detail: 'explicit label "【AI生成】"',
        where: expect.stringMatching(/^end,/),
        level: 'confirmed',
      },
    ]);
  });

  it('reports an English-only label as a wording finding', async () => {
    const read = await plainText.read(bytesSource(utf8('Answer text.\n\nAI-generated\n')));
    expect(read.findings).toEqual([expect.objectContaining({ rule: 'gb45438/5.1-wording', severity: 'warning' })]);
  });

  it('has no metadata carrier: a metadata-only label is refused, pointing to explicit labels', async () => {
    expect(plainText.write).toBeUndefined();
    await expect(labelBytes(plainText, utf8('x'), sampleLabel())).rejects.toThrow(UnsupportedFormatError);
    await expect(labelBytes(plainText, utf8('x'), sampleLabel())).rejects.toThrow(/no metadata carrier.*explicit label/);
  });

  it('names the offset of invalid UTF-8', async () => {
    const bytes = Uint8Array.of(0xe4, 0xbd, 0xa0, 0xed, 0xa0, 0x80);
    await expect(plainText.read(bytesSource(bytes))).rejects.toThrow(MalformedInputError);
    await expect(plainText.read(bytesSource(bytes))).rejects.toThrow(/offset 3/);
  });

  it('sniffs UTF-8 text, tolerating a character cut by the end of the head', () => {
    const head = utf8('你好世界').subarray(0, 10);
    expect(looksLikeText(head)).toBe(true);
    expect(looksLikeText(Uint8Array.of(0x41, 0x00, 0x42))).toBe(false);
    expect(looksLikeText(Uint8Array.of(0xc0, 0x80))).toBe(false);
    expect(looksLikeText(Uint8Array.of(0xef, 0xbb, 0xbf, 0x41))).toBe(true);
    expect(looksLikeText(new Uint8Array(0))).toBe(false);
  });
});

describe('text handler resolution', () => {
  const registry = new FormatRegistry(textHandlers);

  it('lets the extension choose between the text formats', () => {
    const head = utf8('# Title\n\ntext\n');
    expect(registry.resolve(head, 'a.md').handler.id).toBe('markdown');
    expect(registry.resolve(head, 'a.txt').handler.id).toBe('txt');
    expect(registry.resolve(utf8('<!DOCTYPE html><html></html>'), 'a.htm').handler.id).toBe('html');
    expect(registry.resolve(utf8('<!DOCTYPE html><html></html>')).handler.id).toBe('html');
  });

  it('does not take binary content for text', () => {
    expect(() => registry.resolve(Uint8Array.of(0x00, 0x01, 0x02, 0xff), 'a.txt')).toThrow(/unknown format/);
  });
});
