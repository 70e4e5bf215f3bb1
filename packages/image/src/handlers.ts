/**
 * The image format modules and what the facade's registry wires from this package, without the
 * rest of it (sharp, fonts, OCR and the mark load when a label is drawn or looked for): a
 * command that reads one file's metadata loads only this (`@aigc-label/image/handlers`).
 */
import type { FormatHandler } from '@aigc-label/core';
import { gif } from './gif/index.js';
import { avif, heif } from './heif/index.js';
import { jpeg } from './jpeg/index.js';
import { png } from './png/index.js';
import { tiff } from './tiff/index.js';
import { webp } from './webp/index.js';

/** Image handlers in sniffing order. */
export const imageHandlers: readonly FormatHandler[] = [png, jpeg, webp, gif, tiff, heif, avif];
export { readVisibleLabels } from './explicit/capability.js';
export { dispose } from './explicit/ocr-engine.js';
export { imageEvidence } from './rules.js';
