import { toHex, utf8, type WatermarkCapability, type WatermarkReading } from '@aigc-label/core';
import { decodeText, decodeTextTolerant, requireUtf8 } from '../plain/encoding.js';
import { CLUSTER_SYMBOLS } from './code.js';
import type { WatermarkFlavour } from './context.js';
import { detectTextWatermark } from './detect.js';
import { watermarkText } from './embed.js';

/** Fragment combinations the detector tries at most (3 candidates for each of 4 fragments), each passing the CRC-16 by chance with 2⁻¹⁶. */
const FALSE_POSITIVE_BOUND = 81 * 2 ** -16;

/**
 * The text mark (supplementary variation selectors after punctuation, `watermark/README.md`) for
 * a UTF-8 text flavour: the text is marked before its explicit prompt is added, so the prompt
 * stays unmarked; a UTF-8 BOM is kept. Detection reads any excerpt of the text.
 */
export function textWatermark(flavour: WatermarkFlavour, format: string): WatermarkCapability {
  return {
    summary: 'keyed invisible variation selectors after punctuation (survive copy and paste)',
    embedCost: 'metadata',
    detectCost: 'metadata',
    embedder: {
      input: 'bytes',
      async embed(bytes, { payload, key }) {
        const decoded = decodeText(bytes, format);
        requireUtf8(decoded, format);
        const text = watermarkText(decoded.text, payload, { key, flavour });
        const marked = utf8(text);
        const out = new Uint8Array(decoded.bomLength + marked.length);
        out.set(bytes.subarray(0, decoded.bomLength));
        out.set(marked, decoded.bomLength);
        const clusters = ([...text].length - [...decoded.text].length) / CLUSTER_SYMBOLS;
        return { bytes: out, detail: `text mark, ${clusters} clusters of 4 invisible selectors (${flavour})`, findings: [] };
      },
    },
    async detect(input) {
      const { text } = decodeTextTolerant(await input.bytes(), format);
      const detection = detectTextWatermark(text, { key: input.key });
      const readings: WatermarkReading[] = detection.findings.map((found) => ({
        payload: found.payload,
        confidence: detection.clustersValid > 0 ? found.clusters / detection.clustersValid : 0,
        falsePositiveBound: FALSE_POSITIVE_BOUND,
        detail: `text watermark, payload ${toHex(found.payload)}, ${found.clusters} of ${detection.clustersSeen} clusters agree`,
        where: 'text',
      }));
      return { readings, findings: [] };
    },
  };
}
