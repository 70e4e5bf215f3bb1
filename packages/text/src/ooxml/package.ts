import {
  assertSafeXml,
  type ByteSource,
  type Finding,
  finding,
  LimitExceededError,
  MalformedInputError,
  Rules,
  UnsafeXmlError,
} from '@aigc-label/core';
import { quotedName, readEntryData, readZipDirectory, unsafeEntryName, type ZipDirectory } from '../zip/archive.js';
import { readZipDirectoryTolerant } from '../zip/salvage.js';
import { listRelationships, type Relationship, resolveTarget } from './opc.js';
import { decodePart, isCustomPropertiesRelationship } from './parts.js';

/**
 * An OOXML package opened for reading or writing: its directory, the parts every label
 * touches, and where the custom-properties part is (ECMA-376 Part 2). `read` tolerates a
 * damaged central directory (the entries are found from the local headers, issue 25);
 * `write` never works on one.
 */

/** Largest XML part we decompress; real package parts are kilobytes, so more is a zip bomb. */
export const maximumXmlPartInBytes = 16 * 1024 * 1024;

export const CONTENT_TYPES = '[Content_Types].xml';
export const PACKAGE_RELATIONSHIPS = '_rels/.rels';
/** Where Office puts the custom-properties part, and where a new one goes. */
export const DEFAULT_CUSTOM_PART = 'docProps/custom.xml';
const OFFICE_DOCUMENT_RELATIONSHIPS = [
  'http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument',
  'http://purl.oclc.org/ooxml/officeDocument/relationships/officeDocument',
];

/** Where the label goes, and what the package says about it today. */
export interface CustomPart {
  /** The entry name: the part the relationship names when it exists, else docProps/custom.xml. */
  readonly name: string;
  /** The package relationship to the part, when there is one (repaired when it names no part of the package). */
  readonly relationship: Relationship | null;
  /** True when `relationship` resolves to `name`. */
  readonly related: boolean;
  /** The part's XML; null when there is no such part or it cannot be read. */
  readonly xml: string | null;
  /** Why an existing part cannot be read (encrypted, an unknown compression, not UTF-8), or null. */
  readonly unreadable: string | null;
}

export interface OpenPackage {
  readonly source: ByteSource;
  readonly directory: ZipDirectory;
  readonly indexOf: (name: string) => number;
  readonly readPart: (name: string, maxBytes?: number) => Promise<string | null>;
  readonly contentTypes: string;
  readonly rels: string;
  readonly custom: CustomPart;
  /** The main part (word/document.xml, xl/workbook.xml, ppt/presentation.xml), or null. */
  readonly mainPart: string | null;
  readonly findings: Finding[];
}

export async function openPackage(source: ByteSource, mode: 'read' | 'write'): Promise<OpenPackage> {
  const findings: Finding[] = [];
  let directory: ZipDirectory;
  if (mode === 'write') directory = await readZipDirectory(source);
  else {
    const tolerant = await readZipDirectoryTolerant(source);
    directory = tolerant.directory;
    if (tolerant.damage)
      findings.push(
        finding(Rules.damaged, 'error', `the ZIP central directory is damaged (${tolerant.damage}); the package cannot be relabeled`),
      );
    if (tolerant.leadingBytes > 0) {
      // A self-extractor stub, or the other file of a polyglot: not damage, but no rewrite keeps it.
      const message = `${tolerant.leadingBytes} bytes precede the archive (a self-extractor stub or another file); its offsets were read from there, and the package cannot be relabeled`;
      findings.push(finding(Rules.damaged, 'info', message));
    }
  }
  const byName = new Map<string, number>();
  directory.entries.forEach((entry, index) => {
    const key = entry.name.toLowerCase();
    const unsafe = unsafeEntryName(entry.name);
    if (unsafe !== null) {
      findings.push(
        finding(
          Rules.damaged,
          'warning',
          `the entry name ${quotedName(entry.name)} ${unsafe}, which no part name may; the package cannot be relabeled`,
        ),
      );
    }
    // ECMA-376 Part 2 §9.1.1.4: part names are unique, case-insensitively.
    if (byName.has(key)) {
      if (mode === 'write') throw new MalformedInputError('ooxml', `the package has two entries named ${quotedName(entry.name)}`);
      findings.push(finding(Rules.damaged, 'error', `the package has two entries named ${quotedName(entry.name)}; the first is read`));
      return;
    }
    byName.set(key, index);
  });
  const indexOf = (name: string) => byName.get(name.toLowerCase()) ?? -1;
  const readPart = async (name: string, maxBytes = maximumXmlPartInBytes): Promise<string | null> => {
    const index = indexOf(name);
    const entry = directory.entries[index];
    if (!entry) return null;
    const xml = decodePart(await readEntryData(source, entry, maxBytes), name);
    if (/<!DOCTYPE/i.test(xml) || /<!ENTITY/i.test(xml)) assertSafeXml(xml, `ooxml: ${name}`);
    return xml;
  };
  const contentTypes = await readPart(CONTENT_TYPES);
  if (contentTypes === null) throw new MalformedInputError('ooxml', `no ${CONTENT_TYPES}; this ZIP is not an OOXML package`);
  const rels = await readPart(PACKAGE_RELATIONSHIPS);
  if (rels === null) throw new MalformedInputError('ooxml', `no ${PACKAGE_RELATIONSHIPS}; the package has no relationships part`);
  const relationships = listRelationships(rels);
  const custom = await findCustomPart(relationships, indexOf, readPart, mode, findings);
  const main = relationships
    .filter((r) => OFFICE_DOCUMENT_RELATIONSHIPS.includes(r.type))
    .map((r) => resolveTarget('', r.target, r.external));
  const mainPart = main.map((t) => ('part' in t && indexOf(t.part) >= 0 ? t.part : null)).find((p) => p !== null) ?? null;
  return { source, directory, indexOf, readPart, contentTypes, rels, custom, mainPart, findings };
}

/**
 * The custom-properties part: the first relationship of that type that resolves to a part of
 * the package. A target that leaves the package, is external or an absolute URI, or names a
 * missing part is a finding, and the label goes to docProps/custom.xml, to which `write` then
 * points that relationship: a part is only ever created under a name we choose.
 */
async function findCustomPart(
  relationships: readonly Relationship[],
  indexOf: (name: string) => number,
  readPart: (name: string) => Promise<string | null>,
  mode: 'read' | 'write',
  findings: Finding[],
): Promise<CustomPart> {
  const candidates = relationships.filter((r) => isCustomPropertiesRelationship(r.type));
  let relationship: Relationship | null = null;
  let name = DEFAULT_CUSTOM_PART;
  let related = false;
  for (const candidate of candidates) {
    const resolved = resolveTarget('', candidate.target, candidate.external);
    if ('part' in resolved && indexOf(resolved.part) >= 0) {
      relationship = candidate;
      name = resolved.part;
      related = true;
      break;
    }
  }
  if (!relationship && candidates[0]) {
    relationship = candidates[0];
    const resolved = resolveTarget('', relationship.target, relationship.external);
    const why =
      'rejected' in resolved
        ? resolved.rejected
        : `${JSON.stringify(relationship.target)} names ${resolved.part}, which is not in the package`;
    findings.push(
      finding(
        'ooxml/custom-relationship-repaired',
        'warning',
        `the custom-properties relationship ${relationship.id} is unusable: ${why}; the label goes to ${DEFAULT_CUSTOM_PART}, and labeling points the relationship there`,
        PACKAGE_RELATIONSHIPS,
      ),
    );
  }
  let xml: string | null = null;
  let unreadable: string | null = null;
  if (indexOf(name) >= 0) {
    try {
      xml = await readPart(name);
    } catch (error) {
      // Fail closed (issue 24): a part that may hold a label but cannot be read is reported, never written beside.
      if (mode === 'write' || error instanceof LimitExceededError || error instanceof UnsafeXmlError) throw error;
      unreadable = (error as Error).message;
    }
    if (!relationship)
      findings.push(finding(Rules.damaged, 'warning', `${name} is not referenced from ${PACKAGE_RELATIONSHIPS}; Office ignores it`));
  }
  return { name, relationship, related, xml, unreadable };
}
