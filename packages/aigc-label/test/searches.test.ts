/**
 * A file's searches in `detect`: the explicit-label searches and the watermark's own search decode
 * separately (a video's sound track, its frames, its keyframes), so they run side by side; their
 * evidence still comes in a fixed order, and a failing search is thrown only once every other
 * search of the file has ended.
 */
import {
  type ExplicitSearch,
  type ExplicitSearchResult,
  type FormatModule,
  FormatRegistry,
  MalformedInputError,
  startsWith,
  utf8,
  type WatermarkSearchResult,
} from '@aigc-label/core';
import { detectBuffer } from 'aigc-label';
import { describe, expect, it } from 'vitest';

const MAGIC = 'SRCH\n';

/** A promise and what resolves it. */
function signal(): { promise: Promise<void>; fire: () => void } {
  let fire = () => {};
  const promise = new Promise<void>((resolve) => {
    fire = resolve;
  });
  return { promise, fire: () => fire() };
}

/** Waits for `other` to start, or fails after a while: a search that ran alone never sees it. */
async function alongside(other: ReturnType<typeof signal>, who: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${who} ran alone`)), 2_000);
  });
  await Promise.race([other.promise, timeout]).finally(() => clearTimeout(timer));
}

interface Scenario {
  /** Resolves the visible search's result, or throws. */
  visible: () => Promise<ExplicitSearchResult>;
  audible: () => Promise<ExplicitSearchResult>;
  watermark: () => Promise<WatermarkSearchResult>;
}

/** A made-up video format with a visible and an audible search and a watermark of its own search. */
function registryFor(scenario: Scenario): FormatRegistry {
  const search = (enabledBy: ExplicitSearch['enabledBy'], run: () => Promise<ExplicitSearchResult>): ExplicitSearch => ({
    enabledBy,
    cost: 'media',
    run,
  });
  const format: FormatModule = {
    id: 'srch',
    kind: 'video',
    name: 'Search test',
    extensions: ['srch'],
    mimeTypes: ['video/x-srch'],
    carrier: 'none',
    sniff: (head) => startsWith(head, utf8(MAGIC)),
    async read() {
      return { format: 'srch', carriers: [], findings: [] };
    },
    explicit: {
      summary: 'none',
      cost: 'media',
      customWording: false,
      searches: [search('ocr', scenario.visible), search('audible', scenario.audible)],
      labeler: {
        input: 'bytes',
        apply: async () => {
          throw new MalformedInputError('srch', 'not labeled here');
        },
      },
    },
    watermark: {
      summary: 'a test mark',
      embedCost: 'media',
      detectCost: 'media',
      embedder: {
        input: 'bytes',
        embed: async () => {
          throw new MalformedInputError('srch', 'not marked here');
        },
      },
      detect: scenario.watermark,
    },
  };
  return new FormatRegistry([format]);
}

const visibleEvidence = { kind: 'explicit-video-label', scheme: 'explicit', detail: 'seen', aiTrace: true } as const;
const audibleEvidence = { kind: 'audio-rhythm-label', scheme: 'explicit', detail: 'heard', aiTrace: true } as const;
const reading = { payload: new Uint8Array(8).fill(7), confidence: 0.9, falsePositiveBound: 1e-9, detail: 'read' };

describe('searches of one file', () => {
  it('run side by side, and their evidence keeps the order of the searches, the mark last', async () => {
    const started = { visible: signal(), audible: signal(), watermark: signal() };
    const registry = registryFor({
      // Each waits for the next to have started: run one after another, the first would wait alone.
      visible: async () => {
        started.visible.fire();
        await alongside(started.audible, 'the visible search');
        return { evidence: [visibleEvidence], findings: [] };
      },
      audible: async () => {
        started.audible.fire();
        await alongside(started.watermark, 'the audible search');
        return { evidence: [audibleEvidence], findings: [] };
      },
      watermark: async () => {
        started.watermark.fire();
        await alongside(started.visible, 'the watermark search');
        return { readings: [reading], findings: [] };
      },
    });
    const report = await detectBuffer(utf8(`${MAGIC}x`), { registry, ocr: true, watermark: true });
    expect(report.evidence.map((e) => e.kind)).toEqual(['explicit-video-label', 'audio-rhythm-label', 'watermark']);
    expect(report.evidence.at(-1)?.watermark?.payload).toBe('0707070707070707');
  });

  it('end, every one, before the first failure is thrown', async () => {
    const ended: string[] = [];
    const registry = registryFor({
      visible: async () => {
        await new Promise((r) => setTimeout(r, 20));
        ended.push('visible');
        throw new MalformedInputError('srch', 'the frames do not decode');
      },
      audible: async () => {
        await new Promise((r) => setTimeout(r, 200));
        ended.push('audible');
        return { evidence: [audibleEvidence], findings: [] };
      },
      watermark: async () => {
        await new Promise((r) => setTimeout(r, 300));
        ended.push('watermark');
        return { readings: [], findings: [] };
      },
    });
    await expect(detectBuffer(utf8(`${MAGIC}x`), { registry, ocr: true, watermark: true })).rejects.toThrow('the frames do not decode');
    expect(ended.sort()).toEqual(['audible', 'visible', 'watermark']);
  });

  it('report a watermark search that fails as a finding, beside the searches that succeed', async () => {
    const registry = registryFor({
      visible: async () => ({ evidence: [visibleEvidence], findings: [] }),
      audible: async () => ({ evidence: [], findings: [] }),
      watermark: async () => {
        throw new MalformedInputError('srch', 'no keyframe decodes');
      },
    });
    const report = await detectBuffer(utf8(`${MAGIC}x`), { registry, ocr: true, watermark: true });
    expect(report.evidence.map((e) => e.kind)).toEqual(['explicit-video-label']);
    expect(report.findings.map((f) => f.rule)).toContain('watermark/unavailable');
  });
});
