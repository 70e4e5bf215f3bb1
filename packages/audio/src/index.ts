export { audioHandlers } from './handlers.js';
export * from './rhythm/index.js';
export * from './rules.js';
export * from './watermark/index.js';
