#!/usr/bin/env node
import { text } from 'node:stream/consumers';
import { run } from './program.js';

// Ctrl-C: files in flight finish (their outputs are renamed into place or not at
// all), no new ones start, the report is flushed; a second Ctrl-C exits at once.
let interrupted = false;
process.on('SIGINT', () => {
  if (interrupted) process.exit(130);
  interrupted = true;
  process.stderr.write('\ninterrupted: finishing the files in progress (Ctrl-C again to stop now)\n');
});

process.exitCode = await run(process.argv.slice(2), {
  out: (chunk) => process.stdout.write(chunk),
  err: (chunk) => process.stderr.write(chunk),
  isTTY: process.stderr.isTTY === true,
  readStdin: () => text(process.stdin),
  interrupted: () => interrupted,
});
