import { describe, expect, it } from 'vitest';
import {
  ascii,
  bytesSource,
  concat,
  type FormatHandler,
  FormatRegistry,
  finding,
  fromAscii,
  isobmff,
  Rules,
  UnknownFormatError,
  UnsupportedFormatError,
} from '../src/index.js';

const handler = (id: string, extensions: string[], sniff: (h: Uint8Array) => boolean): FormatHandler => ({
  id,
  kind: 'image',
  name: id.toUpperCase(),
  extensions,
  mimeTypes: [],
  carrier: '',
  sniff,
  read: async () => ({ format: id, carriers: [], findings: [] }),
  write: async () => ({ segments: [], findings: [] }),
});

const bmff = (h: Uint8Array) => h[4] === 0x66;
const registry = new FormatRegistry([
  handler('png', ['png'], (h) => h[0] === 0x89),
  handler('mp4', ['mp4'], bmff),
  handler('m4a', ['m4a'], bmff),
]);

describe('FormatRegistry.resolve', () => {
  it('dispatches by magic bytes first', () => {
    const r = registry.resolve(Uint8Array.of(0x89, 0x50), 'photo.png');
    expect(r.handler.id).toBe('png');
    expect(r.findings).toEqual([]);
  });

  it('lets the extension choose among formats that share magic bytes', () => {
    const head = Uint8Array.of(0, 0, 0, 0, 0x66);
    expect(registry.resolve(head, 'song.m4a').handler.id).toBe('m4a');
    expect(registry.resolve(head, 'clip.mp4').handler.id).toBe('mp4');
    expect(registry.resolve(head).handler.id).toBe('mp4');
  });

  it('warns when the extension names another format', () => {
    const r = registry.resolve(Uint8Array.of(0x89), 'photo.mp4');
    expect(r.handler.id).toBe('png');
    expect(r.findings[0].rule).toBe('format/extension-mismatch');
  });

  it('throws UnknownFormatError for unknown or empty content', () => {
    expect(() => registry.resolve(Uint8Array.of(1, 2, 3), 'x.png')).toThrow(/extension says PNG/);
    expect(() => registry.resolve(new Uint8Array(0))).toThrow(UnknownFormatError);
  });

  it('uses a text sniff only when the extension names that format', () => {
    const text = handler('markdown', ['md'], () => true);
    const withText = new FormatRegistry([handler('png', ['png'], (h) => h[0] === 0x89), { ...text, sniffNeedsExtension: true }]);
    const head = new TextEncoder().encode('hello');
    expect(withText.resolve(head, 'notes.md').handler.id).toBe('markdown');
    expect(withText.resolve(head).handler.id).toBe('markdown');
    expect(() => withText.resolve(head, 'x.png')).toThrow(UnknownFormatError);
    expect(() => withText.resolve(head, 'data.json')).toThrow(UnknownFormatError);
  });

  it('prefers a certain sniff to an uncertain one when the extension names neither', () => {
    const unsure = { ...handler('m4a', ['m4a'], bmff), sniffUncertain: () => true };
    const family = new FormatRegistry([unsure, handler('mp4', ['mp4'], bmff)]);
    const head = Uint8Array.of(0, 0, 0, 0, 0x66);
    expect(family.resolve(head)).toMatchObject({ handler: { id: 'mp4' }, alsoFits: [] });
    expect(family.resolve(head, 'song.m4a')).toMatchObject({ handler: { id: 'm4a' }, alsoFits: [] });
  });

  it('reads an ftyp box a few bytes in (one format magic before it) from where it starts, beside the format the name claims', async () => {
    // The box reader reports every box type it sees, at its offset in what it is given.
    const boxes: FormatHandler = {
      ...handler('mp4', ['mp4'], (h) => fromAscii(h, 4, 8) === 'ftyp'),
      read: async (source) => {
        const bytes = await source.read(0, source.size);
        const carriers = isobmff.listBoxesIn(bytes, 0, bytes.length, 'mp4').map((box) => ({
          carrier: 'box',
          location: box.type,
          offset: box.offset,
          raw: box.type,
          label: null,
          form: null,
          canonical: false,
          findings: [],
        }));
        return { format: 'mp4', carriers, findings: [] };
      },
    };
    const withBoxes = new FormatRegistry([handler('jpeg', ['jpg'], (h) => h[0] === 0xff && h[2] === 0xff), boxes]);
    const file = concat([Uint8Array.of(0xff, 0xd8), isobmff.makeBox('ftyp', ascii('isom\0\0\0\0isom')), isobmff.makeBox('moov', [])]);
    const r = withBoxes.resolve(file, 'photo.jpg');
    expect(r.handler.id).toBe('jpeg');
    expect(r.alsoFits.map((h) => [h.id, h.name])).toEqual([['mp4', 'MP4 from byte 2']]);
    expect(r.findings.map((f) => [f.rule, f.message])).toEqual([
      ['format/ambiguous', 'the bytes fit JPEG and MP4 from byte 2 (a polyglot); labels were looked for under each'],
    ]);
    const read = await r.alsoFits[0]!.read(bytesSource(file));
    expect(read.carriers.map((c) => [c.raw, c.offset, c.location])).toEqual([
      ['ftyp', 2, 'MP4 from byte 2: ftyp'],
      ['moov', 22, 'MP4 from byte 2: moov'],
    ]);
    await expect(r.alsoFits[0]!.write!(bytesSource(file), {} as never)).rejects.toBeInstanceOf(UnsupportedFormatError);
    // No name: the box reading alone; a real box at 0 is no polyglot.
    expect(withBoxes.resolve(file)).toMatchObject({ handler: { name: 'MP4 from byte 2' }, alsoFits: [] });
    expect(withBoxes.resolve(file.subarray(2), 'clip.mp4')).toMatchObject({ handler: { name: 'MP4' }, alsoFits: [] });
  });

  it('reads a format its tail sniff finds at the end of the file (a ZIP appended to a PNG) from where it starts', async () => {
    const zip: FormatHandler = {
      ...handler('zip', ['zip'], (h) => h[0] === 0x50),
      // The last 6 bytes are the archive: "PK" and 4 bytes.
      sniffTail: (tail) => (fromAscii(tail, tail.length - 6, tail.length - 4) === 'PK' ? 6 : false),
      read: async (source) => ({
        format: 'zip',
        carriers: [],
        findings: [finding(Rules.damaged, 'info', fromAscii(await source.read(0, source.size)))],
      }),
    };
    const withZip = new FormatRegistry([handler('png', ['png'], (h) => h[0] === 0x89), zip]);
    const file = concat([Uint8Array.of(0x89, 0x50, 0x4e, 0x47), ascii('PKabcd')]);
    const r = withZip.resolve(file, 'a.png');
    expect(r.alsoFits.map((h) => h.name)).toEqual(['ZIP (appended)']);
    expect((await r.alsoFits[0]!.read(bytesSource(file))).findings[0]?.message).toBe('PKabcd');
    // A tail passed apart from the head (a file longer than both) gives the same.
    expect(withZip.resolve(file.subarray(0, 4), 'a.png', file.subarray(4)).alsoFits.map((h) => h.name)).toEqual(['ZIP (appended)']);
  });

  it('refuses duplicate ids', () => {
    expect(() => new FormatRegistry([handler('a', [], () => true), handler('a', [], () => true)])).toThrow(TypeError);
  });
});
