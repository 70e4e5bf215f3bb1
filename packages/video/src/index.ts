import type { FormatHandler } from '@aigc-label/core';
import { avi } from './avi/index.js';
import { flv } from './flv/index.js';
import { matroska } from './matroska/index.js';
import { mp4 } from './mp4/index.js';

/** Video handlers in sniffing order. */
export const videoHandlers: readonly FormatHandler[] = [mp4, matroska, avi, flv];
export * from './explicit/index.js';
export { planMatroskaAvcParameterSets } from './matroska/parameter-sets.js';
export { type AvcParameterSets, planAvcParameterSets, withAvcParameterSets } from './mp4/parameter-sets.js';
