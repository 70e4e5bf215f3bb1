import type { FormatModule } from '@aigc-label/core';
import { html } from './html/index.js';
import { markdown } from './markdown/index.js';
import { ooxml } from './ooxml/index.js';
import { pdf } from './pdf/index.js';
import { plainText } from './plain/index.js';

/** Text handlers in sniffing order. */
export const textHandlers: readonly FormatModule[] = [pdf, ooxml, html, markdown, plainText];

export * from './explicit/index.js';
export { html } from './html/index.js';
export { markdown } from './markdown/index.js';
export { ooxml } from './ooxml/index.js';
export { pdf } from './pdf/index.js';
export { plainText } from './plain/index.js';
export * from './rules.js';
export * from './watermark/index.js';
