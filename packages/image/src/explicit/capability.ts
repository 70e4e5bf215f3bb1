import type { Evidence, ExplicitCapability, ExplicitSearch, ExplicitSearchResult, FoundMark } from '@aigc-label/core';

// Drawing (sharp, fonts) and reading (OCR) load when a label is drawn or looked for: the format
// modules hold this capability, and reading a file's metadata needs neither.
const drawing = () => import('./apply.js');
const reading = () => import('./detect.js');

/**
 * Reads visible labels in an image (a picture or a video frame) and turns what OCR found into
 * evidence. The text-height warning (GB 45438 §5.2 e)) comes from `detectVisibleLabels` once.
 */
export async function readVisibleLabels(
  image: Uint8Array,
  where: string,
  kind: Evidence['kind'],
  /** The clause a mark found here is judged by: §5.2 for a picture, §5.4 for a video frame. */
  clause: FoundMark['clause'] = '5.2',
): Promise<ExplicitSearchResult> {
  const result = await (await reading()).detectVisibleLabels(image);
  const evidence: Evidence[] = result.labels.map((label) => ({
    kind,
    scheme: 'explicit',
    aiTrace: true,
    detail: `"${label.text}" at ${label.position}, text height ${(label.textHeightRatio * 100).toFixed(1)}% of the shortest side`,
    where,
  }));
  const marks: FoundMark[] = (result.marks ?? []).map((m) => ({ text: m.text, where: `${where}, ${m.position}`, kind, clause }));
  return { evidence, findings: result.findings.map((f) => (f.where ? { ...f, where: `${where}, ${f.where}` } : { ...f, where })), marks };
}

const ocrSearch: ExplicitSearch = {
  enabledBy: 'ocr',
  cost: 'media',
  run: async (input) => readVisibleLabels(await input.bytes(), 'image', 'explicit-image-label'),
};

/** The visible label of GB 45438 §5.2 for every format sharp can encode back to itself. */
export const visibleImageLabel: ExplicitCapability = {
  summary: 'visible text label (drawn, ≥ 5% text height)',
  cost: 'media',
  customWording: true,
  labeler: {
    input: 'bytes',
    async apply(bytes, options) {
      const result = await (await drawing()).applyVisibleLabel(bytes, options.visible);
      const box = result.box;
      return {
        bytes: result.bytes,
        findings: [...result.findings],
        summary: {
          kind: 'image',
          detail: `visible label at ${box.position}, text height ${box.inkHeight} px (${(box.ratio * 100).toFixed(1)}% of the shortest side), contrast ${result.contrast.ratio.toFixed(1)}:1`,
        },
      };
    },
  },
  searches: [ocrSearch],
};
