import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { bytesSource, concat } from '@aigc-label/core';
import { describe, expect, it } from 'vitest';
import { FIELD_MARKERS, SEI_MARKERS, vendorMarkerReader } from '../src/index.js';
import { userDataMessages } from '../src/markers/samples.js';
import { gradient, withPngText } from './media.js';

const hex = (s: string) => Uint8Array.from(s.match(/../g) ?? [], (h) => Number.parseInt(h, 16));
/** A length-prefixed NAL unit (4-byte lengths, as in MP4 samples). */
const nal = (bytes: Uint8Array) => concat([Uint8Array.of(0, 0, 0, bytes.length), bytes]);

describe('SEI user_data_unregistered', () => {
  const uuid = '91ca60614aee385486142d5f73f4ae2e';

  it('reads an H.264 SEI among other NAL units', () => {
    const payload = concat([hex(uuid), new TextEncoder().encode('kling-ai\0')]);
    const sei = concat([Uint8Array.of(0x06, 0x05, payload.length), payload, Uint8Array.of(0x80)]);
    const slice = Uint8Array.of(0x65, 0x88, 0x84, 0x00);
    const messages = userDataMessages([concat([nal(slice), nal(sei)])], 'h264', 4);
    expect(messages.map((m) => [m.uuid, new TextDecoder().decode(m.payload)])).toEqual([[uuid, 'kling-ai\0']]);
  });

  it('removes emulation prevention bytes and reads H.265 prefix SEI', () => {
    // A UUID with two zero bytes in a row: the encoder writes 00 00 03 01.
    const zeroUuid = `0000${uuid.slice(4)}`;
    const rbspPayload = concat([hex(zeroUuid), Uint8Array.of(1, 2)]);
    const escaped = concat([Uint8Array.of(0, 0, 3), rbspPayload.subarray(2)]);
    const sei = concat([Uint8Array.of(0x4e, 0x01, 0x05, rbspPayload.length), escaped, Uint8Array.of(0x80)]);
    const [message] = userDataMessages([nal(sei)], 'h265', 4);
    expect(message?.uuid).toBe(zeroUuid);
    expect([...(message?.payload ?? [])]).toEqual([1, 2]);
  });

  it('stops at a lying length and a lying payload size', () => {
    const lying = concat([Uint8Array.of(0, 0, 0xff, 0xff, 0x06, 0x05, 0xff, 0xff, 0x20), new Uint8Array(10)]);
    expect(userDataMessages([lying], 'h264', 4)).toEqual([]);
  });
});

describe('the marker table', () => {
  it('lists every marker in the package README', () => {
    const readme = readFileSync(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8');
    for (const marker of [...FIELD_MARKERS, ...SEI_MARKERS])
      expect(readme, marker.id).toMatch(new RegExp(`\\|\\s*\`${marker.id}\`\\s*\\|`));
  });

  it('gives every marker an id, a meaning and a source', () => {
    const ids = [...FIELD_MARKERS, ...SEI_MARKERS].map((m) => m.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const marker of [...FIELD_MARKERS, ...SEI_MARKERS]) {
      expect(marker.means.length, marker.id).toBeGreaterThan(10);
      expect(marker.source.length, marker.id).toBeGreaterThan(10);
    }
  });

  it('reports a ComfyUI workflow with the marker source as its reason', async () => {
    const png = new Uint8Array(await gradient().png().toBuffer());
    const marked = withPngText(png, 'workflow', '{"nodes":[],"links":[]}');
    const read = { format: 'png', carriers: [], findings: [] };
    const format = {
      id: 'png',
      kind: 'image',
      name: 'PNG',
      extensions: [],
      mimeTypes: ['image/png'],
      carrier: '',
      sniff: () => true,
    } as const;
    const report = await vendorMarkerReader.read({ source: bytesSource(marked), format, read, marks: [] });
    expect(report.evidence.map((e) => [e.kind, e.scheme, e.aiTrace])).toEqual([['vendor-marker', 'vendor', true]]);
    expect(report.evidence[0]?.reason).toContain('ComfyUI nodes.py');
  });
});
