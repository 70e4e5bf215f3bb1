/**
 * ID3v2 frames as other tools write them: an invalid frame id (music-metadata's
 * bug-id3v2-unknownframe.mp3 layout), the v2.3/v2.4 frame format flags (compression,
 * data-length indicator, unsynchronisation, grouping), encrypted and undecodable frames,
 * and hostile sizes. Fixtures are built byte by byte here; ExifTool and music-metadata
 * check that they mean what we say.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AigcLabelError,
  bytesSource,
  concat,
  createLabel,
  encodeBare,
  indexOfBytes,
  LabelConflictError,
  labelBytes,
  materialize,
  summarizeCarriers,
} from '@aigc-label/core';
import { parseBuffer } from 'music-metadata';
import { describe, expect, it } from 'vitest';
import { OTHER_PRODUCER, prng, sampleLabel } from '../../../../test/handler-contract.js';
import { withTool } from '../../../../test/oracles.js';
import { mp3 } from '../../src/mp3/index.js';
import { compressedV23, compressedV24, frame, syncSafe, tag, text, unsync, userText, utf16Text, zlib } from './id3-builders.js';
import { generateAudio, probeTags, tagValue } from './media.js';

const sample = generateAudio('tone.mp3', ['-c:a', 'libmp3lame', '-b:a', '32k']);
/** The MPEG frames after ffmpeg's own ID3 tag. */
const audio = sample.subarray(10 + ((sample[6] << 21) | (sample[7] << 14) | (sample[8] << 7) | sample[9]));
const tagSizeOf = (file: Uint8Array) => 10 + ((file[6] << 21) | (file[7] << 14) | (file[8] << 7) | file[9]);

const other = createLabel({ producer: OTHER_PRODUCER, produceId: 'other-1' });
const otherJson = encodeBare(other);

function exiftool(bytes: Uint8Array): Record<string, unknown> {
  const dir = mkdtempSync(join(tmpdir(), 'aigc-id3-'));
  try {
    const file = join(dir, 'x.mp3');
    writeFileSync(file, bytes);
    return JSON.parse(execFileSync('exiftool', ['-j', '-G1', '-a', '-struct', file], { encoding: 'utf8' }))[0];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
/** ExifTool's ID3 tags (group ID3v2_3/ID3v2_4), without the file-system ones. */
const id3Tags = (json: Record<string, unknown>) => Object.fromEntries(Object.entries(json).filter(([k]) => k.startsWith('ID3v2')));

/** Writes with the handler alone (no read-back check), for files whose read-back holds an unreadable carrier. */
async function writeWithHandler(input: Uint8Array): Promise<Uint8Array> {
  const source = bytesSource(input);
  return materialize(await mp3.write(source, sampleLabel()), source);
}

describe('an ID3v2.3 tag that starts with an invalid frame id (bug-id3v2-unknownframe.mp3 layout)', () => {
  // music-metadata test/samples/bug-id3v2-unknownframe.mp3: "Date" (UTF-16 "2010"), then ten valid frames and zero padding.
  const frames = [
    frame(3, 'Date', utf16Text('2010')),
    frame(3, 'TLEN', utf16Text('114000')),
    frame(3, 'TPE1', text('Coheed And Cambria')),
    frame(3, 'TALB', text('Year Of The Black Rainbow')),
    frame(3, 'TPE2', text('Coheed And Cambria')),
    frame(3, 'TIT2', text('One')),
    frame(3, 'TRCK', text('1')),
    frame(3, 'TPOS', text('1')),
    frame(3, 'TYER', text('2010')),
    frame(3, 'TDRC', text('2010')),
    frame(3, 'TCON', text('Progressive Rock')),
  ];
  const input = concat([tag(3, 0, concat([...frames, new Uint8Array(400)])), audio]);

  it('reads every frame after it and reports the skipped frame', async () => {
    const read = await mp3.read(bytesSource(input));
    expect(read.carriers).toEqual([]);
    expect(read.findings.map((f) => [f.rule, f.message])).toEqual([
      [
        'format/damaged',
        'ID3 tag at byte 0: the ID3 frame at byte 10 has the invalid id "Date"; it was skipped by its declared size (11 bytes) and is kept as stored',
      ],
    ]);
  });

  it('labels it keeping all eleven frames byte for byte, in order, and every byte after the tag', async () => {
    const { bytes, findings } = await labelBytes(mp3, input, sampleLabel());
    expect(findings.map((f) => f.rule)).toContain('format/damaged');
    expect(tagSizeOf(bytes)).toBe(tagSizeOf(input));
    expect(bytes.subarray(tagSizeOf(bytes))).toEqual(audio);
    expect(bytes.subarray(10, 10 + concat(frames).length)).toEqual(concat(frames));
    const read = summarizeCarriers(await mp3.read(bytesSource(bytes)));
    expect(read.carriers.map((c) => c.label)).toEqual([sampleLabel()]);
    const meta = await parseBuffer(bytes, { mimeType: 'audio/mpeg' });
    expect(meta.common.title).toBe('One');
    expect(meta.common.artist).toBe('Coheed And Cambria');
    expect(meta.common.album).toBe('Year Of The Black Rainbow');
    expect(meta.native['ID3v2.3']?.find((t) => t.id === 'TXXX:AIGC')?.value).toBe(encodeBare(sampleLabel()));
    expect(tagValue(probeTags(bytes, 'x.mp3'), 'AIGC')).toBe(encodeBare(sampleLabel()));
  });

  withTool('exiftool')('ExifTool sees every tag it saw before, unchanged, plus AIGC', async () => {
    const { bytes } = await labelBytes(mp3, input, sampleLabel());
    const before = id3Tags(exiftool(input));
    const after = id3Tags(exiftool(bytes));
    expect(Object.keys(before).length).toBeGreaterThanOrEqual(9);
    expect(after).toEqual({ ...before, 'ID3v2_3:UserDefinedText': `(AIGC) ${encodeBare(sampleLabel())}` });
  });
});

describe('ID3v2.3 and v2.4 frame format flags', () => {
  const plain = (version: number) => userText('AIGC', otherJson, version === 4 ? 3 : 0);
  const utf16Label = concat([utf16Text('AIGC'), Uint8Array.of(0, 0), utf16Text(otherJson).subarray(1)]);
  const title = (version: number) => frame(version, 'TIT2', text('Kept'));
  // Each: [name, version, tag flags, TXXX frame as stored, whether ExifTool 12.57 reads it].
  const cases: [string, number, number, Uint8Array, boolean][] = [
    ['v2.4 zlib with a data-length indicator (0x0009)', 4, 0, frame(4, 'TXXX', compressedV24(plain(4)).stored, 0x0009), true],
    // ID3v2.4 §4.1.2 k says a compressed frame has a data-length indicator; ExifTool insists, we do not.
    ['v2.4 zlib without a data-length indicator (0x0008)', 4, 0, frame(4, 'TXXX', zlib(plain(4)), 0x0008), false],
    ['v2.4 unsynchronised frame (0x0002), UTF-16', 4, 0, frame(4, 'TXXX', unsync(utf16Label), 0x0002), true],
    [
      'v2.4 unsynchronised with a data-length indicator (0x0003)',
      4,
      0,
      frame(4, 'TXXX', concat([syncSafe(utf16Label.length), unsync(utf16Label)]), 0x0003),
      true,
    ],
    ['v2.4 grouping identity (0x0040)', 4, 0, frame(4, 'TXXX', concat([Uint8Array.of(0x81), plain(4)]), 0x0040), true],
    [
      'v2.4 grouping, zlib and data-length indicator (0x0049)',
      4,
      0,
      frame(4, 'TXXX', concat([Uint8Array.of(7), compressedV24(plain(4)).stored]), 0x0049),
      true,
    ],
    // ID3v2.4 §3.1 a: the tag flag says every frame is unsynchronised; ExifTool reads it only with the frame flag set too.
    ['v2.4 tag unsynchronisation flag only, UTF-16', 4, 0x80, frame(4, 'TXXX', unsync(utf16Label)), false],
    ['v2.4 tag and frame unsynchronisation flags, UTF-16', 4, 0x80, frame(4, 'TXXX', unsync(utf16Label), 0x0002), true],
    // ExifTool 12.57 decodes the v2.3 decompressed size as sync-safe, so it drops frames over 127 bytes (ours is 207).
    ['v2.3 zlib with the decompressed size (0x0080)', 3, 0, frame(3, 'TXXX', compressedV23(plain(3)).stored, 0x0080), false],
    ['v2.3 grouping identity (0x0020)', 3, 0, frame(3, 'TXXX', concat([Uint8Array.of(3), plain(3)]), 0x0020), true],
  ];
  const build = (version: number, flags: number, txxx: Uint8Array) => {
    let body = concat([title(version), txxx]);
    // ID3v2.3 §5: the whole tag body is unsynchronised.
    if (version === 3 && flags & 0x80) body = unsync(body);
    return concat([tag(version, flags, concat([body, new Uint8Array(256)])), audio]);
  };
  const v23Unsync = build(3, 0x80, frame(3, 'TXXX', utf16Label));
  cases.push(['v2.3 whole-tag unsynchronisation, UTF-16', 3, 0x80, v23Unsync, true]);

  for (const [name, version, flags, txxx] of cases) {
    const input = name.startsWith('v2.3 whole-tag') ? v23Unsync : build(version, flags, txxx);
    it(`${name}: reads the label, refuses to add a second without force, replaces it with force`, async () => {
      const read = await mp3.read(bytesSource(input));
      expect(read.carriers.map((c) => c.label)).toEqual([other]);
      await expect(labelBytes(mp3, input, sampleLabel())).rejects.toBeInstanceOf(LabelConflictError);
      const { bytes } = await labelBytes(mp3, input, sampleLabel(), { force: true });
      expect((await mp3.read(bytesSource(bytes))).carriers.map((c) => c.label)).toEqual([sampleLabel()]);
      expect(indexOfBytes(bytes, title(version))).toBeGreaterThan(0);
      expect(bytes.subarray(bytes.length - audio.length)).toEqual(audio);
      expect(bytes.length).toBe(input.length);
    });
  }

  withTool('exiftool')('ExifTool reads the same label from each of these fixtures', () => {
    for (const [name, version, flags, txxx, exiftoolReads] of cases) {
      if (!exiftoolReads) continue;
      const input = name.startsWith('v2.3 whole-tag') ? v23Unsync : build(version, flags, txxx);
      const json = exiftool(input);
      expect(json[`ID3v2_${version}:UserDefinedText`], `${name}: ${JSON.stringify(id3Tags(json))}`).toBe(`(AIGC) ${otherJson}`);
    }
  });

  it('reads a v2.4 frame whose size was stored as a plain integer (iTunes), as mutagen does', async () => {
    const long = userText('AIGC', otherJson, 3);
    expect(long.length).toBeGreaterThan(127);
    const plainSize = frame(3, 'TXXX', long); // a v2.3-style 32-bit size inside a v2.4 tag
    const input = concat([tag(4, 0, concat([plainSize, frame(4, 'TIT2', text('Kept')), new Uint8Array(64)])), audio]);
    const read = await mp3.read(bytesSource(input));
    expect(read.carriers.map((c) => c.label)).toEqual([other]);
    expect(read.findings.map((f) => f.message).join(' ')).toMatch(/plain integer, not sync-safe/);
  });
});

describe('frames that may hold a label we cannot read', () => {
  const unreadable = async (input: Uint8Array) => {
    const read = await mp3.read(bytesSource(input));
    return read.carriers.map((c) => ({ label: c.label, raw: c.raw, rules: c.findings.map((f) => `${f.rule}:${f.severity}`) }));
  };
  const expected = [{ label: null, raw: '', rules: ['carrier/unreadable:error'] }];

  for (const [name, input] of [
    [
      'v2.4 encrypted (0x0004)',
      concat([tag(4, 0, frame(4, 'TXXX', concat([Uint8Array.of(0x80), userText('AIGC', otherJson)]), 0x0004)), audio]),
    ],
    [
      'v2.3 encrypted (0x0040)',
      concat([tag(3, 0, frame(3, 'TXXX', concat([Uint8Array.of(0x80), userText('AIGC', otherJson)]), 0x0040)), audio]),
    ],
    [
      'damaged zlib data',
      concat([tag(4, 0, frame(4, 'TXXX', concat([syncSafe(300), Uint8Array.of(0x78, 0x9c, 1, 2, 3, 4)]), 0x0009)), audio]),
    ],
    ['an unknown text encoding', concat([tag(4, 0, frame(4, 'TXXX', Uint8Array.of(9, 0x41, 0, 0x42))), audio])],
    ['a compressed v2.2 tag', concat([tag(2, 0x40, frame(2, 'TXX', userText('AIGC', otherJson))), audio])],
  ] as const) {
    it(`${name}: an unreadable carrier (label null, raw empty, error finding)`, async () => {
      expect(await unreadable(input)).toEqual(expected);
    });
  }

  it('an encrypted frame is copied byte for byte when labeling, and still reported', async () => {
    const encrypted = frame(4, 'TXXX', concat([Uint8Array.of(0x80), userText('AIGC', otherJson)]), 0x0004);
    const input = concat([tag(4, 0, concat([encrypted, new Uint8Array(512)])), audio]);
    const bytes = await writeWithHandler(input);
    expect(indexOfBytes(bytes, encrypted)).toBe(10);
    const read = await mp3.read(bytesSource(bytes));
    expect(read.carriers.map((c) => c.label)).toEqual([null, sampleLabel()]);
  });

  it('bounds decompression per tag: past the budget a frame is unreadable, not an error', async () => {
    const big = new Uint8Array(40 * 1024 * 1024);
    const bomb = (description: string) => frame(4, 'TXXX', compressedV24(concat([userText(description, ''), big])).stored, 0x0009);
    const input = concat([tag(4, 0, concat([bomb('first'), bomb('AIGC')])), audio]);
    const read = await mp3.read(bytesSource(input));
    expect(read.carriers.map((c) => c.findings[0]?.message)).toEqual([expect.stringMatching(/expands past the \d+-byte budget/)]);
  });
});

describe('other bytes in the tag', () => {
  it('keeps bytes that are neither frames nor padding, after our frame', async () => {
    const junk = Uint8Array.of(0xde, 0xad, 0xbe, 0xef, 0x01, 0x02);
    const input = concat([tag(4, 0, concat([frame(4, 'TIT2', text('x')), junk, new Uint8Array(512)])), audio]);
    const read = await mp3.read(bytesSource(input));
    expect(read.findings.map((f) => f.message).join(' ')).toMatch(/6 bytes at byte 22 of the ID3 tag are neither frames nor padding/);
    const { bytes } = await labelBytes(mp3, input, sampleLabel());
    const at = indexOfBytes(bytes, junk);
    expect(at).toBeGreaterThan(indexOfBytes(bytes, new TextEncoder().encode('AIGC')));
    expect(bytes.length).toBe(input.length);
  });

  it('never throws anything but a toolkit error on hostile sizes and flags (no RangeError), in linear time', async () => {
    const random = prng(0x1d3);
    const base = concat([
      tag(
        3,
        0x80,
        unsync(concat([frame(3, 'TIT2', utf16Text('x')), frame(3, 'TXXX', compressedV23(userText('AIGC', otherJson)).stored, 0x00e0)])),
      ),
      audio.subarray(0, 2000),
    ]);
    const headerBytes = [3, 5, 6, 7, 8, 9, 14, 15, 16, 17, 18, 19, 20];
    for (let i = 0; i < 400; i++) {
      const damaged = base.slice();
      for (let k = 0; k < 3; k++) damaged[headerBytes[Math.floor(random() * headerBytes.length)]] = Math.floor(random() * 256);
      damaged[10 + Math.floor(random() * 80)] = [0, 0xff, 0x7f, 0x80][Math.floor(random() * 4)];
      try {
        await mp3.read(bytesSource(damaged));
        await labelBytes(mp3, damaged, sampleLabel(), { force: true });
      } catch (error) {
        if (!(error instanceof AigcLabelError)) throw error;
      }
    }
  });
});
