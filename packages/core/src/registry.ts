import { ascii, fromAscii, startsWith, u32be } from './binary/bytes.js';
import type { ByteSource } from './binary/source.js';
import { UnknownFormatError, UnsupportedFormatError } from './errors.js';
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
   * Magic bytes first (and tail sniffs: a ZIP appended to another format), extension second:
   * among handlers whose sniff matches, the one the extension names wins (MP4 vs M4A, Markdown
   * vs plain text); otherwise the first whose sniff is certain, else the first. An extension
   * that names a different format is a warning. Nothing matching is an UnknownFormatError.
   */
  resolve(head: Uint8Array, filename?: string, tail?: Uint8Array): Resolution {
    const extension = filename ? extensionOf(filename) : '';
    // Without a tail the head holds the whole file (the facade reads a tail only past the head): its end is the file's.
    const end = tail ?? head;
    const atStart = this.#handlers.filter(
      (h) => (!h.sniffNeedsExtension || !filename || h.extensions.includes(extension)) && (safeSniff(h, head) || safeTailSniff(h, end)),
    );
    const named = extension ? this.#handlers.filter((h) => h.extensions.includes(extension)) : [];
    // One format's magic followed by an ISO-BMFF ftyp box (issue 25 item 5): the boxes are read from
    // where the ftyp starts, and the format the name claims is a second reading.
    const start = embeddedFtypStart(head);
    const embedded =
      start > 0 ? this.#handlers.filter((h) => !h.sniffNeedsExtension && !atStart.includes(h) && safeSniff(h, head.subarray(start))) : [];
    const claimed = embedded.length > 0 && atStart.length === 0 ? named.slice(0, 1) : [];
    // A format found by its tail that takes only the end of the file (a ZIP appended to a PDF) is read from where it starts.
    const placed = atStart.map((h) => {
      const taken = safeSniff(h, head) ? true : safeTailLength(h, end);
      return typeof taken === 'number' ? readFrom(h, (size) => Math.max(0, size - taken), `${h.name} (appended)`) : h;
    });
    const matches = [...claimed, ...placed, ...embedded.map((h) => readFrom(h, () => start, `${h.name} from byte ${start}`))];
    // Text formats take anything that looks like text, so only formats with exact magic bytes make a polyglot.
    const uncertain = (h: FormatModule) => h.sniffNeedsExtension === true || h.sniffUncertain?.(head) === true;
    const chosen = matches.find((h) => named.some((n) => n.id === h.id)) ?? matches.find((h) => !uncertain(h)) ?? matches[0];
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

/** Most leading bytes of another format before an embedded ftyp box that the registry looks past. */
const maximumBytesBeforeFtyp = 64;
const FTYP = ascii('ftyp');

/**
 * Where an ISO-BMFF `ftyp` box starts when a few bytes of something else come first (1 to
 * `maximumBytesBeforeFtyp`), or 0: its size must hold at least the major brand and version and
 * fit the head, and the major brand must be printable.
 */
function embeddedFtypStart(head: Uint8Array): number {
  for (let at = 1; at <= maximumBytesBeforeFtyp && at + 16 <= head.length; at++) {
    // Bytes compared, not a string built per position: this runs on every file a batch resolves.
    if (!startsWith(head, FTYP, at + 4)) continue;
    const size = u32be(head, at);
    if (size >= 16 && size <= head.length - at && /^[\x20-\x7e]{4}$/.test(fromAscii(head, at + 8, at + 12))) return at;
  }
  return 0;
}

/** `source` from byte `start` on. */
function sourceFrom(source: ByteSource, start: number): ByteSource {
  return {
    size: Math.max(0, source.size - start),
    read: (offset, length) => source.read(start + offset, length),
  };
}

/**
 * `handler` reading a format that starts at byte `startOf(file size)` of a polyglot, inside
 * another format's bytes: its carriers point into the whole file. It never writes there (the
 * offsets in its structure are relative to its start), and binds nothing.
 */
function readFrom(handler: FormatModule, startOf: (size: number) => number, name: string): FormatModule {
  return {
    ...handler,
    name,
    contentRegions: { unsupported: `the ${name} sits inside another format's bytes (a polyglot)` },
    async read(source) {
      const start = startOf(source.size);
      const result = await handler.read(sourceFrom(source, start));
      return {
        ...result,
        carriers: result.carriers.map((c) => ({
          ...c,
          location: `${name}: ${c.location}`,
          ...(c.offset === undefined ? {} : { offset: c.offset + start }),
        })),
      };
    },
    async write() {
      throw new UnsupportedFormatError(`${handler.id}: the ${name} sits inside another format's bytes (a polyglot); it is not written`);
    },
  };
}

/** What `sniffTail` says: false, true (the whole file) or how many bytes at the end the format takes. */
function safeTailLength(handler: FormatModule, tail: Uint8Array): boolean | number {
  try {
    const taken = handler.sniffTail?.(tail) ?? false;
    return typeof taken === 'number' && !(taken > 0) ? false : taken;
  } catch {
    return false;
  }
}

const safeTailSniff = (handler: FormatModule, tail: Uint8Array): boolean => safeTailLength(handler, tail) !== false;

function safeSniff(handler: FormatModule, head: Uint8Array): boolean {
  try {
    return handler.sniff(head);
  } catch {
    return false;
  }
}
