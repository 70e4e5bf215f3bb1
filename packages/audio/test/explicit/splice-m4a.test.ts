import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { bytesSource, isobmff, materialize, u32be } from '@aigc-label/core';
import { describe, expect, it } from 'vitest';
import { sampleLabel } from '../../../../test/handler-contract.js';
import { withTool } from '../../../../test/oracles.js';
import { musicLike, speechLike, toChannels, writeWav } from '../../scripts/test-signals.mjs';
import { m4a } from '../../src/m4a/index.js';
import { ffmpegPath, ffprobePath } from '../../src/pcm/ffmpeg.js';
import { detectRhythm } from '../../src/rhythm/detect.js';
import { compareSamples, expectReencoded, ffmpeg, splice, tempDir } from './helpers.js';

const file = tempDir();
const FORMAT = 'm4a';

/** The first track of an M4A with handler `kind`, read with core's box walker and sample table reader (not the splice's own code). */
function soundTrack(bytes: Uint8Array, kind = 'soun') {
  const moov = isobmff.listBoxesIn(bytes, 0, bytes.length, FORMAT).find((b) => b.type === 'moov')!;
  const traks = isobmff.listBoxesIn(bytes, moov.offset + 8, moov.end, FORMAT).filter((b) => b.type === 'trak');
  const handler = (trak: isobmff.Box) => {
    const hdlr = isobmff.boxAt(bytes, trak, ['mdia', 'hdlr'], FORMAT)!;
    return String.fromCharCode(...bytes.subarray(hdlr.offset + 16, hdlr.offset + 20));
  };
  const trak = traks.find((t) => handler(t) === kind)!;
  const stbl = isobmff.boxAt(bytes, trak, ['mdia', 'minf', 'stbl'], FORMAT)!;
  const table = isobmff.readSampleTable(bytes, stbl, FORMAT);
  const units = Array.from(table.sizes, (size, i) => bytes.subarray(table.offsets[i]!, table.offsets[i]! + size));
  const elst = isobmff.boxAt(bytes, trak, ['edts', 'elst'], FORMAT)!;
  const v1 = bytes[elst.offset + 8] === 1;
  const segment = v1
    ? Number(new DataView(bytes.buffer, bytes.byteOffset + elst.offset + 16).getBigUint64(0))
    : u32be(bytes, elst.offset + 16);
  const mediaTime = v1
    ? Number(new DataView(bytes.buffer, bytes.byteOffset + elst.offset + 24).getBigInt64(0))
    : u32be(bytes, elst.offset + 20);
  const mvhd = isobmff.childBox(bytes, moov, 'mvhd', FORMAT)!;
  const mdhd = isobmff.boxAt(bytes, trak, ['mdia', 'mdhd'], FORMAT)!;
  const movieScale = u32be(bytes, mvhd.offset + 20);
  const mediaScale = u32be(bytes, mdhd.offset + 20);
  const mediaDuration = table.durations.reduce((n, d) => n + d, 0);
  return {
    units,
    mediaTime,
    mediaScale,
    mediaDuration,
    mdhdDuration: u32be(bytes, mdhd.offset + 24),
    seconds: segment / movieScale,
    mvhdSeconds: u32be(bytes, mvhd.offset + 24) / movieScale,
    /** Decoded samples the edit plays. */
    played: Math.min(mediaDuration - mediaTime, Math.round((segment * mediaScale) / movieScale)),
  };
}

/** The file (its moov last) with moov/udta/meta/ilst/---- iTunSMPB added, as Apple's encoders write it. */
function withGaplessTag(bytes: Uint8Array): Uint8Array {
  const moov = isobmff.listBoxesIn(bytes, 0, bytes.length, FORMAT).find((b) => b.type === 'moov')!;
  expect(moov.end).toBe(bytes.length);
  const text = (s: string) => new TextEncoder().encode(s);
  const full = (type: string, payload: Uint8Array | Uint8Array[]) => isobmff.makeFullBox(type, 0, 0, payload);
  const value = ' 00000000 00000400 00000000 0000000000020340';
  const item = isobmff.makeBox('----', [
    full('mean', text('com.apple.iTunes')),
    full('name', text('iTunSMPB')),
    isobmff.makeBox('data', [Uint8Array.of(0, 0, 0, 1, 0, 0, 0, 0), text(value)]),
  ]);
  const hdlr = full('hdlr', Uint8Array.of(0, 0, 0, 0, ...text('mdir'), ...text('appl'), 0, 0, 0, 0, 0, 0, 0, 0, 0));
  const udta = isobmff.makeBox('udta', full('meta', [hdlr, isobmff.makeBox('ilst', item)]));
  const grown = isobmff.makeBox('moov', [bytes.subarray(moov.offset + 8, moov.end), udta]);
  return new Uint8Array([...bytes.subarray(0, moov.offset), ...grown]);
}

/** Interleaved PCM through ffmpeg (its AAC decoder; the edit list applied). */
function decode(path: string, channels: number, rate: number): Float32Array {
  const out = execFileSync(
    ffmpegPath(),
    ['-v', 'quiet', '-i', path, '-f', 'f32le', '-ac', String(channels), '-ar', String(rate), 'pipe:1'],
    {
      maxBuffer: 1 << 28,
    },
  );
  return new Float32Array(out.buffer, out.byteOffset, out.length / 4);
}

/** Largest absolute sample in frames `[from, to)`. */
function peakOf(samples: Float32Array, channels: number, from: number, to: number): number {
  let peak = 0;
  for (let i = from * channels; i < Math.min(to * channels, samples.length); i++) peak = Math.max(peak, Math.abs(samples[i]!));
  return peak;
}

/** An M4A made by ffmpeg from a synthetic programme, with a title, a text track and our metadata label. */
async function makeM4a(name: string, rate: number, channels: number, seconds: number, args: string[], signal = musicLike) {
  const wav = file(`${name}.wav`);
  writeWav(wav, toChannels(signal(rate, seconds, 7), channels), rate, channels);
  const input = file(`${name}.m4a`);
  ffmpeg(['-i', wav, '-c:a', 'aac', ...args, '-metadata', 'title=Kept', '-metadata', 'artist=Someone', input]);
  const labeled = await m4a.write(bytesSource(new Uint8Array(readFileSync(input))), sampleLabel());
  writeFileSync(input, await materialize(labeled, bytesSource(new Uint8Array(readFileSync(input)))));
  return input;
}

const CASES = [
  { name: 'stereo 44.1 kHz 128 kbit/s music', rate: 44_100, channels: 2, args: ['-b:a', '128k'], signal: musicLike },
  { name: 'mono 48 kHz 64 kbit/s speech', rate: 48_000, channels: 1, args: ['-b:a', '64k'], signal: speechLike },
  // The moov in front of the media data: it grows, and every chunk offset moves with it.
  {
    name: 'stereo 48 kHz 96 kbit/s, moov first',
    rate: 48_000,
    channels: 2,
    args: ['-b:a', '96k', '-movflags', '+faststart'],
    signal: musicLike,
  },
];

describe('M4A (AAC-LC): the label access units are spliced in, every access unit of the file is kept', () => {
  for (const { name, rate, channels, args, signal } of CASES) {
    const placements: ('start' | 'end')[][] = [['start'], ['end'], ['start', 'end']];
    it.each(placements.map((where) => [where.join(' and '), where] as const))(`${name}, at %s`, async (_, where) => {
      const input = await makeM4a(`${name.replace(/\W+/g, '-')}-${where.join('-')}`, rate, channels, 6, args, signal);
      const { result, path, out, bytes } = await splice(input, { positions: where });
      expect(result.findings).toEqual([]);

      // It decodes cleanly.
      const stderr = execFileSync(ffmpegPath(), ['-v', 'error', '-i', path, '-f', 'null', '-'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      expect(stderr).toBe('');
      // Every access unit of the file, byte for byte, in one run.
      const before = soundTrack(bytes);
      const after = soundTrack(out);
      const labelUnits = (after.units.length - before.units.length) / where.length;
      const at = where.includes('start') ? labelUnits : 0;
      for (const [i, unit] of before.units.entries()) expect(Buffer.compare(after.units[at + i]!, unit), `access unit ${i}`).toBe(0);
      // The tables add up: media duration, edit, and ffprobe's duration agree.
      expect(after.mdhdDuration).toBe(after.mediaDuration);
      expect(after.mediaDuration).toBe(after.units.length * 1024 - (1024 - (after.mediaDuration % 1024 || 1024)));
      const added = after.played - before.played;
      expect(added).toBeGreaterThanOrEqual(Math.round(result.labelSeconds * rate) * where.length);
      expect(added).toBeLessThan((Math.round(result.labelSeconds * rate) + 4 * 1024) * where.length);
      const probed = Number(
        JSON.parse(execFileSync(ffprobePath(), ['-v', 'error', '-show_format', '-of', 'json', path], { encoding: 'utf8' })).format.duration,
      );
      expect(Math.abs(probed - after.seconds)).toBeLessThan(0.03);
      expect(Math.abs(after.mvhdSeconds - after.seconds)).toBeLessThan(0.002);

      // Decoded, the content is the source's.
      const a = decode(input, channels, rate);
      const b = decode(path, channels, rate);
      // This ffmpeg trims the priming but decodes the last access unit whole, whatever the edit says.
      for (const [pcm, track] of [
        [a, before],
        [b, after],
      ] as const) {
        expect(pcm.length / channels).toBe(track.units.length * 1024 - track.mediaTime);
        expect(pcm.length / channels - track.played).toBeLessThan(1024);
      }
      const offset = where.includes('start') ? labelUnits * 1024 - after.mediaTime + before.mediaTime : 0;
      const frames = a.length / channels;
      const ms50 = Math.round(rate * 0.05);
      const head = compareSamples(a, b, offset, channels, 0, ms50);
      const tail = compareSamples(a, b, offset, channels, frames - ms50, frames);
      const rest = compareSamples(a, b, offset, channels, ms50, frames - ms50);
      const db = (x: number) => x.toFixed(1);
      // What plays between the label and the content: the file's priming, decoded (its encoder's
      // quantization noise spread back from the content's first frame), against that frame's peak.
      const seam = where.includes('start') ? peakOf(b, channels, offset - before.mediaTime, offset) : 0;
      const onset = peakOf(a, channels, 0, 1024);
      console.log(
        `${name} at ${where.join('+')}: first 50 ms SNR ${db(head.snrDb)} dB, peak error ${db(head.peakErrorDb)} dBFS; ` +
          `last 50 ms ${db(tail.snrDb)} dB, ${db(tail.peakErrorDb)} dBFS; between ${db(rest.snrDb)} dB, ${db(rest.peakErrorDb)} dBFS` +
          (where.includes('start')
            ? `; the file's priming before the content peaks at ${db(20 * Math.log10(seam || 1e-10))} dBFS (the content's first frame at ${db(20 * Math.log10(onset))} dBFS)`
            : ''),
      );
      expect(rest.peakErrorDb).toBeLessThan(-100);
      expect(head.peakErrorDb).toBeLessThan(-100);
      expect(tail.peakErrorDb).toBeLessThan(-100);
      if (where.includes('start')) expect(seam).toBeLessThan(onset / 2);

      // The label is heard where it was put, and the metadata label is still there.
      expect((await detectRhythm({ path })).occurrences.map((o) => o.position)).toEqual(where);
      const read = await m4a.read(bytesSource(out));
      expect(read.carriers.map((c) => c.label?.ContentProducer)).toEqual([sampleLabel().ContentProducer]);
    });
  }

  it('keeps a chapter track and cover art: their bytes copied, their offsets shifted with the media data', async () => {
    const wav = file('chapters.wav');
    writeWav(wav, toChannels(musicLike(44_100, 4, 3), 2), 44_100, 2);
    const meta = file('chapters.txt');
    writeFileSync(
      meta,
      ';FFMETADATA1\ntitle=Kept\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=0\nEND=2000\ntitle=One\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=2000\nEND=4000\ntitle=Two\n',
    );
    const cover = file('cover.png');
    ffmpeg(['-f', 'lavfi', '-i', 'color=c=red:s=64x64:d=1', '-frames:v', '1', cover]);
    const input = file('chapters.m4a');
    ffmpeg([
      ...['-i', wav, '-i', meta, '-i', cover, '-map', '0', '-map', '2', '-map_metadata', '1'],
      ...['-c:a', 'aac', '-b:a', '96k', '-c:v', 'png', '-disposition:v', 'attached_pic', input],
    ]);
    const { path, bytes, out } = await splice(input, { positions: ['start', 'end'] });
    const before = soundTrack(bytes, 'text');
    const after = soundTrack(out, 'text');
    expect(after.units.length).toBe(2);
    expect(after.units.map((u) => Buffer.from(u).toString('hex'))).toEqual(before.units.map((u) => Buffer.from(u).toString('hex')));
    const probe = (p: string) =>
      JSON.parse(execFileSync(ffprobePath(), ['-v', 'error', '-show_chapters', '-show_format', '-of', 'json', p], { encoding: 'utf8' }));
    const [was, now] = [probe(input), probe(path)];
    expect(now.chapters.map((c: { tags: { title: string } }) => c.tags.title)).toEqual(['One', 'Two']);
    expect(now.chapters).toEqual(was.chapters);
    expect(now.format.tags).toEqual(was.format.tags);
    const stderr = execFileSync(ffmpegPath(), ['-v', 'error', '-i', path, '-f', 'null', '-'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    expect(stderr).toBe('');
  });

  withTool('exiftool')('ExifTool reads the tags and the AIGC label of a spliced file as of the source', async () => {
    const input = await makeM4a('exiftool', 44_100, 2, 4, ['-b:a', '96k']);
    const { path } = await splice(input, { positions: ['start', 'end'] });
    const tags = (p: string) => {
      const json = JSON.parse(
        execFileSync('exiftool', ['-j', '-a', '-G1', '-Keys:all', '-ItemList:all', '-UserData:all', p], { encoding: 'utf8' }),
      )[0];
      delete json.SourceFile;
      return json;
    };
    const before = tags(input);
    expect(Object.keys(before).some((k) => /AIGC/i.test(k))).toBe(true);
    expect(tags(path)).toEqual(before);
    const duration = (p: string) => Number(execFileSync('exiftool', ['-s3', '-n', '-QuickTime:Duration', p], { encoding: 'utf8' }).trim());
    expect(duration(path)).toBeGreaterThan(duration(input) + 2);
  });

  it('re-encodes what it cannot splice, and says why', async () => {
    const main = file('main-profile.m4a');
    const wav = file('short.wav');
    writeWav(wav, toChannels(musicLike(44_100, 3, 2), 2), 44_100, 2);
    ffmpeg(['-i', wav, '-c:a', 'aac', '-profile:a', 'aac_main', '-b:a', '96k', main]);
    const fragmented = file('fragmented.m4a');
    ffmpeg(['-i', wav, '-c:a', 'aac', '-b:a', '96k', '-movflags', 'frag_keyframe+empty_moov', fragmented]);
    const surround = file('surround.m4a');
    ffmpeg(['-i', wav, '-c:a', 'aac', '-ac', '6', '-b:a', '192k', surround]);
    const plain = file('plain.m4a');
    ffmpeg(['-i', wav, '-c:a', 'aac', '-b:a', '96k', plain]);
    // Apple's gapless tag (an ilst freeform item) in a udta added at the end of the moov, which ends the file.
    const gapless = file('gapless.m4a');
    writeFileSync(gapless, withGaplessTag(new Uint8Array(readFileSync(plain))));
    await expectReencoded(
      [
        [main, {}, /object type 1 is not AAC-LC/],
        [gapless, {}, /iTunSMPB/],
        [fragmented, {}, /fragmented/],
        [surround, {}, /channel configuration 6/],
        [plain, { positions: ['middle' as const] }, /inside AAC content/],
        [plain, { mode: 'mix' as const }, /mixed over AAC/],
      ],
      (i) => file(`fallback-${i}.m4a`),
    );
  });
});
