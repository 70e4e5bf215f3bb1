/**
 * The one label pipeline: the same steps for files and memory, the explicit-label step driven by
 * each format module's capability, deprecated option names still accepted, and the scheduler's
 * cost classes read from the modules.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PDFDocument } from 'pdf-lib';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { detectBuffer, jobCost, labelBuffer, labelFile } from '../src/index.js';

const PRODUCER = '001191440300708461136T1XGW3';
const ffmpeg: string = createRequire(import.meta.url)('@ffmpeg-installer/ffmpeg').path;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aigc-pipeline-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('one pipeline for files and memory', () => {
  it('labels the same bytes the same way through labelFile and labelBuffer', async () => {
    const input = new TextEncoder().encode('# 标题\n\n正文。\n');
    const file = join(dir, 'same.md');
    await writeFile(file, input);
    const fromFile = await labelFile(file, { producer: PRODUCER, produceId: 'same-1', outDir: join(dir, 'same-out') });
    const fromBuffer = await labelBuffer(input, { producer: PRODUCER, produceId: 'same-1', filename: 'same.md' });
    expect(new Uint8Array(await readFile(fromFile.output!))).toEqual(fromBuffer.bytes);
    expect({ ...fromFile, file: null, output: null }).toEqual(fromBuffer.report);
  });

  it('renders an audible label for bytes in memory too, in a private folder it removes', async () => {
    const wav = join(dir, 'tone.wav');
    execFileSync(ffmpeg, ['-v', 'error', '-f', 'lavfi', '-i', 'anoisesrc=d=2:c=pink:a=0.05', '-ar', '22050', wav]);
    const before = (await readdir(tmpdir())).filter((f) => f.startsWith('aigc-label-'));
    const { bytes, report } = await labelBuffer(new Uint8Array(await readFile(wav)), { producer: PRODUCER });
    expect(report.explicit?.kind).toBe('audio');
    const found = await detectBuffer(bytes);
    expect(found.label).toEqual(report.label);
    expect(found.evidence.filter((e) => e.kind === 'audio-rhythm-label').map((e) => e.where)).toEqual(['start']);
    expect((await readdir(tmpdir())).filter((f) => f.startsWith('aigc-label-'))).toEqual(before);
  });

  it('says when a format can take no explicit label here, and why', async () => {
    // A HEIC still image: an AVIF with the brands of HEIC (sharp from npm has no HEVC encoder to draw on it).
    const heic = new Uint8Array(
      await sharp({ create: { width: 64, height: 64, channels: 3, background: '#808080' } })
        .avif()
        .toBuffer(),
    );
    heic.set(new TextEncoder().encode('heic'), 8);
    heic.set(new TextEncoder().encode('mif1heic'), 16);
    const { report } = await labelBuffer(heic, { producer: PRODUCER, filename: 'a.heic' });
    expect(report.explicit).toBeNull();
    expect(report.findings).toContainEqual(
      expect.objectContaining({ rule: 'explicit/unsupported', message: expect.stringMatching(/HEIC/) }),
    );
    const quiet = await labelBuffer(heic, { producer: PRODUCER, filename: 'a.heic', explicit: false });
    expect(quiet.report.findings.map((f) => f.rule)).not.toContain('explicit/unsupported');
  });

  it('gives a PDF its explicit label line, which detect then finds', async () => {
    const doc = await PDFDocument.create();
    doc.addPage([400, 300]);
    const { bytes, report } = await labelBuffer(await doc.save(), { producer: PRODUCER, filename: 'a.pdf' });
    expect(report.explicit).toEqual({ kind: 'text', detail: 'line "本内容由人工智能生成" at the top of the first page' });
    const found = await detectBuffer(bytes, { filename: 'a.pdf' });
    expect(found.label).toEqual(report.label);
    expect(found.evidence.map((e) => e.kind)).toEqual(['explicit-text-label']);
    expect(found.findings.map((f) => f.rule)).not.toContain('gb45438/explicit-missing');
  });

  it('reports one text-height finding for a small visible label, not two', async () => {
    const picture = await sharp({ create: { width: 1280, height: 720, channels: 3, background: '#f0f0f0' } })
      .png()
      .toBuffer();
    const { bytes } = await labelBuffer(new Uint8Array(picture), {
      producer: PRODUCER,
      visible: { textHeightRatio: 0.035, allowNoncompliant: true },
    });
    const report = await detectBuffer(bytes, { ocr: true });
    expect(report.evidence.map((e) => e.kind)).toContain('explicit-image-label');
    expect(report.findings.filter((f) => f.rule === 'gb45438/5.2e-text-height')).toHaveLength(1);
  });
});

describe('options', () => {
  it('accepts the 0.1 option names with a deprecation warning', async () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    try {
      const text = new TextEncoder().encode('第一段。\n\n第二段。\n');
      const old = await labelBuffer(text, { producer: PRODUCER, filename: 'a.txt', text: { positions: ['start'] } });
      const current = await labelBuffer(text, { producer: PRODUCER, filename: 'a.txt', text: { placement: ['start'] } });
      expect(old.bytes).toEqual(current.bytes);
      expect(new TextDecoder().decode(current.bytes).startsWith('本内容由人工智能生成')).toBe(true);
      expect(warn).toHaveBeenCalledWith(expect.stringMatching(/text\.positions is deprecated; use text\.placement/), 'DeprecationWarning');
    } finally {
      warn.mockRestore();
    }
  });
});

describe('cost classes', () => {
  it('come from the format modules and the options', () => {
    expect(jobCost({ verb: 'label', file: 'a.png', options: {} })).toBe('media');
    expect(jobCost({ verb: 'label', file: 'a.png', options: { explicit: false } })).toBe('metadata');
    expect(jobCost({ verb: 'label', file: 'a.md', options: {} })).toBe('metadata');
    expect(jobCost({ verb: 'verify', file: 'a.png', options: {} })).toBe('metadata');
    expect(jobCost({ verb: 'verify', file: 'a.png', options: { ocr: true } })).toBe('media');
    expect(jobCost({ verb: 'verify', file: 'a.mp3', options: {} })).toBe('media');
    expect(jobCost({ verb: 'verify', file: 'a.mp3', options: { audible: false } })).toBe('metadata');
    expect(jobCost({ verb: 'propagate', file: 'a.jpg', options: { visiblePrompt: true } })).toBe('media');
    expect(jobCost({ verb: 'label', file: 'a.heic', options: {} })).toBe('metadata');
  });
});
