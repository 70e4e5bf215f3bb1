import { bytesSource, concat, labelBytes, MalformedInputError, u24be, u32be } from '@aigc-label/core';
import { describe, expect, it } from 'vitest';
import { describeHandlerContract, sampleLabel } from '../../../../test/handler-contract.js';
import { flv } from '../../src/flv/index.js';
import { itLabelsForThirdPartyReaders } from './checks.js';
import { decodeErrors, frameMd5, makeClip } from './clips.js';

/** Tags as (offset, type, data size), checking every PreviousTagSize on the way. */
function tags(bytes: Uint8Array) {
  const out: { offset: number; type: number; size: number }[] = [];
  let at = u32be(bytes, 5) + 4;
  while (at < bytes.length) {
    const size = u24be(bytes, at + 1);
    expect(u32be(bytes, at + 11 + size)).toBe(11 + size);
    out.push({ offset: at, type: bytes[at], size });
    at += 15 + size;
  }
  return out;
}

/** keyframes.filepositions of onMetaData (ffmpeg's add_keyframe_index layout). */
function filePositions(bytes: Uint8Array): number[] {
  const name = new TextEncoder().encode('filepositions');
  let at = 0;
  while (at < 4096 && !name.every((b, i) => bytes[at + i] === b)) at++;
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  const count = u32be(bytes, at + name.length + 1);
  return Array.from({ length: count }, (_, i) => view.getFloat64(at + name.length + 5 + i * 9 + 1));
}

describe('flv metadata carrier', () => {
  describeHandlerContract(flv, () => makeClip('clip.flv'));
  itLabelsForThirdPartyReaders(flv, 'clip.flv', 'flv');

  it('shifts keyframe file positions by the script tag growth, so they still point at video tags', async () => {
    const input = makeClip('clip.flv');
    const { bytes } = await labelBytes(flv, input, sampleLabel());
    const growth = bytes.length - input.length;
    expect(growth).toBeGreaterThan(0);
    const before = filePositions(input);
    expect(before.length).toBeGreaterThan(1);
    expect(filePositions(bytes)).toEqual(before.map((p) => p + growth));
    const videoTags = new Set(
      tags(bytes)
        .filter((t) => t.type === 9)
        .map((t) => t.offset),
    );
    for (const p of filePositions(bytes)) expect(videoTags.has(p)).toBe(true);
    const scriptEnd = tags(input)[1].offset;
    expect(bytes.subarray(scriptEnd + growth)).toEqual(input.subarray(scriptEnd));
  });

  it('adds an onMetaData tag to a file that has none', async () => {
    const input = makeClip('clip.flv');
    const [script, next] = tags(input);
    expect(script.type).toBe(18);
    const bare = concat([input.subarray(0, script.offset), input.subarray(next.offset)]);
    const label = sampleLabel();
    const { bytes } = await labelBytes(flv, bare, label);
    expect((await flv.read(bytesSource(bytes))).carriers.map((c) => c.label)).toEqual([label]);
    tags(bytes);
    expect(decodeErrors(bytes, 'flv')).toBe('');
    expect(frameMd5(bytes, 'flv')).toEqual(frameMd5(bare, 'flv'));
  });

  describe('broken headers are refused before anything is written', () => {
    const refuse = async (bytes: Uint8Array, message: RegExp) => {
      await expect(labelBytes(flv, bytes, sampleLabel())).rejects.toSatisfy(
        (e: Error) => e instanceof MalformedInputError && message.test(e.message),
      );
    };
    it('no signature', () => refuse(concat([new Uint8Array(3), makeClip('clip.flv').subarray(3)]), /no FLV signature/));
    it('a header size past the end', () => {
      const bad = makeClip('clip.flv').slice(0, 200);
      bad.set([0x7f, 0, 0, 0], 5);
      return refuse(bad, /does not fit/);
    });
    it('a tag size past the end', () => refuse(makeClip('clip.flv').subarray(0, 100), /past the end/));
    it('a damaged onMetaData value', () => {
      const bad = makeClip('clip.flv').slice();
      bad[13 + 11 + 13] = 0x42;
      return refuse(bad, /AMF0/);
    });
  });
});
