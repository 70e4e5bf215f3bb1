import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bytesSource, isobmff, LimitExceededError, MalformedInputError, putU32be } from '@aigc-label/core';
import { afterAll, describe, expect, it } from 'vitest';
import { hashMp4Packets, type Mp4Track, readMp4Packets } from '../../src/mp4/packets.js';
import { ffmpeg, ffprobeJson, scratchDir } from '../explicit/helpers.js';

// ffprobe is the oracle: the index must list every packet as ffmpeg's mov demuxer does.
const dir = scratchDir();
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sources = ['-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=25', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000'];
const x264 = ['-c:v', 'libx264', '-pix_fmt', 'yuv420p'];

/** Writes a clip once; `args` go between the leading options and the output name. */
function clip(name: string, ...args: string[]): string {
  const path = join(dir, name);
  ffmpeg(...args, path);
  return path;
}

const bframes = clip('bframes.mp4', ...sources, '-t', '4', ...x264, '-bf', '3', '-g', '30', '-c:a', 'aac');

interface ProbedPacket {
  stream_index: number;
  pts: number;
  dts: number;
  duration?: number;
  flags: string;
  data_hash: string;
}

function ffprobePackets(path: string): ProbedPacket[] {
  const json = ffprobeJson('-show_entries', 'packet=stream_index,pts,dts,duration,flags,data_hash', '-show_data_hash', 'CRC32', path);
  return json.packets as ProbedPacket[];
}

async function indexOf(path: string): Promise<{ tracks: readonly Mp4Track[]; hashes: string[][] }> {
  const source = bytesSource(new Uint8Array(readFileSync(path)));
  const index = await readMp4Packets(source);
  if (!index.ok) throw new Error(index.reason);
  return { tracks: index.tracks, hashes: await hashMp4Packets(source, index.tracks) };
}

/** Every field ffprobe prints, per stream; durations of video only (ffmpeg takes a sound packet's from its codec where the stts ends short). */
async function expectSameAsFfprobe(path: string): Promise<readonly Mp4Track[]> {
  const { tracks, hashes } = await indexOf(path);
  const probed = ffprobePackets(path);
  tracks.forEach((track, stream) => {
    const theirs = probed.filter((p) => p.stream_index === stream);
    const ours = track.packets;
    expect(
      ours.map((p, i) => [p.pts, p.dts, p.keyframe, p.discard, `CRC32:${hashes[stream]![i]}`]),
      `stream ${stream}`,
    ).toEqual(theirs.map((p) => [p.pts, p.dts, p.flags.startsWith('K'), p.flags.includes('D'), p.data_hash]));
    if (track.handler === 'vide') expect(ours.map((p) => p.duration)).toEqual(theirs.map((p) => p.duration ?? 0));
  });
  expect(tracks.reduce((sum, track) => sum + track.packets.length, 0)).toBe(probed.length);
  return tracks;
}

const videoOf = (tracks: readonly Mp4Track[]) => tracks.find((track) => track.handler === 'vide')!;

/** The first track's sample table box of `type` in a file held in memory. */
function firstBox(bytes: Uint8Array, type: string): isobmff.Box | undefined {
  const moov = isobmff.listBoxesIn(bytes, 0, bytes.length, 'mp4').find((box) => box.type === 'moov')!;
  const trak = isobmff.childBox(bytes, moov, 'trak', 'mp4')!;
  const stbl = isobmff.boxAt(bytes, trak, ['mdia', 'minf', 'stbl'], 'mp4')!;
  return isobmff.childBox(bytes, stbl, type, 'mp4');
}

describe('readMp4Packets', () => {
  it('lists H.264 with B-frames and AAC (priming edit, composition offsets) as ffprobe does', async () => {
    const tracks = await expectSameAsFfprobe(bframes);
    expect(tracks.map((t) => t.handler)).toEqual(['vide', 'soun']);
    const video = videoOf(tracks);
    expect(video.samplesArePackets).toBe(true);
    // B-frames: decode order differs from presentation order; the AAC priming packet is discarded.
    expect(video.packets.some((p, i) => i > 0 && p.pts < video.packets[i - 1]!.pts)).toBe(true);
    expect(tracks[1]!.packets[0]!.discard).toBe(true);
  });

  it('follows an edit list that starts inside a GOP (-ss stream copy), discarding the frames before it', async () => {
    const cut = clip('ss-copy.mp4', '-ss', '1.3', '-i', bframes, '-c', 'copy');
    const video = videoOf(await expectSameAsFfprobe(cut));
    expect(video.packets.filter((p) => p.discard).length).toBeGreaterThan(0);
  });

  it('stops where ffmpeg stops reading after an edit that ends before the samples do', async () => {
    await expectSameAsFfprobe(clip('ss-t-copy.mp4', '-ss', '1.3', '-i', bframes, '-t', '1.5', '-c', 'copy'));
  });

  it('reads negative composition offsets (ctts version 1) and the decode-time shift they give', async () => {
    const path = clip('negative-ctts.mp4', '-i', bframes, '-c', 'copy', '-movflags', 'negative_cts_offsets');
    const bytes = new Uint8Array(readFileSync(path));
    const { offsets } = isobmff.readCompositionOffsets(bytes, firstBox(bytes, 'ctts')!, 'mp4');
    expect(Math.min(...offsets)).toBeLessThan(0);
    await expectSameAsFfprobe(path);
  });

  it('lists every track of a file with several sound tracks, and a sound track delayed by an empty edit', async () => {
    const multi = clip(
      'multi.mp4',
      ...sources,
      ...['-f', 'lavfi', '-i', 'sine=frequency=880:sample_rate=44100'],
      ...['-t', '3', '-map', '0', '-map', '1', '-map', '2', ...x264, '-bf', '2', '-c:a', 'aac'],
    );
    expect((await expectSameAsFfprobe(multi)).map((t) => t.handler)).toEqual(['vide', 'soun', 'soun']);
    await expectSameAsFfprobe(
      clip('delayed.mov', '-i', bframes, '-itsoffset', '0.5', '-i', bframes, '-map', '0:v', '-map', '1:a', '-c', 'copy'),
    );
  });

  it('lists H.265 with B-frames, and H.264 without (no ctts; every sample a sync sample without stss)', async () => {
    await expectSameAsFfprobe(
      clip('hevc.mp4', ...sources.slice(0, 4), '-t', '3', '-c:v', 'libx265', '-x265-params', 'log-level=error:bframes=4'),
    );
    const intra = clip('intra.mp4', ...sources.slice(0, 4), '-t', '2', ...x264, '-preset', 'ultrafast', '-x264-params', 'keyint=1');
    // ffmpeg writes no stss when every sample is a sync sample.
    expect(firstBox(new Uint8Array(readFileSync(intra)), 'stss')).toBeUndefined();
    expect(videoOf(await expectSameAsFfprobe(intra)).packets.every((p) => p.keyframe)).toBe(true);
  });

  it('lists a stream whose last sample has no duration (as the re-encoded heads have)', async () => {
    const path = clip('last-zero.mp4', ...sources.slice(0, 4), '-t', '2', ...x264, '-preset', 'ultrafast');
    const bytes = new Uint8Array(readFileSync(path));
    // The moov comes last here, so a new stts changes no sample offset.
    const moov = isobmff.listBoxesIn(bytes, 0, bytes.length, 'mp4').find((box) => box.type === 'moov')!;
    expect(moov.end).toBe(bytes.length);
    const moovBytes = bytes.subarray(moov.offset, moov.end);
    const stbl = isobmff.boxAt(moovBytes, { ...moov, offset: 0, end: moov.size }, ['trak', 'mdia', 'minf', 'stbl'], 'mp4')!;
    const durations = Array.from(isobmff.readSampleTable(moovBytes, stbl, 'mp4').durations);
    durations[durations.length - 1] = 0;
    const edited = isobmff.rewriteBoxTree(moovBytes, 'mp4', (box) => (box.type === 'stts' ? isobmff.sttsBox(durations) : undefined));
    const zero = join(dir, 'last-zero-edited.mp4');
    writeFileSync(zero, Buffer.concat([bytes.subarray(0, moov.offset), edited]));
    // Without composition offsets the last packet lasts to the end of the media (mdhd), as in ffmpeg.
    expect(videoOf(await expectSameAsFfprobe(zero)).packets.at(-1)!.duration).toBe(durations[0]);
  });

  it('leaves a fragmented file to ffprobe', async () => {
    const fragmented = clip('fragmented.mp4', '-i', bframes, '-c', 'copy', '-movflags', 'frag_keyframe+empty_moov');
    const index = await readMp4Packets(bytesSource(new Uint8Array(readFileSync(fragmented))));
    expect(index).toEqual({ ok: false, reason: 'the movie is fragmented' });
  });

  it('refuses a sample table that declares more entries than it holds, or samples past the end of the file', async () => {
    const bytes = new Uint8Array(readFileSync(bframes));
    const stsz = firstBox(bytes, 'stsz')!;
    const hostile = bytes.slice();
    putU32be(hostile, stsz.offset + stsz.headerSize + 8, 0x7fffffff);
    await expect(readMp4Packets(bytesSource(hostile))).rejects.toThrow(MalformedInputError);
    // A fixed sample size lets a tiny box declare billions of samples: bounded before anything is allocated.
    const fixed = bytes.slice();
    putU32be(fixed, stsz.offset + stsz.headerSize + 4, 1);
    putU32be(fixed, stsz.offset + stsz.headerSize + 8, 0xfffffff0);
    await expect(readMp4Packets(bytesSource(fixed))).rejects.toThrow(LimitExceededError);
    const stco = firstBox(bytes, 'stco')!;
    const moved = bytes.slice();
    putU32be(moved, stco.offset + stco.headerSize + 8, bytes.length - 10);
    await expect(readMp4Packets(bytesSource(moved))).rejects.toThrow(MalformedInputError);
  });

  it('refuses a truncated stbl: a run table that overflows its box, a file cut inside it', async () => {
    const faststart = clip('faststart.mp4', '-i', bframes, '-c', 'copy', '-movflags', '+faststart');
    const bytes = new Uint8Array(readFileSync(faststart));
    const stts = firstBox(bytes, 'stts')!;
    const runs = bytes.slice();
    putU32be(runs, stts.offset + stts.headerSize + 4, 0xffff);
    await expect(readMp4Packets(bytesSource(runs))).rejects.toThrow(MalformedInputError);
    // The file cut inside the sample table (the moov comes first here).
    await expect(readMp4Packets(bytesSource(bytes.subarray(0, stts.offset + 20)))).rejects.toThrow(MalformedInputError);
  });
});
