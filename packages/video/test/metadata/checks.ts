import { encodeBare, type FormatHandler, labelBytes } from '@aigc-label/core';
import { expect, it } from 'vitest';
import { sampleLabel } from '../../../../test/handler-contract.js';
import { type ClipKind, decodeErrors, frameMd5, makeClip, probeTags } from './clips.js';

/**
 * Third-party checks on a labeled clip: ffprobe sees the AIGC tag and the old
 * title, ffmpeg decodes with no error, and every decoded frame is unchanged.
 */
export function itLabelsForThirdPartyReaders(handler: FormatHandler, kind: ClipKind, extension: string): void {
  it(`labels ${kind} so that ffprobe reads the tag and the frames decode unchanged`, async () => {
    const input = makeClip(kind);
    const label = sampleLabel();
    const { bytes } = await labelBytes(handler, input, label);
    expect(decodeErrors(bytes, extension)).toBe('');
    expect(frameMd5(bytes, extension)).toEqual(frameMd5(input, extension));
    const tags = probeTags(bytes, extension);
    expect(tags.AIGC).toBe(encodeBare(label));
    expect(tags.title).toBe('Hello');
  });
}
