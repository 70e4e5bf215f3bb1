// The package's explicit (audible) labels, GB 45438 §5.3: the rhythm label, the voice prompt and
// the ffmpeg PCM pipeline they share, exported together through one line of src/index.ts.
export * from '../pcm/index.js';
export * from '../voice/index.js';
export * from './apply.js';
export * from './audible.js';
export * from './capability.js';
export * from './detect.js';
export * from './generate.js';
