import { LimitExceededError, MalformedInputError } from '@aigc-label/core';
import type { ParsedObject, PdfObjects } from './document.js';
import { dictGet, type PdfValue, type Spanned } from './syntax.js';

/**
 * The first and last pages of the page tree (ISO 32000-1 §7.7.3), with the attributes they
 * inherit from their ancestors (§7.7.3.4), and their content streams (§7.8.2). The walk goes
 * down one branch and never revisits an object, so a deep or looping tree costs at most its
 * depth bound.
 */

/** Deeper than any real page tree (balanced trees of millions of pages are a few levels deep). */
export const maximumPageTreeDepth = 256;
const INHERITABLE = ['Resources', 'MediaBox', 'CropBox', 'Rotate'] as const;
export type Inheritable = (typeof INHERITABLE)[number];

export interface PageNode {
  readonly num: number;
  readonly gen: number;
  readonly object: ParsedObject;
  /** The inheritable attributes in effect: the page's own, else the nearest ancestor's, with the object holding them. */
  readonly inherited: ReadonlyMap<Inheritable, { readonly value: Spanned; readonly holder: ParsedObject }>;
}

const fail = (message: string) => new MalformedInputError('pdf', message);

/** The first (`which` = 'first') or last page of the document, or null when the tree has none. */
export async function findPage(objects: PdfObjects, root: PdfValue | undefined, which: 'first' | 'last'): Promise<PageNode | null> {
  const catalog = await objects.resolve(root);
  let ref = catalog?.type === 'dict' ? dictGet(catalog, 'Pages') : undefined;
  const visited = new Set<number>();
  const inherited = new Map<Inheritable, { value: Spanned; holder: ParsedObject }>();
  for (let depth = 0; ref?.type === 'ref'; depth++) {
    if (depth > maximumPageTreeDepth) throw new LimitExceededError(`pdf: the page tree is deeper than ${maximumPageTreeDepth} levels`);
    visited.add(ref.num);
    const node = await objects.object(ref.num);
    if (node?.value.value.type !== 'dict') return null;
    const dict = node.value.value;
    for (const entry of dict.entries) {
      if ((INHERITABLE as readonly string[]).includes(entry.key))
        inherited.set(entry.key as Inheritable, { value: entry.value, holder: node });
    }
    const type = dictGet(dict, 'Type');
    const kids = await objects.resolve(dictGet(dict, 'Kids'));
    if (kids?.type !== 'array' || (type?.type === 'name' && type.value === 'Page')) {
      return { num: ref.num, gen: ref.gen, object: node, inherited };
    }
    const order = which === 'first' ? kids.items : [...kids.items].reverse();
    ref = order.map((item) => item.value).find((kid) => kid.type === 'ref' && !visited.has(kid.num));
  }
  if (ref !== undefined) throw fail('the page tree holds a kid that is not a reference');
  return null;
}

/** The content stream objects of a page, in drawing order (/Contents: one stream, or an array of them). */
export async function contentStreams(objects: PdfObjects, page: PageNode): Promise<ParsedObject[]> {
  const page_ = page.object.value.value;
  let contents = dictGet(page_, 'Contents');
  const streams: ParsedObject[] = [];
  if (contents?.type === 'ref') {
    const object = await objects.object(contents.num);
    if (!object) return streams;
    if (object.value.value.type === 'dict') return [object];
    contents = object.value.value;
  }
  if (contents?.type !== 'array') return streams;
  for (const item of contents.items) {
    if (item.value.type !== 'ref') continue;
    const object = await objects.object(item.value.num);
    if (object?.value.value.type === 'dict') streams.push(object);
  }
  return streams;
}
