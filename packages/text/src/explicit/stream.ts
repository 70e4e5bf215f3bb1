import { UsageError, utf8 } from '@aigc-label/core';
import { findExplicitLabels, LOOK_BEHIND_LIMIT } from './detect.js';
import { explicitLabelText, type LabelTextOptions } from './wording.js';

export interface LabelStreamOptions extends LabelTextOptions {
  /** Emit the label before the first chunk. Default false. */
  readonly start?: boolean;
  /** Emit the label after the source ends. Default true. */
  readonly end?: boolean;
  /** Between the label and the text; default a blank line. Trailing line breaks of the text count towards it. */
  readonly separator?: string;
  /**
   * Leave out the end label when the text already ends with a producer's label that carries both
   * GB 45438 §5.1 b) elements, as `findExplicitLabels` on the whole text would find it. Default true.
   */
  readonly skipWhenLabeledAtEnd?: boolean;
}

/** The stream keeps this many trailing characters to see a label the model wrote itself. */
const tailWindowLength = 1024;
/** Matches must start this far into a cut window: the detector then sees all it would see in the whole text. */
const cutMargin = LOOK_BEHIND_LIMIT;

/**
 * Wraps a stream of text chunks (as LLM SDKs yield them) with an explicit label
 * at its start and/or end (GB 45438 §5.1 c)). Chunks pass through unchanged as
 * they arrive; only a bounded tail window is kept, so memory stays constant.
 */
export async function* labelTextStream(source: AsyncIterable<string>, options: LabelStreamOptions = {}): AsyncGenerator<string> {
  const plan = streamPlan(options);
  if (plan.start !== null) yield plan.start;
  const tail = new TailWindow();
  for await (const chunk of source) {
    tail.push(chunk);
    yield chunk;
  }
  const end = plan.endAfter(tail);
  if (end !== null) yield end;
}

/**
 * The same for a byte stream (a UTF-8 HTTP body): the source bytes pass through
 * untouched, even when a chunk boundary splits a character; the label is UTF-8.
 */
export async function* labelByteStream(source: AsyncIterable<Uint8Array>, options: LabelStreamOptions = {}): AsyncGenerator<Uint8Array> {
  const plan = streamPlan(options);
  if (plan.start !== null) yield utf8(plan.start);
  const decoder = new TextDecoder('utf-8');
  const tail = new TailWindow();
  for await (const chunk of source) {
    tail.push(decoder.decode(chunk, { stream: true }));
    yield chunk;
  }
  tail.push(decoder.decode());
  const end = plan.endAfter(tail);
  if (end !== null) yield utf8(end);
}

function streamPlan(options: LabelStreamOptions) {
  const label = explicitLabelText(options);
  const atStart = options.start ?? false;
  const atEnd = options.end ?? true;
  if (!atStart && !atEnd) throw new UsageError('a labeled stream needs the label at its start, its end or both');
  const separator = options.separator ?? '\n\n';
  const skipWhenLabeled = options.skipWhenLabeledAtEnd ?? true;
  return {
    start: atStart ? label + separator : null,
    endAfter(tail: TailWindow): string | null {
      if (!atEnd) return null;
      if (tail.total === 0) return atStart ? null : label;
      if (skipWhenLabeled && tail.endsWithLabel()) return null;
      return separatorAfter(tail.text, separator) + label;
    },
  };
}

/** The part of `separator` the text's own trailing line breaks do not already supply. */
function separatorAfter(text: string, separator: string): string {
  if (!/^(?:\r?\n)+$/.test(separator)) return separator;
  const trailing = /(?:\r?\n)*$/.exec(text)?.[0] ?? '';
  const have = trailing.split('\n').length - 1;
  const want = separator.split('\n').length - 1;
  const eol = separator.includes('\r\n') || trailing.includes('\r\n') ? '\r\n' : '\n';
  return eol.repeat(Math.max(0, want - have));
}

/** The last `tailWindowLength` characters seen; chunks are joined only every so often, so each costs O(1) amortised. */
class TailWindow {
  #parts: string[] = [];
  #length = 0;
  total = 0;

  push(chunk: string): void {
    this.total += chunk.length;
    if (chunk.length >= tailWindowLength) {
      // A chunk as long as the window replaces it; nothing earlier can be in the tail.
      this.#parts = [chunk];
      this.#length = chunk.length;
      return;
    }
    this.#parts.push(chunk);
    this.#length += chunk.length;
    if (this.#length > 2 * tailWindowLength) this.#compact();
  }

  get text(): string {
    this.#compact();
    return this.#parts[0] ?? '';
  }

  #compact(): void {
    const text = this.#parts.join('').slice(-tailWindowLength);
    this.#parts = [text];
    this.#length = text.length;
  }

  endsWithLabel(): boolean {
    const text = this.text;
    const cut = this.total > text.length;
    return findExplicitLabels(text).some(
      (m) => m.position === 'end' && m.compliant && m.level === 'confirmed' && (!cut || m.start >= cutMargin),
    );
  }
}
