import { UnknownFormatError } from './errors.js';
import { type Finding, finding, Rules } from './findings.js';
import type { FormatModule } from './format.js';

export interface Resolution {
  readonly handler: FormatModule;
  readonly findings: readonly Finding[];
  /**
   * Other formats the bytes fit too (a polyglot: one format's magic with another's structure).
   * A reader looks for labels under each; a writer refuses to guess.
   */
  readonly alsoFits: readonly FormatModule[];
}

/** Lower-case extension without the dot, or '' when there is none. */
export function extensionOf(filename: string): string {
  const base = filename.replace(/^.*[\\/]/, '');
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(dot + 1).toLowerCase() : '';
}

/**
 * An explicit, ordered list of handlers. Order matters only when two sniffs
 * match and the extension names neither: the earlier one wins.
 */
export class FormatRegistry {
  readonly #handlers: readonly FormatModule[];

  constructor(handlers: readonly FormatModule[]) {
    const ids = new Set<string>();
    for (const h of handlers) {
      if (ids.has(h.id)) throw new TypeError(`Expected unique handler ids but received "${h.id}" twice`);
      ids.add(h.id);
    }
    this.#handlers = handlers;
  }

  list(): readonly FormatModule[] {
    return this.#handlers;
  }

  get(id: string): FormatModule | undefined {
    return this.#handlers.find((h) => h.id === id);
  }

  byExtension(extension: string): FormatModule | undefined {
    const ext = extension.toLowerCase().replace(/^\./, '');
    return this.#handlers.find((h) => h.extensions.includes(ext));
  }

  /**
   * Magic bytes first, extension second: among handlers whose sniff matches, the
   * one the extension names wins (MP4 vs M4A, Markdown vs plain text); otherwise
   * the first whose sniff is certain, else the first. An extension that names a different format is a warning. Nothing
   * matching is an UnknownFormatError.
   */
  resolve(head: Uint8Array, filename?: string, tail?: Uint8Array): Resolution {
    const extension = filename ? extensionOf(filename) : '';
    const matches = this.#handlers.filter(
      (h) =>
        (!h.sniffNeedsExtension || !filename || h.extensions.includes(extension)) &&
        (safeSniff(h, head) || (tail !== undefined && safeTailSniff(h, tail))),
    );
    const named = extension ? this.#handlers.filter((h) => h.extensions.includes(extension)) : [];
    // Text formats take anything that looks like text, so only formats with exact magic bytes make a polyglot.
    const uncertain = (h: FormatModule) => h.sniffNeedsExtension === true || h.sniffUncertain?.(head) === true;
    const chosen = matches.find((h) => named.includes(h)) ?? matches.find((h) => !uncertain(h)) ?? matches[0];
    if (!chosen) {
      const hint = named[0] ? `; the extension says ${named[0].name} but the content does not match` : '';
      throw new UnknownFormatError(head.length === 0 ? 'the file is empty' : `unknown format${hint}`);
    }
    const findings: Finding[] = [];
    if (extension && !chosen.extensions.includes(extension)) {
      findings.push(
        finding(
          Rules.extensionMismatch,
          'warning',
          `the extension .${extension} ${named[0] ? `says ${named[0].name}` : 'is not one we know'} but the content is ${chosen.name}`,
        ),
      );
    }
    const alsoFits = uncertain(chosen) ? [] : matches.filter((h) => h !== chosen && !uncertain(h));
    if (alsoFits.length > 0) {
      findings.push(
        finding(
          Rules.ambiguousFormat,
          'warning',
          `the bytes fit ${[chosen, ...alsoFits].map((h) => h.name).join(' and ')} (a polyglot); labels were looked for under each`,
        ),
      );
    }
    return { handler: chosen, findings, alsoFits };
  }
}

function safeTailSniff(handler: FormatModule, tail: Uint8Array): boolean {
  try {
    return handler.sniffTail?.(tail) === true;
  } catch {
    return false;
  }
}

function safeSniff(handler: FormatModule, head: Uint8Array): boolean {
  try {
    return handler.sniff(head);
  } catch {
    return false;
  }
}
