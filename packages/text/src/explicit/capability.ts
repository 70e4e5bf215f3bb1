import { type ExplicitCapability, finding, fromUtf8, utf8 } from '@aigc-label/core';

import { addExplicitLabel, type TextFlavour } from './insert.js';

const BOM = Uint8Array.of(0xef, 0xbb, 0xbf);

/**
 * The text prompt of GB 45438 §5.1 for a text flavour: inserted where the flavour allows
 * (Markdown after the body, HTML as a paragraph in `<body>`), the rest of the text and a
 * UTF-8 BOM kept. Text formats report the prompts they carry through `read`.
 */
export function textPrompt(flavour: TextFlavour): ExplicitCapability {
  return {
    summary: 'text prompt',
    cost: 'metadata',
    customWording: true,
    inRead: true,
    searches: [],
    labeler: {
      input: 'bytes',
      async apply(bytes, options) {
        const bom = bytes[0] === BOM[0] && bytes[1] === BOM[1] && bytes[2] === BOM[2];
        const text = fromUtf8(bom ? bytes.subarray(3) : bytes);
        const { wording, symbol, placement, positions } = options.text ?? {};
        const where = placement ?? positions;
        const labeled = addExplicitLabel(text, {
          flavour,
          ...(wording === undefined ? {} : { wording }),
          ...(symbol === undefined ? {} : { symbol }),
          ...(where === undefined ? {} : { positions: where }),
        });
        const out = utf8(labeled.text);
        const withBom = bom ? Uint8Array.from([...BOM, ...out]) : out;
        return {
          bytes: withBom,
          findings: labeled.placements.flatMap((p) => (p.note ? [finding('explicit/placement', 'info', p.note)] : [])),
          summary: { kind: 'text', detail: `"${labeled.label}" at ${labeled.placements.map((p) => p.position).join(', ')}` },
        };
      },
    },
  };
}
