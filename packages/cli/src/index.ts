export { createProgram, ExitCode, type Io, run } from './program.js';
