import { normaliseLabelText } from '@aigc-label/core';

// Traditional forms of the characters label wordings use, beyond core's 人工智慧 (GB 45438 §5.1 b) elements).
const TRADITIONAL: Readonly<Record<string, string>> = {
  內: '内',
  這: '这',
  該: '该',
  僅: '仅',
  參: '参',
  請: '请',
  別: '别',
  圖: '图',
  視: '视',
  頻: '频',
  覆: '复',
  複: '复',
  結: '结',
  謹: '谨',
  實: '实',
  註: '注',
  說: '说',
  聲: '声',
  與: '与',
  為: '为',
  經: '经',
  過: '过',
  輔: '辅',
  動: '动',
  術: '术',
  畫: '画',
  錯: '错',
  誤: '误',
  準: '准',
  確: '确',
  識: '识',
  標: '标',
  審: '审',
  編: '编',
  輯: '辑',
  對: '对',
  話: '话',
  譯: '译',
  報: '报',
};
/**
 * A lookup table by UTF-16 code unit for a set of characters, which also holds their traditional
 * forms (TRADITIONAL), upper-case ASCII and full-width forms (ＡＩ), as written text may have them.
 */
export function characterTable(chars: Iterable<string>): Uint8Array {
  const table = new Uint8Array(0x10000);
  const mark = (c: string) => {
    table[c.charCodeAt(0)] = 1;
    const code = c.charCodeAt(0);
    if (code >= 0x21 && code <= 0x7e) {
      table[c.toUpperCase().charCodeAt(0)] = 1;
      table[code + 0xfee0] = 1;
      table[c.toUpperCase().charCodeAt(0) + 0xfee0] = 1;
    }
  };
  const set = new Set(chars);
  for (const c of set) mark(c);
  for (const [traditional, simplified] of Object.entries(TRADITIONAL)) if (set.has(simplified)) mark(traditional);
  return table;
}

const TRADITIONAL_CHARS = new RegExp(`[${Object.keys(TRADITIONAL).join('')}]`, 'g');
const IS_TRADITIONAL = new Uint8Array(0x10000);
for (const c of Object.keys(TRADITIONAL)) IS_TRADITIONAL[c.charCodeAt(0)] = 1;
const hasTraditional = (text: string): boolean => {
  for (let i = 0; i < text.length; i++) if (IS_TRADITIONAL[text.charCodeAt(i)] === 1) return true;
  return false;
};
// CJK unified ideographs, ASCII letters, digits, hyphen and space: NFKC leaves these alone.
const ALREADY_NORMAL = /^[\u4e00-\u9fffA-Za-z0-9\- ]*$/;

/**
 * Core `normaliseLabelText` (NFKC full-width to half-width, no whitespace or
 * zero-width characters, 人工智慧 to 人工智能) plus the traditional characters of
 * the usual label wordings, so 「本內容由人工智慧生成」 reads like 本内容由人工智能生成.
 */
export function normaliseForDetection(text: string): string {
  // Same result as core for text NFKC leaves alone, without the cost of NFKC.
  const base = ALREADY_NORMAL.test(text) ? text.replaceAll(' ', '').replaceAll('人工智慧', '人工智能') : normaliseLabelText(text);
  return hasTraditional(base) ? base.replace(TRADITIONAL_CHARS, (c) => TRADITIONAL[c] ?? c) : base;
}
