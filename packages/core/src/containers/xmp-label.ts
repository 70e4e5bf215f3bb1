import { decodeLabel } from '../decode.js';
import { type Finding, finding, Rules } from '../findings.js';
import { type LabelCarrier, maximumListedCarriers, type WriteOptions } from '../format.js';
import { setTrainedAlgorithmicMedia } from '../provenance.js';
import { findAigcInXmp, findXmpFieldLabels, TC260_NAMESPACE, upsertAigcXmp } from './xmp.js';

/**
 * The XMP packet every image writer stores: the existing packet with TC260:AIGC
 * set (or a new packet), plus IPTC DigitalSourceType trainedAlgorithmicMedia when
 * `options.iptc` asks for dual labeling.
 */
export function labelXmpPacket(existing: string | null, json: string, options: WriteOptions = {}): string {
  const packet = upsertAigcXmp(existing, json);
  return options.iptc === true ? setTrainedAlgorithmicMedia(packet) : packet;
}

/**
 * Every AIGC label property of an XMP packet as carriers. Matching is on the namespace URI, any
 * prefix; one bound elsewhere (a known writer uses the Adobe `tc` URI) or unqualified is reported
 * as non-canonical, naming what the guide expects. `canonicalPlace` is false where XMP itself is
 * not the carrier the format's guide names (an MP4 `uuid` box). TC260-PG-20259A.
 */
export function xmpCarriers(xml: string, where: string, offset: number, canonicalPlace = true): LabelCarrier[] {
  const found = findAigcInXmp(xml);
  const carriers = found.slice(0, maximumListedCarriers).map((v): LabelCarrier => {
    const decoded = decodeLabel(v.value);
    const wrongNamespace = v.namespace !== TC260_NAMESPACE;
    const findings: Finding[] = [...decoded.findings];
    if (v.broken !== null) {
      // Read tolerantly: the text up to the next tag may still be the whole label.
      findings.push(
        decoded.label
          ? finding(Rules.damaged, 'error', `${v.broken}; the label was read from its text up to the next tag`)
          : finding(Rules.unreadableCarrier, 'error', `${v.broken}; its value cannot be read`),
      );
    }
    if (wrongNamespace) {
      const name = v.prefix ? `${v.prefix}:AIGC` : 'AIGC';
      findings.push(
        finding(
          Rules.nonCanonicalCarrier,
          'warning',
          `${name} is bound to ${v.namespace || 'no namespace'}; the guide names TC260:AIGC in ${TC260_NAMESPACE}`,
        ),
      );
    }
    return {
      carrier: 'xmp',
      location: `${where}, ${v.prefix ? `${v.prefix}:` : ''}AIGC ${v.form}`,
      offset,
      raw: v.value,
      label: decoded.label,
      form: decoded.form,
      canonical: canonicalPlace && !wrongNamespace,
      findings,
    };
  });
  const last = carriers.at(-1);
  if (last && found.length > carriers.length) {
    const note = finding(
      Rules.multipleLabels,
      'error',
      `${found.length} AIGC properties in one XMP packet; the first ${carriers.length} are listed (GB 45438 §6.1 c) allows one)`,
    );
    carriers[carriers.length - 1] = { ...last, findings: [...last.findings, note] };
  }
  for (const fields of findXmpFieldLabels(xml).slice(0, Math.max(0, maximumListedCarriers - carriers.length))) {
    const decoded = decodeLabel(fields.json);
    const note = finding(
      Rules.nonCanonicalCarrier,
      'warning',
      `the label elements are separate XMP properties (${fields.form}); the guide names one TC260:AIGC property in ${TC260_NAMESPACE} holding the Annex E JSON`,
    );
    carriers.push({
      carrier: 'xmp',
      location: `${where}, label elements as ${fields.form}`,
      offset,
      raw: fields.json,
      label: decoded.label,
      form: decoded.form,
      canonical: false,
      findings: [...decoded.findings, note],
    });
  }
  return carriers;
}
