import type { ByteSource, WritePlan } from './binary/source.js';
import type { Finding } from './findings.js';
import type { Evidence, EvidenceKind } from './format.js';
import type { WatermarkReading, WatermarkRequest } from './watermark-capability.js';
import type { Wording } from './wording.js';

/**
 * Explicit labels (显式标识, GB 45438 §5): the one vocabulary of options every modality
 * reads, and the capability a format module declares. The media packages implement the
 * capabilities; the facade runs them without knowing which format it has.
 */

/** Where in the content a label goes, in reading or playing order (GB 45438 §5.1 c), §5.3 d), §5.4 c)). */
export type Placement = 'start' | 'middle' | 'end';

/** Where a visible label sits on an image or video frame, in displayed orientation (GB 45438 §5.2 c)). */
export type VisiblePosition =
  | 'top-left'
  | 'top-center'
  | 'top-right'
  | 'middle-left'
  | 'middle-right'
  | 'bottom-left'
  | 'bottom-center'
  | 'bottom-right';

export const VISIBLE_POSITIONS: readonly VisiblePosition[] = [
  'top-left',
  'top-center',
  'top-right',
  'middle-left',
  'middle-right',
  'bottom-left',
  'bottom-center',
  'bottom-right',
];

/** A built-in wording name, or custom text (checked for the elements of GB 45438 §5 b)). */
export type WordingChoice = keyof typeof Wording | (string & {});

/** A visible label on images and video frames (GB 45438 §5.2, §5.4). */
export interface VisibleLabelOptions {
  /**
   * Label wording, one string per line. It must contain an AI element (人工智能/AI) and a
   * generation element (生成/合成) (GB 45438 §5.2 b)). Default `['人工智能生成']`.
   */
  readonly text?: string | readonly string[] | undefined;
  /** Add an English second line (`AI-generated`) under the wording. Default false. */
  readonly bilingual?: boolean | undefined;
  /** Position in displayed orientation. Default `'bottom-right'`. */
  readonly position?: VisiblePosition | undefined;
  /**
   * Ink height of the text as a fraction of the shortest displayed side. Default and minimum 0.05
   * (GB 45438 §5.2 e)); values below 0.05 are refused unless `allowNoncompliant`.
   */
  readonly textHeightRatio?: number | undefined;
  /** Gap between the label and the image edges, as a fraction of the shortest side. Default 0.02. */
  readonly marginRatio?: number | undefined;
  /**
   * Draw a label that breaks the 5% rule (smaller ratio asked for, or an image too small for a
   * compliant label) instead of refusing; the result carries a finding. Default false.
   */
  readonly allowNoncompliant?: boolean | undefined;
  /** Input pixel limit (width × height × frames), passed to sharp. Default sharp's 268402689. */
  readonly limitInputPixels?: number | undefined;
  /** JPEG output quality. Default: estimated from the source's quantisation tables (75 if none). */
  readonly jpegQuality?: number | undefined;
}

/** A text prompt (GB 45438 §5.1). */
export interface TextLabelOptions {
  /** Built-in wording name or custom text; default `zhSentence` (本内容由人工智能生成). */
  readonly wording?: WordingChoice | undefined;
  /** Where the prompt goes; several places give several prompts. Default `['end']`. */
  readonly placement?: readonly Placement[] | undefined;
  /** The general-symbol form (GB 45438 §5.1 a) 通用符号提示), e.g. 【AI生成】. */
  readonly symbol?: boolean | undefined;
  /** @deprecated since 0.2: use `placement`. */
  readonly positions?: Placement | readonly Placement[] | undefined;
}

/** The built-in spoken prompts (GB 45438 §5.3 a), b)). */
export type BuiltInVoicePrompt = 'zh' | 'zh-en';

/** An audible label (GB 45438 §5.3): the ·−·· rhythm, or a spoken prompt. */
export interface AudibleLabelOptions {
  /** Where the rhythm or prompt goes. Default `['start']`; a voice prompt goes at the start and/or the end. */
  readonly placement?: readonly Placement[] | undefined;
  /** `insert` (default) shifts the content; `mix` lays the label over it and keeps the duration. */
  readonly mode?: 'insert' | 'mix' | undefined;
  /** A built-in spoken prompt instead of the rhythm. */
  readonly voice?: BuiltInVoicePrompt | undefined;
  /** @deprecated since 0.2: use `placement`. */
  readonly positions?: readonly Placement[] | undefined;
}

/** A visible label on video (GB 45438 §5.4); its look comes from `visible`. */
export interface VideoLabelOptions {
  /** Seconds the label shows at each placement; never below 2 (GB 45438 §5.4). Default 3. */
  readonly duration?: number | undefined;
  /** Where in time the label shows. Default `['start']`. */
  readonly placement?: readonly Placement[] | undefined;
  /** `smart` re-encodes only the labelled GOPs or fails; `full` re-encodes everything; `auto` tries smart first. */
  readonly mode?: 'auto' | 'smart' | 'full' | undefined;
  /** x264/x265 speed preset for re-encoded frames (default: the encoder's own, `medium`). */
  readonly encoderPreset?: string | undefined;
  /** @deprecated since 0.2: use `placement`. */
  readonly at?: readonly Placement[] | undefined;
}

/** Options for the explicit label `label` adds before the metadata label. */
export interface ExplicitLabelOptions {
  /** Add the explicit label (default true where the format supports one). */
  readonly explicit?: boolean | undefined;
  /** Add it even when the file already carries a metadata label (normally skipped so labels do not pile up). */
  readonly redraw?: boolean | undefined;
  readonly visible?: VisibleLabelOptions | undefined;
  readonly text?: TextLabelOptions | undefined;
  readonly audio?: AudibleLabelOptions | undefined;
  readonly video?: VideoLabelOptions | undefined;
}

/** Which explicit-label searches `detect` and `verify` run. */
export interface ExplicitDetectOptions {
  /** OCR images and sampled video frames for visible labels (slow; off by default). */
  readonly ocr?: boolean | undefined;
  /** Look for the audible labels (the ·−·· rhythm, the built-in voice prompts) in audio and video (default true). */
  readonly audible?: boolean | undefined;
  /** @deprecated since 0.2: use `audible`. */
  readonly rhythm?: boolean | undefined;
}

/**
 * What a step costs, for schedulers: `metadata` work mostly waits on the disk and many such
 * files overlap on one thread; `media` work decodes pixels or samples (or runs ffmpeg) and
 * keeps a core busy.
 */
export type CostClass = 'metadata' | 'media';

/** What an explicit label step added, for the label report. */
export interface ExplicitSummary {
  readonly kind: 'image' | 'text' | 'audio' | 'video';
  readonly detail: string;
}

/** An explicit label drawn or written into bytes in memory (images, text). */
export interface BytesExplicitLabeler {
  readonly input: 'bytes';
  apply(bytes: Uint8Array, options: ExplicitLabelOptions): Promise<{ bytes: Uint8Array; summary: ExplicitSummary; findings: Finding[] }>;
}

/** Scratch paths for a labeler that renders through files (ffmpeg). */
export interface ExplicitFilePaths {
  /** The source file. */
  readonly input: string;
  /** Where to write the labeled copy (same format); a new file in `workDir`'s folder. */
  readonly output: string;
  /** A private folder for intermediate files; the caller removes it afterwards. */
  readonly workDir: string;
  /** The input's bytes, read on demand, for labelers that keep parts of it as they are. */
  readonly source?: ByteSource | undefined;
}

/** An explicit label rendered from file to file (audio, video). */
export interface FileExplicitLabeler {
  readonly input: 'file';
  /**
   * `apply` takes the format's invisible mark (`watermark`) and embeds it in its own re-encode:
   * one generation of coding, not two. It embeds it only where it re-encodes anyway (not where
   * it splices) and not over a mark already there, and says what it did in `watermarked`.
   */
  readonly embedsWatermark?: boolean | undefined;
  apply(
    paths: ExplicitFilePaths,
    options: ExplicitLabelOptions,
    watermark?: WatermarkRequest,
  ): Promise<{
    summary: ExplicitSummary;
    findings: Finding[];
    /** What was embedded of `watermark`, for the label report; absent when nothing was. */
    watermarked?: string | undefined;
    /** The content already carried a mark under the key, so `watermark` was not embedded (reported in `findings`). */
    alreadyMarked?: boolean | undefined;
    /**
     * A fix-up of the rendered file before the metadata label is written over it, as a source
     * read on demand (e.g. the re-encoded GOPs' parameter sets joining the track header).
     */
    finish?: ((rendered: ByteSource) => Promise<{ source: ByteSource; findings: Finding[] }>) | undefined;
    /**
     * The labeled file as new bytes and ranges of `paths.source`, when the labeler spliced the
     * label in without rendering a file (`output` is then not written and `finish` not used).
     */
    spliced?: WritePlan | undefined;
  }>;
}

/** Where a search reads from: a path on disk when there is one, and the bytes on demand. */
export interface ExplicitSearchInput {
  readonly path?: string | undefined;
  readonly bytes: () => Promise<Uint8Array>;
  /** The bytes as a source read in blocks, for searches that decode in this process. */
  readonly source?: ByteSource | undefined;
  /** Set when the format's watermark is read by this search (`WatermarkCapability.readBy`): read it in the same decode. */
  readonly watermark?: { readonly key?: string | undefined } | undefined;
}

/**
 * Text a search read from the media (an OCR line) with part of the wording of GB 45438 §5 but
 * not all of it (即梦AI, 可灵AI 3.0): not a label by the element rule, but possibly a vendor's
 * mark. The facade's evidence readers judge it with the text package's label grammar.
 */
export interface FoundMark {
  readonly text: string;
  /** Where it was read: 'image, bottom-right'. */
  readonly where: string;
  /** The evidence kind a mark found here is reported as. */
  readonly kind: EvidenceKind;
  /** The clause of GB 45438 whose wording rule the mark is judged by: §5.2 images, §5.4 video. */
  readonly clause: '5.2' | '5.4';
}

export interface ExplicitSearchResult {
  readonly evidence: readonly Evidence[];
  readonly findings: readonly Finding[];
  /** Marks read in the same decode, when the input asked for them. */
  readonly watermarks?: readonly WatermarkReading[];
  /** Text read that may be a vendor's mark without the full wording. */
  readonly marks?: readonly FoundMark[];
}

/** One way `detect` looks for explicit labels in a format. */
export interface ExplicitSearch {
  /** The detect option that turns it on: `ocr` (off by default), `audible` (on by default). */
  readonly enabledBy: 'ocr' | 'audible';
  readonly cost: CostClass;
  run(input: ExplicitSearchInput): Promise<ExplicitSearchResult>;
}

/** A format's explicit label: how it is added and how it is found again. */
export interface ExplicitCapability {
  /** What is added, for `aigc-label formats` and the README's formats table. */
  readonly summary: string;
  /** What adding it costs. */
  readonly cost: CostClass;
  /**
   * The label can carry any wording, such as the prompts a platform shows under Measures Art. 6
   * (可能为人工智能生成, 疑似人工智能生成); an audible label here speaks only built-in prompts.
   */
  readonly customWording: boolean;
  readonly labeler: BytesExplicitLabeler | FileExplicitLabeler;
  /**
   * How detect finds explicit labels; `read` already reports those of text formats (so
   * `inRead` is true and no search is needed).
   */
  readonly searches: readonly ExplicitSearch[];
  readonly inRead?: boolean | undefined;
}

/** A format that can carry no explicit label here, and why (reported as a finding when one is asked for). */
export interface ExplicitUnsupported {
  readonly unsupported: string;
}

export const isExplicitCapability = (explicit: ExplicitCapability | ExplicitUnsupported): explicit is ExplicitCapability =>
  !('unsupported' in explicit);

/** True when `search` runs under `options` (its option's default applies when unset). */
export function searchEnabled(search: ExplicitSearch, options: ExplicitDetectOptions): boolean {
  if (search.enabledBy === 'ocr') return options.ocr === true;
  return (options.audible ?? options.rhythm) !== false;
}
