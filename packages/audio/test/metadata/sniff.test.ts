/**
 * Format detection on real-world layouts: FLAC behind an ID3 tag (music-metadata
 * "a kind of magic.flac", file-type fixture-id3v2.flac), MP3 with leading zero padding
 * (sin1k0db.mp3) and MP3 whose ID3 size is off. Rebuilt byte by byte around tones
 * that ffmpeg encodes.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  bytesSource,
  concat,
  createLabel,
  encodeBare,
  FormatRegistry,
  LabelConflictError,
  labelBytes,
  MalformedInputError,
  sniffLengthInBytes,
} from '@aigc-label/core';
import { parseBuffer } from 'music-metadata';
import { describe, expect, it } from 'vitest';
import { OTHER_PRODUCER, sampleLabel } from '../../../../test/handler-contract.js';
import { withTool } from '../../../../test/oracles.js';
import { flac } from '../../src/flac/index.js';
import { audioHandlers } from '../../src/index.js';
import { mp3 } from '../../src/mp3/index.js';
import { frame, tag, text, userText } from './id3-builders.js';
import { decodePcm, generateAudio, probeTags, tagValue } from './media.js';

const registry = new FormatRegistry(audioHandlers);
const resolve = (bytes: Uint8Array, name?: string) => {
  const { handler, findings } = registry.resolve(bytes.subarray(0, sniffLengthInBytes), name);
  return [handler.id, findings.map((f) => f.rule)];
};
const flacSample = generateAudio('tone.flac', ['-c:a', 'flac', '-metadata', 'title=Tone']);
const mp3Sample = generateAudio('tone.mp3', ['-c:a', 'libmp3lame', '-b:a', '32k']);
const mp3Audio = mp3Sample.subarray(10 + ((mp3Sample[6] << 21) | (mp3Sample[7] << 14) | (mp3Sample[8] << 7) | mp3Sample[9]));
const other = createLabel({ producer: OTHER_PRODUCER, produceId: 'other-1' });

function exiftool(bytes: Uint8Array, extension: string): Record<string, unknown> {
  const dir = mkdtempSync(join(tmpdir(), 'aigc-sniff-'));
  try {
    const file = join(dir, `x.${extension}`);
    writeFileSync(file, bytes);
    const json = JSON.parse(execFileSync('exiftool', ['-j', '-G1', '-a', file], { encoding: 'utf8' }))[0];
    return Object.fromEntries(
      Object.entries(json).filter(([k]) => k !== 'SourceFile' && !k.startsWith('System:') && !k.startsWith('ExifTool:')),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('FLAC behind an ID3v2 tag', () => {
  // "a kind of magic.flac" has a 193,718-byte ID3v2.3 tag (UTF-16 text and a cover) before "fLaC".
  const id3 = (coverBytes: number) =>
    tag(
      3,
      0,
      concat([
        frame(3, 'TIT2', text('A Kind of Magic')),
        frame(3, 'TALB', text('A Kind of Magic')),
        frame(
          3,
          'APIC',
          concat([Uint8Array.of(0), new TextEncoder().encode('image/jpeg'), Uint8Array.of(0, 3, 0), new Uint8Array(coverBytes).fill(0x5a)]),
        ),
        new Uint8Array(300),
      ]),
    );
  const small = concat([id3(100), flacSample]);
  const large = concat([id3(200_000), flacSample]);

  it('is detected as FLAC whatever its name when the tag fits in the sniffed head', () => {
    expect(resolve(small, 'a.flac')).toEqual(['flac', []]);
    expect(resolve(small)).toEqual(['flac', []]);
    expect(resolve(small, 'a.mp3')).toEqual(['flac', ['format/extension-mismatch']]);
  });

  it('is detected as FLAC by its extension, and read as FLAC by the MP3 handler, when the tag is longer than the head', async () => {
    expect(large.indexOf(0x66, 4096)).toBeGreaterThan(4096);
    expect(resolve(large, 'a.flac')).toEqual(['flac', []]);
    expect(resolve(large)).toEqual(['mp3', []]);
    const read = await mp3.read(bytesSource(large));
    expect(read.format).toBe('flac');
    expect(read.findings.map((f) => f.rule)).toEqual(['format/id3-before-flac']);
  });

  for (const [name, input] of [
    ['small tag', small],
    ['large tag', large],
  ] as const) {
    it(`${name}: labeled in the VORBIS_COMMENT, the ID3 tag copied byte for byte, through either handler`, async () => {
      const tagLength = input.length - flacSample.length;
      for (const handler of [flac, mp3]) {
        const { bytes } = await labelBytes(handler, input, sampleLabel());
        expect(bytes.subarray(0, tagLength)).toEqual(input.subarray(0, tagLength));
        expect((await flac.read(bytesSource(bytes))).carriers.map((c) => [c.carrier, c.label])).toEqual([
          ['vorbis-comment', sampleLabel()],
        ]);
        expect(tagValue(probeTags(bytes, 'x.flac'), 'AIGC')).toBe(encodeBare(sampleLabel()));
        const meta = await parseBuffer(bytes, { mimeType: 'audio/flac' });
        expect(meta.native.vorbis?.find((t) => t.id === 'AIGC')?.value).toBe(encodeBare(sampleLabel()));
        expect(decodePcm(bytes, 'x.flac')).toEqual(decodePcm(flacSample, 'x.flac'));
      }
    });
  }

  withTool('exiftool')('ExifTool sees every tag it saw before, plus AIGC', async () => {
    const { bytes } = await labelBytes(flac, large, sampleLabel());
    const before = exiftool(large, 'flac');
    const after = exiftool(bytes, 'flac');
    expect(before['ID3v2_3:Title']).toBe('A Kind of Magic');
    expect(after).toEqual({ ...before, 'Vorbis:Aigc': encodeBare(sampleLabel()) });
  });

  it('an MP3 named .flac with a long tag is refused with a precise message', async () => {
    const mp3Large = concat([id3(200_000), mp3Audio]);
    expect(resolve(mp3Large, 'a.flac')).toEqual(['flac', []]);
    await expect(flac.read(bytesSource(mp3Large))).rejects.toThrow(/no "fLaC" signature at byte \d+ after the ID3 tag/);
    expect(resolve(mp3Large)).toEqual(['mp3', []]);
  });
});

describe('MP3 with leading zero padding (sin1k0db.mp3 layout)', () => {
  const padded = concat([new Uint8Array(1300), mp3Audio]);

  it('is detected as MP3 and labeled with a new tag in front; the rest is unchanged', async () => {
    expect(resolve(padded)).toEqual(['mp3', []]);
    expect(resolve(padded, 'x.mp3')).toEqual(['mp3', []]);
    const { bytes } = await labelBytes(mp3, padded, sampleLabel());
    expect(bytes.subarray(bytes.length - padded.length)).toEqual(padded);
    expect(tagValue(probeTags(bytes, 'x.mp3'), 'AIGC')).toBe(encodeBare(sampleLabel()));
    expect(decodePcm(bytes, 'x.mp3')).toEqual(decodePcm(padded, 'x.mp3'));
  });

  it('zeros alone, or zeros then noise, are not MP3', () => {
    expect(mp3.sniff(new Uint8Array(4096))).toBe(false);
    expect(mp3.sniff(concat([new Uint8Array(100), Uint8Array.of(0xff, 0xfb, 0x90, 0x64), new Uint8Array(500).fill(7)]))).toBe(false);
  });
});

describe('MP3 whose ID3v2 size is off', () => {
  const label = userText('AIGC', encodeBare(other));
  const build = (padding: number, sizeError: number) => {
    const body = concat([frame(3, 'TIT2', text('Tone')), frame(3, 'TXXX', label), new Uint8Array(padding)]);
    const input = concat([tag(3, 0, body), mp3Audio]);
    const size = body.length + sizeError;
    input.set([(size >> 21) & 0x7f, (size >> 14) & 0x7f, (size >> 7) & 0x7f, size & 0x7f], 6);
    return input;
  };

  for (const padding of [0, 512]) {
    it(`10 bytes too large (${padding} bytes of padding): detected, read with a damage finding, refused for writing`, async () => {
      const input = build(padding, 10);
      expect(resolve(input)).toEqual(['mp3', []]);
      expect(resolve(input, 'x.mp3')).toEqual(['mp3', []]);
      const read = await mp3.read(bytesSource(input));
      expect(read.carriers.map((c) => c.label)).toEqual([other]);
      expect(read.findings.map((f) => f.message).join(' ')).toMatch(/MPEG audio frames start at byte \d+, inside it/);
      await expect(labelBytes(mp3, input, sampleLabel(), { force: true })).rejects.toThrow(MalformedInputError);
      await expect(labelBytes(mp3, input, sampleLabel())).rejects.toThrow(LabelConflictError);
    });
  }

  it('10 bytes too small: detected as MP3; the cut label frame is read as an unreadable carrier, and writing refuses', async () => {
    const input = build(0, -10);
    expect(resolve(input)).toEqual(['mp3', []]);
    const read = await mp3.read(bytesSource(input));
    expect(read.carriers.map((c) => [c.label, c.findings.map((f) => f.rule)])).toEqual([[null, ['carrier/unreadable']]]);
    expect(read.findings.map((f) => f.message).join(' ')).toMatch(/ID3 frame TXXX at byte \d+ declares \d+ bytes, past the end of its tag/);
    await expect(mp3.write(bytesSource(input), sampleLabel())).rejects.toThrow(
      /ID3 frame TXXX at tag offset \d+ declares \d+ bytes, past the end of the tag/,
    );
  });
});
