import type { FormatHandler } from '@aigc-label/core';

/** Video handlers in sniffing order. */
export const videoHandlers: readonly FormatHandler[] = [];
