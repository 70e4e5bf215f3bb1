import {
  ascii,
  bytesSource,
  concat,
  encodeBare,
  fromAscii,
  LabelConflictError,
  labelBytes,
  MalformedInputError,
  riff,
  u32le,
  utf8,
} from '@aigc-label/core';
import { describe, expect, it } from 'vitest';
import { describeHandlerContract, OTHER_PRODUCER, sampleLabel } from '../../../../test/handler-contract.js';
import { wav } from '../../src/wav/index.js';
import { decodePcm, generateAudio, generatePipedWav } from './media.js';

const sample = generateAudio('tone.wav', ['-c:a', 'pcm_s16le', '-metadata', 'title=Tone']);

describeHandlerContract(wav, () => sample);

/** Top-level chunks of an in-memory WAV: id, data. */
function chunksOf(file: Uint8Array): { id: string; offset: number; data: Uint8Array }[] {
  const out: { id: string; offset: number; data: Uint8Array }[] = [];
  for (let offset = 12; offset + 8 <= file.length; ) {
    const size = u32le(file, offset + 4);
    out.push({ id: fromAscii(file, offset, offset + 4), offset, data: file.subarray(offset + 8, offset + 8 + size) });
    offset += 8 + size + (size & 1);
  }
  return out;
}

const wave = (...chunks: Uint8Array[]): Uint8Array => {
  const body = concat(chunks);
  return concat([riff.riffHeader('WAVE', body.length), body]);
};

/** A hand-made ID3v2.3 tag: TIT2 "Song" and TXXX AIGC=<value>, Latin-1. */
function id3v23WithLabel(value: string): Uint8Array {
  const frame = (id: string, body: Uint8Array) => {
    const header = new Uint8Array(10);
    header.set(ascii(id), 0);
    header[7] = body.length & 0xff;
    header[6] = body.length >> 8;
    return concat([header, body]);
  };
  const frames = concat([
    frame('TIT2', concat([Uint8Array.of(0), ascii('Song')])),
    frame('TXXX', concat([Uint8Array.of(0), ascii('AIGC'), Uint8Array.of(0), ascii(value)])),
  ]);
  const header = Uint8Array.of(0x49, 0x44, 0x33, 3, 0, 0, 0, 0, frames.length >> 7, frames.length & 0x7f);
  return concat([header, frames]);
}

describe('wav metadata carrier', () => {
  it('adds one AIGC chunk before data, fixes the RIFF size and keeps the audio and LIST/INFO', async () => {
    const label = sampleLabel();
    const { bytes } = await labelBytes(wav, sample, label);
    const before = chunksOf(sample);
    const after = chunksOf(bytes);
    expect(u32le(bytes, 4)).toBe(bytes.length - 8);
    expect(after.map((c) => c.id)).toEqual(before.flatMap((c) => (c.id === 'data' ? ['AIGC', 'data'] : [c.id])));
    const aigc = after.find((c) => c.id === 'AIGC');
    expect(new TextDecoder().decode(aigc?.data)).toBe(encodeBare(label));
    for (const c of before) expect(after.find((a) => a.id === c.id)?.data).toEqual(c.data);
    expect(decodePcm(bytes, 'out.wav')).toEqual(decodePcm(sample, 'in.wav'));
  });

  it('pads an odd-length label to even length', async () => {
    const even = sampleLabel({ ProduceID: 'ab', PropagateID: 'ab' });
    const odd = encodeBare(even).length % 2 === 0 ? sampleLabel({ ProduceID: 'abc', PropagateID: 'abc' }) : even;
    const { bytes } = await labelBytes(wav, sample, odd);
    const chunks = chunksOf(bytes);
    const index = chunks.findIndex((c) => c.id === 'AIGC');
    expect(chunks[index].data.length % 2).toBe(1);
    expect(chunks[index].data.length).toBe(encodeBare(odd).length);
    // The pad byte is a zero and the next chunk starts after it.
    expect(bytes[chunks[index].offset + 8 + chunks[index].data.length]).toBe(0);
    expect(chunks[index + 1].offset).toBe(chunks[index].offset + 8 + chunks[index].data.length + 1);
    expect(u32le(bytes, 4)).toBe(bytes.length - 8);
    expect(decodePcm(bytes, 'odd.wav')).toEqual(decodePcm(sample, 'in.wav'));
  });

  it('reads LIST/INFO/AIGC and id3 TXXX:AIGC, and a write leaves one label while keeping bext, INFO and the other ID3 frames', async () => {
    const old = encodeBare(sampleLabel({ ProduceID: 'old', PropagateID: 'old' }));
    const fmt = chunksOf(sample).find((c) => c.id === 'fmt ')!;
    const data = chunksOf(sample).find((c) => c.id === 'data')!;
    const bext = riff.riffChunk('bext', new Uint8Array(602).fill(7));
    const info = riff.buildInfoList([
      { id: 'INAM', data: utf8('Tone\0') },
      { id: 'AIGC', data: utf8(`${old}\0`) },
    ]);
    const input = wave(
      riff.riffChunk('fmt ', fmt.data),
      bext,
      info,
      riff.riffChunk('id3 ', id3v23WithLabel(old)),
      riff.riffChunk('data', data.data),
    );
    const read = await wav.read(bytesSource(input));
    expect(read.carriers.map((c) => [c.carrier, c.canonical, c.raw.replace(/\0+$/, '')])).toEqual([
      ['riff-info', false, old],
      ['id3-txxx', false, old],
    ]);
    const label = sampleLabel();
    const { bytes } = await labelBytes(wav, input, label);
    const after = await wav.read(bytesSource(bytes));
    expect(after.carriers.map((c) => c.carrier)).toEqual(['riff-chunk']);
    const chunks = chunksOf(bytes);
    expect(chunks.find((c) => c.id === 'bext')?.data).toEqual(new Uint8Array(602).fill(7));
    const list = chunks.find((c) => c.id === 'LIST')!;
    expect(riff.parseInfoList(list.data.subarray(4), 'wav').map((e) => e.id)).toEqual(['INAM']);
    const id3 = chunks.find((c) => c.id === 'id3 ')!;
    expect(fromAscii(id3.data, 10, 14)).toBe('TIT2');
    expect(new TextDecoder().decode(id3.data)).not.toContain('AIGC');
    expect(decodePcm(bytes, 'out.wav')).toEqual(decodePcm(input, 'in.wav'));
  });

  it('replaces AIGC chunks in place, whatever their case and number, by one', async () => {
    const old = encodeBare(sampleLabel({ ProduceID: 'old', PropagateID: 'old' }));
    const fmt = chunksOf(sample).find((c) => c.id === 'fmt ')!;
    const data = chunksOf(sample).find((c) => c.id === 'data')!;
    const input = wave(
      riff.riffChunk('fmt ', fmt.data),
      riff.riffChunk('data', data.data),
      riff.riffChunk('aigc', utf8(old)),
      riff.riffChunk('AIGC', utf8(old)),
    );
    const read = await wav.read(bytesSource(input));
    expect(read.carriers.map((c) => [c.location, c.canonical])).toEqual([
      [`RIFF chunk "aigc" at byte ${12 + 8 + fmt.data.length + 8 + data.data.length}`, false],
      [expect.stringMatching(/^RIFF chunk "AIGC"/), true],
    ]);
    const { bytes } = await labelBytes(wav, input, sampleLabel());
    expect(chunksOf(bytes).map((c) => c.id)).toEqual(['fmt ', 'data', 'AIGC']);
  });

  it("refuses to replace another producer's LIST/INFO label unless forced", async () => {
    const other = encodeBare(sampleLabel({ ContentProducer: OTHER_PRODUCER, ContentPropagator: OTHER_PRODUCER }));
    const fmt = chunksOf(sample).find((c) => c.id === 'fmt ')!;
    const data = chunksOf(sample).find((c) => c.id === 'data')!;
    const input = wave(
      riff.riffChunk('fmt ', fmt.data),
      riff.buildInfoList([{ id: 'AIGC', data: utf8(other) }]),
      riff.riffChunk('data', data.data),
    );
    await expect(labelBytes(wav, input, sampleLabel())).rejects.toBeInstanceOf(LabelConflictError);
    const { bytes } = await labelBytes(wav, input, sampleLabel(), { force: true });
    expect(chunksOf(bytes).map((c) => c.id)).toEqual(['fmt ', 'AIGC', 'data']);
  });

  it('labels RF64 (EBU Tech 3306): the AIGC chunk goes in and the 64-bit RIFF size in ds64 grows', async () => {
    const rf64 = generateAudio('tone-rf64.wav', ['-c:a', 'pcm_s16le', '-rf64', 'always']);
    expect(fromAscii(rf64, 0, 4)).toBe('RF64');
    expect(wav.sniff(rf64)).toBe(true);
    const label = sampleLabel();
    const { bytes } = await labelBytes(wav, rf64, label);
    expect(fromAscii(bytes, 0, 4)).toBe('RF64');
    expect(u32le(bytes, 4)).toBe(0xffffffff);
    // ds64 body: RIFF size (u64) first.
    expect(fromAscii(bytes, 12, 16)).toBe('ds64');
    expect(u32le(bytes, 20) + u32le(bytes, 24) * 0x1_0000_0000).toBe(bytes.length - 8);
    const chunks = chunksOf(bytes).map((c) => c.id);
    expect(chunks.slice(chunks.indexOf('AIGC'), chunks.indexOf('AIGC') + 2)).toEqual(['AIGC', 'data']);
    expect((await wav.read(bytesSource(bytes))).carriers.map((c) => c.raw)).toEqual([encodeBare(label)]);
    expect(decodePcm(bytes, 'out-rf64.wav')).toEqual(decodePcm(rf64, 'in-rf64.wav'));
  });

  it('labels a streamed WAV (placeholder sizes) and writes the real sizes', async () => {
    const piped = generatePipedWav();
    expect(u32le(piped, 4)).toBe(0xffffffff);
    const read = await wav.read(bytesSource(piped));
    expect(read.findings.map((f) => f.message)).toContain('streamed WAV: the RIFF and data sizes are placeholders');
    const { bytes, findings } = await labelBytes(wav, piped, sampleLabel());
    expect(findings.map((f) => f.rule)).toContain('wav/sizes-fixed');
    expect(u32le(bytes, 4)).toBe(bytes.length - 8);
    const data = chunksOf(bytes).find((c) => c.id === 'data')!;
    expect(data.offset + 8 + data.data.length).toBe(bytes.length);
    expect(data.data).toEqual(piped.subarray(piped.length - data.data.length));
    expect(decodePcm(bytes, 'fixed.wav')).toEqual(decodePcm(piped, 'piped.wav'));
  });

  it('labels a streamed WAV whose placeholder sizes sit just below 4 GiB (RIFF 0xFFFFFFBF, music-metadata issue 819)', async () => {
    // fmt: PCM, mono, 8000 Hz, 8-bit; then that writer's layout: RIFF 0xFFFFFFBF, and a data size 36 below it.
    const fmt = Uint8Array.of(1, 0, 1, 0, 0x40, 0x1f, 0, 0, 0x40, 0x1f, 0, 0, 1, 0, 8, 0);
    const samples = Uint8Array.from({ length: 4000 }, (_, i) => 128 + Math.round(60 * Math.sin(i / 5)));
    const piped = wave(riff.riffChunk('fmt ', fmt), riff.riffChunk('data', samples));
    new DataView(piped.buffer).setUint32(4, 0xffffffbf, true);
    new DataView(piped.buffer).setUint32(40, 0xffffffbf - 36, true);
    const read = await wav.read(bytesSource(piped));
    expect(read.findings.filter((f) => f.severity !== 'info')).toEqual([]);
    expect(read.findings.map((f) => f.message)).toContain('streamed WAV: the RIFF and data sizes are placeholders');
    const { bytes, findings } = await labelBytes(wav, piped, sampleLabel());
    expect(findings.map((f) => f.rule)).toContain('wav/sizes-fixed');
    expect(u32le(bytes, 4)).toBe(bytes.length - 8);
    const chunks = chunksOf(bytes);
    expect(chunks.map((c) => c.id)).toEqual(['fmt ', 'AIGC', 'data']);
    expect(chunks[2]?.data).toEqual(samples);
    expect((await wav.read(bytesSource(bytes))).carriers.map((c) => c.raw)).toEqual([encodeBare(sampleLabel())]);
    expect(decodePcm(bytes, 'fixed.wav')).toEqual(decodePcm(piped, 'placeholder.wav'));
    // A real size that merely runs past the end (a 1 MB WAV cut short) is truncation, not a placeholder.
    new DataView(piped.buffer).setUint32(4, 1_000_000, true);
    await expect(wav.write(bytesSource(piped), sampleLabel())).rejects.toThrow(/truncated/);
  });

  it('accepts a RIFF size that counts the missing pad byte of an odd last chunk, and writes the pad', async () => {
    // fmt: PCM, mono, 8000 Hz, 8-bit; 4001 samples make the data chunk odd.
    const fmt = Uint8Array.of(1, 0, 1, 0, 0x40, 0x1f, 0, 0, 0x40, 0x1f, 0, 0, 1, 0, 8, 0);
    const samples = Uint8Array.from({ length: 4001 }, (_, i) => 128 + Math.round(60 * Math.sin(i / 5)));
    const padded = wave(riff.riffChunk('fmt ', fmt), riff.riffChunk('data', samples));
    const input = padded.subarray(0, padded.length - 1);
    expect(u32le(input, 4)).toBe(input.length + 1 - 8);
    const read = await wav.read(bytesSource(input));
    expect(read.findings.map((f) => f.message)).toContain('the pad byte of the odd-sized last chunk is missing');
    const { bytes } = await labelBytes(wav, input, sampleLabel());
    expect(u32le(bytes, 4)).toBe(bytes.length - 8);
    expect(bytes.length % 2).toBe(0);
    expect(chunksOf(bytes).find((c) => c.id === 'data')?.data).toEqual(samples);
    expect(decodePcm(bytes, 'pad.wav')).toEqual(decodePcm(padded, 'padded.wav'));
    const twoShort = padded.subarray(0, padded.length - 2);
    const damaged = (await wav.read(bytesSource(twoShort))).findings.filter((f) => f.rule === 'format/damaged' && f.severity === 'error');
    expect(damaged.map((f) => f.message).join('\n')).toMatch(/truncated/);
    await expect(labelBytes(wav, twoShort, sampleLabel())).rejects.toThrow(/truncated/);
  });

  it('reads damaged files for their label (salvage), but refuses to write into them', async () => {
    const damageOf = async (bytes: Uint8Array) =>
      (await wav.read(bytesSource(bytes))).findings
        .filter((f) => f.rule === 'format/damaged' && f.severity === 'error')
        .map((f) => f.message)
        .join('\n');
    const tooLong = sample.slice();
    tooLong.set([0xff, 0xff, 0xff, 0x0f], 4);
    expect(await damageOf(tooLong)).toMatch(/RIFF size says .* truncated/);
    await expect(labelBytes(wav, tooLong, sampleLabel())).rejects.toBeInstanceOf(MalformedInputError);

    const truncated = sample.slice(0, sample.length - 100);
    truncated.set([0, 0, 0, 0], 4);
    const riffSize = new DataView(truncated.buffer);
    riffSize.setUint32(4, truncated.length - 8, true);
    expect(await damageOf(truncated)).toMatch(/chunk "data" .* past the end/);
    await expect(labelBytes(wav, truncated, sampleLabel())).rejects.toThrow(/chunk "data" .* past the end/);

    const fakeRf64 = sample.slice();
    fakeRf64.set(ascii('RF64'), 0);
    await expect(wav.read(bytesSource(fakeRf64))).rejects.toThrow(/must start with a ds64 chunk/);
    await expect(labelBytes(wav, fakeRf64, sampleLabel())).rejects.toBeInstanceOf(MalformedInputError);
  });
});
