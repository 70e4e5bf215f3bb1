import { unescapeXml } from '../decode.js';
import { LimitExceededError, MalformedInputError, UnsafeXmlError } from '../errors.js';

/**
 * XMP packets and the TC260 property (TC260-PG-20259A: namespace TC260, URI below,
 * property AIGC holding the bare Annex E JSON). Edits are textual and surgical so
 * that every other namespace, property, comment and padding byte stays as it was;
 * no XML parser rewrites the packet, and entities are never expanded.
 */
export const TC260_NAMESPACE = 'http://www.tc260.org.cn/ns/AIGC/1.0/';
export const TC260_PREFIX = 'TC260';
export const RDF_NAMESPACE = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#';
/** A packet bigger than this is refused before any scanning. */
export const maximumXmpPacketInBytes = 16 * 1024 * 1024;

export interface XmpAigcValue {
  /** Decoded text of the property (entities and character references resolved). */
  readonly value: string;
  readonly form: 'element' | 'attribute';
  readonly prefix: string;
  /** The namespace URI the prefix is bound to at this point. */
  readonly namespace: string;
  /** Character range of the whole element or attribute in the packet. */
  readonly start: number;
  readonly end: number;
}

/** Refuses DOCTYPE and entity declarations (billion laughs, external entities). */
export function assertSafeXml(xml: string, format = 'xmp'): void {
  if (xml.length > maximumXmpPacketInBytes) {
    throw new LimitExceededError(`${format}: XML packet of ${xml.length} characters is over ${maximumXmpPacketInBytes}`);
  }
  if (/<!DOCTYPE/i.test(xml) || /<!ENTITY/i.test(xml)) {
    throw new UnsafeXmlError(`${format}: XML contains a DOCTYPE or entity declaration, which is never expanded; refusing it`);
  }
}

/** Escapes text for an XML element or a double-quoted attribute. */
export const escapeXml = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const NAME = '[A-Za-z_][\\w.-]*';

/**
 * The namespace a prefix is bound to at `position`: a declaration in the start
 * tag that contains the position wins, otherwise the nearest earlier one. This
 * approximates XML scoping well enough for XMP, whose packets are shallow.
 */
function namespaceAt(xml: string, prefix: string, position: number): string | null {
  const tagStart = xml.lastIndexOf('<', position);
  const tagEnd = xml.indexOf('>', position);
  const declaration = new RegExp(`\\sxmlns:${prefix}\\s*=\\s*(?:"([^"]*)"|'([^']*)')`, 'g');
  const inTag = tagStart >= 0 && tagEnd >= 0 ? xml.slice(tagStart, tagEnd + 1) : '';
  let found: string | null = null;
  for (const m of inTag.matchAll(declaration)) found = m[1] ?? m[2] ?? '';
  if (found !== null) return found;
  for (const m of xml.slice(0, Math.max(0, tagStart)).matchAll(declaration)) found = m[1] ?? m[2] ?? '';
  return found;
}

/**
 * Every `AIGC` property in the packet whose prefix is bound to the TC260 URI,
 * plus, as `namespace !== TC260_NAMESPACE`, any `TC260:AIGC` bound elsewhere (a
 * known non-conformant writer uses the Adobe `tc` URI).
 */
export function findAigcInXmp(xml: string): XmpAigcValue[] {
  assertSafeXml(xml);
  const results: XmpAigcValue[] = [];
  const element = new RegExp(`<(${NAME}):AIGC(\\s[^>]*)?(?:/>|>([\\s\\S]*?)</\\1:AIGC\\s*>)`, 'g');
  for (const m of xml.matchAll(element)) {
    const prefix = m[1]!;
    const namespace = namespaceAt(xml, prefix, m.index) ?? '';
    if (namespace !== TC260_NAMESPACE && prefix.toUpperCase() !== TC260_PREFIX) continue;
    const inner = m[3] ?? '';
    // Element text or a one-level rdf:Alt/li wrapper some tools produce.
    const li = /<(?:[\w.-]+:)?li\b[^>]*>([\s\S]*?)<\//.exec(inner);
    const text = li ? li[1]! : inner.replace(/<!\[CDATA\[([\s\S]*?)\]\]>/g, '$1');
    results.push({ value: unescapeXml(text.trim()), form: 'element', prefix, namespace, start: m.index, end: m.index + m[0].length });
  }
  const attribute = new RegExp(`\\s(${NAME}):AIGC\\s*=\\s*(?:"([^"]*)"|'([^']*)')`, 'g');
  for (const m of xml.matchAll(attribute)) {
    const prefix = m[1]!;
    if (prefix === 'xmlns') continue;
    const namespace = namespaceAt(xml, prefix, m.index + 1) ?? '';
    if (namespace !== TC260_NAMESPACE && prefix.toUpperCase() !== TC260_PREFIX) continue;
    results.push({
      value: unescapeXml(m[2] ?? m[3] ?? ''),
      form: 'attribute',
      prefix,
      namespace,
      start: m.index,
      end: m.index + m[0].length,
    });
  }
  return results.sort((a, b) => a.start - b.start);
}

function rdfPrefix(xml: string): string {
  const m = new RegExp(`xmlns:(${NAME})\\s*=\\s*["']${RDF_NAMESPACE.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}["']`).exec(xml);
  return m?.[1] ?? 'rdf';
}

/**
 * Sets `TC260:AIGC` to `json` in an existing packet: the first conformant property
 * is updated in place (element or attribute form kept), any further AIGC
 * properties are removed so the file keeps one label (GB 45438 §6.1 c)), and when
 * there is none a new rdf:Description is added. Everything else is untouched.
 */
export function setAigcInXmp(xml: string, json: string): string {
  const found = findAigcInXmp(xml);
  const keep = found.find((f) => f.namespace === TC260_NAMESPACE);
  let out = xml;
  // Edit from the end so earlier offsets stay valid.
  for (const f of [...found].reverse()) {
    if (f === keep) {
      const replacement =
        f.form === 'element' ? `<${f.prefix}:AIGC>${escapeXml(json)}</${f.prefix}:AIGC>` : ` ${f.prefix}:AIGC="${escapeXml(json)}"`;
      out = out.slice(0, f.start) + replacement + out.slice(f.end);
    } else {
      out = out.slice(0, f.start) + out.slice(f.end);
    }
  }
  if (keep) return out;
  const rdf = rdfPrefix(out);
  const close = out.lastIndexOf(`</${rdf}:RDF>`);
  if (close < 0) throw new MalformedInputError('xmp', `the XMP packet has no </${rdf}:RDF> to add the TC260 property to`);
  const description =
    `<${rdf}:Description ${rdf}:about="" xmlns:${TC260_PREFIX}="${TC260_NAMESPACE}">` +
    `<${TC260_PREFIX}:AIGC>${escapeXml(json)}</${TC260_PREFIX}:AIGC></${rdf}:Description>`;
  return `${out.slice(0, close)} ${description}\n ${out.slice(close)}`;
}

/**
 * A complete packet holding only the TC260 property, in the layout of the
 * guide's example. `padding` spaces let later in-place edits grow the packet.
 */
export function buildXmpPacket(json: string, padding = 0): string {
  const pad = padding > 0 ? `${`${' '.repeat(99)}\n`.repeat(Math.ceil(padding / 100))}` : '';
  return (
    '<?xpacket begin="\uFEFF" id="W5M0MpCehiHzreSzNTczkc9d"?>\n' +
    '<x:xmpmeta xmlns:x="adobe:ns:meta/">\n' +
    ` <rdf:RDF xmlns:rdf="${RDF_NAMESPACE}">\n` +
    `  <rdf:Description rdf:about="" xmlns:${TC260_PREFIX}="${TC260_NAMESPACE}">\n` +
    `   <${TC260_PREFIX}:AIGC>${escapeXml(json)}</${TC260_PREFIX}:AIGC>\n` +
    '  </rdf:Description>\n' +
    ' </rdf:RDF>\n' +
    '</x:xmpmeta>\n' +
    `${pad}<?xpacket end="w"?>`
  );
}

/** `setAigcInXmp` on an existing packet, or a new packet when there is none. */
export const upsertAigcXmp = (xml: string | null, json: string): string => (xml === null ? buildXmpPacket(json) : setAigcInXmp(xml, json));
