import type { FormatHandler } from '@aigc-label/core';
import { ooxml } from './ooxml/index.js';
import { pdf } from './pdf/index.js';

/** Text handlers in sniffing order. */
export const textHandlers: readonly FormatHandler[] = [pdf, ooxml];

export { ooxml } from './ooxml/index.js';
export { pdf } from './pdf/index.js';
