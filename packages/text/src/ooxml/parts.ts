import { escapeXml, MalformedInputError, UnsupportedFormatError, unescapeXml, utf8 } from '@aigc-label/core';
import { attributesOf, elementPattern, freeRelationshipId } from './opc.js';

/**
 * Textual edits of the three OOXML parts a label touches (ECMA-376 Part 2 for the
 * package, Part 1 §22.3 for custom properties). Only the inserted or replaced
 * element changes; every other byte of a part stays as it was, and no XML parser
 * re-serialises the part.
 */

export const CUSTOM_PROPERTIES_NAMESPACE = 'http://schemas.openxmlformats.org/officeDocument/2006/custom-properties';
export const VARIANT_TYPES_NAMESPACE = 'http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes';
export const CUSTOM_PROPERTIES_CONTENT_TYPE = 'application/vnd.openxmlformats-officedocument.custom-properties+xml';
export const CUSTOM_PROPERTIES_RELATIONSHIP = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties';
export const STRICT_CUSTOM_PROPERTIES_RELATIONSHIP = 'http://purl.oclc.org/ooxml/officeDocument/relationships/custom-properties';
/** The format id every user-defined custom property carries (ECMA-376 Part 1 §22.3.2.2). */
export const USER_DEFINED_FMTID = '{D5CDD505-2E9C-101B-9397-08002B2CF9AE}';
/** TC260-PG-20258A §6.1: the property name. */
export const AIGC_PROPERTY_NAME = 'AIGC';
/** The value types a label can be read from: the strings of §22.4.2 (`lpwstr` is the one the guide names). */
const STRING_TYPES = new Set(['lpwstr', 'lpstr', 'bstr']);

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Decodes a part as UTF-8, keeping a BOM so that re-encoding gives back the same bytes. */
export function decodePart(bytes: Uint8Array, partName: string): string {
  if ((bytes[0] === 0xfe && bytes[1] === 0xff) || (bytes[0] === 0xff && bytes[1] === 0xfe)) {
    throw new UnsupportedFormatError(`ooxml: ${partName} is UTF-16; only UTF-8 parts can be edited`);
  }
  try {
    return strictUtf8.decode(bytes);
  } catch {
    throw new MalformedInputError('ooxml', `${partName} is not valid UTF-8`);
  }
}

export const encodePart = (xml: string): Uint8Array => utf8(xml);

interface RootElement {
  /** `op:` for `<op:Properties>`, '' for a default-namespace root. */
  readonly prefix: string;
  /** Where new children go: before the end tag, or at the `/>` of an empty root. */
  readonly insertAt: number;
  /** Set when the root is `<X/>`: the characters to replace with `>` + children + end tag. */
  readonly selfClosing: { readonly start: number; readonly end: number } | null;
}

function findRoot(xml: string, localName: string, partName: string): RootElement {
  const start = new RegExp(`<([\\w.-]+:)?${localName}\\b[^>]*?(/?)>`).exec(xml);
  if (!start) throw new MalformedInputError('ooxml', `${partName} has no <${localName}> element`);
  const prefix = start[1] ?? '';
  if (start[2] === '/') {
    const slash = start.index + start[0].length - 2;
    return { prefix, insertAt: slash, selfClosing: { start: slash, end: slash + 2 } };
  }
  const endTag = `</${prefix}${localName}`;
  const end = xml.lastIndexOf(endTag);
  if (end < start.index) throw new MalformedInputError('ooxml', `${partName} has no </${prefix}${localName}> end tag`);
  return { prefix, insertAt: end, selfClosing: null };
}

/** Inserts `child` as the last child of the root element. */
function appendToRoot(xml: string, root: RootElement, localName: string, child: string): string {
  if (root.selfClosing) {
    return `${xml.slice(0, root.selfClosing.start)}>${child}</${root.prefix}${localName}>${xml.slice(root.selfClosing.end)}`;
  }
  return xml.slice(0, root.insertAt) + child + xml.slice(root.insertAt);
}

export const isCustomPropertiesRelationship = (type: string): boolean =>
  type === CUSTOM_PROPERTIES_RELATIONSHIP || type === STRICT_CUSTOM_PROPERTIES_RELATIONSHIP;

export function addCustomPropertiesRelationship(rels: string, target: string): string {
  const root = findRoot(rels, 'Relationships', '_rels/.rels');
  const element = `<${root.prefix}Relationship Id="${freeRelationshipId(rels)}" Type="${CUSTOM_PROPERTIES_RELATIONSHIP}" Target="${escapeXml(target)}"/>`;
  return appendToRoot(rels, root, 'Relationships', element);
}

/** True when `[Content_Types].xml` has an Override for the part (part names compare case-insensitively, Part 2 §9.1.1.4). */
export function hasOverride(contentTypes: string, partName: string): boolean {
  const wanted = `/${partName}`.toLowerCase();
  return [...contentTypes.matchAll(elementPattern('Override'))].some((m) => attributesOf(m[0]).get('PartName')?.toLowerCase() === wanted);
}

export function addOverride(contentTypes: string, partName: string): string {
  const root = findRoot(contentTypes, 'Types', '[Content_Types].xml');
  const element = `<${root.prefix}Override PartName="/${escapeXml(partName)}" ContentType="${CUSTOM_PROPERTIES_CONTENT_TYPE}"/>`;
  return appendToRoot(contentTypes, root, 'Types', element);
}

export interface CustomProperty {
  readonly name: string;
  readonly pid: number;
  /** `lpwstr`, `lpstr`, `bstr`... or null for a property without a value element. */
  readonly valueType: string | null;
  /** The value as text; null when its type holds no string a label could be read from (a blob, a vector). */
  readonly value: string | null;
  /** Character range of the whole `<property>` element. */
  readonly start: number;
  readonly end: number;
}

/** A `<property>` element that does not parse (an unclosed tag, a stray end tag): kept byte for byte. */
export interface UnparsedProperty {
  readonly text: string;
  readonly start: number;
  readonly end: number;
  /** It may be an AIGC property: its text names AIGC. */
  readonly mayBeAigc: boolean;
}

export interface CustomProperties {
  readonly properties: readonly CustomProperty[];
  readonly unparsed: readonly UnparsedProperty[];
}

const PROPERTY_START = /<([\w.-]+:)?property\b/g;
const PROPERTY = /^<([\w.-]+:)?property\b([^>]*?)(?:\/>|>([\s\S]*?)<\/\1property\s*>)/;
const VALUE = /^\s*<([\w.-]+:)?(\w+)\b[^>]*?(?:\/>|>([\s\S]*?)<\/\1\2\s*>)\s*$/;
const CDATA = /^<!\[CDATA\[([\s\S]*)\]\]>$/;

/**
 * The `<property>` elements of a custom-properties part. Each is read within its span, up to
 * the next `<property` start, so one damaged element cannot swallow the next (an AIGC property
 * after an unclosed one is still found) and the scan stays linear. Comments are skipped.
 */
export function listCustomProperties(xml: string): CustomProperties {
  const scanned = xml.replace(/<!--[\s\S]*?-->/g, (comment) => ' '.repeat(comment.length));
  const starts = [...scanned.matchAll(PROPERTY_START)].map((m) => m.index);
  const rootEnd = scanned.search(/<\/([\w.-]+:)?Properties\s*>\s*$/);
  const properties: CustomProperty[] = [];
  const unparsed: UnparsedProperty[] = [];
  starts.forEach((start, i) => {
    const span = scanned.slice(start, starts[i + 1] ?? (rootEnd > start ? rootEnd : scanned.length));
    const m = PROPERTY.exec(span);
    if (!m) {
      const text = xml.slice(start, start + span.trimEnd().length);
      unparsed.push({ text, start, end: start + text.length, mayBeAigc: /AIGC/i.test(text) });
      return;
    }
    const attributes = attributesOf(m[2] ?? '');
    const value = m[3] === undefined ? null : VALUE.exec(m[3]);
    const valueType = value ? (value[2] ?? null) : null;
    const inner = value?.[3] ?? '';
    properties.push({
      name: attributes.get('name') ?? '',
      pid: Number.parseInt(attributes.get('pid') ?? '', 10) || 0,
      valueType,
      value: valueType === null || STRING_TYPES.has(valueType) ? unescapeXml(CDATA.exec(inner)?.[1] ?? inner) : null,
      start,
      end: start + m[0].length,
    });
  });
  return { properties, unparsed };
}

export const isAigcProperty = (p: CustomProperty): boolean => p.name.trim().toUpperCase() === AIGC_PROPERTY_NAME;

/** Text content needs only `&` and `<` escaped (and `>` for `]]>`); quotes stay readable in the JSON. */
const escapeText = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function propertyElement(prefix: string, variantPrefix: string | null, pid: number, json: string): string {
  const value =
    variantPrefix === null
      ? `<vt:lpwstr xmlns:vt="${VARIANT_TYPES_NAMESPACE}">${escapeText(json)}</vt:lpwstr>`
      : `<${variantPrefix}lpwstr>${escapeText(json)}</${variantPrefix}lpwstr>`;
  return `<${prefix}property fmtid="${USER_DEFINED_FMTID}" pid="${pid}" name="${AIGC_PROPERTY_NAME}">${value}</${prefix}property>`;
}

/**
 * Sets the AIGC property: the first existing one is replaced in place (keeping
 * its pid), any further ones are removed so the file keeps one label
 * (GB 45438 §6.1 c)), and otherwise a new property is appended with a pid above every
 * pid in the part, parsed or not (at least 2, §22.3.2.2). Properties that do not parse
 * are kept byte for byte.
 */
export function setAigcProperty(xml: string, json: string): string {
  const root = findRoot(xml, 'Properties', 'docProps/custom.xml');
  const declaration = new RegExp(`xmlns:([\\w.-]+)\\s*=\\s*["']${VARIANT_TYPES_NAMESPACE.replace(/[./]/g, '\\$&')}["']`).exec(xml);
  const variantPrefix = declaration ? `${declaration[1]}:` : null;
  const existing = listCustomProperties(xml).properties.filter(isAigcProperty);
  const first = existing[0];
  if (!first) {
    let pid = 1;
    for (const m of xml.matchAll(/\bpid\s*=\s*["']\s*(\d{1,9})\s*["']/g)) pid = Math.max(pid, Number(m[1]));
    return appendToRoot(xml, root, 'Properties', propertyElement(root.prefix, variantPrefix, pid + 1, json));
  }
  const parts: string[] = [];
  let cursor = 0;
  for (const property of existing) {
    parts.push(xml.slice(cursor, property.start));
    if (property === first) parts.push(propertyElement(root.prefix, variantPrefix, Math.max(2, property.pid), json));
    cursor = property.end;
  }
  parts.push(xml.slice(cursor));
  return parts.join('');
}

export const newCustomPropertiesPart = (json: string): string =>
  '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n' +
  `<Properties xmlns="${CUSTOM_PROPERTIES_NAMESPACE}" xmlns:vt="${VARIANT_TYPES_NAMESPACE}">` +
  propertyElement('', 'vt:', 2, json) +
  '</Properties>';
