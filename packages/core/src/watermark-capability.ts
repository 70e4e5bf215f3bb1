import type { CostClass, ExplicitFilePaths, ExplicitSearch, ExplicitSearchInput } from './explicit.js';
import type { Finding } from './findings.js';

/**
 * Invisible watermarks as a per-format capability, like `explicit`: a media package declares on
 * a format module how its mark is embedded and found, and the facade runs it without knowing the
 * format. GB 45438-2025 allows digital watermarks as implicit labels; Measures Art. 6(3) asks
 * platforms to look for such traces. The payload is core's `watermarkPayload(label)`, so a mark
 * can be matched against the metadata label.
 */

/** `label`'s watermark options. */
export interface WatermarkLabelOptions {
  /**
   * true: embed the format's invisible watermark (a format without one gets a finding); false:
   * never. Unset: only where an explicit label re-encodes the content anyway and can embed the
   * mark in that encode (audio), which costs no second generation of coding.
   */
  readonly watermark?: boolean | undefined;
  /** The watermark key; default core's public `DEFAULT_WATERMARK_KEY` (interoperability, not secrecy). */
  readonly watermarkKey?: string | undefined;
}

/** `detect` and `verify`: which watermark searches run, and under which key. */
export interface WatermarkDetectOptions {
  /**
   * true: look for the mark in every format that carries one; false: in none. By default only
   * where it costs no decode of its own (text, and audio whose audible search decodes anyway),
   * so the default verify stays a metadata read for images and video.
   */
  readonly watermark?: boolean | undefined;
  readonly watermarkKey?: string | undefined;
}

/** What to embed. */
export interface WatermarkRequest {
  /** The 64-bit payload (`watermarkPayload(label)`; the audio mark carries its first 32 bits). */
  readonly payload: Uint8Array;
  readonly key?: string | undefined;
}

export interface WatermarkEmbedResult {
  /** What was done, for the label report ("keyed luma mark, PSNR 44.1 dB"). */
  readonly detail: string;
  readonly findings: readonly Finding[];
  /** Why nothing was embedded in this file (too small to hold the mark); the content is then unchanged. */
  readonly skipped?: string | undefined;
}

/** A mark embedded in bytes in memory (images, text). */
export interface BytesWatermarkEmbedder {
  readonly input: 'bytes';
  embed(bytes: Uint8Array, request: WatermarkRequest): Promise<WatermarkEmbedResult & { readonly bytes: Uint8Array }>;
}

/** A mark rendered from file to file through ffmpeg (audio, video); `output` is written in the input's format. */
export interface FileWatermarkEmbedder {
  readonly input: 'file';
  embed(paths: ExplicitFilePaths, request: WatermarkRequest): Promise<WatermarkEmbedResult>;
}

/** A mark found: a payload that passed its check under the key. */
export interface WatermarkReading {
  readonly payload: Uint8Array;
  /** The detector's reading quality, 0 to 1 (1 − share of coded bits read wrong, or similar). */
  readonly confidence: number;
  /** Upper bound on the chance that content without this key's mark gives a reading. */
  readonly falsePositiveBound: number;
  /** For people: which mark and how it was read. */
  readonly detail: string;
  readonly where?: string | undefined;
}

export interface WatermarkSearchResult {
  readonly readings: readonly WatermarkReading[];
  readonly findings: readonly Finding[];
}

/** Where a format's mark is looked for when it shares a decode with an explicit-label search. */
export interface WatermarkSearchInput extends ExplicitSearchInput {
  readonly key?: string | undefined;
}

/** A format's invisible watermark: how it is embedded and found again. */
export interface WatermarkCapability {
  /** What is embedded, for `aigc-label formats`. */
  readonly summary: string;
  /** What embedding costs (all marks re-encode the media, so `media` but for text). */
  readonly embedCost: CostClass;
  readonly embedder: BytesWatermarkEmbedder | FileWatermarkEmbedder;
  /** What looking for the mark on its own costs: `metadata` runs by default, `media` on request. */
  readonly detectCost: CostClass;
  detect(input: WatermarkSearchInput): Promise<WatermarkSearchResult>;
  /**
   * The explicit-label search that reads the mark in its own decode when it runs (its input then
   * carries `watermark`, its result `watermarks`): no second decode, so it runs by default with it.
   */
  readonly readBy?: ExplicitSearch['enabledBy'] | undefined;
}

/** A format that carries no watermark here, and why (a finding when one is asked for). */
export interface WatermarkUnsupported {
  readonly unsupported: string;
}

export const isWatermarkCapability = (watermark: WatermarkCapability | WatermarkUnsupported): watermark is WatermarkCapability =>
  !('unsupported' in watermark);

/** What a found mark says, on its evidence. */
export interface WatermarkEvidence {
  /** The payload, 16 hex digits (8 for the audio mark, which carries the first 32 bits). */
  readonly payload: string;
  readonly confidence: number;
  readonly falsePositiveBound: number;
  /** Whether it is the metadata label's `watermarkPayload` (on the mark's bits, `samePayload`); null when the file has no metadata label. */
  readonly matchesLabel: boolean | null;
}
