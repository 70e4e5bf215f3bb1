import {
  type BytesExplicitLabeler,
  bytesSource,
  concat,
  encodeBare,
  type FormatModule,
  FormatRegistry,
  isExplicitCapability,
  LimitExceededError,
  labelBytes,
  MalformedInputError,
  UnsupportedFormatError,
  utf8,
} from '@aigc-label/core';
import { describe, expect, it } from 'vitest';
import { sampleLabel } from '../../../test/handler-contract.js';
import { cases } from '../../../test/hostile/text.mjs';
import { html } from '../src/html/index.js';
import { textHandlers } from '../src/index.js';
import { markdown } from '../src/markdown/index.js';
import { plainText } from '../src/plain/index.js';

const label = sampleLabel();
const escaped = encodeBare(label).replace(/"/g, '&quot;');
const HTML = `<!DOCTYPE html>\n<html>\n<head>\n  <meta name="AIGC" content="${escaped}">\n  <title>Report</title>\n</head>\n<body>\n<p>Caf\u00e9 text.</p>\n<p>本内容由人工智能生成</p>\n</body>\n</html>\n`;
const MARKDOWN = `---\ntitle: Report\nAIGC:\n${Object.entries(label)
  .map(([k, v]) => `  ${k}: '${v}'`)
  .join('\n')}\n---\n\nSome text.\n\n本内容由人工智能生成\n`;

/** `text` as UTF-8 with the bytes of `bad` replacing the first occurrence of `marker`. */
function damaged(text: string, marker: string, bad: number[]): Uint8Array {
  const bytes = utf8(text);
  const at = utf8(text.slice(0, text.indexOf(marker))).length;
  return concat([bytes.subarray(0, at), Uint8Array.from(bad), bytes.subarray(at + utf8(marker).length)]);
}

const labelerOf = (module: FormatModule): BytesExplicitLabeler => {
  const explicit = module.explicit;
  if (!explicit || !isExplicitCapability(explicit) || explicit.labeler.input !== 'bytes') throw new Error('no bytes labeler');
  return explicit.labeler;
};

describe('text with a few invalid UTF-8 bytes (issue 25)', () => {
  const registry = new FormatRegistry(textHandlers);
  const samples = [
    { module: html as FormatModule, name: 'page.html', bytes: damaged(HTML, '\u00e9', [0xe9]), carriers: 1 },
    { module: markdown as FormatModule, name: 'notes.md', bytes: damaged(MARKDOWN, 'Some', [0xff, 0x53, 0x6f, 0x6d, 0xfe]), carriers: 1 },
    {
      module: plainText as FormatModule,
      name: 'notes.txt',
      bytes: damaged('Some text.\n\n本内容由人工智能生成\n', 'text', [0x74, 0x80, 0x78, 0x74]),
      carriers: 0,
    },
  ];

  for (const { module, name, bytes, carriers } of samples) {
    it(`${module.id}: recognised by its structure and extension, read with a finding, never written`, async () => {
      expect(registry.resolve(bytes.subarray(0, 4096), name).handler.id).toBe(module.id);
      const read = await module.read(bytesSource(bytes));
      expect(read.carriers.map((c) => c.label)).toEqual(carriers === 1 ? [label] : []);
      expect(read.evidence?.map((e) => e.detail)).toEqual(['explicit label "本内容由人工智能生成"']);
      const damage = read.findings.filter((f) => f.rule === 'format/damaged');
      expect(damage.map((f) => f.severity)).toEqual(['error']);
      expect(damage[0]?.message).toMatch(
        /byte\(s\) are not valid UTF-8, the first \(0x(e9|ff|80)\) at offset \d+; they were read as U\+FFFD/,
      );
      if (module.write) await expect(labelBytes(module, bytes, label)).rejects.toThrow(/not valid UTF-8/);
      // The explicit prompt would re-encode the invalid bytes: refused too.
      await expect(labelerOf(module).apply(bytes, {})).rejects.toBeInstanceOf(MalformedInputError);
    });
  }

  // What the damage study's mutants do (test/damage/mutants.mjs): garbage or zeros after the end, flipped bytes inside characters.
  const garbage = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 131 + 119 + ((i * i) >>> 3)) & 0xff);
  const flipped = (bytes: Uint8Array, marker: string) => {
    const out = bytes.slice();
    const source = new TextDecoder().decode(out);
    const at = utf8(source.slice(0, source.lastIndexOf(marker))).length;
    for (const k of [0, 4, 9, 13, 20, 24]) out[at + k] = (out[at + k] as number) ^ 0x5a;
    return out;
  };
  for (const [module, name, text] of [
    [html, 'page.html', HTML],
    [markdown, 'notes.md', MARKDOWN],
  ] as const) {
    const cases = {
      'garbage after the end': concat([utf8(text), garbage(4096)]),
      'a short tail of garbage': concat([utf8(text), garbage(16)]),
      'zeros after the end': concat([utf8(text), new Uint8Array(4096)]),
      'bytes flipped inside characters': flipped(utf8(`${text}\n${'这是一段普通的文字，'.repeat(4)}\n`), '这是一段普通的文字'),
    };
    for (const [damage, bytes] of Object.entries(cases)) {
      it(`${module.id} with ${damage}: recognised and read up to the damage, with a finding; never written`, async () => {
        expect(registry.resolve(bytes.subarray(0, 4096), name).handler.id).toBe(module.id);
        const read = await module.read(bytesSource(bytes));
        expect(read.carriers.map((c) => c.label)).toEqual([label]);
        expect(read.evidence?.map((e) => e.detail)).toContain('explicit label "本内容由人工智能生成"');
        const damaged = read.findings.filter((f) => f.rule === 'format/damaged');
        expect(damaged.length).toBeGreaterThan(0);
        expect(damaged.every((f) => f.severity === 'error')).toBe(true);
        if (damage.includes('after the end')) {
          // The garbage starts with a "w", which is text.
          const [end, rest] = damage.startsWith('garbage') ? [utf8(text).length + 1, 4095] : [utf8(text).length, 4096];
          expect(damaged.map((f) => f.message)).toContain(
            `the text ends at offset ${end}: the ${rest} byte(s) after it are not text (garbage, NULs or damage) and were not read; the file cannot be labeled until they are removed`,
          );
        }
        await expect(labelBytes(module, bytes, label)).rejects.toBeInstanceOf(MalformedInputError);
      });
    }
  }

  it('takes no legacy encoding after an ASCII head for damaged UTF-8, and no binary after a little text', async () => {
    const gbkBody = Uint8Array.from({ length: 600 }, (_, i) => [0xb1, 0xbe, 0xc4, 0xda, 0xc8, 0xdd, 0xd3, 0xc9, 0x0a][i % 9] as number);
    const gbkPage = concat([utf8('<!DOCTYPE html>\n<html><head><meta charset="gbk"><title>Report</title></head><body>\n'), gbkBody]);
    expect(() => registry.resolve(gbkPage.subarray(0, 4096), 'page.html')).toThrow(/unknown format/);
    await expect(html.read(bytesSource(gbkPage))).rejects.toThrow(/not valid UTF-8/);
    const binary = concat([utf8('# T\n'), garbage(4096)]);
    expect(() => registry.resolve(binary.subarray(0, 4096), 'notes.md')).toThrow(/unknown format/);
    await expect(markdown.read(bytesSource(binary))).rejects.toBeInstanceOf(MalformedInputError);
  });

  it('reports byte offsets of carriers after invalid bytes in the file, not in the decoded text', async () => {
    const bytes = damaged(`<html><head><title>\u00e9\u00e9</title>${HTML.slice(HTML.indexOf('<meta'))}`, '\u00e9\u00e9', [0xe9, 0xe9]);
    const [carrier] = (await html.read(bytesSource(bytes))).carriers;
    expect(carrier?.offset).toBe(bytes.indexOf(0x3c, 24));
    expect(new TextDecoder().decode(bytes.subarray(carrier?.offset, (carrier?.offset ?? 0) + 5))).toBe('<meta');
  });

  it('still takes neither legacy encodings nor binary for text', async () => {
    const gbk = Uint8Array.from([
      0xb1, 0xbe, 0xc4, 0xda, 0xc8, 0xdd, 0xd3, 0xc9, 0xc8, 0xcb, 0xb9, 0xa4, 0xd6, 0xc7, 0xc4, 0xdc, 0xc9, 0xfa, 0xb3, 0xc9,
    ]);
    expect(() => registry.resolve(gbk, 'a.txt')).toThrow(/unknown format/);
    await expect(plainText.read(bytesSource(gbk))).rejects.toBeInstanceOf(MalformedInputError);
    // UTF-16 is read but its prompt is refused, instead of being re-encoded as UTF-8.
    const utf16 = Uint8Array.from([0xff, 0xfe, ...new Uint8Array(new Uint16Array([...'AI生成内容\n'].map((c) => c.charCodeAt(0))).buffer)]);
    await expect(labelerOf(plainText).apply(utf16, {})).rejects.toBeInstanceOf(UnsupportedFormatError);
  });
});

describe('truncated text files (issue 25): the label fields that arrived are read, nothing is written', () => {
  it('html: cut inside the AIGC meta value, the whole fields before the cut are read', async () => {
    const cut = HTML.slice(0, HTML.indexOf('ReservedCode1'));
    const read = await html.read(bytesSource(utf8(cut)));
    const [carrier] = read.carriers;
    expect(carrier?.label).toMatchObject({ Label: label.Label, ContentProducer: label.ContentProducer, ProduceID: label.ProduceID });
    expect(carrier?.findings.find((f) => f.rule === 'format/damaged')?.message).toBe(
      'the label is cut off by the end of the file; 3 whole field(s) were read from it',
    );
    expect(read.findings.filter((f) => f.rule === 'format/damaged').map((f) => f.message)).toEqual([
      'the file ends inside a <meta> tag (truncated)',
    ]);
    await expect(labelBytes(html, utf8(cut), label)).rejects.toThrow(/ends inside a <meta> tag.*not labeled/);
  });

  it('html: <head cut before its > is refused for writing instead of taking the meta inside the tag (fuzz finding)', async () => {
    const bytes = utf8('<!DOCTYPE html>\n<html lang="zh">\n<head');
    expect((await html.read(bytesSource(bytes))).findings.map((f) => f.message)).toContain('the file ends inside a <head> tag (truncated)');
    await expect(labelBytes(html, bytes, label)).rejects.toBeInstanceOf(MalformedInputError);
    // A whole tag is not cut: the file is labeled as before.
    const whole = utf8('<!DOCTYPE html>\n<html lang="zh">\n<head>');
    const { bytes: out } = await labelBytes(html, whole, label);
    expect((await html.read(bytesSource(out))).carriers.map((c) => c.label)).toEqual([label]);
  });

  it('html: an SGML null-end start tag at the end of an HTML 3.2 file is whole (corpus small/html-3.2.html), the same bytes in HTML5 are cut', async () => {
    const sgml = utf8('<!DOCTYPE html PUBLIC "-//W3C//DTD HTML 3.2 Final//EN"><title//x');
    expect((await html.read(bytesSource(sgml))).findings.filter((f) => f.rule === 'format/damaged')).toEqual([]);
    const { bytes: out } = await labelBytes(html, sgml, label);
    expect((await html.read(bytesSource(out))).carriers.map((c) => c.label)).toEqual([label]);
    expect(new TextDecoder().decode(out).endsWith('</head><title//x')).toBe(true);
    await expect(labelBytes(html, utf8('<!DOCTYPE html><title//x'), label)).rejects.toThrow(/ends inside a <title> tag/);
  });

  it('markdown: front matter cut before its closing line, the AIGC fields that arrived are read', async () => {
    const cut = MARKDOWN.slice(0, MARKDOWN.indexOf('  ReservedCode1'));
    const read = await markdown.read(bytesSource(utf8(cut)));
    expect(read.carriers[0]?.label).toMatchObject({
      Label: label.Label,
      ContentProducer: label.ContentProducer,
      ProduceID: label.ProduceID,
    });
    expect(read.findings.filter((f) => f.rule === 'format/damaged').map((f) => f.message)).toEqual([
      'the YAML front matter is never closed: the file is cut inside it (truncated); its AIGC key was read from the lines that arrived',
    ]);
    await expect(labelBytes(markdown, utf8(cut), label)).rejects.toThrow(/never closed/);
    // An unclosed block without an AIGC key stays body text (Jekyll, Hugo), and is labeled.
    const plain = utf8('---\nSome text after a rule.\n');
    expect((await markdown.read(bytesSource(plain))).findings).toEqual([]);
    const { bytes: out } = await labelBytes(markdown, plain, label);
    expect((await markdown.read(bytesSource(out))).carriers.map((c) => c.label)).toEqual([label]);
  });
});

describe('empty carriers (issue 25)', () => {
  const message = 'the AIGC carrier is present but empty; a label may have been removed (Measures Art. 10)';

  it('html: an AIGC meta with an empty or blank content, or none', async () => {
    for (const meta of ['<meta name="AIGC" content="">', '<meta name="AIGC" content="  ">', '<meta name="aigc">']) {
      const input = utf8(`<!DOCTYPE html><html><head>${meta}</head><body></body></html>`);
      const [carrier] = (await html.read(bytesSource(input))).carriers;
      expect(carrier?.label).toBeNull();
      expect(
        carrier?.findings
          .filter((f) => f.rule.startsWith('carrier/') || f.rule.startsWith('decode/'))
          .map((f) => [f.rule, f.severity, f.message]),
      ).toEqual([
        ['carrier/empty', 'warning', message],
        ['carrier/non-normative', 'info', expect.any(String)],
      ]);
      const { bytes } = await labelBytes(html, input, label);
      expect((await html.read(bytesSource(bytes))).carriers.map((c) => c.label)).toEqual([label]);
    }
  });

  it('markdown: an AIGC key with no value, an empty string or blanks', async () => {
    for (const value of ['', " ''", ' "   "']) {
      const input = utf8(`---\ntitle: x\nAIGC:${value}\n---\nbody\n`);
      const [carrier] = (await markdown.read(bytesSource(input))).carriers;
      expect(carrier?.label).toBeNull();
      expect(carrier?.findings.map((f) => f.rule)).toContain('carrier/empty');
      expect(carrier?.findings.map((f) => f.rule)).not.toContain('decode/not-json');
      const { bytes } = await labelBytes(markdown, input, label);
      expect((await markdown.read(bytesSource(bytes))).carriers.map((c) => c.label)).toEqual([label]);
    }
  });
});

describe('text hostile input (issue 15)', () => {
  const hostile = (id: string) => {
    const found = cases.find((c) => c.id === id);
    if (!found) throw new Error(`no case ${id}`);
    return found;
  };

  it('refuses front matter nested deeper than the limit with a LimitExceededError, never a stack overflow', async () => {
    for (const id of ['markdown/yaml-flow-depth', 'markdown/yaml-block-depth']) {
      const deep = hostile(id);
      for (const n of deep.sizes) {
        const bytes = deep.build(n);
        await expect(markdown.read(bytesSource(bytes))).rejects.toThrow(/front matter nests deeper than 64 levels/);
        await expect(labelBytes(markdown, bytes, label)).rejects.toBeInstanceOf(LimitExceededError);
      }
    }
    // Real nesting, brackets inside quotes, comments and block scalars do not count.
    const real = utf8(
      `---\nnested:\n  a:\n    b: [1, [2, [3]]]\nquoted: "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["\nnote: |\n  ${'['.repeat(100)}\n# ${'{'.repeat(100)}\n---\nbody\n`,
    );
    expect((await markdown.read(bytesSource(real))).findings).toEqual([]);
  });

  it('reads many keys and many AIGC keys, each carrier with its line', async () => {
    const keys = hostile('markdown/front-matter-keys');
    expect((await markdown.read(bytesSource(keys.build(keys.sizes[1])))).carriers).toHaveLength(1);
    const many = hostile('markdown/aigc-keys');
    const read = await markdown.read(bytesSource(many.build(many.sizes[0])));
    expect(read.carriers).toHaveLength(many.sizes[0]);
    expect(read.carriers[999]?.location).toBe('YAML front matter, key "AIGC" at line 1001');
    const { bytes } = await labelBytes(markdown, many.build(many.sizes[0]), label);
    expect((await markdown.read(bytesSource(bytes))).carriers.map((c) => c.label)).toEqual([label]);
  });

  it('reads and relabels HTML with a thousand AIGC meta elements on one line, keeping one, and refuses more', async () => {
    const metas = hostile('html/meta-tags');
    const input = metas.build(metas.sizes[0]);
    const read = await html.read(bytesSource(input));
    expect(read.carriers).toHaveLength(metas.sizes[0]);
    expect(read.carriers[1]?.offset).toBe(new TextDecoder().decode(input).indexOf('<meta', 40));
    const { bytes } = await labelBytes(html, input, label);
    expect((await html.read(bytesSource(bytes))).carriers.map((c) => c.label)).toEqual([label]);
    await expect(html.read(bytesSource(metas.build(metas.sizes[1])))).rejects.toThrow(/over 1000 AIGC carriers in one file/);
    const many = hostile('markdown/aigc-keys');
    await expect(markdown.read(bytesSource(many.build(many.sizes[1])))).rejects.toBeInstanceOf(LimitExceededError);
    const keys = hostile('markdown/front-matter-keys');
    await expect(markdown.read(bytesSource(keys.build(keys.sizes[2])))).rejects.toThrow(/front matter is over 524288 characters/);
    for (const id of ['html/other-tags', 'html/unclosed-raw-text']) {
      const other = hostile(id);
      expect((await html.read(bytesSource(other.build(other.sizes[1])))).carriers).toEqual([]);
    }
  });
});
