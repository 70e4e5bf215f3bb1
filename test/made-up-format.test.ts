/**
 * CONTRIBUTING.md's recipe, proven: a format module written outside the toolkit (here a tiny
 * "TOY1" text-like format: a magic line, `key=value` lines, the label as `AIGC=<json>`, and an
 * explicit label as a `NOTE=` line) passes the handler contract and runs through the facade's
 * label, detect, verify and propagate with one registry line and no edit anywhere else.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type AigcLabel,
  type ByteSource,
  decodeLabel,
  encodeBare,
  type FormatHandler,
  FormatRegistry,
  fromUtf8,
  type LabelCarrier,
  MalformedInputError,
  readAll,
  startsWith,
  utf8,
} from '@aigc-label/core';
import { defaultRegistry, detectBuffer, labelBuffer, labelFile, propagateBuffer, verifyFile } from 'aigc-label';
import { describe, expect, it } from 'vitest';
import { describeHandlerContract, PRODUCER } from './handler-contract.js';

const MAGIC = 'TOY1\n';

async function lines(source: ByteSource): Promise<string[]> {
  const text = fromUtf8(await readAll(source, 'toy'));
  if (!text.startsWith(MAGIC)) throw new MalformedInputError('toy', 'no TOY1 magic line');
  return text.slice(MAGIC.length).split('\n');
}

const toy: FormatHandler = {
  id: 'toy',
  kind: 'text',
  name: 'Toy key=value',
  extensions: ['toy'],
  mimeTypes: ['application/x-toy'],
  carrier: 'AIGC= line',
  sniff: (head) => startsWith(head, utf8(MAGIC)),
  rules: { 'toy/odd-line': 'a line that is not key=value (info)' },
  explicit: {
    summary: 'a NOTE= line',
    cost: 'metadata',
    customWording: true,
    inRead: true,
    searches: [],
    labeler: {
      input: 'bytes',
      async apply(bytes, options) {
        const wording = options.text?.wording ?? '人工智能生成';
        return {
          bytes: utf8(`${fromUtf8(bytes)}NOTE=${wording}\n`),
          findings: [],
          summary: { kind: 'text', detail: `NOTE=${wording}` },
        };
      },
    },
  },
  async read(source) {
    const carriers: LabelCarrier[] = [];
    for (const [index, line] of (await lines(source)).entries()) {
      if (!line.startsWith('AIGC=')) continue;
      const raw = line.slice(5);
      const decoded = decodeLabel(raw);
      carriers.push({
        carrier: 'toy-line',
        location: `line ${index + 2}`,
        raw,
        label: decoded.label,
        form: decoded.form,
        canonical: true,
        findings: decoded.findings,
      });
    }
    const notes = (await lines(source)).filter((l) => l.startsWith('NOTE='));
    return {
      format: 'toy',
      carriers,
      findings: [],
      evidence: notes.map((n) => ({ kind: 'explicit-text-label', scheme: 'explicit', aiTrace: true, detail: n, where: 'NOTE line' })),
    };
  },
  async write(source, label: AigcLabel) {
    const kept = (await lines(source)).filter((l) => !l.startsWith('AIGC='));
    const body = kept[kept.length - 1] === '' ? kept.slice(0, -1) : kept;
    return { segments: [utf8(`${MAGIC}${[...body, `AIGC=${encodeBare(label)}`].join('\n')}\n`)], findings: [] };
  },
};

// The one registry line a new format needs (here a registry of our own instead of defaultRegistry's list);
// a format with exact magic bytes goes before the text formats, which take anything that looks like text.
const registry = new FormatRegistry([toy, ...defaultRegistry.list()]);
const sample = () => utf8(`${MAGIC}title=hello\n`);

describeHandlerContract(toy, sample);

describe('a made-up format through the facade', () => {
  it('is labeled in memory with its explicit label first, then detected and verified', async () => {
    const { bytes, report } = await labelBuffer(sample(), { producer: PRODUCER, registry });
    expect(report.format).toBe('toy');
    expect(report.explicit).toEqual({ kind: 'text', detail: 'NOTE=人工智能生成' });
    expect(fromUtf8(bytes)).toMatch(/^TOY1\ntitle=hello\nNOTE=人工智能生成\nAIGC=\{/);
    const found = await detectBuffer(bytes, { registry });
    expect(found.label).toEqual(report.label);
    expect(found.findings.map((f) => f.rule)).not.toContain('gb45438/explicit-missing');
  });

  it('is labeled as a file, read back and verified, and propagated', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'aigc-toy-'));
    try {
      const input = join(dir, 'a.toy');
      await writeFile(input, sample());
      const report = await labelFile(input, { producer: PRODUCER, registry, explicit: false, outDir: join(dir, 'out') });
      expect(await readFile(input, 'utf8')).toBe(fromUtf8(sample()));
      const verdict = await verifyFile(report.output ?? '', { registry });
      expect(verdict.outcome).toBe('confirmed');
      const propagated = await propagateBuffer(await readFile(report.output ?? ''), {
        registry,
        propagator: 'platform',
        propagateId: 'p-1',
      });
      expect(propagated.label?.label).toMatchObject({ ContentProducer: PRODUCER, ContentPropagator: 'platform', PropagateID: 'p-1' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
