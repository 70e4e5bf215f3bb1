import { randomBytes } from 'node:crypto';
import { type AigcLabel, bytesSource, concat, createLabel, encodeBare, utf8 } from '@aigc-label/core';
import { type ContentRegions, digestRegions } from '../src/index.js';

export const PRODUCER = '001191440300708461136T1XGW3';
export const PLATFORM = '001191110108MA01XXXX0X20001';
export const SCHEME = 'test/content-then-label@1';

/** A stand-in media file: content bytes, then the label as its carrier (excluded from the binding). */
export interface FakeFile {
  readonly bytes: Uint8Array;
  readonly contentLength: number;
}

export const fakeFile = (content: Uint8Array, label: AigcLabel | null): FakeFile => ({
  bytes: label ? concat([content, utf8(encodeBare(label))]) : content,
  contentLength: content.length,
});

export const regionsOf = (file: FakeFile): ContentRegions => ({ scheme: SCHEME, ranges: [{ from: 0, length: file.contentLength }] });

/** What a format module and the facade would give `verifyReservedField`. */
export const contentDigestOf = (file: FakeFile) => async (scheme: string) =>
  scheme === SCHEME ? digestRegions(bytesSource(file.bytes), regionsOf(file)) : null;

export const randomContent = (size = 4096): Uint8Array => new Uint8Array(randomBytes(size));

export const newLabel = (produceId = '0195f3a2-0000-7000-8000-000000000001'): AigcLabel => createLabel({ producer: PRODUCER, produceId });
