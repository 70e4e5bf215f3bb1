import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { withTool } from '../../../test/oracles.js';
import { detectFile, labelFile } from '../src/index.js';

/**
 * Issue 14: an audible label changes the audio and nothing else. Every other stream (cover art,
 * other audio tracks, subtitles) and the tags stay; Debian's ffprobe lists the same streams,
 * with the same dispositions and tags, before and after.
 */
const PRODUCER = '001191440300708461136T1XGW3';
const ffmpeg: string = createRequire(import.meta.url)('@ffmpeg-installer/ffmpeg').path;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aigc-audible-keep-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const run = (args: string[]) => execFileSync(ffmpeg, ['-y', '-v', 'error', ...args]);

/** Tags without the two a label run adds: the implicit label itself and the encoder ffmpeg names. */
const kept = (tags: Record<string, string> = {}) =>
  Object.fromEntries(Object.entries(tags).filter(([key]) => !/^(aigc|encoder)$/i.test(key)));

/** ffprobe's view: the file's tags, and each stream's kind, codec, dispositions and tags. */
function streams(path: string): unknown {
  const json = JSON.parse(
    execFileSync('/usr/bin/ffprobe', ['-v', 'error', '-show_streams', '-show_format', '-of', 'json', path], {
      encoding: 'utf8',
      maxBuffer: 1 << 26,
    }),
  ) as {
    streams: { codec_type: string; codec_name: string; disposition: unknown; tags?: Record<string, string> }[];
    format: { tags?: Record<string, string> };
  };
  return {
    tags: kept(json.format.tags),
    streams: json.streams.map((s) => ({ type: s.codec_type, codec: s.codec_name, disposition: s.disposition, tags: kept(s.tags) })),
  };
}

const u32be = (v: number) => Uint8Array.of(v >>> 24, (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff);
const ascii = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));
const concat = (parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

/** A FLAC PICTURE block body (front cover), as METADATA_BLOCK_PICTURE carries it in Vorbis comments. */
const pictureBlock = (png: Uint8Array) =>
  concat([
    u32be(3),
    u32be(9),
    ascii('image/png'),
    u32be(5),
    ascii('Front'),
    u32be(16),
    u32be(16),
    u32be(24),
    u32be(0),
    u32be(png.length),
    png,
  ]);

/** A WAV with an `id3 ` chunk holding an ID3v2.3 APIC frame (cover art) and a TIT2 title. */
async function wavWithCover(png: Uint8Array): Promise<string> {
  const plain = join(dir, 'plain.wav');
  run(['-f', 'lavfi', '-i', 'sine=f=330:d=8', '-ac', '2', '-c:a', 'pcm_s16le', plain]);
  const wav = new Uint8Array(await readFile(plain));
  const frame = (id: string, body: Uint8Array) => concat([ascii(id), u32be(body.length), Uint8Array.of(0, 0), body]);
  const apic = frame('APIC', concat([Uint8Array.of(0), ascii('image/png'), Uint8Array.of(0, 3), ascii('Front'), Uint8Array.of(0), png]));
  const title = frame('TIT2', concat([Uint8Array.of(0), ascii('Sinner')]));
  const body = concat([apic, title]);
  const size = Uint8Array.of((body.length >> 21) & 0x7f, (body.length >> 14) & 0x7f, (body.length >> 7) & 0x7f, body.length & 0x7f);
  const tag = concat([ascii('ID3'), Uint8Array.of(3, 0, 0), size, body]);
  const chunk = concat([ascii('id3 '), Uint8Array.of(tag.length & 0xff, (tag.length >> 8) & 0xff, (tag.length >> 16) & 0xff, 0), tag]);
  const padded = tag.length % 2 ? concat([chunk, new Uint8Array(1)]) : chunk;
  const out = concat([wav, padded]);
  new DataView(out.buffer).setUint32(4, out.length - 8, true);
  const path = join(dir, 'cover.wav');
  await writeFile(path, out);
  return path;
}

describe('audible labels keep every other stream', () => {
  let cover: string;
  let png: Uint8Array;
  beforeAll(async () => {
    cover = join(dir, 'cover.png');
    run(['-f', 'lavfi', '-i', 'color=c=red:s=16x16', '-frames:v', '1', cover]);
    png = new Uint8Array(await readFile(cover));
  });
  const tone = ['-f', 'lavfi', '-i', 'sine=f=330:d=8'];
  const withArt = (codec: string[]) => [
    ...tone,
    '-i',
    cover,
    '-map',
    '0:a',
    '-map',
    '1:v',
    '-c:v',
    'png',
    '-disposition:v:0',
    'attached_pic',
    ...codec,
  ];

  const cases: { name: string; make: () => Promise<string> }[] = [
    { name: 'WAV with ID3 cover art', make: () => wavWithCover(png) },
    {
      name: 'MP3 with cover art',
      make: async () => {
        const path = join(dir, 'cover.mp3');
        run([...withArt(['-c:a', 'libmp3lame', '-b:a', '128k']), '-metadata', 'title=Sinner', path]);
        return path;
      },
    },
    {
      name: 'FLAC with cover art',
      make: async () => {
        const path = join(dir, 'cover.flac');
        run([...withArt(['-c:a', 'flac']), '-metadata', 'title=Sinner', path]);
        return path;
      },
    },
    ...(['ogg', 'opus'] as const).map((ext) => ({
      name: `Ogg ${ext === 'ogg' ? 'Vorbis' : 'Opus'} with METADATA_BLOCK_PICTURE`,
      make: async () => {
        const path = join(dir, `cover.${ext}`);
        const picture = Buffer.from(pictureBlock(png)).toString('base64');
        run([
          ...tone,
          '-c:a',
          ext === 'ogg' ? 'libvorbis' : 'libopus',
          '-metadata',
          `METADATA_BLOCK_PICTURE=${picture}`,
          '-metadata',
          'title=Sinner',
          path,
        ]);
        return path;
      },
    })),
    {
      name: 'M4A with cover art, a second audio track and subtitles',
      make: async () => {
        const srt = join(dir, 's.srt');
        await writeFile(srt, '1\n00:00:00,000 --> 00:00:01,000\nhello\n');
        const jpeg = join(dir, 'cover.jpg');
        run(['-f', 'lavfi', '-i', 'color=c=blue:s=16x16', '-frames:v', '1', jpeg]);
        const path = join(dir, 'multi.m4a');
        run([
          ...tone,
          '-f',
          'lavfi',
          '-i',
          'sine=f=600:d=8',
          '-i',
          jpeg,
          '-i',
          srt,
          ...['-map', '0:a', '-map', '1:a', '-map', '2:v', '-map', '3:s', '-c:v', 'copy', '-c:a', 'aac', '-c:s', 'mov_text'],
          ...['-disposition:v:0', 'attached_pic', '-disposition:a:1', '0', '-metadata:s:a:1', 'language=eng', '-metadata', 'title=Sinner'],
          path,
        ]);
        return path;
      },
    },
  ];

  // At the start most formats are spliced; in the middle everything but WAV is re-encoded.
  for (const { name, make } of cases) {
    for (const where of ['start', 'middle'] as const) {
      withTool('ffprobe', 'lists the streams before and after')(`${name}, label at the ${where}`, async () => {
        const input = await make();
        const before = streams(input) as { streams: unknown[] };
        expect(before.streams.length).toBeGreaterThan(1);
        const report = await labelFile(input, { producer: PRODUCER, outDir: join(dir, `out-${where}`), audio: { placement: [where] } });
        expect(report.explicit?.kind).toBe('audio');
        expect(streams(report.output!)).toEqual(before);
        const detected = await detectFile(report.output!);
        expect(detected.label).toEqual(report.label);
        expect(detected.evidence.filter((e) => e.kind === 'audio-rhythm-label').map((e) => e.where)).toEqual([where]);
      });
    }
  }
});
