import {
  type AigcLabel,
  assertSafeXml,
  type ByteSource,
  decodeLabel,
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
import { LOCAL_HEADER_SIGNATURE, readEntryData, readZipDirectory, type ZipDirectory, type ZipEntry } from '../zip/archive.js';
import { planZipRewrite } from '../zip/rewrite.js';
import {
  addCustomPropertiesRelationship,
  addOverride,
  customPropertiesTarget,
  decodePart,
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
} as const;

/** Largest XML part we decompress; real package parts are kilobytes, so more is a zip bomb. */
export const maximumXmlPartInBytes = 16 * 1024 * 1024;

const CONTENT_TYPES = '[Content_Types].xml';
const PACKAGE_RELATIONSHIPS = '_rels/.rels';
const DEFAULT_CUSTOM_PART = 'docProps/custom.xml';
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

interface Package {
  readonly directory: ZipDirectory;
  readonly indexOf: (name: string) => number;
  readonly contentTypes: string;
  readonly rels: string;
  /** Entry name of the custom-properties part, from the relationship or the usual place. */
  readonly customPart: string;
  readonly related: boolean;
  readonly customXml: string | null;
  readonly findings: Finding[];
}

async function openPackage(source: ByteSource): Promise<Package> {
  const directory = await readZipDirectory(source);
  const byName = new Map<string, number>();
  directory.entries.forEach((entry, index) => {
    const key = entry.name.toLowerCase();
    // ECMA-376 Part 2 §9.1.1.4: part names are unique, case-insensitively.
    if (byName.has(key)) throw new MalformedInputError('ooxml', `the package has two entries named ${entry.name}`);
    byName.set(key, index);
  });
  const indexOf = (name: string) => byName.get(name.toLowerCase()) ?? -1;
  const readPart = async (name: string): Promise<string | null> => {
    const index = indexOf(name);
    if (index < 0) return null;
    const entry: ZipEntry = directory.entries[index];
    const xml = decodePart(await readEntryData(source, entry, maximumXmlPartInBytes), name);
    assertSafeXml(xml, `ooxml: ${name}`);
    return xml;
  };
  const contentTypes = await readPart(CONTENT_TYPES);
  if (contentTypes === null) throw new MalformedInputError('ooxml', `no ${CONTENT_TYPES}; this ZIP is not an OOXML package`);
  const rels = await readPart(PACKAGE_RELATIONSHIPS);
  if (rels === null) throw new MalformedInputError('ooxml', `no ${PACKAGE_RELATIONSHIPS}; the package has no relationships part`);
  const findings: Finding[] = [];
  const target = customPropertiesTarget(rels);
  let customPart = target ?? DEFAULT_CUSTOM_PART;
  if (target !== null && indexOf(target) < 0) {
    findings.push(finding(Rules.damaged, 'warning', `${PACKAGE_RELATIONSHIPS} points to ${target}, which is not in the package`));
    customPart = indexOf(DEFAULT_CUSTOM_PART) >= 0 ? DEFAULT_CUSTOM_PART : target;
  }
  const customXml = await readPart(customPart);
  if (customXml !== null && target === null) {
    findings.push(finding(Rules.damaged, 'warning', `${customPart} is not referenced from ${PACKAGE_RELATIONSHIPS}; Office ignores it`));
  }
  if (customXml !== null && !hasOverride(contentTypes, customPart)) {
    findings.push(finding(Rules.damaged, 'warning', `${CONTENT_TYPES} has no content type for /${customPart}`));
  }
  return { directory, indexOf, contentTypes, rels, customPart, related: target !== null && target === customPart, customXml, findings };
}

function carriersIn(pkg: Package): LabelCarrier[] {
  if (pkg.customXml === null) return [];
  return listCustomProperties(pkg.customXml)
    .filter(isAigcProperty)
    .map((property) => {
      const decoded = decodeLabel(property.value);
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
        location: `${pkg.customPart}, custom property "${property.name}" (pid ${property.pid})`,
        raw: property.value,
        label: decoded.label,
        form: decoded.form,
        canonical: property.name === 'AIGC' && property.valueType === 'lpwstr',
        findings,
      };
    });
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
  rules: ooxmlRules,
  explicit: { unsupported: 'no visible label in Office documents yet: a paragraph at the start or end of the body is planned (issue 14)' },
  sniff: (head) => startsWith(head, [0x50, 0x4b, 0x03, 0x04]) && sniffOoxml(head),

  async read(source: ByteSource): Promise<ReadResult> {
    const pkg = await openPackage(source);
    return { format: 'ooxml', carriers: carriersIn(pkg), findings: pkg.findings };
  },

  /**
   * TC260-PG-20258A §6.1: the bare JSON in custom property AIGC. Creates the
   * part, its package relationship and its content type when missing; every
   * other entry is copied with its compressed bytes as they are.
   */
  async write(source: ByteSource, label: AigcLabel): Promise<WriteResult> {
    const pkg = await openPackage(source);
    const json = encodeBare(label);
    const replace = new Map<number, Uint8Array>();
    const add: { name: string; data: Uint8Array }[] = [];
    const findings: Finding[] = [];
    const customIndex = pkg.indexOf(pkg.customPart);
    if (pkg.customXml !== null) {
      replace.set(customIndex, encodePart(setAigcProperty(pkg.customXml, json)));
    } else {
      add.push({ name: pkg.customPart, data: encodePart(newCustomPropertiesPart(json)) });
      findings.push(finding('ooxml/custom-part-created', 'info', `created ${pkg.customPart}`));
    }
    if (!pkg.related) {
      replace.set(pkg.indexOf(PACKAGE_RELATIONSHIPS), encodePart(addCustomPropertiesRelationship(pkg.rels, pkg.customPart)));
    }
    if (!hasOverride(pkg.contentTypes, pkg.customPart)) {
      replace.set(pkg.indexOf(CONTENT_TYPES), encodePart(addOverride(pkg.contentTypes, pkg.customPart)));
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
