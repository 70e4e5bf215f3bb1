import { escapeXml, unescapeXml } from '@aigc-label/core';

/**
 * Relationships and part names of an Open Packaging Conventions package (ECMA-376 Part 2):
 * a relationship target is a URI reference resolved against its source part (§9.3, Annex A),
 * percent-decoded into a part name, and compared case-insensitively (§9.1.1.4). A target that
 * leaves the package, an external target and an absolute URI name no part of the package.
 */

export interface Relationship {
  readonly id: string;
  readonly type: string;
  readonly target: string;
  readonly external: boolean;
  /** Character range of the `<Relationship .../>` element in its part. */
  readonly start: number;
  readonly end: number;
}

/** A target resolved to a part name (a zip entry name: no leading `/`), or why it names no part. */
export type ResolvedTarget = { readonly part: string } | { readonly rejected: string };

const ATTRIBUTE = /([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;

export function attributesOf(tag: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const m of tag.matchAll(ATTRIBUTE)) found.set(m[1] as string, unescapeXml(m[2] ?? m[3] ?? ''));
  return found;
}

/** Elements with local name `localName` (any prefix), start and empty tags. */
export const elementPattern = (localName: string): RegExp => new RegExp(`<([\\w.-]+:)?${localName}\\b[^>]*?/?>`, 'g');

export function listRelationships(rels: string): Relationship[] {
  return [...rels.matchAll(elementPattern('Relationship'))].map((m) => {
    const attributes = attributesOf(m[0]);
    return {
      id: attributes.get('Id') ?? '',
      type: attributes.get('Type') ?? '',
      target: attributes.get('Target') ?? '',
      external: attributes.get('TargetMode') === 'External',
      start: m.index,
      end: m.index + m[0].length,
    };
  });
}

/**
 * Resolves a relationship target of `sourcePart` (`''` for the package) to a part name, per
 * RFC 3986 §5.2 as ECMA-376 Part 2 Annex A asks, except that a `..` above the package root is
 * refused instead of being dropped: it names a file outside the package (zip-slip).
 */
export function resolveTarget(sourcePart: string, target: string, external: boolean): ResolvedTarget {
  const shown = JSON.stringify(target);
  if (external) return { rejected: `${shown} is an external target (TargetMode="External")` };
  if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(target) || target.startsWith('//')) return { rejected: `${shown} is an absolute URI` };
  if (/[?#]/.test(target)) return { rejected: `${shown} has a query or fragment, which a part name cannot have` };
  if (target.includes('\\')) return { rejected: `${shown} holds a backslash` };
  const decoded = percentDecode(target);
  if (decoded === null) return { rejected: `${shown} has a bad percent-encoding` };
  // §9.1.1.1.2: a part name has no percent-encoded / or \ (they would change the path).
  if (/%(2f|5c)/i.test(target)) return { rejected: `${shown} has a percent-encoded / or \\` };
  const segments = decoded.startsWith('/') ? [] : sourcePart.split('/').slice(0, -1);
  const path = decoded.startsWith('/') ? decoded.slice(1) : decoded;
  for (const segment of path.split('/')) {
    if (segment === '.') continue;
    if (segment === '..') {
      if (segments.length === 0) return { rejected: `${shown} leaves the package` };
      segments.pop();
    } else if (segment === '') {
      return { rejected: `${shown} has an empty segment` };
    } else segments.push(segment);
  }
  return segments.length === 0 ? { rejected: `${shown} names no part` } : { part: segments.join('/') };
}

function percentDecode(text: string): string | null {
  if (!text.includes('%')) return text;
  try {
    return decodeURIComponent(text);
  } catch {
    return null;
  }
}

/** `rels` with the relationship's Target set to `target` and its TargetMode dropped; every other byte as it was. */
export function retarget(rels: string, relationship: Relationship, target: string): string {
  const tag = rels.slice(relationship.start, relationship.end);
  const rewritten = tag
    .replace(/\s+TargetMode\s*=\s*(?:"[^"]*"|'[^']*')/, '')
    .replace(/(\sTarget\s*=\s*)(?:"[^"]*"|'[^']*')/, (_, lead: string) => `${lead}"${escapeXml(target)}"`);
  return rels.slice(0, relationship.start) + rewritten + rels.slice(relationship.end);
}

/** A relationship Id not yet used in `rels`. */
export function freeRelationshipId(rels: string): string {
  const ids = new Set(listRelationships(rels).map((r) => r.id));
  let n = ids.size + 1;
  while (ids.has(`rId${n}`)) n++;
  return `rId${n}`;
}
