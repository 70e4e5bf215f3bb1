import { InvalidLabelError } from './errors.js';
import { newProduceId } from './produce-id.js';

/** The seven Annex E elements, in Annex E order (GB 45438 Annex E b)). */
export const AIGC_FIELDS = [
  'Label',
  'ContentProducer',
  'ProduceID',
  'ReservedCode1',
  'ContentPropagator',
  'PropagateID',
  'ReservedCode2',
] as const;
export type AigcField = (typeof AIGC_FIELDS)[number];

/** `Label` values; strings, not numbers (GB 45438 Annex E c)). */
export const LabelValue = {
  /** 属于人工智能生成合成内容: the content is AI-generated. */
  Confirmed: '1',
  /** 可能为: the content may be AI-generated (user declaration, Measures Art. 6(2)). */
  Possible: '2',
  /** 疑似为: the content is suspected to be AI-generated (traces, Measures Art. 6(3)). */
  Suspected: '3',
} as const;
export type LabelValue = (typeof LabelValue)[keyof typeof LabelValue];
export const LABEL_VALUES: readonly string[] = Object.values(LabelValue);

/** One Annex E implicit label. All values are strings. */
export interface AigcLabel {
  Label: LabelValue;
  /** Name or 27-character code of the generation service provider (Annex E d)). */
  ContentProducer: string;
  /** The producer's unique id for this content (Annex E e)). */
  ProduceID: string;
  /** Producer security data, or "" (Annex E f)). */
  ReservedCode1: string;
  /** Propagation platform; on first write equal to ContentProducer (Annex E Note 1). */
  ContentPropagator: string;
  /** Propagation id; on first write equal to ProduceID (Annex E Note 1). */
  PropagateID: string;
  /** Propagator security data, or "" (Annex E i)). */
  ReservedCode2: string;
}

export interface CreateLabelOptions {
  /** Provider name or code; required (Measures Art. 5 production elements). */
  producer: string;
  /** Content id; a fresh UUIDv7 when omitted. */
  produceId?: string;
  label?: LabelValue;
  reservedCode1?: string;
  reservedCode2?: string;
}

/**
 * Builds the label a generation service writes on first write: the propagation
 * elements equal the production elements (GB 45438 Annex E Note 1).
 */
export function createLabel(options: CreateLabelOptions): AigcLabel {
  const producer = options.producer?.trim() ?? '';
  if (producer === '') {
    throw new InvalidLabelError('a producer name or code is required (Annex E d) ContentProducer)');
  }
  const produceId = options.produceId ?? newProduceId();
  return {
    Label: options.label ?? LabelValue.Confirmed,
    ContentProducer: producer,
    ProduceID: produceId,
    ReservedCode1: options.reservedCode1 ?? '',
    ContentPropagator: producer,
    PropagateID: produceId,
    ReservedCode2: options.reservedCode2 ?? '',
  };
}

/** Puts any object's Annex E fields into Annex E order, dropping the rest. */
export const orderLabel = (label: AigcLabel): AigcLabel =>
  Object.fromEntries(AIGC_FIELDS.map((field) => [field, label[field]])) as unknown as AigcLabel;

/**
 * The bare seven-field JSON the TC260 guides put in XMP, MP4, ID3, OOXML and PDF.
 * Byte-stable: Annex E key order, no whitespace.
 */
export const encodeBare = (label: AigcLabel): string => JSON.stringify(orderLabel(label));

/** The wrapped `{"AIGC":{...}}` form of Annex E b), used by EXIF UserComment and PNG tEXt. */
export const encodeWrapped = (label: AigcLabel): string => `{"AIGC":${encodeBare(label)}}`;

export type LabelForm = 'bare' | 'wrapped';
export const encodeLabel = (label: AigcLabel, form: LabelForm = 'bare'): string =>
  form === 'bare' ? encodeBare(label) : encodeWrapped(label);

/** True when two labels carry the same seven values. */
export const sameLabel = (a: AigcLabel, b: AigcLabel): boolean => AIGC_FIELDS.every((f) => a[f] === b[f]);
