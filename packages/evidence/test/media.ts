/** Test helper: small unsigned files of every format the C2PA SDK reads, made with sharp and the npm ffmpeg. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from '@aigc-label/core';
import sharp from 'sharp';

const require = createRequire(import.meta.url);
const ffmpegPath: string = require('@ffmpeg-installer/ffmpeg').path;

/** A 48×32 gradient, so every codec has something to keep. */
export function gradient() {
  const width = 48;
  const height = 32;
  const raw = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) raw.set([x * 5, y * 7, (x + y) * 3], (y * width + x) * 3);
  return sharp(raw, { raw: { width, height, channels: 3 } });
}

/** ffmpeg output of a tiny lavfi source, read back. */
export function ffmpeg(name: string, args: readonly string[]): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'aigc-evidence-'));
  try {
    const out = join(dir, name);
    execFileSync(ffmpegPath, ['-v', 'error', ...args, '-y', out], { stdio: 'pipe' });
    return new Uint8Array(readFileSync(out));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const tone = ['-f', 'lavfi', '-i', 'sine=frequency=440:duration=0.3:sample_rate=22050', '-ac', '1'];
export const clip = ['-f', 'lavfi', '-i', 'testsrc=size=64x48:rate=10:duration=0.5', '-c:v', 'libx264', '-pix_fmt', 'yuv420p'];

/** A one-page PDF with a correct cross-reference table. */
function pdf(): Uint8Array {
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 100] >>',
  ];
  let body = '%PDF-1.7\n';
  const offsets: number[] = [];
  objects.forEach((object, i) => {
    offsets.push(body.length);
    body += `${i + 1} 0 obj\n${object}\nendobj\n`;
  });
  const xref = body.length;
  body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  body += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return new TextEncoder().encode(body);
}

export interface Sample {
  readonly name: string;
  readonly mimeType: string;
  readonly bytes: Uint8Array;
}

/** One small unsigned file per format family the SDK reads. */
export async function samples(): Promise<Sample[]> {
  const image = async (name: string, mimeType: string, encode: (s: ReturnType<typeof gradient>) => ReturnType<typeof gradient>) => ({
    name,
    mimeType,
    bytes: new Uint8Array(await encode(gradient()).toBuffer()),
  });
  return [
    await image('a.jpg', 'image/jpeg', (s) => s.jpeg()),
    await image('a.png', 'image/png', (s) => s.png()),
    await image('a.webp', 'image/webp', (s) => s.webp()),
    await image('a.tiff', 'image/tiff', (s) => s.tiff()),
    await image('a.avif', 'image/avif', (s) => s.avif()),
    await image('a.gif', 'image/gif', (s) => s.gif()),
    { name: 'a.wav', mimeType: 'audio/wav', bytes: ffmpeg('a.wav', tone) },
    { name: 'a.mp3', mimeType: 'audio/mpeg', bytes: ffmpeg('a.mp3', [...tone, '-c:a', 'libmp3lame']) },
    { name: 'a.m4a', mimeType: 'audio/mp4', bytes: ffmpeg('a.m4a', [...tone, '-c:a', 'aac']) },
    { name: 'a.flac', mimeType: 'audio/flac', bytes: ffmpeg('a.flac', tone) },
    { name: 'a.mp4', mimeType: 'video/mp4', bytes: ffmpeg('a.mp4', clip) },
    { name: 'a.mov', mimeType: 'video/quicktime', bytes: ffmpeg('a.mov', clip) },
    { name: 'a.pdf', mimeType: 'application/pdf', bytes: pdf() },
  ];
}

/** A PNG with a text chunk (PNG §11.3.4.3 tEXt) inserted after IHDR, as Stable Diffusion front ends write their parameters. */
export function withPngText(png: Uint8Array, keyword: string, text: string): Uint8Array {
  const data = new Uint8Array([...new TextEncoder().encode(keyword), 0, ...Array.from(text, (c) => c.charCodeAt(0) & 0xff)]);
  const chunk = new Uint8Array(12 + data.length);
  const view = new DataView(chunk.buffer);
  view.setUint32(0, data.length);
  chunk.set(new TextEncoder().encode('tEXt'), 4);
  chunk.set(data, 8);
  view.setUint32(8 + data.length, crc32(chunk.subarray(4, 8 + data.length)));
  const ihdrEnd = 8 + 12 + 13;
  return new Uint8Array([...png.subarray(0, ihdrEnd), ...chunk, ...png.subarray(ihdrEnd)]);
}
