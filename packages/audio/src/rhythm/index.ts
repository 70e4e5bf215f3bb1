export * from '../pcm/index.js';
export * from './apply.js';
export * from './generate.js';
export * from './detect.js';
