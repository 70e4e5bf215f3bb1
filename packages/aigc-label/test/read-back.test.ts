/**
 * An explicit step that re-encodes the content with the mark in it (audio: the audible label's
 * re-encode) is read back by the search that reads both, in one decode: the mark and the label
 * just added. A label that search misses is a warning on the label report.
 */
import { readFile, writeFile } from 'node:fs/promises';
import {
  type AigcLabel,
  type ByteSource,
  decodeLabel,
  encodeBare,
  type FormatHandler,
  FormatRegistry,
  fromUtf8,
  type LabelCarrier,
  readAll,
  startsWith,
  toHex,
  utf8,
} from '@aigc-label/core';
import { labelBuffer } from 'aigc-label';
import { describe, expect, it } from 'vitest';

const MAGIC = 'SND1\n';
const PRODUCER = '001191440300708461136T1XGW3';

async function lines(source: ByteSource): Promise<string[]> {
  return fromUtf8(await readAll(source, 'snd'))
    .slice(MAGIC.length)
    .split('\n');
}

/**
 * A made-up sound format of `key=value` lines: its audible label is a `SOUND=` line, its mark a
 * `MARK=` line with the payload, and the search that hears the one reads the other. `hearable`
 * false makes the labeler write a label its own search cannot hear.
 */
function soundFormat(hearable: boolean) {
  const calls = { searches: 0, markSearches: 0 };
  const format: FormatHandler = {
    id: 'snd',
    kind: 'audio',
    name: 'Made-up sound',
    extensions: ['snd'],
    mimeTypes: ['audio/x-snd'],
    carrier: 'AIGC= line',
    sniff: (head) => startsWith(head, utf8(MAGIC)),
    async read(source) {
      const carriers: LabelCarrier[] = [];
      for (const [index, line] of (await lines(source)).entries()) {
        if (!line.startsWith('AIGC=')) continue;
        const decoded = decodeLabel(line.slice(5));
        carriers.push({
          carrier: 'snd-line',
          location: `line ${index + 2}`,
          raw: line.slice(5),
          label: decoded.label,
          form: decoded.form,
          canonical: true,
          findings: decoded.findings,
        });
      }
      return { format: 'snd', carriers, findings: [] };
    },
    async write(source, label: AigcLabel) {
      const kept = (await lines(source)).filter((l) => l !== '' && !l.startsWith('AIGC='));
      return { segments: [utf8(`${MAGIC}${[...kept, `AIGC=${encodeBare(label)}`].join('\n')}\n`)], findings: [] };
    },
    explicit: {
      summary: 'a SOUND= line',
      cost: 'media',
      customWording: false,
      searches: [
        {
          enabledBy: 'audible',
          cost: 'media',
          async run(input) {
            calls.searches++;
            const text = fromUtf8(await input.bytes());
            const mark = /^MARK=([0-9a-f]+)$/m.exec(text)?.[1];
            return {
              evidence: text.includes('\nSOUND=label')
                ? [{ kind: 'audio-rhythm-label', scheme: 'explicit', aiTrace: true, detail: 'SOUND line', where: 'start' }]
                : [],
              findings: [],
              ...(input.watermark && mark
                ? {
                    watermarks: [
                      { payload: Uint8Array.from(Buffer.from(mark, 'hex')), confidence: 1, falsePositiveBound: 1e-9, detail: 'MARK line' },
                    ],
                  }
                : {}),
            };
          },
        },
      ],
      labeler: {
        input: 'file',
        embedsWatermark: true,
        async apply({ input, output }, _options, watermark) {
          const before = await readFile(input, 'utf8');
          const sound = hearable ? 'SOUND=label\n' : 'SOUND=\n';
          await writeFile(output, `${before}${sound}${watermark ? `MARK=${toHex(watermark.payload)}\n` : ''}`);
          return {
            summary: { kind: 'audio', detail: 'SOUND line, re-encoded' },
            findings: [],
            ...(watermark ? { watermarked: 'MARK line in the re-encode' } : {}),
          };
        },
      },
    },
    watermark: {
      summary: 'a MARK= line',
      embedCost: 'media',
      detectCost: 'media',
      readBy: 'audible',
      embedder: {
        input: 'bytes',
        embed: async (bytes) => ({ bytes, detail: 'none', findings: [] }),
      },
      async detect() {
        calls.markSearches++;
        return { readings: [], findings: [] };
      },
    },
  };
  return { registry: new FormatRegistry([format]), calls };
}

describe('the read-back of an explicit step that embedded the mark', () => {
  it('reads the label and the mark in the one search, and says nothing when both are there', async () => {
    const { registry, calls } = soundFormat(true);
    const { bytes, report } = await labelBuffer(utf8(`${MAGIC}title=a\n`), { producer: PRODUCER, registry });
    expect(fromUtf8(bytes)).toMatch(/\nSOUND=label\nMARK=[0-9a-f]{16}\nAIGC=/);
    expect(report.findings.map((f) => f.rule)).toEqual([]);
    expect(calls).toEqual({ searches: 1, markSearches: 0 });
  });

  it('warns when its own search does not find the label just added', async () => {
    const { registry } = soundFormat(false);
    const { report } = await labelBuffer(utf8(`${MAGIC}title=a\n`), { producer: PRODUCER, registry });
    expect(report.findings.map((f) => [f.rule, f.severity])).toEqual([['explicit/not-read-back', 'warning']]);
  });
});
