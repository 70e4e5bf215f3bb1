import { type ByteSource, type FormatModule, type ReadResult, readAll } from '@aigc-label/core';
import { textPrompt } from '../explicit/capability.js';
import { findExplicitLabels } from '../explicit/detect.js';
import { explicitLabelEvidence } from '../explicit/evidence.js';
import { decodeText, looksLikeText } from './encoding.js';

/**
 * Plain text. No guide clause names a metadata carrier for TXT (TC260-PG-20258A
 * covers OOXML, PDF and Markdown), so `read` reports explicit labels only, as
 * evidence, and there is no `write`: the explicit label is all plain text can carry.
 */
export const plainText: FormatModule = {
  id: 'txt',
  kind: 'text',
  name: 'Plain text',
  extensions: ['txt', 'text'],
  mimeTypes: ['text/plain'],
  carrier: 'none (explicit label only)',
  explicit: textPrompt('plain'),
  sniff: looksLikeText,
  sniffNeedsExtension: true,

  async read(source: ByteSource): Promise<ReadResult> {
    const { text } = decodeText(await readAll(source, 'txt'), 'txt');
    const { evidence, findings } = explicitLabelEvidence(findExplicitLabels(text));
    return { format: 'txt', carriers: [], findings, evidence };
  },
};
