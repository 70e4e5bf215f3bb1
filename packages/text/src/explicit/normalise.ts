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
  檔: '档',
  應: '应',
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
  繪: '绘',
  製: '制',
  聞: '闻',
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
  訊: '讯',
  報: '报',
  們: '们',
  產: '产',
};
const TRADITIONAL_CHARS = new RegExp(`[${Object.keys(TRADITIONAL).join('')}]`, 'g');

/**
 * Core `normaliseLabelText` (NFKC full-width to half-width, no whitespace or
 * zero-width characters, 人工智慧 to 人工智能) plus the traditional characters of
 * the usual label wordings, so 「本內容由人工智慧生成」 reads like 本内容由人工智能生成.
 */
export function normaliseForDetection(text: string): string {
  return normaliseLabelText(text).replace(TRADITIONAL_CHARS, (c) => TRADITIONAL[c] ?? c);
}
