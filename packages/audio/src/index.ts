import type { FormatHandler } from '@aigc-label/core';

/** Audio handlers in sniffing order. */
export const audioHandlers: readonly FormatHandler[] = [];
