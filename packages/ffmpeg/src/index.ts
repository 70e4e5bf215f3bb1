export { defaultBinaries, type FfmpegBinaries, ffmpegPath, ffprobePath } from './binaries.js';
export { withFileSource } from './file-source.js';
export { type FfprobeFormat, type FfprobeOutput, type FfprobePacket, type FfprobeStream, ffprobeJson } from './probe.js';
export {
  DEFAULT_TIMEOUT_MS,
  type FailureOptions,
  runTool,
  runToolOrThrow,
  streamTool,
  type ToolInputs,
  type ToolResult,
  timeoutForMedia,
} from './run.js';
export { stderrTail } from './stderr.js';
