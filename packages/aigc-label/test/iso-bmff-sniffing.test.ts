/** ISO-BMFF brands that one family shares are not polyglots; low-overhead HEIF/AVIF is recognised and refused precisely (issue 13). */
import { ascii, concat, isobmff, putU32be } from '@aigc-label/core';
import { describe, expect, it } from 'vitest';
import { defaultRegistry, detectBuffer, labelBuffer } from '../src/index.js';

/** An ftyp box: major brand, minor version (a brand in mif3 files), compatible brands. */
function ftyp(major: string, minor: string | 0, compatible: readonly string[]): Uint8Array {
  const version = new Uint8Array(4);
  if (minor !== 0) version.set(ascii(minor));
  else putU32be(version, 0, 0);
  return isobmff.makeBox('ftyp', [ascii(major), version, ...compatible.map((b) => ascii(b))]);
}

describe('ISO-BMFF sniffing', () => {
  it('an M4V whose ftyp also lists M4A is MP4 (by extension, else by major brand), not an mp4/m4a polyglot', () => {
    const head = concat([ftyp('M4V ', 0, ['M4V ', 'M4A ', 'mp42', 'isom']), isobmff.makeBox('free', new Uint8Array(8))]);
    for (const name of ['clip.m4v', 'clip.mp4', undefined]) {
      const resolution = defaultRegistry.resolve(head, name);
      expect(resolution.handler.id).toBe('mp4');
      expect(resolution.alsoFits).toEqual([]);
      expect(resolution.findings).toEqual([]);
    }
    // Named .m4a, the same brands are read as audio: one family, the extension decides.
    expect(defaultRegistry.resolve(head, 'song.m4a')).toMatchObject({ handler: { id: 'm4a' }, alsoFits: [], findings: [] });
    // An M4A whose compatible brands name isom stays M4A without a name.
    const audio = ftyp('M4A ', 0, ['M4A ', 'mp42', 'isom']);
    expect(defaultRegistry.resolve(audio)).toMatchObject({ handler: { id: 'm4a' }, alsoFits: [] });
  });

  it('low-overhead HEIF and AVIF (ftyp mif3, a mini box) are sniffed as such and refused with a precise message', async () => {
    for (const [brand, id, name] of [
      ['heic', 'heif', 'HEIF'],
      ['avif', 'avif', 'AVIF'],
    ] as const) {
      const file = concat([ftyp('mif3', brand, []), isobmff.makeBox('mini', new Uint8Array(40))]);
      expect(defaultRegistry.resolve(file.subarray(0, 4096))).toMatchObject({ handler: { id }, alsoFits: [], findings: [] });
      const message = `low-overhead ${name} (a mini box, brand mif3) is not supported yet`;
      await expect(detectBuffer(file)).rejects.toThrow(message);
      await expect(labelBuffer(file, { producer: '001191440300708461136T1XGW3', explicit: false })).rejects.toMatchObject({
        name: 'UnsupportedFormatError',
        message: expect.stringContaining(message),
      });
    }
  });
});
