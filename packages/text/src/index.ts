export * from './explicit/index.js';
export { textHandlers } from './handlers.js';
export { html } from './html/index.js';
export { markdown } from './markdown/index.js';
export { ooxml } from './ooxml/index.js';
export { pdf } from './pdf/index.js';
export { plainText } from './plain/index.js';
export * from './rules.js';
export * from './watermark/index.js';
