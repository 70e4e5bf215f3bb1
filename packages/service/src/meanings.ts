import { audioEvidence, audioRules } from '@aigc-label/audio';
import { coreEvidenceKinds, coreRuleMeanings } from '@aigc-label/core';
import { imageEvidence, imageRules } from '@aigc-label/image';
import { textEvidence, textRules } from '@aigc-label/text';
import { videoEvidence, videoRules } from '@aigc-label/video';
import { defaultRegistry } from 'aigc-label';

/**
 * What every finding rule id and evidence kind means (the packages' own tables, as the README
 * lists them), so the page can show the rule text beside a finding, not just its id.
 */
export function meanings(): { readonly rules: Record<string, string>; readonly evidence: Record<string, string> } {
  const rules: Record<string, string> = {};
  for (const table of [
    coreRuleMeanings,
    textRules,
    imageRules,
    audioRules,
    videoRules,
    ...defaultRegistry.list().map((m) => m.rules ?? {}),
  ])
    Object.assign(rules, table);
  return { rules, evidence: { ...coreEvidenceKinds, ...textEvidence, ...imageEvidence, ...audioEvidence, ...videoEvidence } };
}
