import { audioHandlers } from '@aigc-label/audio';
import { FormatRegistry } from '@aigc-label/core';
import { imageHandlers } from '@aigc-label/image';
import { textHandlers } from '@aigc-label/text';
import { videoHandlers } from '@aigc-label/video';

/**
 * Every built-in handler, in sniffing order: binary formats with exact magic
 * bytes first, text formats (which accept anything that looks like text) last.
 */
export const defaultRegistry = new FormatRegistry([...imageHandlers, ...audioHandlers, ...videoHandlers, ...textHandlers]);
