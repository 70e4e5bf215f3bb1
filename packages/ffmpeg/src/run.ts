/**
 * The one way this toolkit runs ffmpeg and ffprobe: spawned directly with an argument list
 * (never a shell, so `;` or `$(...)` in a file name is just a name), with a time limit per call,
 * and errors that end with the last meaningful lines of the tool's stderr.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { chmod, stat } from 'node:fs/promises';
import type { Readable, Writable } from 'node:stream';
import { ExternalToolError, LimitExceededError } from '@aigc-label/core';
import { StderrLog, stderrTail } from './stderr.js';

/** Time limit of one call unless the caller gives its own: ample for a probe, a clip or a frame; a hung tool is still reaped. */
export const DEFAULT_TIMEOUT_MS = 10 * 60_000;

/** A limit for work that grows with the media: the default plus `msPerMediaSecond` for each second of it. */
export function timeoutForMedia(mediaSeconds: number, msPerMediaSecond: number): number {
  return DEFAULT_TIMEOUT_MS + Math.ceil(Math.max(0, mediaSeconds) * msPerMediaSecond);
}

// stdout collected by `runTool` is bounded: the largest legitimate output here is a packet list.
const MAX_COLLECTED_STDOUT_BYTES = 256 << 20;

export interface ToolInputs {
  /** Bytes for the tool's stdin (`pipe:0`), or chunks streamed to it as it reads them. */
  readonly stdin?: Uint8Array | AsyncIterable<Uint8Array>;
  /** Bytes for `pipe:3`, `pipe:4`… in order; ffmpeg reads further inputs from them. */
  readonly extraPipes?: readonly Uint8Array[];
  /** Kill the tool (SIGKILL) after this many milliseconds; default {@link DEFAULT_TIMEOUT_MS}. */
  readonly timeoutMs?: number;
}

export interface FailureOptions {
  /** The error for a non-zero exit, given the stderr tail; default an `ExternalToolError`. */
  readonly failure?: (stderrTail: string, exitCode: number) => Error;
}

export interface ToolResult {
  /** The exit code; -1 when a signal ended the tool. */
  readonly code: number;
  readonly stdout: Uint8Array;
  readonly stderr: string;
}

const toolName = (binary: string): string => binary.split('/').pop() ?? binary;

/** A started tool: its output, and how it ended. */
interface RunningTool {
  readonly stdout: Readable;
  readonly stderr: StderrLog;
  /** Settles when the process has exited and its pipes are closed; rejects with a time-limit or stdin-source error. */
  readonly closed: Promise<number>;
  kill(): void;
}

// @ffprobe-installer ships its binary as mode 0644 when its postinstall did not run (toolchain
// notes §2); the first EACCES on a binary is answered with `chmod u+x` once, shared by calls in flight.
const madeExecutable = new Map<string, Promise<void>>();

async function makeExecutable(binary: string): Promise<void> {
  const { mode } = await stat(binary);
  await chmod(binary, mode | 0o100);
}

function spawnOnce(binary: string, args: readonly string[], pipes: number): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { stdio: ['pipe', 'pipe', 'pipe', ...Array.from({ length: pipes }, () => 'pipe' as const)] });
    child.once('spawn', () => resolve(child));
    child.once('error', reject);
  });
}

async function spawnTool(binary: string, args: readonly string[], pipes: number): Promise<ChildProcess> {
  const name = toolName(binary);
  try {
    return await spawnOnce(binary, args, pipes);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EACCES')
      throw new ExternalToolError(`${name} could not start: ${(error as Error).message}`);
  }
  let fix = madeExecutable.get(binary);
  if (fix === undefined) {
    fix = makeExecutable(binary);
    madeExecutable.set(binary, fix);
  }
  try {
    await fix;
    return await spawnOnce(binary, args, pipes);
  } catch (error) {
    throw new ExternalToolError(`${name} is not executable and chmod u+x did not help: ${(error as Error).message}`);
  }
}

/** Resolves when the stream can take more, or will never take any (closed or failed). */
function writable(stream: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off('drain', done).off('close', done).off('error', done);
      resolve();
    };
    stream.on('drain', done).on('close', done).on('error', done);
  });
}

/**
 * Streams chunks into the tool's stdin, pulling the next only when the pipe has room. When the
 * tool stops reading, pulling stops and the source is closed (its `return` runs).
 */
async function feed(stdin: Writable, source: AsyncIterable<Uint8Array>): Promise<void> {
  try {
    for await (const chunk of source) {
      if (!stdin.writable) break;
      if (!stdin.write(chunk)) await writable(stdin);
    }
  } finally {
    stdin.end();
  }
}

async function start(binary: string, args: readonly string[], inputs: ToolInputs): Promise<RunningTool> {
  const extraPipes = inputs.extraPipes ?? [];
  const child = await spawnTool(binary, args, extraPipes.length);
  const name = toolName(binary);
  const stdout = child.stdout!;
  const stdin = child.stdin!;
  const stderr = new StderrLog();
  // After a successful spawn, 'error' only reports a failed kill; the time limit still reports the run.
  child.on('error', () => {});
  child.stderr!.on('data', (chunk: Uint8Array) => stderr.push(chunk));

  let timedOut = false;
  let sourceError: unknown;
  const kill = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  const timeoutMs = inputs.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  // SIGKILL to the child alone: a process group of its own (detached) would take ffmpeg out of
  // the terminal's group, so a Ctrl-C or the parent's exit would leave it running.
  const timer = setTimeout(() => {
    timedOut = true;
    kill();
  }, timeoutMs);
  child.once('exit', () => clearTimeout(timer));

  // ffmpeg may stop reading an input early (e.g. after one PNG, or when it fails): not an error here.
  stdin.on('error', () => {});
  const stdinSource = inputs.stdin;
  if (stdinSource === undefined || stdinSource instanceof Uint8Array) stdin.end(stdinSource ?? new Uint8Array(0));
  else
    feed(stdin, stdinSource).catch((error: unknown) => {
      sourceError = error;
      kill();
    });
  extraPipes.forEach((bytes, index) => {
    const pipe = child.stdio[3 + index] as Writable;
    pipe.on('error', () => {});
    pipe.end(bytes);
  });

  const closed = new Promise<number>((resolve, reject) => {
    child.once('close', (code) => {
      if (sourceError !== undefined) reject(sourceError);
      else if (timedOut) {
        const tail = stderrTail(stderr.text());
        const limit = timeoutMs >= 1000 ? `${timeoutMs / 1000} s` : `${timeoutMs} ms`;
        reject(new LimitExceededError(`${name} ran past its time limit of ${limit} and was killed${tail ? `: ${tail}` : ''}`));
      } else resolve(code ?? -1);
    });
  });
  // Observed here so a time limit hit while the caller is still reading stdout is not an unhandled rejection.
  closed.catch(() => undefined);
  return { stdout, stderr, closed, kill };
}

/** Runs a tool to completion and returns its exit code, stdout and stderr, whatever the code. */
export async function runTool(binary: string, args: readonly string[], inputs: ToolInputs = {}): Promise<ToolResult> {
  const tool = await start(binary, args, inputs);
  const chunks: Uint8Array[] = [];
  let collected = 0;
  let overflow = false;
  tool.stdout.on('data', (chunk: Uint8Array) => {
    collected += chunk.length;
    if (collected > MAX_COLLECTED_STDOUT_BYTES) {
      overflow = true;
      tool.kill();
    } else chunks.push(chunk);
  });
  const code = await tool.closed;
  if (overflow) {
    throw new LimitExceededError(`${toolName(binary)} printed more than ${MAX_COLLECTED_STDOUT_BYTES >> 20} MiB to stdout and was killed`);
  }
  const stdout = new Uint8Array(collected);
  let offset = 0;
  for (const chunk of chunks) {
    stdout.set(chunk, offset);
    offset += chunk.length;
  }
  return { code, stdout, stderr: tool.stderr.text() };
}

function failed(binary: string, stderr: string, code: number, options: FailureOptions): Error {
  const tail = stderrTail(stderr);
  return options.failure?.(tail, code) ?? new ExternalToolError(`${toolName(binary)} exited with ${code}${tail ? `: ${tail}` : ''}`);
}

/** Runs a tool to completion; a non-zero exit throws (an `ExternalToolError` unless `failure` says otherwise). */
export async function runToolOrThrow(
  binary: string,
  args: readonly string[],
  inputs: ToolInputs & FailureOptions = {},
): Promise<ToolResult> {
  const result = await runTool(binary, args, inputs);
  if (result.code !== 0) throw failed(binary, result.stderr, result.code, inputs);
  return result;
}

/**
 * Runs a tool and yields its stdout as it comes (for decoding: memory stays bounded whatever the
 * input's length). The tool is paused while the consumer is, and killed when the consumer stops
 * early. A non-zero exit throws after the last chunk.
 */
export async function* streamTool(
  binary: string,
  args: readonly string[],
  inputs: ToolInputs & FailureOptions = {},
): AsyncGenerator<Uint8Array, void, undefined> {
  const tool = await start(binary, args, inputs);
  let finished = false;
  try {
    for await (const chunk of tool.stdout) {
      const bytes = chunk as Uint8Array;
      yield new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    }
    const code = await tool.closed;
    finished = true;
    if (code !== 0) throw failed(binary, tool.stderr.text(), code, inputs);
  } finally {
    if (!finished) {
      tool.kill();
      await tool.closed.catch(() => undefined);
    }
  }
}
