import { type ByteSource, type FormatModule, type ReadResult, readAll } from '@aigc-label/core';
import { scanExplicitLabels } from '../explicit/detect.js';
import { explicitLabelEvidence } from '../explicit/evidence.js';
import { textWatermark } from '../watermark/capability.js';
import { decodeTextTolerant, looksLikeText } from './encoding.js';
import { utf8TextPrompt } from './prompt.js';

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
  contentRegions: { unsupported: 'plain text has no metadata carrier, so there is no signed label to bind' },
  explicit: utf8TextPrompt('plain', 'txt'),
  watermark: textWatermark('plain', 'txt'),
  sniff: looksLikeText,
  sniffNeedsExtension: true,

  async read(source: ByteSource): Promise<ReadResult> {
    const decoded = decodeTextTolerant(await readAll(source, 'txt'), 'txt');
    const { evidence, findings } = explicitLabelEvidence(scanExplicitLabels(decoded.text));
    return { format: 'txt', carriers: [], findings: [...decoded.findings, ...findings], evidence };
  },
};
