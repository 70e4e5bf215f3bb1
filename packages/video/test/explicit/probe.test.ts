import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { probeMedia } from '../../src/explicit/probe.js';
import { ffmpeg, scratchDir, tools } from './helpers.js';

const dir = scratchDir();
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const clip = join(dir, 'clip.mp4');
ffmpeg(
  ...['-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=25', '-f', 'lavfi', '-i', 'sine=sample_rate=48000', '-t', '3'],
  ...['-c:v', 'libx264', '-bf', '2', '-g', '25', '-pix_fmt', 'yuv420p', '-c:a', 'aac', clip],
);

describe('probeMedia', () => {
  it('lists an MP4 from its sample tables as ffprobe lists it', async () => {
    const [own, scanned] = await Promise.all([probeMedia(tools, clip, 'hashes'), probeMedia(tools, clip, 'hashes', 'ffprobe')]);
    expect([own.indexedBy, scanned.indexedBy]).toEqual(['container', 'ffprobe']);
    expect(own.info).toEqual(scanned.info);
    expect(own.packets.map(({ pts, dts, duration, keyframe, discard }) => ({ pts, dts, duration, keyframe, discard }))).toEqual(
      scanned.packets,
    );
    expect(await own.hashes).toEqual(await scanned.hashes);
  });

  it('leaves an MP4 its index refuses (cut short) to ffprobe, which reads what it can', async () => {
    const faststart = join(dir, 'faststart.mp4');
    ffmpeg('-i', clip, '-c', 'copy', '-movflags', '+faststart', faststart);
    const bytes = readFileSync(faststart);
    const truncated = join(dir, 'truncated.mp4');
    // The moov comes first: its last samples now point past the end of the file.
    writeFileSync(truncated, bytes.subarray(0, Math.floor(bytes.length * 0.9)));
    const probe = await probeMedia(tools, truncated, 'hashes');
    expect(probe.indexedBy).toBe('ffprobe');
    expect(probe.packets.length).toBeGreaterThan(0);
  });
});
