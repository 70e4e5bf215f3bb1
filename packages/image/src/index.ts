import { gif } from './gif/index.js';
import { avif, heif } from './heif/index.js';
import { jpeg } from './jpeg/index.js';
import { png } from './png/index.js';
import { tiff } from './tiff/index.js';
import { webp } from './webp/index.js';

export * from './explicit/index.js';
export { imageHandlers } from './handlers.js';
export * from './rules.js';
export * from './watermark/index.js';
export { avif, gif, heif, jpeg, png, tiff, webp };
