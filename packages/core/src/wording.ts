/**
 * The explicit-label wording rule every modality uses (GB 45438 §5.1 b), §5.2 b),
 * §5.3 b)): a label must contain an AI element (人工智能 or AI) and a generation
 * element (生成 and/or 合成). The standard fixes no exact wording.
 */
export interface WordingCheck {
  readonly ok: boolean;
  readonly aiElement: '人工智能' | 'AI' | null;
  readonly generationElement: '生成' | '合成' | null;
  /** The text the elements were looked for in. */
  readonly normalised: string;
}

export interface NormaliseOptions {
  /** Also read OCR confusions of "AI" ("Al", "A1", "A|") as AI. */
  readonly ocr?: boolean;
}

// Traditional and variant forms that mean the same element.
const VARIANTS: readonly [RegExp, string][] = [[/人工智慧/g, '人工智能']];
// Zero-width and joiner characters a label may be split with.
const INVISIBLE = /[\u200B-\u200D\u2060\uFEFF\u00AD]/g;

/**
 * Full-width to half-width (NFKC), no whitespace or zero-width characters,
 * traditional forms mapped to simplified ones.
 */
export function normaliseLabelText(text: string, options: NormaliseOptions = {}): string {
  let s = text.normalize('NFKC').replace(INVISIBLE, '').replace(/\s+/g, '');
  for (const [from, to] of VARIANTS) s = s.replace(from, to);
  if (options.ocr) s = s.replace(/A[l1|I]/g, 'AI').replace(/[Ａ]/g, 'A');
  return s;
}

export function checkWording(text: string, options: NormaliseOptions = {}): WordingCheck {
  const normalised = normaliseLabelText(text, options);
  const aiElement = normalised.includes('人工智能') ? '人工智能' : /AI/.test(normalised) ? 'AI' : null;
  const generationElement = normalised.includes('生成') ? '生成' : normalised.includes('合成') ? '合成' : null;
  return { ok: aiElement !== null && generationElement !== null, aiElement, generationElement, normalised };
}

/** GB 45438 §5 element check for any text or voice label. */
export const hasRequiredElements = (text: string): boolean => checkWording(text).ok;

/** Built-in wordings. Each satisfies the element rule. */
export const Wording = {
  zh: '人工智能生成',
  zhSentence: '本内容由人工智能生成',
  short: 'AI生成',
  bilingual: '人工智能生成 AI-generated',
  possible: '可能为人工智能生成',
  suspected: '疑似人工智能生成',
} as const;
