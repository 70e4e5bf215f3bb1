import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bytesSource, type FormatHandler, summarizeCarriers } from '@aigc-label/core';
import sharp, { type Sharp } from 'sharp';
import { expect, it } from 'vitest';
import { toolPath } from '../../../test/oracles.js';

export const EXIFTOOL = '/usr/bin/exiftool';
/** ExifTool is there, or must be (CI=true): a check guarded by this then fails instead of passing silently. */
export const hasExiftool = toolPath('exiftool') !== null || process.env.CI === 'true';

/**
 * Reads the fixtures sharp's withXmp wrote (the label as an element, as an attribute, in the
 * wrapped form, and under the wrong namespace URI) from `fixtures/folder/sharp-*.extension`.
 */
export function itReadsSharpFixtures(handler: FormatHandler, folder: string, extension: string, label: unknown): void {
  it.each([
    ['element', 'bare', true],
    ['attribute', 'bare', true],
    ['wrapped', 'wrapped', true],
    ['wrong-namespace', 'bare', false],
  ])(`reads sharp-%s.${extension}`, async (kind, form, canonical) => {
    const read = await handler.read(bytesSource(fixture(`${folder}/sharp-${kind}.${extension}`)));
    expect(read.carriers.map((c) => [c.carrier, c.form, c.canonical, c.label])).toEqual([['xmp', form, canonical, label]]);
  });
}

export const fixture = (path: string): Uint8Array =>
  new Uint8Array(readFileSync(fileURLToPath(new URL(`./fixtures/${path}`, import.meta.url))));

/** A small gradient with alpha-free RGB pixels, so every codec has something to keep. */
export function gradient(width = 32, height = 24): Sharp {
  const raw = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      raw.set([(x * 255) / width, (y * 255) / height, ((x + y) * 127) / (width + height)], (y * width + x) * 3);
  return sharp(raw, { raw: { width, height, channels: 3 } });
}

export const toBytes = async (image: Sharp): Promise<Uint8Array> => new Uint8Array(await image.toBuffer());

/** An unlabeled sample of each image format, by handler id (a HEIC is an AVIF with HEIC brands). */
export const formatSamples: Record<string, () => Promise<Uint8Array>> = {
  png: () => toBytes(gradient().png()),
  jpeg: () => toBytes(gradient().jpeg()),
  webp: () => toBytes(gradient().webp()),
  gif: () => toBytes(gradient().gif()),
  tiff: () => toBytes(gradient().tiff()),
  heif: async () => {
    const file = (await toBytes(gradient().avif({ effort: 0 }))).slice();
    file.set(new TextEncoder().encode('heic'), 8);
    return file;
  },
  avif: () => toBytes(gradient().avif({ effort: 0 })),
};

/** Decoded pixels of every frame, for "pixels untouched" checks. */
export async function pixels(bytes: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await sharp(bytes, { animated: true }).raw().toBuffer());
}

export async function readLabel(handler: FormatHandler, bytes: Uint8Array) {
  return summarizeCarriers(await handler.read(bytesSource(bytes)));
}

/** The config ExifTool needs to know the TC260 namespace (ExifTool's user-defined XMP tags). */
export const EXIFTOOL_TC260_CONFIG = `%Image::ExifTool::UserDefined = (
  'Image::ExifTool::XMP::Main' => { TC260 => { SubDirectory => { TagTable => 'Image::ExifTool::UserDefined::TC260' } } },
);
%Image::ExifTool::UserDefined::TC260 = (
  GROUPS => { 0 => 'XMP', 1 => 'XMP-TC260', 2 => 'Image' },
  NAMESPACE => { 'TC260' => 'http://www.tc260.org.cn/ns/AIGC/1.0/' },
  WRITABLE => 'string',
  AIGC => { },
);
1;
`;

/** Runs ExifTool on bytes written to a temp file; returns its JSON for the file. */
export function exiftoolJson(bytes: Uint8Array, extension: string): Record<string, unknown> {
  const dir = mkdtempSync(join(tmpdir(), 'aigc-exiftool-'));
  const file = join(dir, `sample.${extension}`);
  const config = join(dir, 'tc260.config');
  writeFileSync(file, bytes);
  writeFileSync(config, EXIFTOOL_TC260_CONFIG);
  const out = execFileSync(EXIFTOOL, ['-config', config, '-j', '-G1', '-a', file], { encoding: 'utf8' });
  return JSON.parse(out)[0];
}

/**
 * Every tag ExifTool reads (`-a -G1 -s -j -b`: duplicates, family-1 groups, tag names, binary
 * values in base64), without the groups that describe the file rather than its metadata.
 */
export function exiftoolTags(bytes: Uint8Array, extension: string): Record<string, unknown> {
  const dir = mkdtempSync(join(tmpdir(), 'aigc-exiftool-'));
  const file = join(dir, `sample.${extension}`);
  writeFileSync(file, bytes);
  const out = execFileSync(EXIFTOOL, ['-a', '-G1', '-s', '-j', '-b', file], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const tags: Record<string, unknown> = JSON.parse(out)[0];
  return Object.fromEntries(Object.entries(tags).filter(([key]) => !/^(SourceFile|System:|File:|ExifTool:ExifToolVersion)/.test(key)));
}

/**
 * Asserts that `after` keeps every byte of `before` outside the `allowed` [start, end) ranges
 * (it may be longer: data appended at the end), and returns the offsets that changed.
 */
export function expectOnlyChanged(before: Uint8Array, after: Uint8Array, allowed: readonly (readonly [number, number])[]): number[] {
  expect(after.length).toBeGreaterThanOrEqual(before.length);
  const changed = [...before.keys()].filter((i) => before[i] !== after[i]);
  expect(changed.filter((i) => !allowed.some(([start, end]) => i >= start && i < end))).toEqual([]);
  return changed;
}
