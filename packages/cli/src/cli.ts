#!/usr/bin/env node
import module from 'node:module';
import { text } from 'node:stream/consumers';

// Start-up is mostly loading our ~300 modules: from Node 22.1 V8 keeps their compiled code on
// disk between runs (NODE_DISABLE_COMPILE_CACHE=1 turns it off). Node 20 has no such cache.
(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();
const { ExitCode, run } = await import('./program.js');

// Ctrl-C: files in flight finish (their outputs are renamed into place or not at
// all), no new ones start, the report is flushed; a second Ctrl-C exits at once.
let interrupted = false;
process.on('SIGINT', () => {
  if (interrupted) process.exit(ExitCode.interrupted);
  interrupted = true;
  process.stderr.write('\ninterrupted: finishing the files in progress (Ctrl-C again to stop now)\n');
});

// A closed pipe (`| head`, a closed socket) ends the run quietly, as other Unix tools do: nothing
// more is printed, no new file starts, the files in flight finish (each output is renamed into
// place whole or not at all), and the exit code is 141 (128 + SIGPIPE).
let pipeClosed = false;
const onPipeError = (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  pipeClosed = true;
};
process.stdout.on('error', onPipeError);
process.stderr.on('error', onPipeError);
const write = (stream: NodeJS.WriteStream) => (chunk: string) => {
  if (!pipeClosed) stream.write(chunk);
};

const code = await run(process.argv.slice(2), {
  out: write(process.stdout),
  err: write(process.stderr),
  isTTY: process.stderr.isTTY === true,
  readStdin: () => text(process.stdin),
  interrupted: () => interrupted || pipeClosed,
});
process.exitCode = pipeClosed ? ExitCode.pipeClosed : code;
