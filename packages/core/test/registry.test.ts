import { describe, expect, it } from 'vitest';
import { type FormatHandler, FormatRegistry, UnknownFormatError } from '../src/index.js';

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

  it('refuses duplicate ids', () => {
    expect(() => new FormatRegistry([handler('a', [], () => true), handler('a', [], () => true)])).toThrow(TypeError);
  });
});
