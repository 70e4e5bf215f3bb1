import { utf8 } from '../binary/bytes.js';
import { decodeLabel, unescapeXml } from '../decode.js';
import { LimitExceededError, MalformedInputError, UnsafeXmlError } from '../errors.js';
import { AIGC_FIELDS } from '../label.js';

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
  /** Why the element is malformed (see `XmpProperty.broken`), or null. */
  readonly broken: string | null;
}

/**
 * The encodings a packet may use: XMP spec part 1 §7.3.2 allows UTF-8, UTF-16 and UTF-32, in
 * either byte order, the packet header's `begin` attribute holding U+FEFF in that encoding.
 */
export type XmpEncoding = 'utf-8' | 'utf-16be' | 'utf-16le' | 'utf-32be' | 'utf-32le';

/** A packet's encoding, from a byte-order mark or the zero bytes around its first `<` (XML 1.0 Appendix F). */
export function xmpEncodingOf(bytes: Uint8Array): XmpEncoding {
  const [a, b, c, d, e, f, g, h] = bytes;
  // Without a mark, `<` and the character after it in that encoding: a UTF-8 packet that starts with a NUL is not UTF-16.
  const ascii = (x: number | undefined) => x !== undefined && x > 0 && x < 0x80;
  if (a === 0 && b === 0 && ((c === 0xfe && d === 0xff) || (c === 0 && d === 0x3c && e === 0 && f === 0 && g === 0 && ascii(h)))) {
    return 'utf-32be';
  }
  if (((a === 0xff && b === 0xfe) || (a === 0x3c && b === 0 && ascii(e) && f === 0 && g === 0 && h === 0)) && c === 0 && d === 0) {
    return 'utf-32le';
  }
  if ((a === 0xfe && b === 0xff) || (a === 0 && b === 0x3c && c === 0 && ascii(d))) return 'utf-16be';
  if ((a === 0xff && b === 0xfe) || (a === 0x3c && b === 0 && ascii(c) && d === 0)) return 'utf-16le';
  return 'utf-8';
}

/** Keeps a leading byte-order mark as U+FEFF, so that writing the text back restores it. */
const utf8Decoder = new TextDecoder('utf-8', { ignoreBOM: true });

/**
 * A packet's text and encoding. UTF-16 is decoded code unit by code unit, so that even a lone
 * surrogate survives a rewrite; `encodeXmpPacket` with the same encoding gives the bytes back.
 */
export function decodeXmpPacket(bytes: Uint8Array): { xml: string; encoding: XmpEncoding } {
  const encoding = xmpEncodingOf(bytes);
  if (encoding === 'utf-8') return { xml: utf8Decoder.decode(bytes), encoding };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const little = encoding.endsWith('le');
  const units: number[] = [];
  const parts: string[] = [];
  const flush = () => {
    parts.push(String.fromCharCode(...units));
    units.length = 0;
  };
  if (encoding.startsWith('utf-16')) {
    for (let at = 0; at + 1 < bytes.length; at += 2) {
      units.push(view.getUint16(at, little));
      if (units.length === 8192) flush();
    }
  } else {
    for (let at = 0; at + 3 < bytes.length; at += 4) {
      const point = view.getUint32(at, little);
      if (point < 0x10000) units.push(point);
      else if (point <= 0x10ffff) units.push(0xd800 + ((point - 0x10000) >> 10), 0xdc00 + ((point - 0x10000) & 0x3ff));
      else units.push(0xfffd);
      if (units.length >= 8192) flush();
    }
  }
  flush();
  return { xml: parts.join(''), encoding };
}

/** `xml` in `encoding` (the packet's own, so a rewrite keeps every other tag readable). */
export function encodeXmpPacket(xml: string, encoding: XmpEncoding): Uint8Array {
  if (encoding === 'utf-8') return utf8(xml);
  const little = encoding.endsWith('le');
  if (encoding.startsWith('utf-16')) {
    const out = new Uint8Array(xml.length * 2);
    const view = new DataView(out.buffer);
    for (let i = 0; i < xml.length; i++) view.setUint16(i * 2, xml.charCodeAt(i), little);
    return out;
  }
  const points: number[] = [];
  for (let i = 0; i < xml.length; i++) {
    const point = xml.codePointAt(i) as number;
    points.push(point);
    if (point > 0xffff) i++;
  }
  const out = new Uint8Array(points.length * 4);
  const view = new DataView(out.buffer);
  points.forEach((point, i) => {
    view.setUint32(i * 4, point, little);
  });
  return out;
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
 * Where tags start and end around increasing positions of one string, found with cursors that
 * only move forward, so a whole scan costs one pass however many properties there are (a
 * packet of 100,000 `TC260:AIGC` elements must not take 100,000 scans).
 */
class TagCursor {
  #lastLt = -1;
  #lastGt = -1;
  #scanned = 0;
  #nextGt = -1;

  constructor(private readonly xml: string) {}

  /** The start tag `position` lies in: [start of `<`, position of `>`], or null when it lies in text. */
  tagAround(position: number): { start: number; end: number } | null {
    for (; this.#scanned < position; this.#scanned++) {
      const ch = this.xml.charCodeAt(this.#scanned);
      if (ch === 0x3c) this.#lastLt = this.#scanned;
      else if (ch === 0x3e) this.#lastGt = this.#scanned;
    }
    if (this.#lastLt < 0 || this.#lastLt < this.#lastGt) return null;
    if (this.#nextGt < position) {
      this.#nextGt = this.xml.indexOf('>', position);
      if (this.#nextGt < 0) this.#nextGt = Number.POSITIVE_INFINITY;
    }
    return Number.isFinite(this.#nextGt) ? { start: this.#lastLt, end: this.#nextGt } : null;
  }
}

/** Every namespace declaration of a packet, indexed once: the binding of a prefix at a position is a binary search. */
class NamespaceScope {
  readonly #declarations = new Map<string, { position: number; uri: string }[]>();

  constructor(xml: string) {
    // `xmlns:p="uri"` and the default `xmlns="uri"` (prefix '').
    for (const m of xml.matchAll(new RegExp(`\\sxmlns(?::(${NAME}))?\\s*=\\s*(?:"([^"<]*)"|'([^'<]*)')`, 'g'))) {
      const prefix = m[1] ?? '';
      const list = this.#declarations.get(prefix) ?? [];
      list.push({ position: m.index, uri: m[2] ?? m[3] ?? '' });
      this.#declarations.set(prefix, list);
    }
  }

  /**
   * The namespace `prefix` is bound to for a property in the start tag [tagStart, tagEnd]: a
   * declaration in that tag wins, otherwise the nearest earlier one. This approximates XML
   * scoping well enough for XMP, whose packets are shallow.
   */
  at(prefix: string, tagStart: number, tagEnd: number): string | null {
    const list = this.#declarations.get(prefix);
    if (!list) return null;
    let low = 0;
    let high = list.length; // first declaration after tagEnd
    while (low < high) {
      const mid = (low + high) >> 1;
      if (list[mid]!.position <= tagEnd) low = mid + 1;
      else high = mid;
    }
    const last = list[low - 1];
    if (!last) return null;
    if (last.position > tagStart) return last.uri;
    // The last declaration before the tag.
    for (let i = low - 1; i >= 0; i--) if (list[i]!.position < tagStart) return list[i]!.uri;
    return null;
  }
}

/** A property of an XMP packet, as element or attribute, with the namespace its prefix is bound to there. */
export interface XmpProperty {
  readonly prefix: string;
  readonly namespace: string;
  readonly form: 'element' | 'attribute';
  /** Element text (one rdf:Alt/li level unwrapped, CDATA kept as text) or attribute value, entities resolved. */
  readonly value: string;
  /** For an element: the attributes of its start tag (e.g. `rdf:resource="…"`). */
  readonly attributes: string;
  readonly start: number;
  readonly end: number;
  /**
   * Why an element is malformed (its start tag or end tag is missing or broken), or null. Its
   * range then runs to the next well-formed markup, and `value` is its text up to the first `<`.
   */
  readonly broken: string | null;
}

/** The matches of a global regex at or after positions that never decrease, found in one forward scan. */
class ForwardMatches {
  #next: RegExpExecArray | null | undefined;

  constructor(
    private readonly xml: string,
    private readonly pattern: RegExp,
  ) {}

  /** The first match that starts at or after `position`. */
  from(position: number): RegExpExecArray | null {
    if (this.#next === undefined || (this.#next !== null && this.#next.index < position)) {
      this.pattern.lastIndex = Math.max(this.pattern.lastIndex, position);
      this.#next = this.pattern.exec(this.xml);
    }
    return this.#next;
  }
}

/** Markup that can follow an element: an end tag, a start tag, a processing instruction, a comment or CDATA. */
const WELL_FORMED_MARKUP = new RegExp(`<(?:/${NAME}(?::${NAME})?\\s*>|${NAME}(?::${NAME})?(?:\\s[^<>]*)?/?>|\\?|!--|!\\[CDATA\\[)`, 'y');

/** Where the next well-formed markup at or after `from` starts (or the end of `xml`): the end of a broken element. */
function nextMarkup(xml: string, from: number): number {
  for (let at = xml.indexOf('<', from); at >= 0; at = xml.indexOf('<', at + 1)) {
    WELL_FORMED_MARKUP.lastIndex = at;
    if (WELL_FORMED_MARKUP.test(xml)) return at;
  }
  return xml.length;
}

/**
 * Every property named `localName` (any prefix, or none), in one pass linear in the packet's
 * length: a packet of 100,000 such elements, closed, unclosed or as attributes, must not take
 * 100,000 scans. An element with no end tag of its own before the next element of the name (or
 * a start tag that never closes) is returned as `broken`, so a reader can report it and a writer
 * replace it; its end tag is never taken from a later element.
 */
export function findXmpProperties(xml: string, localName: string): XmpProperty[] {
  assertSafeXml(xml);
  // Every form below spells the name out: a packet without it has none (most packets, for most names asked).
  if (!xml.includes(localName)) return [];
  const scope = new NamespaceScope(xml);
  const results: XmpProperty[] = [];
  const elements = new TagCursor(xml);
  const starts = new ForwardMatches(xml, new RegExp(`<(?:(${NAME}):)?${localName}(?=[\\s/><]|$)`, 'g'));
  const closes = new ForwardMatches(xml, new RegExp(`</((?:${NAME}:)?${localName})\\s*>`, 'g'));
  let resumeAt = 0;
  // Each start after the content of the element before it (what lies inside is taken with it).
  for (let m = starts.from(0); m; m = starts.from(resumeAt)) {
    const prefix = m[1] ?? '';
    const qname = prefix ? `${prefix}:${localName}` : localName;
    const tag = elements.tagAround(m.index + 1);
    const namespace = (tag ? scope.at(prefix, tag.start, tag.end) : null) ?? '';
    const start = m.index;
    const element = (value: string, attributes: string, end: number, broken: string | null): XmpProperty => ({
      prefix,
      namespace,
      form: 'element',
      value,
      attributes,
      start,
      end,
      broken,
    });
    const broken = (why: string, textFrom: number) => {
      const end = nextMarkup(xml, textFrom);
      const text = xml.slice(textFrom, end);
      const lt = text.indexOf('<');
      const value = unescapeXml((lt < 0 ? text : text.slice(0, lt)).trim());
      results.push(element(value, '', end, why));
      resumeAt = end;
    };
    const tail = /[^<>]*>/y;
    tail.lastIndex = m.index + m[0].length;
    if (!tail.exec(xml)) {
      broken(`the start tag of ${qname} is not closed`, m.index + m[0].length);
      continue;
    }
    const tagEnd = tail.lastIndex - 1;
    const attributes = xml.slice(m.index + m[0].length, tagEnd).replace(/\/\s*$/, '');
    if (xml.charCodeAt(tagEnd - 1) === 0x2f) {
      results.push(element('', attributes, tagEnd + 1, null));
      resumeAt = tagEnd + 1;
      continue;
    }
    const close = closes.from(tagEnd + 1);
    const following = starts.from(tagEnd + 1)?.index ?? Number.POSITIVE_INFINITY;
    if (!close || close[1] !== qname || close.index > following) {
      broken(`${qname} has no end tag of its own`, tagEnd + 1);
      continue;
    }
    const inner = xml.slice(tagEnd + 1, close.index);
    // Element text or a one-level rdf:Alt/li wrapper some tools produce.
    const li = /<(?:[\w.-]+:)?li\b[^<>]*>([^<]*)<\//.exec(inner);
    const text = li ? li[1]! : inner.replace(/<!\[CDATA\[([\s\S]*?)\]\]>/g, '$1');
    const end = close.index + close[0].length;
    results.push(element(unescapeXml(text.trim()), attributes, end, null));
    resumeAt = end;
  }
  const cursor = new TagCursor(xml);
  for (const m of xml.matchAll(new RegExp(`\\s(?:(${NAME}):)?${localName}\\s*=\\s*(?:"([^"<]*)"|'([^'<]*)')`, 'g'))) {
    const prefix = m[1] ?? '';
    if (prefix === 'xmlns') continue;
    const tag = cursor.tagAround(m.index + 1);
    if (!tag) continue; // text that happens to read NAME="…", not an attribute
    // An attribute takes no default namespace (Namespaces in XML §6.2): unqualified is unbound.
    const namespace = (prefix ? scope.at(prefix, tag.start, tag.end) : null) ?? '';
    results.push({
      prefix,
      namespace,
      form: 'attribute',
      value: unescapeXml(m[2] ?? m[3] ?? ''),
      attributes: '',
      start: m.index,
      end: m.index + m[0].length,
      broken: null,
    });
  }
  // A property inside another one's range (an element in an attribute's value, an attribute in a
  // broken element's text) is part of that value, not a property of its own.
  let reached = 0;
  return results
    .sort((x, y) => x.start - y.start)
    .filter((p) => {
      if (p.start < reached) return false;
      reached = p.end;
      return true;
    });
}

/** True for a property that is a TC260 label carrier whatever its value: bound to the TC260 URI, or spelt TC260:AIGC. */
const isTc260 = (prefix: string, namespace: string): boolean => namespace === TC260_NAMESPACE || prefix.toUpperCase() === TC260_PREFIX;

/**
 * Every `AIGC` label property of a packet: those bound to the TC260 URI; any `TC260:AIGC`
 * bound elsewhere (a known non-conformant writer uses the Adobe `tc` URI); and unqualified or
 * foreign-namespace `AIGC` properties whose value reads as a label (tools write these too). The
 * caller reports every one not bound to the TC260 URI as non-canonical.
 */
export function findAigcInXmp(xml: string): XmpAigcValue[] {
  return findXmpProperties(xml, 'AIGC')
    .filter((p) => isTc260(p.prefix, p.namespace) || (/ContentProducer|"Label"/i.test(p.value) && decodeLabel(p.value).label !== null))
    .map(({ value, form, prefix, namespace, start, end, broken }) => ({ value, form, prefix, namespace, start, end, broken }));
}

/** A label written as its Annex E elements, one XMP property each (issue 25 item 6: read, never written). */
export interface XmpFieldLabel {
  /** The elements found, as JSON in Annex E order, for `decodeLabel`. */
  readonly json: string;
  /** How they were written, e.g. `unqualified attributes`, `foreign-namespace elements`. */
  readonly form: string;
  readonly start: number;
}

/**
 * Labels whose elements (Label, ContentProducer, …) are separate properties, elements or
 * attributes, unqualified or in any namespace, as some tools write them: grouped by the
 * rdf:Description they are in (or an element such as `<AIGC Label="1" …/>` in it). A group
 * counts when it has both `Label` and `ContentProducer` (xmp:Label alone is a colour label).
 * Seven linear passes.
 */
export function findXmpFieldLabels(xml: string): XmpFieldLabel[] {
  // One cheap scan first: a packet with no ContentProducer property (a JSON key does not count) has no such label.
  if (!/(?:<|\s|:)ContentProducer\s*(?:=|>|\/)/.test(xml)) return [];
  const descriptions = [...xml.matchAll(new RegExp(`<(?:${NAME}:)?Description(?=[\\s/>])`, 'g'))].map((m) => m.index);
  const groupOf = (position: number) => {
    let low = 0;
    let high = descriptions.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (descriptions[mid]! <= position) low = mid + 1;
      else high = mid;
    }
    return low - 1;
  };
  const groups = new Map<number, Map<string, XmpProperty>>();
  for (const field of AIGC_FIELDS) {
    for (const p of findXmpProperties(xml, field)) {
      if (p.broken !== null) continue;
      const group = groups.get(groupOf(p.start)) ?? new Map<string, XmpProperty>();
      if (!group.has(field)) group.set(field, p);
      groups.set(groupOf(p.start), group);
    }
  }
  const labels: XmpFieldLabel[] = [];
  for (const group of groups.values()) {
    if (!group.has('Label') || !group.has('ContentProducer')) continue;
    const found = [...group.values()];
    const forms = new Set(found.map((p) => p.form));
    const unqualified = found.every((p) => p.namespace === '');
    const form = `${unqualified ? 'unqualified' : found.every((p) => p.namespace === TC260_NAMESPACE) ? 'TC260' : 'foreign-namespace'} ${[...forms].map((f) => `${f}s`).join(' and ')}`;
    const json = JSON.stringify(Object.fromEntries(AIGC_FIELDS.filter((f) => group.has(f)).map((f) => [f, group.get(f)!.value])));
    labels.push({ json, form, start: Math.min(...found.map((p) => p.start)) });
  }
  return labels.sort((x, y) => x.start - y.start);
}

/** `xml` with the ranges of `removed` cut out and `replaced` put in place, built in one pass. */
function spliceText(xml: string, edits: readonly { start: number; end: number; text: string }[]): string {
  const parts: string[] = [];
  let cursor = 0;
  for (const edit of [...edits].sort((a, b) => a.start - b.start)) {
    if (edit.start < cursor) continue;
    parts.push(xml.slice(cursor, edit.start), edit.text);
    cursor = edit.end;
  }
  parts.push(xml.slice(cursor));
  return parts.join('');
}

/** Removes every AIGC label property (the label then lives once, elsewhere). */
export const removeAigcFromXmp = (xml: string): string =>
  spliceText(
    xml,
    findAigcInXmp(xml).map((f) => ({ ...f, text: '' })),
  );

/**
 * Adds an rdf:Description declaring `prefix` for `uri` and holding `properties` (XML text):
 * before the end of rdf:RDF with the packet's own RDF prefix; in an RDF element that uses a
 * default namespace, or in a packet with no rdf:RDF at all (ExifTool writes such packets), with
 * a local rdf declaration. Everything else in the packet stays as it was.
 */
export function addXmpDescription(xml: string, prefix: string, uri: string, properties: string): string {
  const description = (rdf: string, declare: boolean) =>
    `<${rdf}:Description ${declare ? `xmlns:${rdf}="${RDF_NAMESPACE}" ` : ''}${rdf}:about="" xmlns:${prefix}="${uri}">${properties}</${rdf}:Description>`;
  const insert = (at: number, text: string) => xml.slice(0, at) + text + xml.slice(at);
  for (const m of xml.matchAll(new RegExp(`\\sxmlns(?::(${NAME}))?\\s*=\\s*["']${escapeRegExp(RDF_NAMESPACE)}["']`, 'g'))) {
    const close = xml.lastIndexOf(m[1] ? `</${m[1]}:RDF>` : '</RDF>');
    if (close >= 0) return insert(close, ` ${m[1] ? description(m[1], false) : description('rdf', true)}\n `);
  }
  const rdf = `<rdf:RDF xmlns:rdf="${RDF_NAMESPACE}">\n  ${description('rdf', false)}\n </rdf:RDF>\n`;
  const meta = /<\/(?:[\w.-]+:)?xmpmeta\s*>/.exec(xml);
  if (meta) return insert(meta.index, ` ${rdf}`);
  const end = xml.indexOf('<?xpacket end');
  return insert(end >= 0 ? end : xml.length, rdf);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/**
 * Sets `TC260:AIGC` to `json` in an existing packet: the first conformant property
 * is updated in place (element or attribute form kept), any further AIGC
 * properties are removed so the file keeps one label (GB 45438 §6.1 c)), and when
 * there is none a new rdf:Description is added. A broken element of ours (no end tag of
 * its own) is replaced by a correct one in its place, from its start tag to the next
 * well-formed markup; replacing our own label is allowed, hiding it is not. Everything
 * else is untouched.
 */
export function setAigcInXmp(xml: string, json: string): string {
  const found = findAigcInXmp(xml);
  const conformant = found.filter((f) => f.namespace === TC260_NAMESPACE);
  const keep = conformant.find((f) => f.broken === null) ?? conformant[0];
  const edits = found.map((f) => {
    if (f !== keep) return { start: f.start, end: f.end, text: '' };
    const name = f.prefix ? `${f.prefix}:AIGC` : 'AIGC'; // an element may take TC260 as its default namespace
    const text = f.form === 'element' ? `<${name}>${escapeXml(json)}</${name}>` : ` ${name}="${escapeXml(json)}"`;
    return { start: f.start, end: f.end, text };
  });
  const inPlace = spliceText(xml, edits);
  if (keep && holdsOnly(inPlace, json)) return inPlace;
  // No conformant property, or a packet so broken that the one updated in place does not read
  // back as ours (its namespace declaration was in the broken part): a new Description.
  const added = addXmpDescription(
    spliceText(
      xml,
      found.map((f) => ({ start: f.start, end: f.end, text: '' })),
    ),
    TC260_PREFIX,
    TC260_NAMESPACE,
    `<${TC260_PREFIX}:AIGC>${escapeXml(json)}</${TC260_PREFIX}:AIGC>`,
  );
  if (holdsOnly(added, json)) return added;
  throw new MalformedInputError('xmp', 'the XMP packet is too damaged to hold a label that reads back; refusing to write into it');
}

/** Does `xml` hold exactly one AIGC property, well formed, bound to the TC260 URI and holding `json`? */
function holdsOnly(xml: string, json: string): boolean {
  const found = findAigcInXmp(xml);
  return found.length === 1 && found[0]!.broken === null && found[0]!.namespace === TC260_NAMESPACE && found[0]!.value === json;
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
