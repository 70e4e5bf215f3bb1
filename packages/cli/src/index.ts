export { createPool } from './batch/pool.js';
export { createProgram, ExitCode, type Io, run } from './program.js';
