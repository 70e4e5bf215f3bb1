import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { concat } from '@aigc-label/core';

/** Paths of the ffmpeg and ffprobe executables; by default the static builds from npm. */
export interface FfmpegBinaries {
  readonly ffmpeg: string;
  readonly ffprobe: string;
}

export interface ToolResult {
  readonly code: number;
  readonly stdout: Uint8Array;
  readonly stderr: string;
}

const require = createRequire(import.meta.url);

export function defaultBinaries(): FfmpegBinaries {
  return {
    ffmpeg: (require('@ffmpeg-installer/ffmpeg') as { path: string }).path,
    ffprobe: (require('@ffprobe-installer/ffprobe') as { path: string }).path,
  };
}

/** Bytes for the tool's stdin (`pipe:0`) and, in order, for `pipe:3`, `pipe:4`…; ffmpeg reads inputs from them. */
export interface ToolInputs {
  readonly stdin?: Uint8Array;
  readonly extraPipes?: readonly Uint8Array[];
}

function spawnOnce(binary: string, args: readonly string[], inputs: ToolInputs): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const extra = inputs.extraPipes ?? [];
    const child = spawn(binary, args, { stdio: ['pipe', 'pipe', 'pipe', ...extra.map(() => 'pipe' as const)] });
    const out: Uint8Array[] = [];
    const err: Uint8Array[] = [];
    child.stdout.on('data', (chunk: Uint8Array) => out.push(chunk));
    child.stderr.on('data', (chunk: Uint8Array) => err.push(chunk));
    child.on('error', reject);
    // ffmpeg may stop reading stdin early (e.g. after one PNG); that is not an error.
    child.stdin.on('error', () => {});
    child.on('close', (code) => {
      resolve({ code: code ?? -1, stdout: concat(out), stderr: new TextDecoder().decode(concat(err)) });
    });
    child.stdin.end(inputs.stdin ?? new Uint8Array(0));
    extra.forEach((bytes, index) => {
      const pipe = child.stdio[3 + index] as NodeJS.WritableStream & { on(event: 'error', listener: () => void): void };
      pipe.on('error', () => {});
      pipe.end(bytes);
    });
  });
}

/**
 * Runs a tool to completion. The npm ffprobe build ships without the exec bit when its
 * postinstall did not run (toolchain notes §2), so one EACCES is answered with `chmod u+x`.
 */
export async function runTool(binary: string, args: readonly string[], inputs: ToolInputs = {}): Promise<ToolResult> {
  try {
    return await spawnOnce(binary, args, inputs);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EACCES') throw error;
    await spawnOnce('chmod', ['u+x', binary], {});
    return spawnOnce(binary, args, inputs);
  }
}

/** Runs a tool and returns its stdout, or throws with the last lines of its stderr. */
export async function runToolOrThrow(binary: string, args: readonly string[], inputs: ToolInputs = {}): Promise<ToolResult> {
  const result = await runTool(binary, args, inputs);
  if (result.code !== 0) {
    const tail = result.stderr.trim().split('\n').slice(-3).join(' | ');
    throw new Error(`${binary.split('/').pop()} exited with ${result.code}: ${tail}`);
  }
  return result;
}
