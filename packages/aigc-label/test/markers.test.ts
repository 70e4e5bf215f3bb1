/**
 * Vendors' own markers through verify: each gives `suspected` with evidence naming the marker,
 * and the same file without it gives `none`. The files are made with ffmpeg and ExifTool where
 * they can write the marker, and by inserting a chunk where no tool of theirs does.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyBuffer } from 'aigc-label';
import { describe, expect, it } from 'vitest';
import { withTool } from '../../../test/oracles.js';
import { clip, ffmpeg, gradient, withPngText } from '../../evidence/test/media.js';

async function verdict(bytes: Uint8Array, filename: string) {
  const report = await verifyBuffer(bytes, { filename });
  return {
    outcome: report.outcome,
    basis: report.basis,
    markers: report.evidence.filter((e) => e.aiTrace).map((e) => `${e.kind}: ${e.detail}`),
  };
}

/** ExifTool writes `args` into a copy of `bytes`. */
function exiftool(bytes: Uint8Array, name: string, args: readonly string[]): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'aigc-markers-'));
  try {
    const file = join(dir, name);
    writeFileSync(file, bytes);
    execFileSync('exiftool', ['-q', '-overwrite_original', ...args, file]);
    return new Uint8Array(readFileSync(file));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const KLING_SEI = 'h264_metadata=sei_user_data=91ca60614aee385486142d5f73f4ae2e+kling-ai';
const DOUYIN = '{"data":{"product":"aweme","aigc_info":"{\\"aigc_type\\":1,\\"source\\":\\"upload\\"}"}}';

describe('vendor markers give suspected; the same file without them gives none', async () => {
  const png = new Uint8Array(await gradient().png().toBuffer());
  const jpeg = new Uint8Array(await gradient().jpeg().toBuffer());

  it('a Kling SEI user_data_unregistered in the H.264 stream (survives a metadata strip)', async () => {
    const marked = ffmpeg('kling.mp4', [...clip, '-map_metadata', '-1', '-bsf:v', KLING_SEI]);
    const result = await verdict(marked, 'kling.mp4');
    expect(result.outcome).toBe('suspected');
    expect(result.markers).toEqual([expect.stringMatching(/^vendor-marker: Kling AI \(可灵\): H264 SEI user data 91ca6061.* "kling-ai /)]);
    expect(result.basis).toContain('vendor-marker');
    // The same stream with ffmpeg's filter_units after the marker: every SEI NAL unit (x264's own too) is dropped.
    const stripped = ffmpeg('stripped.mp4', [...clip, '-map_metadata', '-1', '-bsf:v', `${KLING_SEI},filter_units=remove_types=6`]);
    expect((await verdict(stripped, 'plain.mp4')).outcome).toBe('none');
    expect((await verdict(ffmpeg('plain.mp4', clip), 'plain.mp4')).outcome).toBe('none');
  });

  it('the same SEI in a Matroska file', async () => {
    const marked = ffmpeg('kling.mkv', [...clip, '-bsf:v', KLING_SEI]);
    expect((await verdict(marked, 'kling.mkv')).markers).toEqual([expect.stringMatching(/^vendor-marker: Kling AI \(可灵\): H264 SEI/)]);
    expect((await verdict(ffmpeg('plain.mkv', clip), 'plain.mkv')).outcome).toBe('none');
  });

  it("a platform's AIGC JSON in the MP4 comment", async () => {
    const marked = ffmpeg('douyin.mp4', [...clip, '-metadata', `comment=${DOUYIN}`]);
    const result = await verdict(marked, 'douyin.mp4');
    expect(result.outcome).toBe('suspected');
    expect(result.markers).toEqual([expect.stringContaining('vendor-marker: Douyin (ByteDance) and other platforms: ©cmt')]);
    expect(result.markers[0]).toContain('aigc_type 1');
    expect((await verdict(ffmpeg('plain.mp4', [...clip, '-metadata', 'comment=holiday']), 'plain.mp4')).outcome).toBe('none');
    const declaresNone = ffmpeg('zero.mp4', [...clip, '-metadata', `comment=${DOUYIN.replace('\\"aigc_type\\":1', '\\"aigc_type\\":0')}`]);
    expect((await verdict(declaresNone, 'zero.mp4')).outcome).toBe('none');
  });

  it('the same JSON in a Matroska COMMENT tag', async () => {
    const marked = ffmpeg('douyin.mkv', [...clip, '-metadata', `comment=${DOUYIN}`]);
    expect((await verdict(marked, 'douyin.mkv')).markers).toEqual([expect.stringContaining('COMMENT')]);
  });

  it('Stable Diffusion web UI parameters in a PNG tEXt chunk', async () => {
    const parameters = 'a cat on a sofa\nNegative prompt: blurry\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: 512x512';
    const result = await verdict(withPngText(png, 'parameters', parameters), 'sd.png');
    expect(result.outcome).toBe('suspected');
    expect(result.markers).toEqual([
      expect.stringContaining('Stable Diffusion web UI (AUTOMATIC1111, Forge, SD.Next): parameters "a cat on a sofa'),
    ]);
    expect((await verdict(png, 'sd.png')).outcome).toBe('none');
    // A PNG text chunk that merely is called "parameters" says nothing.
    expect((await verdict(withPngText(png, 'parameters', 'exposure +1'), 'sd.png')).outcome).toBe('none');
  });

  it('a ComfyUI prompt graph in a PNG tEXt chunk', async () => {
    const prompt = '{"3":{"class_type":"KSampler","inputs":{"seed":1,"steps":20}},"4":{"class_type":"CheckpointLoaderSimple","inputs":{}}}';
    const result = await verdict(withPngText(png, 'prompt', prompt), 'comfy.png');
    expect(result.markers).toEqual([expect.stringContaining('ComfyUI: prompt')]);
    expect(result.outcome).toBe('suspected');
  });

  withTool('exiftool')('an IPTC composite with generative AI, in JPEG XMP and in an MP4 XMP box', async () => {
    const iptc = '-XMP-iptcExt:DigitalSourceType=http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia';
    const marked = exiftool(jpeg, 'a.jpg', [iptc]);
    const result = await verdict(marked, 'a.jpg');
    expect(result.outcome).toBe('suspected');
    expect(result.markers).toEqual(['iptc-digital-source-type: compositeWithTrainedAlgorithmicMedia']);
    expect((await verdict(jpeg, 'a.jpg')).outcome).toBe('none');
    const video = exiftool(ffmpeg('a.mp4', clip), 'a.mp4', [iptc]);
    expect((await verdict(video, 'a.mp4')).markers).toEqual(['iptc-digital-source-type: compositeWithTrainedAlgorithmicMedia']);
    const capture = exiftool(jpeg, 'a.jpg', [iptc.replace('compositeWithTrainedAlgorithmicMedia', 'algorithmicMedia')]);
    expect((await verdict(capture, 'a.jpg')).outcome).toBe('none');
  });

  withTool('exiftool')('a generator named in EXIF Software and in XMP CreatorTool', async () => {
    const software = await verdict(exiftool(jpeg, 'a.jpg', ['-EXIF:Software=Midjourney v6']), 'a.jpg');
    expect(software.markers).toEqual([expect.stringContaining('a named generator: Software "Midjourney v6"')]);
    const creatorTool = await verdict(exiftool(jpeg, 'a.jpg', ['-XMP-xmp:CreatorTool=即梦 Dreamina']), 'a.jpg');
    expect(creatorTool.outcome).toBe('suspected');
    expect((await verdict(exiftool(jpeg, 'a.jpg', ['-EXIF:Software=GIMP 2.10']), 'a.jpg')).outcome).toBe('none');
  });

  it('a TC260 label in a PNG text chunk no guide names is a trace at its own level, not the file label', async () => {
    const label =
      '{"Label":"1","ContentProducer":"001191110108335469089C00000","ProduceID":"k-1","ReservedCode1":"","ContentPropagator":"","PropagateID":"","ReservedCode2":""}';
    const report = await verifyBuffer(withPngText(png, 'Description', label), { filename: 'c.png' });
    expect(report.label).toBeNull();
    expect(report.outcome).toBe('suspected');
    expect(report.evidence.map((e) => [e.kind, e.scheme, e.level])).toEqual([['vendor-marker', 'tc260', 'confirmed']]);
    // In the MP4 comment the MP4 module reads it as the label itself, so it is not reported twice.
    const mp4 = await verifyBuffer(ffmpeg('c.mp4', [...clip, '-metadata', `comment=${label}`]), { filename: 'c.mp4' });
    expect([mp4.outcome, mp4.evidence]).toEqual(['confirmed', []]);
  });
});
