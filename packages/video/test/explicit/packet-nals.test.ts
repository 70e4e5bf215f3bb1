import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { NalUnit } from '../../src/explicit/bitstream.js';
import { firstPacketNals, probeMedia } from '../../src/explicit/probe.js';
import { keyframeNals } from '../../src/explicit/render-context.js';
import { ffmpeg, scratchDir, tools } from './helpers.js';

const dir = scratchDir();
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const describeNals = (nals: readonly NalUnit[]) => nals.map((nal) => `${nal.type}:${Buffer.from(nal.payload).toString('hex')}`);

describe('packet NAL units read from an MP4', () => {
  // ffmpeg's stream copy to Annex B (h264_mp4toannexb, hevc_mp4toannexb) is the oracle. Keyframes
  // are compared where its seek lands exactly: in streams without B-frames, and at the first packet.
  it.each([
    ['H.264 without B-frames', 'h264.mp4', ['-c:v', 'libx264', '-preset', 'ultrafast', '-g', '10', '-pix_fmt', 'yuv420p']],
    ['H.264 with B-frames', 'h264-b.mov', ['-c:v', 'libx264', '-bf', '3', '-g', '10', '-pix_fmt', 'yuv420p']],
    ['H.265', 'hevc.mp4', ['-c:v', 'libx265', '-x265-params', 'log-level=error:bframes=0:keyint=10']],
  ])('equal ffmpeg stream copy to Annex B (%s)', async (_name, file, codec) => {
    const path = join(dir, file);
    ffmpeg('-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=10', '-t', '3', ...codec, path);
    const probe = await probeMedia(tools, path, 'hashes');
    expect(probe.indexedBy).toBe('container');
    const keyframes = probe.packets.flatMap((packet, index) => (packet.keyframe ? [index] : []));
    const compared = probe.info.reorderDelay > 0 ? [0] : keyframes;
    expect(compared.length).toBeGreaterThan(0);
    const tick = probe.info.timeBase[0] / probe.info.timeBase[1];
    for (const index of compared) {
      const ours = await probe.packetNals!(index);
      const theirs = await keyframeNals(tools, path, probe.info, probe.packets[index]!.pts * tick);
      expect(describeNals(ours), `packet ${index}`).toEqual(describeNals(theirs));
    }
    expect(describeNals((await firstPacketNals(path))!)).toEqual(describeNals(await keyframeNals(tools, path, probe.info, 0)));
  });
});
