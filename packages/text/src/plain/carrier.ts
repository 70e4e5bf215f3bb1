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

/** One complete `"key": "string"` member of a JSON object, and the comma after it. */
const JSON_MEMBER = /\s*"((?:[^"\\]|\\.)*)"\s*:\s*"((?:[^"\\]|\\.)*)"\s*,?/y;

/**
 * A label whose carrier the end of the file cuts (a partial upload, issue 25): the members
 * that arrived whole are read, one pass, with a `format/damaged` finding; what the cut
 * member held is lost. A value that is not a cut JSON object decodes as it is.
 */
export function decodeCutCarrierValue(raw: string): DecodedLabel {
  const open = /^\s*(?:\{\s*"AIGC"\s*:\s*)?\{/i.exec(raw);
  if (!open) return decodeCarrierValue(raw);
  const members: string[] = [];
  JSON_MEMBER.lastIndex = open[0].length;
  for (let m = JSON_MEMBER.exec(raw); m !== null && m[0].length > 0; m = JSON_MEMBER.exec(raw)) members.push(`"${m[1]}":"${m[2]}"`);
  const decoded = decodeLabel(`{${members.join(',')}}`);
  const message = `the label is cut off by the end of the file; ${members.length} field(s) were read from what arrived`;
  return { ...decoded, findings: [finding(Rules.damaged, 'error', message), ...decoded.findings] };
}

/**
 * More AIGC carriers than any file has a reason to hold (one label per file, GB 45438 §6.1 c)):
 * a file with more is crafted, and is refused rather than reported carrier by carrier.
 */
export const maximumCarriers = 1000;

export function assertCarrierCount(count: number, format: string): void {
  if (count > maximumCarriers) throw new LimitExceededError(`${format}: over ${maximumCarriers} AIGC carriers in one file`);
}
