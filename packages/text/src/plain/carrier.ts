import { type DecodedLabel, decodeLabel, finding, Rules } from '@aigc-label/core';

/**
 * A carrier's value decoded as a label, for every text format: an AIGC carrier that is present
 * but empty or only whitespace is what a wiped label leaves behind, so it says so (issue 25)
 * instead of reporting unreadable JSON.
 */
export function decodeCarrierValue(raw: string): DecodedLabel {
  if (raw.trim() !== '') return decodeLabel(raw);
  return {
    label: null,
    form: null,
    findings: [
      finding(Rules.emptyCarrier, 'warning', 'the AIGC carrier is present but empty; a label may have been removed (Measures Art. 10)'),
    ],
  };
}
