/**
 * Writes the text mark: clusters of invisible variation selectors at the places
 * {@link InsertionContext} allows, about every `spacing` visible characters, cycling through
 * the four fragments of the message. Works on whole strings and on streams of chunks (an LLM's
 * output), keeping only a few characters of state.
 */
import { UsageError, WATERMARK_PAYLOAD_BITS } from '@aigc-label/core';
import { encodeClusters, isMarkSelector, TextMarkKey } from './code.js';
import { InsertionContext, type WatermarkFlavour } from './context.js';

export interface TextWatermarkOptions {
  /** The watermark key; default the public key (interoperability, not secrecy). */
  readonly key?: string | undefined;
  /** `plain` (default), `markdown` or `html`: which constructs to keep the mark out of. */
  readonly flavour?: WatermarkFlavour | undefined;
  /**
   * Visible characters between clusters, at least; default 24, so that any 200 characters hold
   * four or more whole clusters in ordinary prose.
   */
  readonly spacing?: number | undefined;
}

export const DEFAULT_SPACING = 24;

export class TextWatermarker {
  private readonly clusters: string[];
  private readonly context: InsertionContext;
  private readonly spacing: number;
  /** Where punctuation is scarce, a space takes a cluster after this many characters. */
  private readonly fallbackSpacing: number;
  private next = 0; // fragment of the next cluster
  private sinceLast: number; // visible characters since the last cluster
  private pendingHigh = ''; // a high surrogate waiting for its pair across chunks

  constructor(payload: Uint8Array, options: TextWatermarkOptions = {}) {
    if (payload.length * 8 !== WATERMARK_PAYLOAD_BITS) throw new UsageError(`the watermark payload must be ${WATERMARK_PAYLOAD_BITS} bits`);
    this.spacing = options.spacing ?? DEFAULT_SPACING;
    if (!Number.isInteger(this.spacing) || this.spacing < 1 || this.spacing > 10_000)
      throw new UsageError('watermark spacing must be 1-10000 characters');
    this.fallbackSpacing = Math.ceil(1.5 * this.spacing);
    this.clusters = encodeClusters(payload, new TextMarkKey(options.key));
    this.context = new InsertionContext(options.flavour ?? 'plain');
    this.sinceLast = this.spacing; // the first suitable place gets a cluster
  }

  /** Marks the next chunk; the output may hold back a lone high surrogate until the next chunk. */
  push(chunk: string): string {
    let text = this.pendingHigh + chunk;
    this.pendingHigh = '';
    const last = text.charCodeAt(text.length - 1);
    if (last >= 0xd800 && last <= 0xdbff) {
      this.pendingHigh = text.slice(-1);
      text = text.slice(0, -1);
    }
    // Unmarked stretches are copied as slices; only the clusters are inserted.
    let out = '';
    let copied = 0;
    for (let i = 0; i < text.length; ) {
      const codePoint = text.codePointAt(i)!;
      const ch = codePoint > 0xffff ? text.slice(i, i + 2) : text[i]!;
      if (!isMarkSelector(codePoint)) {
        // an existing mark is kept as it is, never removed
        const point = this.context.pointBefore(ch);
        if (point === 'punctuation' ? this.sinceLast >= this.spacing : point === 'space' && this.sinceLast >= this.fallbackSpacing) {
          out += text.slice(copied, i) + this.cluster();
          copied = i;
        }
        this.context.advance(ch);
        this.sinceLast++;
        if (this.sinceLast >= this.spacing && this.context.pointAfter(ch)) {
          out += text.slice(copied, i + ch.length) + this.cluster();
          copied = i + ch.length;
        }
      }
      i += ch.length;
    }
    return out + text.slice(copied);
  }

  /** Ends the stream (returns a held-back lone surrogate, if any). */
  finish(): string {
    const rest = this.pendingHigh;
    this.pendingHigh = '';
    return rest;
  }

  private cluster(): string {
    const cluster = this.clusters[this.next]!;
    this.next = (this.next + 1) % this.clusters.length;
    this.sinceLast = 0;
    return cluster;
  }
}

/** Marks a whole text. */
export function watermarkText(text: string, payload: Uint8Array, options: TextWatermarkOptions = {}): string {
  const marker = new TextWatermarker(payload, options);
  return marker.push(text) + marker.finish();
}

/**
 * Marks a stream of text chunks as they arrive (for `labelTextStream`: mark first, then label,
 * so the explicit label itself stays unmarked).
 */
export async function* watermarkTextStream(
  source: AsyncIterable<string>,
  payload: Uint8Array,
  options: TextWatermarkOptions = {},
): AsyncGenerator<string> {
  const marker = new TextWatermarker(payload, options);
  for await (const chunk of source) {
    const marked = marker.push(chunk);
    if (marked.length > 0) yield marked;
  }
  const rest = marker.finish();
  if (rest.length > 0) yield rest;
}
