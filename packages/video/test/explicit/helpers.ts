import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { defaultBinaries } from '../../src/explicit/index.js';

export const tools = defaultBinaries();

export function scratchDir(): string {
  return mkdtempSync(join(tmpdir(), 'aigc-video-explicit-'));
}

export function ffmpeg(...args: string[]): Buffer {
  return execFileSync(tools.ffmpeg, ['-v', 'error', '-y', ...args], { maxBuffer: 1 << 28 });
}

export function ffprobeJson(...args: string[]): Record<string, unknown> {
  return JSON.parse(execFileSync(tools.ffprobe, ['-v', 'error', '-of', 'json', ...args]).toString()) as Record<string, unknown>;
}

/** The label box in display coordinates, as fractions of the displayed frame. */
export const BOX = { left: 0.06, top: 0.08, width: 0.5, height: 0.2 };

/** An opaque white box with black bars standing in for glyphs, on a transparent frame-sized canvas. */
export async function boxOverlay(frame: { width: number; height: number }): Promise<Uint8Array> {
  const left = Math.round(frame.width * BOX.left);
  const top = Math.round(frame.height * BOX.top);
  const width = Math.round(frame.width * BOX.width);
  const height = Math.round(frame.height * BOX.height);
  const glyphs = Array.from({ length: 5 }, (_, i) => {
    const x = left + Math.round(width * (0.08 + i * 0.18));
    return `<rect x="${x}" y="${top + Math.round(height * 0.25)}" width="${Math.round(width * 0.1)}" height="${Math.round(height * 0.5)}" fill="black"/>`;
  }).join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${frame.width}" height="${frame.height}"><rect x="${left}" y="${top}" width="${width}" height="${height}" fill="white"/>${glyphs}</svg>`;
  return new Uint8Array(await sharp(Buffer.from(svg)).png().toBuffer());
}

export interface RgbFrame {
  width: number;
  height: number;
  data: Buffer;
}

/** Decodes the frame shown at `seconds` as a player shows it: rotated and stretched to square pixels. */
export async function frameAt(file: string, seconds: number): Promise<RgbFrame> {
  const png = ffmpeg(
    '-ss',
    seconds.toFixed(3),
    '-i',
    file,
    '-frames:v',
    '1',
    '-vf',
    'scale=trunc(iw*sar/2)*2:ih,setsar=1',
    '-f',
    'image2pipe',
    '-vcodec',
    'png',
    'pipe:1',
  );
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data };
}

/** The overlay's own pixels, to compare with decoded frames. */
export async function overlayPixels(frame: { width: number; height: number }): Promise<RgbFrame> {
  const png = await boxOverlay(frame);
  const { data, info } = await sharp(png).flatten({ background: '#000' }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data };
}

/** Mean absolute difference per channel inside the label box (display coordinates). */
export function boxDifference(a: RgbFrame, b: RgbFrame): number {
  if (a.width !== b.width || a.height !== b.height) throw new Error(`frame sizes differ: ${a.width}x${a.height} vs ${b.width}x${b.height}`);
  const x0 = Math.round(a.width * BOX.left) + 2;
  const y0 = Math.round(a.height * BOX.top) + 2;
  const x1 = x0 + Math.round(a.width * BOX.width) - 4;
  const y1 = y0 + Math.round(a.height * BOX.height) - 4;
  let sum = 0;
  let count = 0;
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      for (let c = 0; c < 3; c++) {
        const index = (y * a.width + x) * 3 + c;
        sum += Math.abs(a.data[index]! - b.data[index]!);
        count++;
      }
    }
  }
  return sum / count;
}

/** CRC32 of each video packet, in decode order. */
export function packetHashes(file: string): string[] {
  const out = execFileSync(tools.ffprobe, [
    '-v',
    'error',
    '-select_streams',
    'v:0',
    '-show_entries',
    'packet=data_hash',
    '-show_data_hash',
    'CRC32',
    '-of',
    'csv=p=0',
    file,
  ]).toString();
  return out.split('\n').filter((line) => line.trim() !== '');
}
