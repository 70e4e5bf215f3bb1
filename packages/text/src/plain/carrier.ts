import { type DecodedLabel, decodeLabel, finding, LimitExceededError, Rules } from '@aigc-label/core';

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

/**
 * More AIGC carriers than any file has a reason to hold (one label per file, GB 45438 §6.1 c)):
 * a file with more is crafted, and is refused rather than reported carrier by carrier.
 */
export const maximumCarriers = 1000;

export function assertCarrierCount(count: number, format: string): void {
  if (count > maximumCarriers) throw new LimitExceededError(`${format}: over ${maximumCarriers} AIGC carriers in one file`);
}
