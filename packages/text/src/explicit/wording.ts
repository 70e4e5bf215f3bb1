import { checkWording, InvalidLabelError, Wording } from '@aigc-label/core';

/** A built-in wording name (core `Wording`) or custom text. */
export type WordingChoice = keyof typeof Wording | (string & {});

export interface LabelTextOptions {
  /** Built-in wording name or custom text; default `zhSentence` (本内容由人工智能生成). */
  readonly wording?: WordingChoice | undefined;
  /**
   * The general-symbol form (GB 45438 §5.1 a) 通用符号提示), a corner mark such as
   * 【AI生成】, for places where a sentence does not fit. The standard's symbol rules
   * are not confirmed, so the mark still carries both elements of §5.1 b).
   */
  readonly symbol?: boolean;
}

const isBuiltIn = (w: string): w is keyof typeof Wording => Object.hasOwn(Wording, w);

/**
 * The label text to insert. Custom wording must carry the AI element and the
 * generation element (GB 45438 §5.1 b)); otherwise InvalidLabelError.
 */
export function explicitLabelText(options: LabelTextOptions = {}): string {
  const choice = options.wording ?? (options.symbol ? 'short' : 'zhSentence');
  const wording = isBuiltIn(choice) ? Wording[choice] : choice.trim();
  const check = checkWording(wording);
  if (!check.ok) {
    const missing = [
      check.aiElement ? null : 'the AI element (人工智能 or AI)',
      check.generationElement ? null : 'the generation element (生成 or 合成)',
    ]
      .filter((m) => m !== null)
      .join(' and ');
    throw new InvalidLabelError(`explicit label "${wording}" lacks ${missing} (GB 45438 §5.1 b))`);
  }
  if (/[\r\n]/.test(wording)) throw new InvalidLabelError('an explicit label is one line; the wording contains a line break');
  return options.symbol ? `【${wording}】` : wording;
}
