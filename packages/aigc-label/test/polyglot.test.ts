/** Polyglots (issue 25): bytes that fit two formats are read under each, and never written without a choice. */
import { buildXmpPacket, concat, createLabel, encodeBare, utf8 } from '@aigc-label/core';
import { describe, expect, it } from 'vitest';
import { detectBuffer, labelBuffer, verifyBuffer } from '../src/index.js';

const label = createLabel({ producer: '001191440300708461136T1XGW3', produceId: 'poly-1' });

/** A JPEG whose APP0 length bytes spell `ft` and payload starts `yp`: `ftyp` at offset 4, as an MP4's first box has it. */
function jpegWithFtyp(): Uint8Array {
  const segment = (marker: number, payload: Uint8Array) =>
    concat([Uint8Array.of(0xff, marker, (payload.length + 2) >> 8, (payload.length + 2) & 0xff), payload]);
  const app0 = new Uint8Array(0x6674 - 2);
  app0.set(utf8('ypisom'), 0);
  const xmp = segment(0xe1, concat([utf8('http://ns.adobe.com/xap/1.0/\0'), utf8(buildXmpPacket(encodeBare(label)))]));
  const sos = segment(0xda, Uint8Array.of(1, 1, 0, 0, 0x3f, 0));
  return concat([Uint8Array.of(0xff, 0xd8), segment(0xe0, app0), xmp, sos, Uint8Array.of(0x12, 0x34), Uint8Array.of(0xff, 0xd9)]);
}

describe('polyglots', () => {
  it('reads the label under each format the bytes fit, and says the file is ambiguous', async () => {
    const bytes = jpegWithFtyp();
    expect(String.fromCharCode(...bytes.subarray(4, 8))).toBe('ftyp');
    const report = await detectBuffer(bytes);
    expect(report.format).toBe('jpeg');
    expect(report.label).toEqual(label);
    expect(report.findings).toContainEqual(
      expect.objectContaining({ rule: 'format/ambiguous', severity: 'warning', message: expect.stringMatching(/JPEG and MPEG-4/) }),
    );
    expect((await verifyBuffer(bytes)).outcome).toBe('confirmed');
  });

  it('refuses to write into a polyglot unless the format is named', async () => {
    await expect(labelBuffer(jpegWithFtyp(), { producer: 'x', explicit: false })).rejects.toThrow(/polyglot.*--format/);
    const { report } = await labelBuffer(jpegWithFtyp(), { producer: 'x', explicit: false, format: 'jpeg', force: true });
    expect(report.format).toBe('jpeg');
  });
});
