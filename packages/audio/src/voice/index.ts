export * from './detect.js';
export * from './prompt.js';
export * from './speech-rate.js';
