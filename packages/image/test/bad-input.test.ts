import { bytesSource, type FormatHandler, labelBytes, MalformedInputError, UnsafeXmlError } from '@aigc-label/core';
import { describe, expect, it } from 'vitest';
import { sampleLabel } from '../../../test/handler-contract.js';
import { imageHandlers } from '../src/index.js';
import { formatSamples } from './helpers.js';

const samples = formatSamples;

/** Replaces the xpacket header with a DOCTYPE of the same byte length, so every container length stays valid. */
function withDoctype(file: Uint8Array): Uint8Array {
  const header = new TextEncoder().encode('<?xpacket begin="\uFEFF" id="W5M0MpCehiHzreSzNTczkc9d"?>');
  const at = Buffer.from(file).indexOf(header);
  expect(at).toBeGreaterThan(0);
  const evil = new TextEncoder().encode('<!DOCTYPE x [<!ENTITY a "b">]>'.padEnd(header.length, ' '));
  const out = file.slice();
  out.set(evil, at);
  return out;
}

describe.each(imageHandlers.map((h): [string, FormatHandler] => [h.id, h]))('%s bad input', (id, handler) => {
  it('names an empty file', async () => {
    await expect(handler.read(bytesSource(new Uint8Array(0)))).rejects.toThrow(/empty/);
  });

  it('refuses a file cut inside its header structures, leaving the input untouched', async () => {
    const good = await samples[id]();
    const cut = good.slice(0, 20);
    await expect(handler.write(bytesSource(cut), sampleLabel())).rejects.toBeInstanceOf(MalformedInputError);
    expect(cut).toEqual(good.subarray(0, 20));
  });

  it('refuses XMP with a DOCTYPE and entity declaration, on read and on write', async () => {
    const { bytes } = await labelBytes(handler, await samples[id](), sampleLabel());
    const evil = withDoctype(bytes);
    await expect(handler.read(bytesSource(evil))).rejects.toBeInstanceOf(UnsafeXmlError);
    await expect(labelBytes(handler, evil, sampleLabel())).rejects.toBeInstanceOf(UnsafeXmlError);
  });
});
