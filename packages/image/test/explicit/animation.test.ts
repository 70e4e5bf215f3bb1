/**
 * Animated GIF, WebP and APNG get the label on every frame and keep their animation: the same
 * frame count, delays, disposal and loop count (read by test-side parsers written from the
 * specifications), and frame by frame the same pictures outside the label (decoded by libvips for
 * GIF and WebP, by ffmpeg for APNG, whose frames sharp does not read).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ascii, concat, crc32, fromAscii, putU16be, putU32be, u32be } from '@aigc-label/core';
import sharp, { type Sharp } from 'sharp';
import { describe, expect, it } from 'vitest';
import { toolPath, withTool } from '../../../../test/oracles.js';
import { applyVisibleLabel, type LabelBox } from '../../src/explicit/index.js';
import { fixture } from '../helpers.js';
import { type AnimationInfo, apngStructure, gifStructure, timing, webpStructure } from './animation-structure.js';
import { exiftoolTags } from './exiftool.js';
import { findInk, type Raw } from './pixels.js';

const u8 = (b: Uint8Array) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

/** RGBA over mid grey, as RGB (transparent areas compare alike however a decoder leaves their colour). */
function flatten(rgba: Uint8Array, width: number, height: number): Raw {
  const data = new Uint8Array(width * height * 3);
  for (let p = 0; p < width * height; p++) {
    const alpha = rgba[4 * p + 3]! / 255;
    for (let c = 0; c < 3; c++) data[3 * p + c] = Math.round(rgba[4 * p + c]! * alpha + 128 * (1 - alpha));
  }
  return { data, width, height };
}

/** Every frame as shown, by libvips (GIF, WebP). */
async function sharpFrames(bytes: Uint8Array): Promise<Raw[]> {
  const { data, info } = await sharp(bytes, { animated: true }).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  const height = info.pageHeight ?? info.height;
  const count = info.height / height;
  return Array.from({ length: count }, (_, i) =>
    flatten(u8(data).subarray(i * info.width * height * 4, (i + 1) * info.width * height * 4), info.width, height),
  );
}

/** Every frame as shown, by ffmpeg's APNG decoder (blending and disposal its own). */
function ffmpegFrames(bytes: Uint8Array, width: number, height: number): Raw[] {
  const dir = mkdtempSync(join(tmpdir(), 'aigc-apng-'));
  try {
    const file = join(dir, 'in.apng');
    writeFileSync(file, bytes);
    const args = ['-v', 'error', '-i', file, '-vsync', 'passthrough', '-f', 'rawvideo', '-pix_fmt', 'rgba', '-'];
    const raw = u8(execFileSync('/usr/bin/ffmpeg', args, { maxBuffer: 1 << 28 }));
    const size = width * height * 4;
    return Array.from({ length: raw.length / size }, (_, i) => flatten(raw.subarray(i * size, (i + 1) * size), width, height));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Mean absolute difference outside the label box (grown by `margin`). */
function outsideDifference(a: Raw, b: Raw, box: LabelBox, margin = 2): number {
  let sum = 0;
  let count = 0;
  for (let y = 0; y < a.height; y++) {
    for (let x = 0; x < a.width; x++) {
      if (x >= box.x - margin && x < box.x + box.width + margin && y >= box.y - margin && y < box.y + box.height + margin) continue;
      for (let c = 0; c < 3; c++) sum += Math.abs(a.data[(y * a.width + x) * 3 + c]! - b.data[(y * a.width + x) * 3 + c]!);
      count += 3;
    }
  }
  return sum / count;
}

interface Case {
  readonly name: string;
  readonly make: () => Promise<Uint8Array>;
  readonly structure: (bytes: Uint8Array) => AnimationInfo;
  readonly frames: (bytes: Uint8Array) => Promise<Raw[]>;
  /** Mean error allowed outside the label on each frame (lossless frames: rounding only; palettes and lossy codecs: their loss). */
  readonly tolerance: number;
}

const apngFrames = (bytes: Uint8Array) => Promise.resolve(ffmpegFrames(bytes, u32be(bytes, 16), u32be(bytes, 20)));

const cases: Case[] = [
  {
    name: 'APNG from ffmpeg: RGBA, sub-rectangle frames, 2 plays',
    make: async () => fixture('animation/ffmpeg.apng'),
    structure: apngStructure,
    frames: apngFrames,
    tolerance: 0.01,
  },
  {
    name: 'palette APNG from ffmpeg: one palette shared by the frames',
    make: async () => fixture('animation/ffmpeg-palette.apng'),
    structure: apngStructure,
    frames: apngFrames,
    tolerance: 3,
  },
  {
    name: 'APNG with a separate default image, OVER blending and PREVIOUS and BACKGROUND disposal',
    make: handMadeApng,
    structure: apngStructure,
    frames: apngFrames,
    tolerance: 0.5,
  },
  {
    name: 'GIF from ffmpeg: sub-rectangle frames with transparency, 3 loops',
    make: async () => fixture('animation/ffmpeg.gif'),
    structure: gifStructure,
    frames: sharpFrames,
    tolerance: 1.5,
  },
  {
    name: 'lossy animated WebP from libwebp (ffmpeg)',
    make: async () => fixture('animation/ffmpeg.webp'),
    structure: webpStructure,
    frames: sharpFrames,
    tolerance: 4,
  },
  {
    name: 'lossless animated WebP from sharp with varied delays',
    make: async () => {
      const colours = ['#f0f0e0', '#102030', '#808890', '#c04020'];
      const frames = await Promise.all(
        colours.map((background) =>
          sharp({ create: { width: 160, height: 120, channels: 3, background } })
            .png()
            .toBuffer(),
        ),
      );
      return u8(
        await sharp(frames, { join: { animated: true } })
          .webp({ lossless: true, delay: [0, 120, 50, 300], loop: 5 })
          .toBuffer(),
      );
    },
    structure: webpStructure,
    frames: sharpFrames,
    tolerance: 0,
  },
];

describe('animations are labelled on every frame and keep their timing', () => {
  withTool('ffmpeg', 'decodes APNG frames').each(cases)('$name', async ({ make, structure, frames, tolerance }) => {
    const input = await make();
    const result = await applyVisibleLabel(input, { position: 'bottom-right' });
    const before = structure(input);
    const after = structure(result.bytes);
    // Frame colour tables are the pixels' own: a GIF frame's transparent index, a palette's colours.
    if (toolPath('exiftool'))
      expect(exiftoolTags(result.bytes, 'bin', ['TransparentColor', 'Palette'])).toEqual(
        exiftoolTags(input, 'bin', ['TransparentColor', 'Palette']),
      );
    expect(after.frames.length).toBeGreaterThan(1);
    expect(timing(after)).toEqual(timing(before));
    const shownBefore = await frames(input);
    const shownAfter = await frames(result.bytes);
    expect(shownAfter.length).toBe(shownBefore.length);
    for (const [index, frame] of shownAfter.entries()) {
      expect(outsideDifference(shownBefore[index]!, frame, result.box), `frame ${index}`).toBeLessThanOrEqual(tolerance);
      const crop = (raw: Raw) => {
        const { x, y, width, height } = result.box;
        const data = new Uint8Array(width * height * 3);
        for (let row = 0; row < height; row++)
          data.set(raw.data.subarray(((y + row) * raw.width + x) * 3, ((y + row) * raw.width + x + width) * 3), row * width * 3);
        return { data, width, height };
      };
      const ink = findInk(crop(shownBefore[index]!), crop(frame), result.contrast.text);
      expect(ink, `label on frame ${index}`).not.toBeNull();
      expect(ink!.bottom - ink!.top + 1).toBeGreaterThanOrEqual(0.05 * Math.min(frame.width, frame.height));
    }
  });

  it("the animated WebP's EXIF block and a first frame of delay 0 stay as they were (libvips rewrote both)", async () => {
    const frames = await Promise.all(
      ['#f0f0e0', '#102030'].map((background) =>
        sharp({ create: { width: 120, height: 90, channels: 3, background } })
          .png()
          .toBuffer(),
      ),
    );
    const input = u8(
      await sharp(frames, { join: { animated: true } })
        .withExif({ IFD0: { Artist: 'Tester' } })
        .webp({ delay: [100, 100] })
        .toBuffer(),
    );
    const chunkAt = (webp: Uint8Array, id: string) => {
      for (let at = 12; at + 8 <= webp.length; ) {
        const size = webp[at + 4]! | (webp[at + 5]! << 8) | (webp[at + 6]! << 16) | (webp[at + 7]! << 24);
        if (fromAscii(webp, at, at + 4) === id) return { at: at + 8, size };
        at += 8 + size + (size & 1);
      }
      throw new Error(`no ${id} chunk`);
    };
    // A first frame shown for 0 ms (as some encoders write): the ANMF duration field, 24 bits at byte 12.
    input.fill(0, chunkAt(input, 'ANMF').at + 12, chunkAt(input, 'ANMF').at + 15);
    const exif = (webp: Uint8Array) => {
      const { at, size } = chunkAt(webp, 'EXIF');
      return webp.subarray(at, at + size);
    };
    const result = await applyVisibleLabel(input);
    expect(exif(result.bytes)).toEqual(exif(input));
    expect(webpStructure(result.bytes).frames.map((f) => f.delay)).toEqual(['0', '100']);
  });

  it('the default image of an APNG, which viewers without APNG support show, is labelled too', async () => {
    const input = await handMadeApng();
    const result = await applyVisibleLabel(input, { position: 'top-left' });
    const still = async (bytes: Uint8Array) => flatten(u8(await sharp(bytes).ensureAlpha().raw().toBuffer()), 160, 120);
    expect(findInk(await still(input), await still(result.bytes), result.contrast.text)).not.toBeNull();
  });
});

/** A PNG chunk: length, type, data, CRC-32 over type and data. */
function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  putU32be(out, 0, data.length);
  out.set(ascii(type), 4);
  out.set(data, 8);
  putU32be(out, 8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** The IDAT data of a PNG sharp writes. */
async function idatOf(image: Sharp): Promise<Uint8Array> {
  const png = u8(await image.png().toBuffer());
  const parts: Uint8Array[] = [];
  for (let at = 8; at < png.length; ) {
    const length = u32be(png, at);
    if (fromAscii(png, at + 4, at + 8) === 'IDAT') parts.push(png.subarray(at + 8, at + 8 + length));
    at += 12 + length;
  }
  return concat(parts);
}

/**
 * 160×120 RGBA APNG (APNG spec §2-4): a default image not shown in the animation, then a full
 * frame, a half-transparent patch blended OVER it and disposed to PREVIOUS, and a patch disposed
 * to BACKGROUND, with delays 1/10, 1/4 and 0/0 (as fast as possible) and 7 plays.
 */
async function handMadeApng(): Promise<Uint8Array> {
  const rgba = (width: number, height: number, background: { r: number; g: number; b: number; alpha: number }) =>
    sharp({ create: { width, height, channels: 4, background } });
  const ihdr = new Uint8Array(13);
  putU32be(ihdr, 0, 160);
  putU32be(ihdr, 4, 120);
  ihdr.set([8, 6, 0, 0, 0], 8);
  const actl = new Uint8Array(8);
  putU32be(actl, 0, 3);
  putU32be(actl, 4, 7);
  let sequence = 0;
  const fctl = (rect: [number, number, number, number], delay: [number, number], dispose: number, blend: number) => {
    const data = new Uint8Array(26);
    putU32be(data, 0, sequence++);
    putU32be(data, 4, rect[2]);
    putU32be(data, 8, rect[3]);
    putU32be(data, 12, rect[0]);
    putU32be(data, 16, rect[1]);
    putU16be(data, 20, delay[0]);
    putU16be(data, 22, delay[1]);
    data.set([dispose, blend], 24);
    return chunk('fcTL', data);
  };
  const fdat = (idat: Uint8Array) => {
    const data = new Uint8Array(4 + idat.length);
    putU32be(data, 0, sequence++);
    data.set(idat, 4);
    return chunk('fdAT', data);
  };
  const signature = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);
  const defaultImage = await idatOf(rgba(160, 120, { r: 200, g: 30, b: 30, alpha: 1 }));
  const full = await idatOf(sharp({ create: { width: 160, height: 120, channels: 3, background: '#2050a0' } }).ensureAlpha());
  const patch = await idatOf(rgba(80, 60, { r: 250, g: 250, b: 20, alpha: 0.5 }));
  const corner = await idatOf(rgba(60, 40, { r: 20, g: 200, b: 60, alpha: 1 }));
  return concat([
    signature,
    chunk('IHDR', ihdr),
    chunk('acTL', actl),
    chunk('tEXt', concat([ascii('Title'), Uint8Array.of(0), ascii('hand-made')])),
    chunk('IDAT', defaultImage),
    fctl([0, 0, 160, 120], [1, 10], 0, 0),
    fdat(full),
    fctl([70, 50, 80, 60], [1, 4], 2, 1),
    fdat(patch),
    fctl([95, 75, 60, 40], [0, 0], 1, 0),
    fdat(corner),
    chunk('IEND', new Uint8Array(0)),
  ]);
}
