import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toHex, watermarkPayload } from '@aigc-label/core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { photo, toSharp } from '../../image/test/watermark/pictures.js';
import { detectBuffer, detectFile, jobCost, labelBuffer, labelFile, verifyBuffer, verifyFile } from '../src/index.js';

const PRODUCER = '001191440300708461136T1XGW3';
/**
 * A fixed ProduceID where a mark is attacked, so that every run reads the same mark: the
 * payload, and with it the mark's margin, depends on the label (the benches measure the margins).
 */
const produceId = (n: number) => `0195f3a2-0000-7000-8000-${n.toString(16).padStart(12, '0')}`;
const ffmpeg: string = createRequire(import.meta.url)('@ffmpeg-installer/ffmpeg').path;
const run = (args: string[]) => execFileSync(ffmpeg, ['-v', 'error', '-y', ...args]);
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aigc-watermark-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const picture = async (seed: number) =>
  new Uint8Array(
    await toSharp(photo(640, 480, seed))
      .jpeg({ quality: 90 })
      .toBuffer(),
  );
const marks = (report: { evidence: readonly { kind: string; watermark?: { payload: string; matchesLabel: boolean | null } }[] }) =>
  report.evidence.filter((e) => e.kind === 'watermark').map((e) => e.watermark);
const rules = (report: { findings: readonly { rule: string }[] }) => report.findings.map((f) => f.rule);

describe('image watermark through label, detect and verify', () => {
  it('embeds with --watermark, keeps the metadata label, and verify finds it only when asked', async () => {
    const { bytes, report } = await labelBuffer(await picture(1), {
      producer: PRODUCER,
      filename: 'a.jpg',
      explicit: false,
      watermark: true,
    });
    expect(report.watermark).toMatch(/PSNR/);
    expect(rules(report)).not.toContain('watermark/not-read-back');
    const fast = await verifyBuffer(bytes, { filename: 'a.jpg' });
    expect(fast.label).toEqual(report.label);
    expect(marks(fast)).toEqual([]); // the default verify reads metadata only
    const asked = await verifyBuffer(bytes, { filename: 'a.jpg', watermark: true });
    expect(marks(asked)).toEqual([expect.objectContaining({ payload: toHex(watermarkPayload(report.label)), matchesLabel: true })]);
    expect(asked.outcome).toBe('confirmed');
  });

  it('a mark survives metadata stripping and a re-encode: verify says suspected with the watermark evidence', async () => {
    const { bytes, report } = await labelBuffer(await picture(2), {
      producer: PRODUCER,
      filename: 'b.jpg',
      produceId: produceId(5),
      explicit: false,
      watermark: true,
    });
    const stripped = new Uint8Array(await sharp(bytes).resize(480).jpeg({ quality: 60 }).toBuffer()); // sharp drops metadata by default
    expect((await detectBuffer(stripped, { filename: 'b.jpg' })).label).toBeNull();
    const verdict = await verifyBuffer(stripped, { filename: 'b.jpg', watermark: true });
    expect(verdict.outcome).toBe('suspected');
    expect(marks(verdict)).toEqual([expect.objectContaining({ payload: toHex(watermarkPayload(report.label)), matchesLabel: null })]);
  });

  it('a wrong key finds nothing, and an unmarked picture gives no mark', async () => {
    const { bytes } = await labelBuffer(await picture(3), {
      producer: PRODUCER,
      filename: 'c.jpg',
      explicit: false,
      watermark: true,
      watermarkKey: 'k1',
    });
    expect(marks(await detectBuffer(bytes, { filename: 'c.jpg', watermark: true, watermarkKey: 'k1' }))).toHaveLength(1);
    expect(marks(await detectBuffer(bytes, { filename: 'c.jpg', watermark: true, watermarkKey: 'k2' }))).toEqual([]);
    expect(marks(await detectBuffer(bytes, { filename: 'c.jpg', watermark: true }))).toEqual([]);
    expect(marks(await detectBuffer(await picture(4), { filename: 'd.jpg', watermark: true }))).toEqual([]);
  });

  it('a mark that contradicts the metadata label is a finding; a second mark is never embedded over the first', async () => {
    const first = await labelBuffer(await picture(5), { producer: PRODUCER, filename: 'e.jpg', explicit: false, watermark: true });
    // Relabel the metadata only (a new ProduceID): the pixels still carry the first label's mark.
    const relabeled = await labelBuffer(first.bytes, { producer: PRODUCER, filename: 'e.jpg', explicit: false });
    const verdict = await verifyBuffer(relabeled.bytes, { filename: 'e.jpg', watermark: true });
    expect(marks(verdict)).toEqual([
      expect.objectContaining({ payload: toHex(watermarkPayload(first.report.label)), matchesLabel: false }),
    ]);
    expect(rules(verdict)).toContain('watermark/mismatch');
    const again = await labelBuffer(first.bytes, { producer: PRODUCER, filename: 'e.jpg', explicit: false, watermark: true });
    expect(rules(again.report)).toContain('watermark/already-marked');
    expect(again.report.watermark).toBeNull();
  });

  it('an image too small for the mark is labeled unchanged, with a finding', async () => {
    const icon = new Uint8Array(
      await toSharp(photo(120, 96, 6))
        .png()
        .toBuffer(),
    );
    const { bytes, report } = await labelBuffer(icon, { producer: PRODUCER, filename: 'i.png', explicit: false, watermark: true });
    expect(rules(report)).toContain('watermark/unsupported');
    expect(report.watermark).toBeNull();
    const [before, after] = await Promise.all([sharp(icon).raw().toBuffer(), sharp(bytes).raw().toBuffer()]);
    expect(after.equals(before)).toBe(true);
    expect((await detectBuffer(bytes, { filename: 'i.png' })).label).toEqual(report.label);
  });

  it('a format without a mark says so, and the label is still written', async () => {
    const gif = new Uint8Array(
      await sharp({ create: { width: 200, height: 200, channels: 3, background: '#808080' } })
        .gif()
        .toBuffer(),
    );
    const { report } = await labelBuffer(gif, { producer: PRODUCER, filename: 'f.gif', explicit: false, watermark: true });
    expect(rules(report)).toContain('watermark/unsupported');
    expect(report.watermark).toBeNull();
  });

  it('the scheduler sees the cost: embedding and an asked-for image search decode media, the default verify does not', () => {
    expect(jobCost({ verb: 'label', file: 'a.png', options: { explicit: false, watermark: true } })).toBe('media');
    expect(jobCost({ verb: 'label', file: 'a.png', options: { explicit: false } })).toBe('metadata');
    expect(jobCost({ verb: 'verify', file: 'a.png', options: {} })).toBe('metadata');
    expect(jobCost({ verb: 'verify', file: 'a.png', options: { watermark: true } })).toBe('media');
    expect(jobCost({ verb: 'verify', file: 'a.txt', options: {} })).toBe('metadata');
  });
});

const PROSE =
  'The committee met on Tuesday. It reviewed the budget, the schedule, and the staffing plan; after a long discussion, it agreed to proceed. ' +
  'Members raised questions about costs, timelines and risks! The chair noted the concerns, promised a written answer, and closed the meeting. ' +
  'Next week, the working group will report on the options: a smaller hall, a later date, or a shorter programme. ';

/** What a browser's copy gives for simple HTML: the text between the tags, entities decoded. */
const copiedFromHtml = (html: string) =>
  html
    .replace(/<head>[\s\S]*<\/head>/, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ');

describe('text watermark survives copy and paste into plain text', () => {
  const sources = [
    { name: 'plain', filename: 'a.txt', text: PROSE.repeat(3), copy: (t: string) => t },
    {
      name: 'Markdown',
      filename: 'a.md',
      text: `# Minutes\n\n${PROSE.repeat(3)}\n`,
      copy: (t: string) => t.replace(/^---[\s\S]*?---\n/, ''),
    },
    {
      name: 'HTML',
      filename: 'a.html',
      text: `<!doctype html><html><head><title>Minutes</title></head><body><p>${PROSE.repeat(3)}</p></body></html>`,
      copy: copiedFromHtml,
    },
  ];

  it.each(sources)('$name: any 200 characters pasted into a .txt verify as suspected with the mark', async ({ filename, text, copy }) => {
    const { bytes, report } = await labelBuffer(new TextEncoder().encode(text), { producer: PRODUCER, filename, watermark: true });
    expect(report.watermark).toMatch(/clusters/);
    const labeled = new TextDecoder().decode(bytes);
    // What a reader sees is unchanged: only default-ignorable selectors were added (and the prompt and label).
    expect(labeled.replace(/[\u{E0100}-\u{E01EF}]/gu, '')).toContain(text.includes('<p>') ? PROSE : PROSE.trim());
    const pasted = copy(labeled);
    const payload = toHex(watermarkPayload(report.label));
    const chars = [...pasted];
    for (const start of [0, 97, 233, Math.max(0, chars.length - 260)]) {
      const excerpt = chars.slice(start, start + 200).join('');
      const verdict = await verifyBuffer(new TextEncoder().encode(excerpt), { filename: 'pasted.txt' });
      expect(verdict.outcome).toBe('suspected');
      expect(marks(verdict)).toEqual([expect.objectContaining({ payload, matchesLabel: null })]);
    }
  });

  it('unmarked text gives no mark, and the wrong key finds nothing', async () => {
    const { bytes } = await labelBuffer(new TextEncoder().encode(PROSE), { producer: PRODUCER, filename: 'b.txt', watermark: true });
    expect(marks(await verifyBuffer(new TextEncoder().encode(PROSE), { filename: 'c.txt' }))).toEqual([]);
    expect(marks(await verifyBuffer(bytes, { filename: 'b.txt', watermarkKey: 'another' }))).toEqual([]);
    expect(marks(await verifyBuffer(bytes, { filename: 'b.txt', watermark: false }))).toEqual([]);
  });
});

describe('audio and video watermarks through re-encoding', () => {
  it('a marked MP3 re-encoded to AAC without metadata verifies as suspected with the mark', async () => {
    const mp3 = join(dir, 'noise.mp3');
    run([
      '-f',
      'lavfi',
      '-i',
      'anoisesrc=color=pink:sample_rate=44100:amplitude=0.25:seed=3',
      '-t',
      '12',
      '-ac',
      '2',
      '-c:a',
      'libmp3lame',
      '-b:a',
      '128k',
      mp3,
    ]);
    const labeled = join(dir, 'noise.labeled.mp3');
    const report = await labelFile(mp3, { producer: PRODUCER, output: labeled, explicit: false, watermark: true, produceId: produceId(6) });
    expect(report.watermark).toMatch(/^audio mark, re-encoded/);
    expect(rules(report)).not.toContain('watermark/not-read-back');
    const aac = join(dir, 'noise.m4a');
    run(['-i', labeled, '-map_metadata', '-1', '-c:a', 'aac', '-b:a', '96k', aac]);
    const verdict = await verifyFile(aac); // read in the audible search's decode, by default
    expect(verdict.label).toBeNull();
    expect(verdict.outcome).toBe('suspected');
    // the audio mark carries the first 32 bits of the label's payload
    expect(marks(verdict)).toEqual([expect.objectContaining({ payload: toHex(watermarkPayload(report.label).subarray(0, 4)) })]);
    expect(marks(await verifyFile(aac, { watermarkKey: 'another' }))).toEqual([]);
    expect(marks(await verifyFile(mp3))).toEqual([]);
    // With the metadata label: the mark matches on its 32 bits; relabeled (a new ProduceID), it is a mismatch.
    expect(marks(await verifyFile(labeled, { watermark: true }))).toEqual([expect.objectContaining({ matchesLabel: true })]);
    const relabeled = join(dir, 'noise.relabeled.mp3');
    await labelFile(labeled, { producer: PRODUCER, output: relabeled, explicit: false });
    const mismatch = await verifyFile(relabeled, { watermark: true });
    expect(marks(mismatch)).toEqual([
      expect.objectContaining({ payload: toHex(watermarkPayload(report.label).subarray(0, 4)), matchesLabel: false }),
    ]);
    expect(rules(mismatch)).toContain('watermark/mismatch');
  });

  it('an audible label that re-encodes the audio embeds the mark in the same encode by default; a spliced one does not, watermark: false never', async () => {
    const mp3 = join(dir, 'music.mp3');
    run([
      '-f',
      'lavfi',
      '-i',
      'anoisesrc=color=pink:sample_rate=44100:amplitude=0.2:seed=5',
      '-t',
      '12',
      '-c:a',
      'libmp3lame',
      '-b:a',
      '128k',
      mp3,
    ]);
    const label = async (name: string, options: { at: 'start' | 'middle'; watermark?: boolean }) => {
      const output = join(dir, name);
      const { at, watermark } = options;
      const report = await labelFile(mp3, {
        producer: PRODUCER,
        output,
        audio: { placement: [at] },
        ...(watermark === undefined ? {} : { watermark }),
      });
      return { report, found: marks(await detectFile(output)) };
    };
    // The middle is re-encoded whole: the mark goes into that encode (one generation), and reads back.
    const middle = await label('middle.mp3', { at: 'middle' });
    expect(rules(middle.report)).toContain('explicit/audio-reencoded');
    expect(middle.report.watermark).toMatch(/embedded in the audible label's re-encode/);
    expect(rules(middle.report)).not.toContain('watermark/not-read-back');
    expect(middle.found).toEqual([
      expect.objectContaining({ payload: toHex(watermarkPayload(middle.report.label).subarray(0, 4)), matchesLabel: true }),
    ]);
    // At the start the rhythm is spliced in, every frame kept: nothing re-encoded, so no mark unless asked.
    const start = await label('start.mp3', { at: 'start' });
    expect(rules(start.report)).not.toContain('explicit/audio-reencoded');
    expect(start.report.watermark).toBeNull();
    expect(start.found).toEqual([]);
    const asked = await label('start-asked.mp3', { at: 'start', watermark: true });
    expect(asked.report.watermark).toMatch(/^audio mark, re-encoded/);
    expect(asked.found).toEqual([expect.objectContaining({ matchesLabel: true })]);
    const off = await label('middle-off.mp3', { at: 'middle', watermark: false });
    expect(off.report.watermark).toBeNull();
    expect(off.found).toEqual([]);
  });

  it('the re-encode for an audible label never marks over a mark already there (Measures Art. 10)', async () => {
    const wav = join(dir, 'marked.wav');
    // 24 s: the label goes in the middle, so each side keeps more than one 7.68 s block of the first mark.
    run(['-f', 'lavfi', '-i', 'anoisesrc=color=pink:sample_rate=44100:amplitude=0.2:seed=7', '-t', '24', wav]);
    const first = await labelBuffer(new Uint8Array(await readFile(wav)), {
      producer: PRODUCER,
      filename: 'a.wav',
      produceId: produceId(8),
      explicit: false,
      watermark: true,
    });
    // The same content with another mark and no metadata label: an unlabeled upload that carries a trace.
    const marked = join(dir, 'marked.m4a');
    await writeFile(join(dir, 'first.wav'), first.bytes);
    run(['-i', join(dir, 'first.wav'), '-map_metadata', '-1', '-c:a', 'aac', '-b:a', '128k', marked]);
    const output = join(dir, 'marked.labeled.m4a');
    // In the middle, so the audio is re-encoded (at the start an M4A is spliced, and nothing is marked).
    const report = await labelFile(marked, { producer: PRODUCER, output, audio: { placement: ['middle'] } });
    expect(rules(report)).toContain('explicit/audio-reencoded');
    expect(report.findings).toContainEqual(expect.objectContaining({ rule: 'watermark/already-marked', severity: 'warning' }));
    expect(report.watermark).toBeNull();
    const found = marks(await detectFile(output));
    expect(found).toEqual([
      expect.objectContaining({ payload: toHex(watermarkPayload(first.report.label).subarray(0, 4)), matchesLabel: false }),
    ]);
  });

  it('a marked video re-encoded at half the bit rate and scaled down keeps its mark; other streams are copied', async () => {
    const clip = join(dir, 'clip.mp4');
    run([
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=480x360:rate=12',
      '-f',
      'lavfi',
      '-i',
      'sine=frequency=330:sample_rate=48000',
      '-t',
      '6',
      '-c:v',
      'libx264',
      '-b:v',
      '800k',
      '-pix_fmt',
      'yuv420p',
      '-c:a',
      'aac',
      '-b:a',
      '64k',
      clip,
    ]);
    const labeled = join(dir, 'clip.labeled.mp4');
    const report = await labelFile(clip, {
      producer: PRODUCER,
      output: labeled,
      explicit: false,
      watermark: true,
      produceId: produceId(7),
    });
    expect(report.watermark).toMatch(/72 frames/);
    expect(rules(report)).not.toContain('watermark/not-read-back');
    // The sound track is copied packet for packet.
    const audio = (file: string) => execFileSync(ffmpeg, ['-v', 'error', '-i', file, '-map', '0:a', '-c', 'copy', '-f', 'adts', 'pipe:1']);
    expect(audio(labeled).equals(audio(clip))).toBe(true);
    const attacked = join(dir, 'clip.small.mp4');
    run(['-i', labeled, '-map_metadata', '-1', '-vf', 'scale=320:240', '-c:v', 'libx264', '-b:v', '400k', '-c:a', 'copy', attacked]);
    const verdict = await verifyFile(attacked, { watermark: true });
    expect(verdict.outcome).toBe('suspected');
    expect(marks(verdict)).toEqual([expect.objectContaining({ payload: toHex(watermarkPayload(report.label)) })]);
    expect(marks(await verifyFile(attacked, { watermark: true, watermarkKey: 'another' }))).toEqual([]);
    // A piece cut by stream copy between keyframes: its only keyframe is hidden pre-roll, so frames a second apart are read.
    const piece = join(dir, 'clip.piece.mp4');
    run(['-ss', '2.5', '-i', labeled, '-t', '3', '-map_metadata', '-1', '-c', 'copy', piece]);
    expect(marks(await verifyFile(piece, { watermark: true }))).toEqual([
      expect.objectContaining({ payload: toHex(watermarkPayload(report.label)) }),
    ]);
    expect(marks(await verifyFile(clip, { watermark: true }))).toEqual([]);
    expect(marks(await verifyFile(attacked))).toEqual([]); // video marks are read on request only
  });
});
