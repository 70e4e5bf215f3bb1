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

/** One whole `"key": "string"` member of a JSON object. */
const JSON_MEMBER = /"((?:[^"\\\n]|\\.)*)"\s*:\s*"((?:[^"\\\n]|\\.)*)"/g;

/**
 * A label in a damaged file whose text no longer parses as JSON (cut off by the end of the
 * file, or a flipped byte; issue 25): the members that are whole are read, in one pass, with a
 * `format/damaged` finding naming `damage`; what the broken members held is lost. A value that
 * parses, or has no whole member, decodes as it is.
 */
export function decodeDamagedCarrierValue(raw: string, damage: string): DecodedLabel {
  const decoded = decodeCarrierValue(raw);
  if (decoded.label !== null || !decoded.findings.some((f) => f.rule === Rules.notJson)) return decoded;
  const members = Array.from(raw.matchAll(JSON_MEMBER), (m) => `"${m[1]}":"${m[2]}"`);
  if (members.length === 0) return decoded;
  const salvaged = decodeLabel(`{${members.join(',')}}`);
  const message = `${damage}; ${members.length} whole field(s) were read from it`;
  return { ...salvaged, findings: [finding(Rules.damaged, 'error', message), ...salvaged.findings] };
}

/**
 * More AIGC carriers than any file has a reason to hold (one label per file, GB 45438 §6.1 c)):
 * a file with more is crafted, and is refused rather than reported carrier by carrier.
 */
export const maximumCarriers = 1000;

export function assertCarrierCount(count: number, format: string): void {
  if (count > maximumCarriers) throw new LimitExceededError(`${format}: over ${maximumCarriers} AIGC carriers in one file`);
}
