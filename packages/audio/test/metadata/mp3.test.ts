import { ascii, bytesSource, concat, encodeBare, indexOfBytes, labelBytes, MalformedInputError } from '@aigc-label/core';
import { parseBuffer } from 'music-metadata';
import NodeID3 from 'node-id3';
import { describe, expect, it } from 'vitest';
import { describeHandlerContract, sampleLabel } from '../../../../test/handler-contract.js';
import { mp3 } from '../../src/mp3/index.js';
import { decodePcm, generateAudio, generatePng, probeTags, tagValue } from './media.js';

const sample = generateAudio('tone.mp3', ['-c:a', 'libmp3lame', '-b:a', '32k', '-id3v2_version', '4', '-metadata', 'title=Tone']);
const sync = (size: number) => Uint8Array.of((size >> 21) & 0x7f, (size >> 14) & 0x7f, (size >> 7) & 0x7f, size & 0x7f);
const tagSize = (file: Uint8Array) => 10 + ((file[6] << 21) | (file[7] << 14) | (file[8] << 7) | file[9]);
/** The MPEG audio after the leading ID3 tag. */
const audioOf = (file: Uint8Array) => file.subarray(tagSize(file));

/** A hand-made frame: v2.2 (3-char id, 24-bit size), v2.3 (32-bit size) or v2.4 (sync-safe size). */
function frame(version: number, id: string, body: Uint8Array): Uint8Array {
  if (version === 2) return concat([ascii(id), Uint8Array.of(body.length >> 16, (body.length >> 8) & 0xff, body.length & 0xff), body]);
  const size =
    version === 4
      ? sync(body.length)
      : Uint8Array.of(body.length >>> 24, (body.length >> 16) & 0xff, (body.length >> 8) & 0xff, body.length & 0xff);
  return concat([ascii(id), size, Uint8Array.of(0, 0), body]);
}
const userText = (description: string, value: string) => concat([Uint8Array.of(0), ascii(description), Uint8Array.of(0), ascii(value)]);
function tag(version: number, flags: number, body: Uint8Array, footer = false): Uint8Array {
  const header = concat([ascii('ID3'), Uint8Array.of(version, 0, flags), sync(body.length)]);
  return concat(footer ? [header, body, concat([ascii('3DI'), header.subarray(3)])] : [header, body]);
}

describeHandlerContract(mp3, () => sample);

describe('mp3 metadata carrier', () => {
  it('writes TXXX:AIGC that ffprobe and music-metadata read, and the audio decodes to the same samples', async () => {
    const label = sampleLabel();
    const { bytes } = await labelBytes(mp3, sample, label);
    expect(tagValue(probeTags(bytes, 'out.mp3'), 'AIGC')).toBe(encodeBare(label));
    const meta = await parseBuffer(bytes, { mimeType: 'audio/mpeg' });
    const txxx = meta.native['ID3v2.4']?.find((t) => t.id === 'TXXX:AIGC');
    expect(txxx?.value).toBe(encodeBare(label));
    expect(meta.common.title).toBe('Tone');
    expect(audioOf(bytes)).toEqual(audioOf(sample));
    expect(decodePcm(bytes, 'out.mp3')).toEqual(decodePcm(sample, 'in.mp3'));
  });

  it('keeps an ID3v2.3 tag at v2.3 and its APIC and COMM frames byte-identical', async () => {
    const cover = generatePng();
    const tagged = NodeID3.write(
      {
        title: 'Tone',
        comment: { language: 'chi', text: '测试注释' },
        image: { mime: 'image/png', type: { id: 3, name: 'front cover' }, description: 'cover', imageBuffer: Buffer.from(cover) },
      },
      Buffer.from(audioOf(sample)),
    );
    const input = new Uint8Array(tagged);
    expect(input[3]).toBe(3);
    const rawFrame = (file: Uint8Array, id: string) => {
      const at = indexOfBytes(file, ascii(id));
      const size = (file[at + 4] << 24) | (file[at + 5] << 16) | (file[at + 6] << 8) | file[at + 7];
      return file.slice(at, at + 10 + size);
    };
    const { bytes } = await labelBytes(mp3, input, sampleLabel());
    expect(bytes[3]).toBe(3);
    for (const id of ['APIC', 'COMM', 'TIT2'])
      expect(indexOfBytes(bytes.subarray(0, tagSize(bytes)), rawFrame(input, id))).toBeGreaterThan(0);
    const meta = await parseBuffer(bytes, { mimeType: 'audio/mpeg' });
    expect(meta.native['ID3v2.3']?.find((t) => t.id === 'TXXX:AIGC')?.value).toBe(encodeBare(sampleLabel()));
    expect(meta.common.picture?.[0].data).toEqual(cover);
    expect(decodePcm(bytes, 'out.mp3')).toEqual(decodePcm(input, 'in.mp3'));
  });

  it('reuses the padding on a relabel so the audio does not move', async () => {
    const first = await labelBytes(mp3, sample, sampleLabel());
    const second = await labelBytes(mp3, first.bytes, sampleLabel({ ProduceID: 'second-id', PropagateID: 'second-id' }));
    expect(second.bytes.length).toBe(first.bytes.length);
    expect(tagSize(second.bytes)).toBe(tagSize(first.bytes));
    expect(audioOf(second.bytes)).toEqual(audioOf(sample));
    const padded = concat([
      tag(4, 0, concat([frame(4, 'TIT2', concat([Uint8Array.of(3), ascii('x')])), new Uint8Array(2048)])),
      audioOf(sample),
    ]);
    const { bytes } = await labelBytes(mp3, padded, sampleLabel());
    expect(bytes.length).toBe(padded.length);
  });

  it('creates a v2.4 tag on a file without one', async () => {
    const bare = audioOf(sample).slice();
    expect(mp3.sniff(bare)).toBe(true);
    const { bytes } = await labelBytes(mp3, bare, sampleLabel());
    expect(bytes[3]).toBe(4);
    expect(tagValue(probeTags(bytes, 'new.mp3'), 'AIGC')).toBe(encodeBare(sampleLabel()));
    expect(decodePcm(bytes, 'new.mp3')).toEqual(decodePcm(bare, 'bare.mp3'));
  });

  it('reads v2.2, unsynchronised v2.3 and v2.4 tags with an extended header and a footer', async () => {
    const json = encodeBare(sampleLabel());
    const audio = audioOf(sample);
    const v22 = concat([
      tag(2, 0, concat([frame(2, 'TT2', concat([Uint8Array.of(0), ascii('x')])), frame(2, 'TXX', userText('AIGC', json))])),
      audio,
    ]);
    // ID3v2.3 §5: a 0x00 follows every 0xFF that precedes 0x00 or 0xE0-0xFF.
    const priv = frame(3, 'PRIV', Uint8Array.of(0x61, 0, 0xff, 0xe0, 0xff, 0x00, 0x01));
    const unsyncBody = concat([frame(3, 'TXXX', userText('AIGC', json)), priv]);
    const unsynced: number[] = [];
    unsyncBody.forEach((b, i) => {
      unsynced.push(b);
      if (b === 0xff && (unsyncBody[i + 1] === 0 || unsyncBody[i + 1] >= 0xe0)) unsynced.push(0);
    });
    const v23 = concat([tag(3, 0x80, Uint8Array.from(unsynced)), audio]);
    const extended = concat([sync(6), Uint8Array.of(1, 0)]);
    const v24 = concat([tag(4, 0x50, concat([extended, frame(4, 'TXXX', userText('AIGC', json))]), true), audio]);
    // ID3v2.3 §3.2 extended header: size 6, flags 0, padding size 0.
    const v23Extended = concat([
      tag(3, 0x40, concat([Uint8Array.of(0, 0, 0, 6, 0, 0, 0, 0, 0, 0), frame(3, 'TXXX', userText('AIGC', json))])),
      audio,
    ]);
    for (const [name, input, version] of [
      ['v2.2', v22, 2],
      ['v2.3 unsync', v23, 3],
      ['v2.3 extended header', v23Extended, 3],
      ['v2.4 footer', v24, 4],
    ] as const) {
      const read = await mp3.read(bytesSource(input));
      expect(
        read.carriers.map((c) => c.raw),
        name,
      ).toEqual([json]);
      const relabel = sampleLabel({ ProduceID: 'relabel', PropagateID: 'relabel' });
      const { bytes } = await labelBytes(mp3, input, relabel);
      expect(bytes[3], name).toBe(version);
      expect((await mp3.read(bytesSource(bytes))).carriers.map((c) => c.raw)).toEqual([encodeBare(relabel)]);
      expect(bytes.subarray(bytes.length - audio.length), name).toEqual(audio);
    }
    const relabeled = await labelBytes(mp3, v23, sampleLabel({ ProduceID: 'relabel', PropagateID: 'relabel' }));
    const meta = await parseBuffer(relabeled.bytes, { mimeType: 'audio/mpeg' });
    expect(meta.native['ID3v2.3']?.find((t) => t.id === 'PRIV')).toBeDefined();
    expect(indexOfBytes(relabeled.bytes, Uint8Array.of(0x61, 0, 0xff, 0, 0xe0, 0xff, 0, 0x00, 0x01))).toBeGreaterThan(0);
    // The v2.3 extended header's padding size would go stale, so it is dropped; v2.4's (no CRC) is kept.
    expect((await labelBytes(mp3, v23Extended, sampleLabel())).bytes[5] & 0x40).toBe(0);
    const withFooter = await labelBytes(mp3, v24, sampleLabel());
    expect(withFooter.bytes[5] & 0x40).toBe(0x40);
    const size = tagSize(withFooter.bytes);
    expect(String.fromCharCode(...withFooter.bytes.subarray(size, size + 3))).toBe('3DI');
  });

  it('treats leftovers after the last frame as padding, with a finding, and zeroes them on write', async () => {
    const leftovers = concat([
      frame(4, 'TIT2', concat([Uint8Array.of(3), ascii('x')])),
      new Uint8Array(8),
      ascii('\xffold frame bytes'),
      new Uint8Array(600),
    ]);
    const input = concat([tag(4, 0, leftovers), audioOf(sample)]);
    const read = await mp3.read(bytesSource(input));
    expect(read.carriers).toEqual([]);
    expect(read.findings.map((f) => f.message)).toEqual(['the ID3 tag at byte 0 has non-zero bytes after its last frame']);
    const { bytes } = await labelBytes(mp3, input, sampleLabel());
    expect(bytes.length).toBe(input.length);
    expect(indexOfBytes(bytes, ascii('old frame bytes'))).toBe(-1);
    expect((await mp3.read(bytesSource(bytes))).findings).toEqual([]);
  });

  it('rejects bogus sync-safe sizes; refuses to write into tags past the end and frames past the tag, which reading salvages', async () => {
    const bogus = sample.slice();
    bogus[7] |= 0x80;
    await expect(mp3.read(bytesSource(bogus))).rejects.toThrow(/not a valid sync-safe integer/);
    await expect(labelBytes(mp3, bogus, sampleLabel())).rejects.toBeInstanceOf(MalformedInputError);
    const pastEnd = concat([ascii('ID3'), Uint8Array.of(4, 0, 0), sync(100_000), new Uint8Array(50)]);
    await expect(mp3.write(bytesSource(pastEnd), sampleLabel())).rejects.toThrow(/past the end of the file/);
    expect((await mp3.read(bytesSource(pastEnd))).findings.map((f) => f.message)).toEqual([
      'the ID3 tag at byte 0 declares 100010 bytes, past the end of the file (60 bytes); its frames before the cut were read',
    ]);
    const badFrame = concat([tag(3, 0, frame(3, 'TIT2', ascii('x'))).map((b, i) => (i === 17 ? 200 : b)), audioOf(sample)]);
    await expect(mp3.write(bytesSource(badFrame), sampleLabel())).rejects.toThrow(/past the end of the tag/);
    expect((await mp3.read(bytesSource(badFrame))).findings.map((f) => f.message)).toEqual([
      'the ID3 frame TIT2 at byte 10 declares 200 bytes, past the end of its tag; the frames before it were read',
    ]);
  });
});

describe('mp3 relabel of a damaged ID3 tag (fuzz findings, issue 15)', () => {
  it('a frame header the tag cuts off stays at the end of the body, so padding does not make it a frame', async () => {
    const cutHeader = ascii('TIT2');
    const file = concat([tag(4, 0, concat([frame(4, 'TALB', concat([Uint8Array.of(3), ascii('Album')])), cutHeader])), audioOf(sample)]);
    const label = sampleLabel();
    const { bytes } = await labelBytes(mp3, file, label);
    const read = await mp3.read(bytesSource(bytes));
    expect(read.carriers.map((c) => c.label)).toEqual([label]);
    // The leftover bytes are kept as stored, last in the body, and still read as leftovers.
    expect(bytes.subarray(tagSize(bytes) - 4, tagSize(bytes))).toEqual(cutHeader);
    expect(read.findings.map((f) => f.message).join(' ')).toMatch(/4 bytes at byte \d+ of the ID3 tag are neither frames nor padding/);
    expect(audioOf(bytes)).toEqual(audioOf(file));
  });
});

describe('mp3 cut short inside its ID3 tag (a partial upload, issue 25 item 2)', () => {
  const label = sampleLabel();
  const before = frame(4, 'TIT2', concat([Uint8Array.of(3), ascii('Tone')]));
  const labelFrame = frame(4, 'TXXX', concat([Uint8Array.of(3), ascii('AIGC'), Uint8Array.of(0), ascii(encodeBare(label))]));
  const after = frame(4, 'COMM', concat([Uint8Array.of(3), ascii('eng'), Uint8Array.of(0), ascii('x'.repeat(200))]));
  const file = concat([tag(4, 0, concat([before, labelFrame, after, new Uint8Array(100)])), audioOf(sample)]);
  const labelAt = 10 + before.length;

  it('the label frame intact, the cut after it: the label is read, with a damaged error; writing refuses', async () => {
    const cut = file.subarray(0, labelAt + labelFrame.length + 30);
    const read = await mp3.read(bytesSource(cut));
    expect(read.carriers.map((c) => c.label)).toEqual([label]);
    expect(read.findings.map((f) => `${f.rule} ${f.severity} ${f.message}`)).toEqual([
      `format/damaged error the ID3 tag at byte 0 declares ${tagSize(file)} bytes, past the end of the file (${cut.length} bytes); the file ends inside its COMM frame at byte ${labelAt + labelFrame.length}`,
    ]);
    await expect(mp3.write(bytesSource(cut), label)).rejects.toBeInstanceOf(MalformedInputError);
  });

  for (const [where, keep] of [
    ['inside the label JSON', labelAt + 30],
    ['inside the description', labelAt + 12],
  ] as const) {
    it(`the file ends ${where}: no label, and the cut label frame is named precisely`, async () => {
      const cut = file.subarray(0, keep);
      const read = await mp3.read(bytesSource(cut));
      expect(read.carriers).toHaveLength(1);
      expect(read.carriers[0]?.label).toBeNull();
      const description = where === 'inside the description' ? 'TXXX' : 'TXXX:AIGC';
      expect(read.carriers[0]?.findings.map((f) => `${f.rule} ${f.severity} ${f.message}`)).toEqual([
        `carrier/unreadable error ID3v2.4 tag at byte 0, frame at byte ${labelAt} (${description}): the frame is cut off: it declares ${labelFrame.length - 10} bytes and ${keep - labelAt - 10} are present; it may hold a label that cannot be read`,
      ]);
      expect(read.findings.map((f) => f.message)).toEqual([
        `the ID3 tag at byte 0 declares ${tagSize(file)} bytes, past the end of the file (${keep} bytes); the file ends inside its TXXX frame at byte ${labelAt}`,
      ]);
    });
  }

  it('a frame cut that is not a user text frame is no carrier', async () => {
    const cut = file.subarray(0, 10 + 14);
    expect((await mp3.read(bytesSource(cut))).carriers).toEqual([]);
  });
});

describe('mp3 ID3v2.4 tag appended at the end (ID3v2.4 §3.4)', () => {
  const other = sampleLabel({ ProduceID: 'appended-1', PropagateID: 'appended-1' });
  const appended = tag(
    4,
    0x10,
    concat([frame(4, 'TXXX', userText('AIGC', encodeBare(other))), frame(4, 'TIT2', concat([Uint8Array.of(0), ascii('Tail')]))]),
    true,
  );
  const v1 = concat([ascii('TAG'), new Uint8Array(125).fill(0x20)]);
  const file = concat([sample, appended, v1]);

  it('reads a label there, after the audio and before an ID3v1 tag', async () => {
    const read = await mp3.read(bytesSource(file));
    expect(read.carriers.map((c) => [c.canonical, c.label?.ProduceID])).toEqual([[false, 'appended-1']]);
    expect(read.carriers[0].location).toMatch(/^appended ID3v2\.4 TXXX:AIGC/);
  });

  it('moves the label to the first tag on write: one label, the appended tag keeps its other frames, ID3v1 and audio unchanged', async () => {
    const label = sampleLabel();
    const { bytes, findings } = await labelBytes(mp3, file, label, { force: true });
    const read = await mp3.read(bytesSource(bytes));
    expect(read.carriers.map((c) => [c.canonical, c.label?.ProduceID])).toEqual([[true, label.ProduceID]]);
    expect(findings.map((f) => f.rule)).toContain('gb45438/6.1c-one-label');
    expect(bytes.subarray(bytes.length - 128)).toEqual(v1);
    expect(indexOfBytes(bytes, ascii('Tail'))).toBeGreaterThan(0);
    expect(indexOfBytes(bytes, audioOf(sample))).toBeGreaterThan(0);
  });

  it('reports a damaged appended tag as a finding and still reads the first tag', async () => {
    const broken = concat([sample, ascii('3DI'), Uint8Array.of(4, 0, 0x10, 0x7f, 0x7f, 0x7f, 0x7f)]);
    const read = await mp3.read(bytesSource(broken));
    expect(read.findings.map((f) => f.message).join(' ')).toMatch(/appended at the end cannot be read/);
  });
});
