import { readFileSync } from 'node:fs';
import {
  bytesSource,
  fromUtf8,
  isExplicitCapability,
  labelBytes,
  MalformedInputError,
  materialize,
  summarizeCarriers,
  UnsupportedFormatError,
  utf8,
} from '@aigc-label/core';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { describeHandlerContract, sampleLabel } from '../../../../test/handler-contract.js';
import { markdown } from '../../src/markdown/index.js';

// Built here, not a fixture file: .gitattributes (eol=lf) would turn a committed CRLF file into LF.
const CRLF_SAMPLE = utf8('---\r\ntitle: CRLF file\r\n# keep me\r\nauthor: 张三\r\n---\r\n\r\nLine one.\r\n\r\nLine two.\r\n');

const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`../fixtures/markdown/${name}`, import.meta.url)));

describeHandlerContract(markdown, () => fixture('with-front-matter.md'));
describeHandlerContract(markdown, () => utf8('# No front matter\n\nJust text.\n'));
describeHandlerContract(markdown, () => CRLF_SAMPLE);
describeHandlerContract(markdown, () => fixture('bom.md'));

const AIGC_BLOCK = [
  'AIGC:',
  "  Label: '1'",
  "  ContentProducer: '001191440300708461136T1XGW3'",
  "  ProduceID: 'sample-0001'",
  "  ReservedCode1: ''",
  "  ContentPropagator: '001191440300708461136T1XGW3'",
  "  PropagateID: 'sample-0001'",
  "  ReservedCode2: ''",
];

describe('markdown write', () => {
  it('adds front matter at the head when there is none, in Annex E order with quoted values', async () => {
    const input = utf8('# Title\n\nBody.\n');
    const { bytes } = await labelBytes(markdown, input, sampleLabel());
    expect(fromUtf8(bytes)).toBe(['---', ...AIGC_BLOCK, '---', '# Title', '', 'Body.', ''].join('\n'));
  });

  it('merges into existing front matter and keeps other keys and comments byte for byte', async () => {
    const input = fixture('with-front-matter.md');
    const { bytes } = await labelBytes(markdown, input, sampleLabel());
    const text = fromUtf8(bytes);
    const original = fromUtf8(input);
    const closing = original.indexOf('---\n', 4);
    expect(text).toBe(`${original.slice(0, closing)}${AIGC_BLOCK.join('\n')}\n${original.slice(closing)}`);
    const yaml = parse(text.split('---\n')[1]);
    expect(yaml.title).toBe('周报：第 12 周');
    expect(yaml.AIGC.ProduceID).toBe('sample-0001');
  });

  it('keeps CRLF line endings everywhere', async () => {
    const input = CRLF_SAMPLE;
    const { bytes } = await labelBytes(markdown, input, sampleLabel());
    const text = fromUtf8(bytes);
    expect(text).toBe(
      `---\r\ntitle: CRLF file\r\n# keep me\r\nauthor: 张三\r\n${AIGC_BLOCK.join('\r\n')}\r\n---\r\n\r\nLine one.\r\n\r\nLine two.\r\n`,
    );
    expect(text.replace(/\r\n/g, '')).not.toContain('\n');
  });

  it('keeps the BOM and puts the front matter after it', async () => {
    const input = fixture('bom.md');
    const { bytes } = await labelBytes(markdown, input, sampleLabel());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(fromUtf8(bytes.subarray(3)).startsWith('---\nAIGC:\n')).toBe(true);
    expect(bytes.subarray(bytes.length - (input.length - 3))).toEqual(input.subarray(3));
  });

  it('replaces the MiniMax variant in place, keeping its indentation', async () => {
    const input = fixture('minimax-variant.md');
    const label = sampleLabel();
    const { bytes } = await labelBytes(markdown, input, label, { force: true });
    const text = fromUtf8(bytes);
    expect(text.startsWith(`---\nAIGC:\n    Label: '1'\n    ContentProducer: '${label.ContentProducer}'\n`)).toBe(true);
    expect(text.endsWith(fromUtf8(input).slice(fromUtf8(input).indexOf('\n---\n')))).toBe(true);
    expect(text.match(/AIGC:/g)).toHaveLength(1);
  });

  it('refuses front matter that does not parse, naming the problem', async () => {
    await expect(markdown.write(bytesSource(fixture('broken-front-matter.md')), sampleLabel())).rejects.toThrow(MalformedInputError);
    await expect(markdown.write(bytesSource(fixture('broken-front-matter.md')), sampleLabel())).rejects.toThrow(
      /front matter does not parse/,
    );
  });

  it('refuses front matter that is not a mapping', async () => {
    await expect(markdown.write(bytesSource(utf8('---\n- a\n- b\n---\nx\n')), sampleLabel())).rejects.toThrow(/not a mapping/);
  });

  it('takes its explicit label, a prompt at the end of the body, through its capability', async () => {
    const capability = markdown.explicit;
    if (!capability || !isExplicitCapability(capability) || capability.labeler.input !== 'bytes') throw new Error('no bytes labeler');
    const input = utf8('---\ntitle: T\n---\n# T\n\nBody.\n');
    const prompted = await capability.labeler.apply(input, {});
    expect(fromUtf8(prompted.bytes)).toBe('---\ntitle: T\n---\n# T\n\nBody.\n\n本内容由人工智能生成\n');
    const { bytes } = await labelBytes(markdown, prompted.bytes, sampleLabel());
    expect(fromUtf8(bytes).endsWith('Body.\n\n本内容由人工智能生成\n')).toBe(true);
    expect((await markdown.read(bytesSource(bytes))).evidence?.map((e) => [e.kind, e.where])).toEqual([
      ['explicit-text-label', expect.stringMatching(/^end/)],
    ]);
  });

  it('refuses UTF-16 and invalid UTF-8 with clear messages', async () => {
    const utf16 = Uint8Array.of(0xff, 0xfe, 0x41, 0x00, 0x0a, 0x00);
    await expect(markdown.write(bytesSource(utf16), sampleLabel())).rejects.toThrow(UnsupportedFormatError);
    await expect(markdown.write(bytesSource(Uint8Array.of(0x41, 0xc3, 0x28)), sampleLabel())).rejects.toThrow(
      /not valid UTF-8 \(byte 0xc3 at offset 1\)/,
    );
  });
});

describe('markdown read', () => {
  it('reads the MiniMax variant with findings', async () => {
    const read = await markdown.read(bytesSource(fixture('minimax-variant.md')));
    expect(read.carriers).toHaveLength(1);
    const [carrier] = read.carriers;
    expect(carrier.label).toMatchObject({
      Label: 'AIGC',
      ContentProducer: 'Minimax Agent AI',
      ProduceID: '00000000000000000000000000000000',
    });
    expect(carrier.findings.map((f) => f.rule)).toEqual(expect.arrayContaining(['markdown/vendor-variant', 'markdown/unquoted-value']));
    const summary = summarizeCarriers(read);
    expect(summary.findings.map((f) => f.rule)).toEqual(expect.arrayContaining(['annex-e/label-value', 'annex-e/charset']));
  });

  it('reads a JSON string value and a lower-case key as non-canonical', async () => {
    const json = JSON.stringify(sampleLabel());
    const read = await markdown.read(bytesSource(utf8(`---\naigc: '${json}'\n---\nx\n`)));
    expect(read.carriers[0]).toMatchObject({ label: sampleLabel(), canonical: false });
  });

  it('reports front matter that does not parse as a finding, not an exception', async () => {
    const read = await markdown.read(bytesSource(fixture('broken-front-matter.md')));
    expect(read.carriers).toEqual([]);
    expect(read.findings[0]).toMatchObject({ rule: 'format/damaged', severity: 'error' });
  });

  it('returns explicit labels in the body as evidence with their position', async () => {
    const read = await markdown.read(bytesSource(fixture('with-front-matter.md')));
    expect(read.evidence).toEqual([
      expect.objectContaining({ kind: 'explicit-text-label', detail: expect.stringContaining('本内容由AI生成') }),
    ]);
    expect(read.evidence?.[0].where).toMatch(/^end, characters \d+-\d+$/);
  });

  it('reads UTF-16 files with a BOM', async () => {
    const text = '---\ntitle: x\n---\n\n正文。\n\n【AI生成】\n';
    const utf16 = new Uint8Array(2 + text.length * 2);
    utf16.set([0xff, 0xfe]);
    for (let i = 0; i < text.length; i++) {
      utf16[2 + i * 2] = text.charCodeAt(i) & 0xff;
      utf16[3 + i * 2] = text.charCodeAt(i) >> 8;
    }
    expect(markdown.sniff(utf16)).toBe(true);
    const read = await markdown.read(bytesSource(utf16));
    expect(read.evidence?.[0].detail).toContain('【AI生成】');
  });

  it('does not mutate its input when planning', async () => {
    const input = CRLF_SAMPLE;
    const copy = input.slice();
    const plan = await markdown.write(bytesSource(input), sampleLabel());
    await materialize(plan, bytesSource(input));
    expect(input).toEqual(copy);
  });
});
