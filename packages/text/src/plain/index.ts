import { type ByteSource, type FormatHandler, type ReadResult, readAll, UnsupportedFormatError, type WriteResult } from '@aigc-label/core';
import { findExplicitLabels } from '../explicit/detect.js';
import { explicitLabelEvidence } from '../explicit/evidence.js';
import { decodeText, looksLikeText } from './encoding.js';

/**
 * Plain text. No guide clause names a metadata carrier for TXT (TC260-PG-20258A
 * covers OOXML, PDF and Markdown), so `read` reports explicit labels only, as
 * evidence, and `write` refuses.
 */
export const plainText: FormatHandler = {
  id: 'txt',
  kind: 'text',
  name: 'Plain text',
  extensions: ['txt', 'text'],
  mimeTypes: ['text/plain'],
  carrier: 'none (explicit label only)',
  sniff: looksLikeText,
  sniffNeedsExtension: true,

  async read(source: ByteSource): Promise<ReadResult> {
    const { text } = decodeText(await readAll(source, 'txt'), 'txt');
    const { evidence, findings } = explicitLabelEvidence(findExplicitLabels(text));
    return { format: 'txt', carriers: [], findings, evidence };
  },

  async write(): Promise<WriteResult> {
    throw new UnsupportedFormatError(
      'txt: plain text has no metadata carrier for an implicit label (TC260-PG-20258A names none); add an explicit label to the text instead (addExplicitLabel)',
    );
  },
};
