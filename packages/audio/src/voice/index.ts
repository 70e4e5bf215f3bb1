export * from './prompt.js';
export * from './speech-rate.js';
