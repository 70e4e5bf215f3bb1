import type { FormatHandler } from '@aigc-label/core';
import { flac } from './flac/index.js';
import { m4a } from './m4a/index.js';
import { mp3 } from './mp3/index.js';
import { ogg } from './ogg/index.js';
import { wav } from './wav/index.js';

/**
 * Audio handlers in sniffing order. MP3 comes before FLAC: a file whose ID3 tag is longer
 * than the sniffed head matches both, and the MP3 handler reads it as FLAC when "fLaC" follows.
 */
export const audioHandlers: readonly FormatHandler[] = [wav, ogg, mp3, flac, m4a];
export * from './rhythm/index.js';
export * from './rules.js';
export * from './watermark/index.js';
