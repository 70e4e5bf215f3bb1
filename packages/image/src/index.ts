import type { FormatHandler } from '@aigc-label/core';
import { png } from './png/index.js';

export { png };

/** Image handlers in sniffing order. */
export const imageHandlers: readonly FormatHandler[] = [png];
