import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectBuffer, detectFile, labelBuffer, labelFile, verifyFile } from '../src/index.js';

const PRODUCER = '001191440300708461136T1XGW3';
const ffmpeg: string = createRequire(import.meta.url)('@ffmpeg-installer/ffmpeg').path;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aigc-explicit-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const photo = () =>
  sharp({ create: { width: 480, height: 320, channels: 3, background: '#5a7d9a' } })
    .png()
    .toBuffer();

describe('label adds the explicit label, then the metadata label', () => {
  it('draws a visible label on an image and keeps the metadata label readable', async () => {
    const input = new Uint8Array(await photo());
    const { bytes, report } = await labelBuffer(input, { producer: PRODUCER });
    expect(report.explicit?.kind).toBe('image');
    expect(report.explicit?.detail).toMatch(/bottom-right/);
    expect((await sharp(bytes).metadata()).channels).toBe(3); // an RGB image stays RGB
    const [before, after] = await Promise.all([sharp(input).removeAlpha().raw().toBuffer(), sharp(bytes).removeAlpha().raw().toBuffer()]);
    expect(after.equals(before)).toBe(false);
    // Only the bottom-right corner changed (GB 45438 §5.2 c): an edge or a corner).
    const width = 480;
    let changedOutsideCorner = 0;
    for (let i = 0; i < before.length; i += 3) {
      const x = (i / 3) % width;
      const y = Math.floor(i / 3 / width);
      if ((before[i] !== after[i] || before[i + 1] !== after[i + 1]) && (x < width / 2 || y < 320 / 2)) changedOutsideCorner++;
    }
    expect(changedOutsideCorner).toBe(0);
    expect((await detectBuffer(bytes)).label).toEqual(report.label);
  });

  it('does not draw a second visible label when the file is labeled again', async () => {
    const first = await labelBuffer(new Uint8Array(await photo()), { producer: PRODUCER });
    const second = await labelBuffer(first.bytes, { producer: PRODUCER });
    expect(second.report.explicit).toBeNull();
    expect(second.report.findings.map((f) => f.rule)).toContain('explicit/skipped');
    const [a, b] = await Promise.all([sharp(first.bytes).raw().toBuffer(), sharp(second.bytes).raw().toBuffer()]);
    expect(b.equals(a)).toBe(true);
  });

  it('adds a text label to Markdown at the end of the body and the AIGC front matter', async () => {
    const { bytes, report } = await labelBuffer(new TextEncoder().encode('# 标题\n\n正文。\n'), { producer: PRODUCER, filename: 'a.md' });
    const text = new TextDecoder().decode(bytes);
    expect(text.startsWith('---\nAIGC:\n')).toBe(true);
    expect(text.trimEnd().endsWith('本内容由人工智能生成')).toBe(true);
    expect(report.explicit?.kind).toBe('text');
    const detected = await detectBuffer(bytes, { filename: 'a.md' });
    expect(detected.evidence.map((e) => e.kind)).toContain('explicit-text-label');
    expect(detected.findings.map((f) => f.rule)).not.toContain('gb45438/explicit-missing');
  });

  it('gives plain text the explicit label only (it has no metadata carrier)', async () => {
    const { bytes, report } = await labelBuffer(new TextEncoder().encode('生成的一段文字。\n'), { producer: PRODUCER, filename: 'a.txt' });
    expect(new TextDecoder().decode(bytes)).toMatch(/本内容由人工智能生成/);
    expect(report.findings.map((f) => f.rule)).toContain('carrier/non-normative');
    await expect(labelBuffer(new TextEncoder().encode('x\n'), { producer: PRODUCER, filename: 'a.txt', explicit: false })).rejects.toThrow(
      /no metadata carrier|explicit/i,
    );
  });

  it('adds the ·−·· rhythm to audio, which detect then finds, with the metadata label', async () => {
    const wav = join(dir, 'tone.wav');
    execFileSync(ffmpeg, ['-v', 'error', '-f', 'lavfi', '-i', 'anoisesrc=d=3:c=pink:a=0.05', '-ar', '44100', wav]);
    const report = await labelFile(wav, { producer: PRODUCER, outDir: join(dir, 'out') });
    expect(report.explicit?.kind).toBe('audio');
    const detected = await detectFile(report.output!);
    expect(detected.label).toEqual(report.label);
    expect(detected.evidence.filter((e) => e.kind === 'audio-rhythm-label').map((e) => e.where)).toEqual(['start']);
    const unlabeledVerdict = await verifyFile(wav);
    expect(unlabeledVerdict.outcome).toBe('none');
  });

  it('warns when Label 1 content has no explicit label that could be found', async () => {
    const wav = join(dir, 'plain.wav');
    execFileSync(ffmpeg, ['-v', 'error', '-f', 'lavfi', '-i', 'anoisesrc=d=2:c=pink:a=0.05', '-ar', '44100', wav]);
    const report = await labelFile(wav, { producer: PRODUCER, explicit: false, outDir: join(dir, 'out2') });
    const verdict = await verifyFile(report.output!, { audit: true });
    expect(verdict.outcome).toBe('confirmed');
    expect(verdict.findings.map((f) => f.rule)).toContain('gb45438/explicit-missing');
  });

  it('verify answers from the metadata label without decoding, with the same outcome as the full audit', async () => {
    const wav = join(dir, 'fast.wav');
    execFileSync(ffmpeg, ['-v', 'error', '-f', 'lavfi', '-i', 'anoisesrc=d=2:c=pink:a=0.05', '-ar', '44100', wav]);
    const labeled = (await labelFile(wav, { producer: PRODUCER, outDir: join(dir, 'fast-out') })).output!;
    const inputs: [string, { declared?: boolean }][] = [
      [labeled, {}],
      [wav, {}],
      [wav, { declared: true }],
    ];
    for (const [file, options] of inputs) {
      const fast = await verifyFile(file, options);
      const audit = await verifyFile(file, { ...options, audit: true });
      expect([fast.outcome, fast.basis, fast.prompt]).toEqual([audit.outcome, audit.basis, audit.prompt]);
      const settled = fast.label !== null || options.declared === true;
      // Settled by metadata (or the declaration): no search ran, and the report says so; otherwise the search ran as before.
      expect(fast.findings.map((f) => f.rule).includes('explicit/not-searched')).toBe(settled);
      expect(fast.evidence).toEqual(settled ? [] : audit.evidence);
      expect(audit.findings.map((f) => f.rule)).not.toContain('explicit/not-searched');
    }
    // The audit still hears the rhythm the label added.
    expect((await verifyFile(labeled, { audit: true })).evidence.map((e) => e.kind)).toContain('audio-rhythm-label');
  });

  it("verify gives the full audit's outcome on every sample, labeled (with and without its explicit label) and not", async () => {
    const samples = join(import.meta.dirname, '..', '..', '..', 'samples');
    if (!existsSync(join(samples, 'sample.png'))) execFileSync(process.execPath, [join(samples, '..', 'scripts', 'make-samples.mjs')]);
    const names = (await readdir(samples)).filter((f) => f.startsWith('sample.'));
    expect(names.length).toBeGreaterThan(20);
    const files: string[] = [];
    for (const name of names) {
      const input = join(samples, name);
      files.push(input);
      for (const explicit of [true, false]) {
        // Plain text has no metadata carrier: with its explicit label off there is nothing to write.
        const report = await labelFile(input, { producer: PRODUCER, explicit, outDir: join(dir, `corpus-${explicit}`) }).catch(() => null);
        if (report?.output) files.push(report.output);
      }
    }
    expect(files.length).toBeGreaterThan(2 * names.length);
    for (const file of files) {
      const fast = await verifyFile(file);
      const audit = await verifyFile(file, { audit: true });
      expect([file, fast.outcome, fast.basis, fast.prompt]).toEqual([file, audit.outcome, audit.basis, audit.prompt]);
    }
  });

  it('reads a visible label back with OCR (detect --ocr)', async () => {
    const big = await sharp({ create: { width: 1280, height: 720, channels: 3, background: '#f0f0f0' } })
      .png()
      .toBuffer();
    const { bytes } = await labelBuffer(new Uint8Array(big), { producer: PRODUCER, explicit: true });
    const file = join(dir, 'ocr.png');
    await writeFile(file, bytes);
    const report = await detectFile(file, { ocr: true });
    expect(report.evidence.map((e) => e.kind)).toContain('explicit-image-label');
    expect(report.findings.map((f) => f.rule)).not.toContain('gb45438/explicit-missing');
    expect((await readFile(file)).length).toBe(bytes.length);
  });
});

describe('video', () => {
  it('labels a video visibly from the first frame and finds the label again in sampled frames (--ocr)', async () => {
    const clip = join(dir, 'clip.mp4');
    execFileSync(ffmpeg, [
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      'testsrc=size=640x360:rate=25:duration=4',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-g',
      '25',
      '-pix_fmt',
      'yuv420p',
      clip,
    ]);
    const report = await labelFile(clip, { producer: PRODUCER, outDir: join(dir, 'video-out') });
    expect(report.explicit?.kind).toBe('video');
    expect(report.explicit?.detail).toMatch(/smart render/);
    const detected = await detectFile(report.output!, { ocr: true });
    expect(detected.label).toEqual(report.label);
    // Shown for the first 3 s (GB 45438 §5.4: start frames, at least 2 s); OCR reads it in frames sampled there.
    const seconds = detected.evidence
      .filter((e) => e.kind === 'explicit-video-label')
      .map((e) => Number(/([\d.]+) s$/.exec(e.where ?? '')?.[1]));
    expect(seconds.some((t) => t < 3)).toBe(true);
    expect(seconds.every((t) => t < 3)).toBe(true);
    expect(detected.findings.map((f) => f.rule)).not.toContain('gb45438/explicit-missing');

    // An avc1 decoder may take parameter sets from the sample entry only: with every in-band SPS and PPS
    // removed, the re-encoded GOPs (their own SPS/PPS ids) must still decode to the same frames.
    const stripped = join(dir, 'video-out', 'no-inband-sets.mp4');
    execFileSync(ffmpeg, ['-v', 'error', '-i', report.output!, '-c', 'copy', '-bsf:v', 'filter_units=remove_types=7|8', stripped]);
    const frames = (file: string) =>
      execFileSync(ffmpeg, ['-v', 'error', '-i', file, '-f', 'framemd5', '-'], { encoding: 'utf8' })
        .split('\n')
        .filter((line) => /^\d/.test(line))
        .map((line) => line.split(',').at(-1));
    const expected = frames(report.output!);
    expect(expected).toHaveLength(100);
    expect(frames(stripped)).toEqual(expected);

    // The same for Matroska, whose CodecPrivate holds the record: the Tags after Tracks move to make room.
    const mkv = join(dir, 'clip.mkv');
    execFileSync(ffmpeg, ['-v', 'error', '-i', clip, '-c', 'copy', mkv]);
    const mkvReport = await labelFile(mkv, { producer: PRODUCER, outDir: join(dir, 'video-out') });
    expect(mkvReport.explicit?.detail).toMatch(/smart render/);
    expect(mkvReport.findings.map((f) => f.rule)).not.toContain('explicit/parameter-sets-in-band');
    expect((await detectFile(mkvReport.output!)).label).toEqual(mkvReport.label);
    // ffmpeg's own reader follows the moved Tags (SeekHead and Segment size updated).
    const tags = execFileSync(ffmpeg, ['-v', 'error', '-i', mkvReport.output!, '-f', 'ffmetadata', '-'], { encoding: 'utf8' });
    expect(JSON.parse(/^AIGC=(.*)$/m.exec(tags)?.[1] ?? 'null')).toEqual(mkvReport.label);
    const strippedMkv = join(dir, 'video-out', 'no-inband-sets.mkv');
    execFileSync(ffmpeg, ['-v', 'error', '-i', mkvReport.output!, '-c', 'copy', '-bsf:v', 'filter_units=remove_types=7|8', strippedMkv]);
    expect(frames(strippedMkv)).toEqual(frames(mkvReport.output!));
  });
});
