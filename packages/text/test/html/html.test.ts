import { readFileSync } from 'node:fs';
import { bytesSource, encodeBare, fromUtf8, labelBytes, Rules, UnsupportedFormatError, utf8 } from '@aigc-label/core';
import { describe, expect, it } from 'vitest';
import { describeHandlerContract, sampleLabel } from '../../../../test/handler-contract.js';
import { html } from '../../src/html/index.js';

const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`../fixtures/html/${name}`, import.meta.url)));
const escapedLabel = () => encodeBare(sampleLabel()).replace(/"/g, '&quot;');

describeHandlerContract(html, () => fixture('page.html'));
describeHandlerContract(html, () => fixture('no-head.html'));
describeHandlerContract(html, () => fixture('page.xhtml'));

/** The output equals the input with `insert` put at `at` (every other byte identical). */
function expectInsertion(input: Uint8Array, output: Uint8Array, at: number, insert: string) {
  const inserted = utf8(insert);
  expect(output.subarray(0, at)).toEqual(input.subarray(0, at));
  expect(fromUtf8(output.subarray(at, at + inserted.length))).toBe(insert);
  expect(output.subarray(at + inserted.length)).toEqual(input.subarray(at));
}

describe('html write', () => {
  it('adds the meta element on its own line before </head>, indented like the head, everything else identical', async () => {
    const input = fixture('page.html');
    const { bytes, findings } = await labelBytes(html, input, sampleLabel());
    const at = fromUtf8(input).indexOf('  </head>');
    expectInsertion(input, bytes, utf8(fromUtf8(input).slice(0, at)).length, `    <meta name="AIGC" content="${escapedLabel()}">\n`);
    expect(findings.map((f) => f.rule)).toContain(Rules.nonNormativeCarrier);
  });

  it('creates a head after <html> when there is none', async () => {
    const input = fixture('no-head.html');
    const { bytes } = await labelBytes(html, input, sampleLabel());
    expectInsertion(input, bytes, '<!doctype html>\n<html>'.length, `\n<head><meta name="AIGC" content="${escapedLabel()}"></head>`);
  });

  it('writes a self-closed element in XHTML', async () => {
    const { bytes } = await labelBytes(html, fixture('page.xhtml'), sampleLabel());
    expect(fromUtf8(bytes)).toContain(`<head><title>x</title><meta name="AIGC" content="${escapedLabel()}" /></head>`);
  });

  it('replaces an existing element in place and drops a duplicate on its own line', async () => {
    const old = sampleLabel({ ProduceID: 'old', PropagateID: 'old' });
    const doc = `<!DOCTYPE html>\n<html><head>\n<meta name="aigc" content='${encodeBare(old)}'>\n<title>t</title>\n  <meta name="AIGC" content="${escapedLabel()}">\n</head><body></body></html>\n`;
    const { bytes } = await labelBytes(html, utf8(doc), sampleLabel());
    expect(fromUtf8(bytes)).toBe(
      `<!DOCTYPE html>\n<html><head>\n<meta name="AIGC" content="${escapedLabel()}">\n<title>t</title>\n</head><body></body></html>\n`,
    );
  });

  it('escapes &, <, > and " and reads them back without expanding other entities', async () => {
    const label = sampleLabel({ ReservedCode1: '<&>' });
    const { bytes } = await labelBytes(html, fixture('page.html'), label);
    expect(fromUtf8(bytes)).toContain('&lt;&amp;&gt;');
    const read = await html.read(bytesSource(utf8('<html><head><meta name="AIGC" content="&nbsp;&#65;"></head></html>')));
    expect(read.carriers[0].raw).toBe('&nbsp;A');
  });

  it('keeps CRLF line endings and the BOM', async () => {
    const input = utf8('\uFEFF<!DOCTYPE html>\r\n<html>\r\n<head>\r\n<title>t</title>\r\n</head>\r\n<body></body>\r\n</html>\r\n');
    const { bytes } = await labelBytes(html, input, sampleLabel());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(fromUtf8(bytes.subarray(3))).toBe(
      `<!DOCTYPE html>\r\n<html>\r\n<head>\r\n<title>t</title>\r\n<meta name="AIGC" content="${escapedLabel()}">\r\n</head>\r\n<body></body>\r\n</html>\r\n`,
    );
  });

  it('refuses UTF-16 files clearly', async () => {
    const text = '<!DOCTYPE html><html></html>';
    const utf16 = new Uint8Array(2 + text.length * 2);
    utf16.set([0xff, 0xfe]);
    for (let i = 0; i < text.length; i++) utf16[2 + i * 2] = text.charCodeAt(i);
    expect(html.sniff(utf16)).toBe(true);
    await expect(html.write(bytesSource(utf16), sampleLabel())).rejects.toThrow(UnsupportedFormatError);
  });
});

describe('html read', () => {
  it('ignores a meta element inside a script and reports the convention as non-normative', async () => {
    const { bytes } = await labelBytes(html, fixture('page.html'), sampleLabel());
    const read = await html.read(bytesSource(bytes));
    expect(read.carriers).toHaveLength(1);
    expect(read.carriers[0]).toMatchObject({ carrier: 'html-meta', canonical: true, label: sampleLabel() });
    expect(read.carriers[0].findings.map((f) => f.rule)).toContain(Rules.nonNormativeCarrier);
  });

  it('finds the explicit label in the body, not prose about AI, with its position in the visible text', async () => {
    const read = await html.read(bytesSource(fixture('page.html')));
    expect(read.evidence).toEqual([
      expect.objectContaining({ kind: 'explicit-text-label', detail: expect.stringContaining('本内容由AI生成') }),
    ]);
    expect(read.evidence?.[0].where).toMatch(/^end,/);
  });

  it('flags a meta element outside the head as non-canonical', async () => {
    const doc = `<!DOCTYPE html><html><head></head><body><meta name="AIGC" content="${escapedLabel()}"></body></html>`;
    const read = await html.read(bytesSource(utf8(doc)));
    expect(read.carriers[0]).toMatchObject({ canonical: false });
  });

  it('sniffs HTML only by a doctype or <html> near the start', () => {
    expect(html.sniff(utf8('<!-- c -->\n<!DOCTYPE html>'))).toBe(true);
    expect(html.sniff(utf8('<?xml version="1.0"?>\n<html xmlns="http://www.w3.org/1999/xhtml">'))).toBe(true);
    expect(html.sniff(utf8('# Markdown\n\n<html> in a code sample'))).toBe(false);
    // A stray invalid byte does not hide the structure (issue 25); mostly invalid bytes are not text.
    expect(html.sniff(Uint8Array.of(0x3c, 0x68, 0x74, 0x6d, 0x6c, 0x3e, 0xff))).toBe(true);
    expect(html.sniff(Uint8Array.of(0x3c, 0x68, 0x74, 0x6d, 0x6c, 0x3e, 0xff, 0xfe))).toBe(false);
  });
});
