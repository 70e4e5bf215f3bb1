import type { FormatHandler } from '@aigc-label/core';
import { flac } from './flac/index.js';
import { m4a } from './m4a/index.js';
import { mp3 } from './mp3/index.js';
import { ogg } from './ogg/index.js';
import { wav } from './wav/index.js';

/** Audio handlers in sniffing order. */
export const audioHandlers: readonly FormatHandler[] = [wav, flac, ogg, mp3, m4a];
export * from './rhythm/index.js';
export * from './watermark/index.js';
