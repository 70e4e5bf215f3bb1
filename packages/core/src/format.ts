import type { ByteSource, CopyRange, WritePlan } from './binary/source.js';
import type { DecodedForm } from './decode.js';
import type { ExplicitCapability, ExplicitUnsupported } from './explicit.js';
import type { Finding } from './findings.js';
import type { AigcLabel, LabelForm } from './label.js';
import type { WatermarkCapability, WatermarkEvidence, WatermarkUnsupported } from './watermark-capability.js';

export type MediaKind = 'text' | 'image' | 'audio' | 'video';

/** What identifies a format: enough to list it and to recognise its bytes. */
export interface FormatDescriptor {
  /** Registry key, also used in messages and JSON output: 'png', 'jpeg', 'mp4'. */
  readonly id: string;
  readonly kind: MediaKind;
  /** Display name: 'PNG', 'JPEG', 'MPEG-4'. */
  readonly name: string;
  /** Lower-case, without dot; the first is the preferred one. */
  readonly extensions: readonly string[];
  readonly mimeTypes: readonly string[];
  /** The carrier the TC260 guide names for this format, as shown in the README table. */
  readonly carrier: string;
  /**
   * Magic-byte test on the first `sniffLengthInBytes` bytes. Only peeks; never
   * throws. Text formats return true for anything that looks like text, and the
   * registry lets the extension choose between them.
   */
  sniff(head: Uint8Array): boolean;
  /**
   * The sniff accepts any text (Markdown, plain text), so it only decides when
   * the extension names this format or there is no file name: a JSON file or a
   * text file named .png must not be taken for Markdown.
   */
  readonly sniffNeedsExtension?: boolean;
  /**
   * Recognises the format from the file's last `sniffLengthInBytes` bytes (a ZIP's end of
   * central directory), for files that start as another format: a polyglot. A number is how many
   * bytes at the end of the file the format takes (a ZIP appended to a PDF), read from there.
   */
  sniffTail?(tail: Uint8Array): boolean | number;
  /**
   * True when the head cannot tell (an ID3 tag longer than the head hides whether MPEG audio
   * or "fLaC" follows): the format is a candidate the extension chooses between, not a second
   * reading of a polyglot.
   */
  sniffUncertain?(head: Uint8Array): boolean;
  /** Finding rules only this format emits, with their meaning (documented in the README's rule table). */
  readonly rules?: Readonly<Record<string, string>>;
}

/** One place in a file where a label (or something claiming to be one) was found. */
export interface LabelCarrier {
  /** Carrier kind, stable for filtering: 'xmp', 'png-text', 'exif-user-comment', 'riff-chunk'. */
  readonly carrier: string;
  /** Where, for people: 'iTXt chunk "XML:com.adobe.xmp" at byte 33, TC260:AIGC element'. */
  readonly location: string;
  /** Byte offset of the structure holding the value, when meaningful. */
  readonly offset?: number;
  /** The value as stored (after unescaping the container's own encoding). */
  readonly raw: string;
  /** Decoded label, or null when the value could not be read as one. */
  readonly label: AigcLabel | null;
  readonly form: DecodedForm | null;
  /** True for the carrier the guide names for this format. */
  readonly canonical: boolean;
  readonly findings: readonly Finding[];
}

/**
 * Evidence kinds, one typed union across the toolkit: each package adds its own with
 * `declare module '@aigc-label/core' { interface EvidenceKindsByPackage { text: TextEvidenceKind } }`.
 */
export interface EvidenceKindsByPackage {
  core: keyof typeof coreEvidenceKinds;
}

/** Evidence the label model reads from other schemes, with its meaning. */
export const coreEvidenceKinds = {
  'iptc-digital-source-type': 'an IPTC DigitalSourceType in XMP; a trace under Measures Art. 6(3) when it names a trained-algorithm source',
  'c2pa-manifest':
    'a C2PA manifest store, validated by the C2PA SDK where it reads the format (Valid, Invalid, Trusted); a trace when its actions or ingredients name a trained-algorithm digital source type',
  watermark:
    "an invisible watermark whose payload passed its check under the key; a trace under Measures Art. 6(3), matched against the metadata label's payload when there is one",
} as const;
export type EvidenceKind = EvidenceKindsByPackage[keyof EvidenceKindsByPackage];

/**
 * The labeling scheme a piece of evidence belongs to: a TC260 label seen where no carrier is
 * read, a C2PA manifest, an IPTC DigitalSourceType, a vendor's own marker, an explicit label,
 * a watermark.
 */
export type EvidenceScheme = 'tc260' | 'c2pa' | 'iptc' | 'vendor' | 'explicit' | 'watermark';

/** A signed piece of evidence checked as its scheme's own validator names the result (C2PA: Valid, Invalid, Trusted). */
export interface EvidenceValidation {
  readonly state: 'Valid' | 'Invalid' | 'Trusted';
  /** The validator's failure codes (C2PA `validation_results` failure codes), empty when none. */
  readonly failures: readonly string[];
}

/** Signs of AI generation other than an Annex E metadata label (IPTC source type, C2PA manifest, explicit labels). */
export interface Evidence {
  readonly kind: EvidenceKind;
  readonly scheme: EvidenceScheme;
  readonly detail: string;
  readonly where?: string;
  /**
   * Whether this is a trace of AI generation in the sense of Measures Art. 6(3): an explicit
   * label or an IPTC trainedAlgorithmicMedia is; a C2PA manifest that asserts nothing about AI is not.
   */
  readonly aiTrace: boolean;
  /**
   * The Art. 6 level the trace itself expresses, where it says one: a producer's prompt
   * (人工智能生成) says `confirmed`, a platform's 可能为 prompt `possible` and its 疑似 prompt
   * `suspected`. Absent when the trace says nothing about it.
   */
  readonly level?: 'confirmed' | 'possible' | 'suspected';
  /** For a watermark: its payload, how it was read, and whether it matches the metadata label. */
  readonly watermark?: WatermarkEvidence;
  /** Why it is, or is not, an AI trace, in words (the IPTC term it names, the marker it matched). */
  readonly reason?: string;
  /** For signed evidence: what validating its signature and bindings found. */
  readonly validation?: EvidenceValidation;
}

export interface ReadResult {
  readonly format: string;
  readonly carriers: readonly LabelCarrier[];
  /** Oddities of the file itself (damaged structure, unusual layout). */
  readonly findings: readonly Finding[];
  readonly evidence?: readonly Evidence[];
}

export interface WriteOptions {
  /** Override the guide's form for the canonical carrier. */
  readonly form?: LabelForm | undefined;
  /** Also write IPTC DigitalSourceType trainedAlgorithmicMedia where the label goes into XMP (dual labeling). */
  readonly iptc?: boolean | undefined;
  /**
   * Also write the label, in the wrapped form, into the alternative carrier the image guide's
   * Annex B shows where the format has one (PNG tEXt `AIGC`, JPEG EXIF UserComment).
   */
  readonly alternativeCarrier?: boolean | undefined;
}

export interface WriteResult extends WritePlan {
  readonly findings: readonly Finding[];
}

/**
 * A format module: everything the toolkit can do with one format, declared in the format's
 * folder, so the facade runs one generic pipeline and adding a format is one folder plus one
 * registry line (CONTRIBUTING.md). Handlers never mutate their input, and `write` must leave
 * exactly one label in the file: every existing AIGC carrier is replaced, never added to
 * (GB 45438 §6.1 c)).
 */
export interface FormatModule extends FormatDescriptor {
  /** Every label carrier found; an empty list when there is none. Throws only on damaged input. */
  read(source: ByteSource): Promise<ReadResult>;
  /**
   * A plan for the labeled file. Absent for a format with no metadata carrier (plain text),
   * which can carry only its explicit label.
   */
  write?(source: ByteSource, label: AigcLabel, options?: WriteOptions): Promise<WriteResult>;
  /** The explicit label (visible, audible or a text prompt) this format takes, or why it takes none here. */
  readonly explicit?: ExplicitCapability | ExplicitUnsupported;
  /**
   * What a signed label's content binding covers in this format (packages/security README
   * "Content binding"), or why the format has no binding yet. Absent: not declared yet.
   */
  readonly contentRegions?: ContentRegionsCapability | ContentRegionsUnsupported;
  /** The invisible watermark this format carries, or why it carries none here. */
  readonly watermark?: WatermarkCapability | WatermarkUnsupported;
}

/**
 * A format's content regions: the byte ranges a signed label is bound to (an SM3 digest over
 * their concatenation). They leave out every carrier a label write may add, change or remove,
 * so writing the label leaves the digest as it was; everything else in the file is in them.
 */
export interface ContentRegionsCapability {
  /**
   * Names the selection, written into the binding (`CntSel`) so a verifier recomputes the same
   * bytes: `<format>/<what>@<version>`, printable ASCII; never changes meaning once shipped.
   */
  readonly scheme: string;
  /**
   * Ranges of `source`, ascending and non-overlapping. Reads only structure, never the media data.
   * Throws `UnsupportedFormatError` when this file's layout has none (an ID3v2 tag in front of
   * FLAC): its binding is then absent, as for a format without regions.
   */
  regions(source: ByteSource): Promise<readonly CopyRange[]>;
}

/** Why a format has no content binding yet (a signed label is then bound to nothing but itself). */
export interface ContentRegionsUnsupported {
  readonly unsupported: string;
}

/**
 * The ranges of a file of `size` bytes outside `excluded` (spans `[start, end)` in any order,
 * possibly touching): what a format's `regions` returns once it has found its label carriers.
 */
export function regionsExcept(size: number, excluded: readonly { readonly start: number; readonly end: number }[]): CopyRange[] {
  const ranges: CopyRange[] = [];
  let at = 0;
  for (const { start, end } of [...excluded].sort((a, b) => a.start - b.start)) {
    if (start > at) ranges.push({ from: at, length: start - at });
    at = Math.max(at, end);
  }
  if (at < size) ranges.push({ from: at, length: size - at });
  return ranges;
}

export const isContentRegionsCapability = (
  value: ContentRegionsCapability | ContentRegionsUnsupported | undefined,
): value is ContentRegionsCapability => value !== undefined && 'regions' in value;

/** A format module with a metadata carrier: every format but plain text. */
export interface FormatHandler extends FormatModule {
  write(source: ByteSource, label: AigcLabel, options?: WriteOptions): Promise<WriteResult>;
}

/**
 * Carriers a reader lists for one structure at most: a file may hold one label (GB 45438
 * §6.1 c)), so more is damage or an attack, reported as a finding rather than as a hundred
 * thousand entries that would cost memory and drown a report.
 */
export const maximumListedCarriers = 64;

/** How many leading bytes `sniff` gets. */
export const sniffLengthInBytes = 4096;
