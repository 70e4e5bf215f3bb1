import {
  type AigcLabel,
  type ByteSource,
  type Evidence,
  encodeBare,
  type Finding,
  type FormatHandler,
  finding,
  fromLatin1,
  type LabelCarrier,
  MalformedInputError,
  type ReadResult,
  Rules,
  startsWith,
  u16le,
  u32le,
  type WriteResult,
} from '@aigc-label/core';
import { scanExplicitLabels } from '../explicit/detect.js';
import { explicitLabelEvidence } from '../explicit/evidence.js';
import { assertCarrierCount, decodeCarrierValue } from '../plain/carrier.js';
import { findEndOfCentralDirectory, LOCAL_HEADER_SIGNATURE } from '../zip/archive.js';
import { planZipRewrite } from '../zip/rewrite.js';
import { documentText, wordprocessingPrefix } from './document.js';
import { ooxmlExplicit } from './explicit.js';
import { retarget } from './opc.js';
import { CONTENT_TYPES, DEFAULT_CUSTOM_PART, type OpenPackage, openPackage, PACKAGE_RELATIONSHIPS } from './package.js';
import {
  addCustomPropertiesRelationship,
  addOverride,
  encodePart,
  hasOverride,
  isAigcProperty,
  listCustomProperties,
  newCustomPropertiesPart,
  setAigcProperty,
} from './parts.js';

/** Findings only this format emits, with their meaning (the README's rule table is generated from these). */
export const ooxmlRules = {
  'ooxml/custom-part-created': 'the package had no custom properties part; one was created (info)',
  'ooxml/signature-invalidated': 'the package carries a digital signature, which labeling invalidates',
  'ooxml/custom-relationship-repaired':
    'the custom-properties relationship leaves the package, is external or an absolute URI, or names a missing part; the label goes to docProps/custom.xml and the relationship is pointed there',
  'ooxml/custom-property-kept': 'a custom property element that does not parse; it is kept byte for byte (info)',
  'ooxml/document-too-large': 'the main document part is too large to search for an explicit label (info)',
} as const;

/** Largest main document part searched for an explicit label (the text of a very long book is tens of megabytes). */
export const maximumDocumentPartInBytes = 64 * 1024 * 1024;

/** Names that only OOXML packages put among their first entries. */
const OOXML_FIRST_NAMES = /^(\[Content_Types\]\.xml|_rels\/\.rels|docProps\/|customXml\/|word\/|xl\/|ppt\/)/;

/**
 * Walks the first local headers in `head` looking for an OOXML part name, so a
 * plain ZIP does not match. Stops at an entry whose size is deferred to a data
 * descriptor, since the next header cannot be found without it.
 */
function sniffOoxml(head: Uint8Array): boolean {
  let at = 0;
  for (let i = 0; i < 8 && at + 30 <= head.length && u32le(head, at) === LOCAL_HEADER_SIGNATURE; i++) {
    const nameLength = u16le(head, at + 26);
    const name = fromLatin1(head.subarray(at + 30, Math.min(head.length, at + 30 + nameLength)));
    if (OOXML_FIRST_NAMES.test(name)) return true;
    if (u16le(head, at + 6) & 0x08) return false;
    at += 30 + nameLength + u16le(head, at + 28) + u32le(head, at + 18);
  }
  return false;
}

/**
 * An OOXML package at the end of a file that starts as something else (a PDF or PNG with a DOCX
 * appended, issue 25 item 5): an end-of-central-directory record in `tail` and, among the
 * central directory entries there, an OOXML part name. Returns how many bytes at the end of the
 * file the package takes (its central directory offset and size count from its own start), or false.
 */
function sniffOoxmlTail(tail: Uint8Array): number | false {
  const end = findEndOfCentralDirectory(tail);
  if (end < 0) return false;
  for (let at = tail.indexOf(0x50); at >= 0 && at + 46 <= end; at = tail.indexOf(0x50, at + 1)) {
    if (u32le(tail, at) !== 0x02014b50) continue;
    const name = fromLatin1(tail.subarray(at + 46, Math.min(end, at + 46 + u16le(tail, at + 28))));
    if (OOXML_FIRST_NAMES.test(name)) return tail.length - end + u32le(tail, end + 12) + u32le(tail, end + 16);
  }
  return false;
}

/** Every AIGC custom property, readable or not (fail closed: one we cannot read still counts as a label). */
function carriersIn(pkg: OpenPackage): LabelCarrier[] {
  const { custom } = pkg;
  const location = (what: string) => `${custom.name}, ${what}`;
  const unreadable = (where: string, why: string): LabelCarrier => ({
    carrier: 'ooxml-custom-property',
    location: location(where),
    raw: '',
    label: null,
    form: null,
    canonical: false,
    findings: [finding(Rules.unreadableCarrier, 'error', why)],
  });
  if (custom.unreadable !== null)
    return [unreadable('the whole part', `${custom.name} may hold the label but cannot be read: ${custom.unreadable}`)];
  if (custom.xml === null) return [];
  const { properties, unparsed } = listCustomProperties(custom.xml);
  const aigc = properties.filter(isAigcProperty);
  assertCarrierCount(aigc.length + unparsed.filter((u) => u.mayBeAigc).length, 'ooxml');
  const carriers = aigc.map((property): LabelCarrier => {
    const where = `custom property "${property.name}" (pid ${property.pid})`;
    if (property.value === null) return unreadable(where, `the AIGC property is a vt:${property.valueType}, which holds no text`);
    const decoded = decodeCarrierValue(property.value);
    const findings = [...decoded.findings];
    if (property.valueType !== 'lpwstr') {
      findings.push(
        finding(
          Rules.nonCanonicalCarrier,
          'warning',
          `property AIGC is a vt:${property.valueType ?? 'empty'}, TC260-PG-20258A §6.1 uses vt:lpwstr`,
        ),
      );
    }
    return {
      carrier: 'ooxml-custom-property',
      location: location(where),
      raw: property.value,
      label: decoded.label,
      form: decoded.form,
      canonical: property.name === 'AIGC' && property.valueType === 'lpwstr',
      findings,
    };
  });
  for (const element of unparsed.filter((u) => u.mayBeAigc)) {
    carriers.push(unreadable(`property element at character ${element.start}`, 'a custom property element that names AIGC does not parse'));
  }
  return carriers;
}

/** Package-level findings about the custom-properties part. */
function customPartFindings(pkg: OpenPackage): Finding[] {
  const findings: Finding[] = [];
  const { custom } = pkg;
  if (custom.xml !== null && !hasOverride(pkg.contentTypes, custom.name)) {
    findings.push(finding(Rules.damaged, 'warning', `${CONTENT_TYPES} has no content type for /${custom.name}`));
  }
  const kept = custom.xml === null ? [] : listCustomProperties(custom.xml).unparsed.filter((u) => !u.mayBeAigc);
  if (kept.length > 0) {
    findings.push(
      finding(
        'ooxml/custom-property-kept',
        'info',
        `${kept.length} custom property element(s) do not parse (the first at character ${kept[0]?.start}); they are kept byte for byte`,
        custom.name,
      ),
    );
  }
  return findings;
}

/** Explicit labels in the body of a Word document (GB 45438 §5.1), as evidence. */
async function documentEvidence(pkg: OpenPackage): Promise<{ evidence: Evidence[]; findings: Finding[] }> {
  if (pkg.mainPart === null) return { evidence: [], findings: [] };
  const entry = pkg.directory.entries[pkg.indexOf(pkg.mainPart)];
  if (entry && entry.uncompressedSize > maximumDocumentPartInBytes) {
    const message = `${pkg.mainPart} is ${entry.uncompressedSize} bytes, over ${maximumDocumentPartInBytes}; it was not searched for an explicit label`;
    return { evidence: [], findings: [finding('ooxml/document-too-large', 'info', message)] };
  }
  let xml: string | null;
  try {
    xml = await pkg.readPart(pkg.mainPart, maximumDocumentPartInBytes);
  } catch (error) {
    // A damaged document part hides no metadata label (issue 25): the label is still read, the damage reported.
    if (!(error instanceof MalformedInputError)) throw error;
    const message = `${pkg.mainPart} cannot be read (${error.message}); it was not searched for an explicit label`;
    return { evidence: [], findings: [finding(Rules.damaged, 'error', message)] };
  }
  if (xml === null || wordprocessingPrefix(xml) === null) return { evidence: [], findings: [] };
  return explicitLabelEvidence(scanExplicitLabels(documentText(xml)));
}

export const ooxml: FormatHandler = {
  id: 'ooxml',
  kind: 'text',
  name: 'Office Open XML (DOCX, XLSX, PPTX)',
  extensions: ['docx', 'xlsx', 'pptx', 'dotx', 'xltx', 'potx', 'docm', 'xlsm', 'pptm'],
  mimeTypes: [
    'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    'application/vnd.openxmlformats-officedocument.presentationml.presentation',
    'application/vnd.openxmlformats-officedocument.wordprocessingml.template',
    'application/vnd.openxmlformats-officedocument.spreadsheetml.template',
    'application/vnd.openxmlformats-officedocument.presentationml.template',
    'application/vnd.ms-word.document.macroEnabled.12',
    'application/vnd.ms-excel.sheet.macroEnabled.12',
    'application/vnd.ms-powerpoint.presentation.macroEnabled.12',
  ],
  carrier: 'docProps/custom.xml property AIGC (vt:lpwstr)',
  contentRegions: {
    unsupported:
      'ZIP offsets and the central directory change when docProps/custom.xml is written, so a binding needs the data of every other part rather than byte ranges (not done yet)',
  },
  rules: ooxmlRules,
  explicit: ooxmlExplicit,
  watermark: { unsupported: "the text sits in the document's XML parts inside a ZIP; marking it would rewrite the document parts" },
  sniff: (head) => startsWith(head, [0x50, 0x4b, 0x03, 0x04]) && sniffOoxml(head),
  sniffTail: sniffOoxmlTail,

  async read(source: ByteSource): Promise<ReadResult> {
    const pkg = await openPackage(source, 'read');
    const { evidence, findings } = await documentEvidence(pkg);
    return { format: 'ooxml', carriers: carriersIn(pkg), findings: [...pkg.findings, ...customPartFindings(pkg), ...findings], evidence };
  },

  /**
   * TC260-PG-20258A §6.1: the bare JSON in custom property AIGC. Creates the part, its
   * package relationship and its content type when missing, and points a custom-properties
   * relationship that names no part of the package at docProps/custom.xml; every other entry
   * is copied with its compressed bytes as they are.
   */
  async write(source: ByteSource, label: AigcLabel): Promise<WriteResult> {
    const pkg = await openPackage(source, 'write');
    // A damaged main part (its CRC or data) is what `read` reports as damage: refused here, before anything is written.
    const main = pkg.mainPart === null ? undefined : pkg.directory.entries[pkg.indexOf(pkg.mainPart)];
    if (pkg.mainPart !== null && main && main.uncompressedSize <= maximumDocumentPartInBytes) {
      await pkg.readPart(pkg.mainPart, maximumDocumentPartInBytes);
    }
    const { custom } = pkg;
    const json = encodeBare(label);
    const replace = new Map<number, Uint8Array>();
    const add: { name: string; data: Uint8Array }[] = [];
    const findings: Finding[] = pkg.findings.filter((f) => f.rule === 'ooxml/custom-relationship-repaired');
    if (custom.xml !== null) {
      replace.set(pkg.indexOf(custom.name), encodePart(setAigcProperty(custom.xml, json)));
    } else {
      add.push({ name: custom.name, data: encodePart(newCustomPropertiesPart(json)) });
      findings.push(finding('ooxml/custom-part-created', 'info', `created ${custom.name}`));
    }
    if (!custom.related) {
      // Package relationships resolve against the package root (ECMA-376 Part 2 §9.3), so the part name is the target.
      const rels = custom.relationship
        ? retarget(pkg.rels, custom.relationship, DEFAULT_CUSTOM_PART)
        : addCustomPropertiesRelationship(pkg.rels, custom.name);
      replace.set(pkg.indexOf(PACKAGE_RELATIONSHIPS), encodePart(rels));
    }
    if (!hasOverride(pkg.contentTypes, custom.name)) {
      replace.set(pkg.indexOf(CONTENT_TYPES), encodePart(addOverride(pkg.contentTypes, custom.name)));
    }
    if (pkg.directory.entries.some((e) => e.name.toLowerCase().startsWith('_xmlsignatures/'))) {
      // ECMA-376 Part 2 §12: package signatures cover the relationships and content types that labeling edits.
      findings.push(
        finding('ooxml/signature-invalidated', 'warning', 'the package carries a digital signature, which labeling invalidates'),
      );
    }
    return { ...planZipRewrite(pkg.directory, { replace, add }), findings };
  },
};
