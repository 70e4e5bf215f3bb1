import type { FormatHandler } from '@aigc-label/core';

/** Text handlers in sniffing order. */
export const textHandlers: readonly FormatHandler[] = [];
