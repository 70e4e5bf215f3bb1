import { randomUUID } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ExternalToolError, LimitExceededError, MalformedInputError } from '@aigc-label/core';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultBinaries, ffprobeJson, runTool, runToolOrThrow, stderrTail, streamTool } from '../src/index.js';
import { StderrLog } from '../src/stderr.js';

const { ffmpeg, ffprobe } = defaultBinaries();
const dir = mkdtempSync(join(tmpdir(), 'aigc-ffmpeg-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Live processes whose command line holds `marker` (Linux /proc): proves a tool still runs, or no longer does. */
function processesWith(marker: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'latin1').includes(marker)) found.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}

/** Arguments that tag an ffmpeg run with a unique marker in its command line (a metadata value the null muxer ignores). */
const tagged = (marker: string) => ['-metadata', `comment=${marker}`];

/** `seconds` of a 440 Hz mono tone as raw float32 PCM at 48 kHz. */
function tone(seconds: number): Uint8Array {
  const samples = new Float32Array(Math.round(48_000 * seconds));
  for (let i = 0; i < samples.length; i++) samples[i] = 0.5 * Math.sin((2 * Math.PI * 440 * i) / 48_000);
  return new Uint8Array(samples.buffer);
}
const rawInput = ['-f', 'f32le', '-ar', '48000', '-ac', '1'];

describe('time limits', () => {
  it('kills a tool that runs past its limit and names the limit in a LimitExceededError', async () => {
    const marker = `aigc-timeout-${randomUUID()}`;
    const started = performance.now();
    const run = runTool(ffmpeg, ['-v', 'error', '-f', 'lavfi', '-i', 'anullsrc', ...tagged(marker), '-f', 'null', '-'], {
      timeoutMs: 1500,
    });
    await sleep(500);
    expect(processesWith(marker)).toHaveLength(1);
    const error = await run.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(LimitExceededError);
    expect((error as Error).name).toBe('LimitExceededError');
    expect((error as Error).message).toMatch(/^ffmpeg ran past its time limit of 1.5 s and was killed/);
    expect(performance.now() - started).toBeLessThan(6000);
    expect(processesWith(marker)).toEqual([]);
  });

  it('stops a streaming tool at its limit too', async () => {
    const marker = `aigc-stream-timeout-${randomUUID()}`;
    const stream = streamTool(ffmpeg, ['-v', 'error', '-re', '-f', 'lavfi', '-i', 'anullsrc', ...tagged(marker), '-f', 'f32le', 'pipe:1'], {
      timeoutMs: 700,
    });
    let received = 0;
    const error = await (async () => {
      for await (const chunk of stream) received += chunk.length;
    })().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(LimitExceededError);
    expect((error as Error).message).toContain('time limit of 700 ms');
    expect(received).toBeGreaterThan(0);
    expect(processesWith(marker)).toEqual([]);
  });
});

describe('errors', () => {
  it('end with the last meaningful stderr lines, on one line, without the build banner', async () => {
    const notMedia = join(dir, 'not-media.bin');
    writeFileSync(notMedia, 'plain text, not media');
    // No `-v error`: the banner is printed, and must not be what the error shows.
    const error = await runToolOrThrow(ffmpeg, ['-i', notMedia, '-f', 'null', '-']).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ExternalToolError);
    expect((error as Error).name).toBe('ExternalToolError');
    expect((error as Error).message).toMatch(/^ffmpeg exited with 1: .*not-media\.bin: Invalid data found when processing input$/);
    expect((error as Error).message).not.toMatch(/ffmpeg version|configuration:|libavutil|\n/);
  });

  it('leave out the static build Fontconfig warnings', async () => {
    // drawtext loads Fontconfig, which complains about Debian's config files on stderr; the encoder then fails.
    const args = [
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      'color=s=64x64:d=0.2,drawtext=text=a',
      '-c:v',
      'libx264',
      '-profile:v',
      'nonsense',
      '-f',
      'null',
      '-',
    ];
    const result = await runTool(ffmpeg, args);
    expect(result.code).toBe(1);
    const lastLines = result.stderr.trim().split('\n').slice(-5);
    expect(lastLines.filter((line) => line.startsWith('Fontconfig')).length).toBeGreaterThan(0);
    const tail = stderrTail(result.stderr, 5);
    expect(tail).not.toContain('Fontconfig');
    expect(tail).toMatch(/^x264 \[error\]: invalid profile: nonsense \| .*Error initializing output stream/);
    const error = await runToolOrThrow(ffmpeg, args).catch((caught: unknown) => caught);
    expect((error as Error).message).toMatch(
      /^ffmpeg exited with 1: x264 \[error\]: invalid profile: nonsense \| .*Error initializing output stream/,
    );
  });

  it('can be chosen by the caller, e.g. unreadable input as MalformedInputError', async () => {
    const error = await ffprobeJson(ffprobe, ['-show_format', join(dir, 'missing.wav')], {
      failure: (tail) => new MalformedInputError('audio', `ffprobe cannot read the input: ${tail}`),
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(MalformedInputError);
    expect((error as Error).message).toMatch(/^audio: ffprobe cannot read the input: .*missing\.wav: No such file or directory$/);
  });

  it('say when a tool cannot start at all', async () => {
    await expect(runTool(join(dir, 'no-such-ffmpeg'), ['-version'])).rejects.toThrow(/^no-such-ffmpeg could not start: .*ENOENT/);
  });

  it('stderrTail keeps the last lines, drops banner, Fontconfig and control characters, and cuts long lines', () => {
    const stderr = [
      'ffmpeg version N-47683-g0e8eb07980-static https://johnvansickle.com/ffmpeg/  Copyright (c) 2000-2018 the FFmpeg developers',
      '  built with gcc 6.3.0 (Debian 6.3.0-18+deb9u1) 20170516',
      '  configuration: --enable-gpl --enable-version3',
      '  libavutil      56. 24.101 / 56. 24.101',
      'first cause',
      `title: evil\u001b[31mred\u0007`,
      'Fontconfig warning: "/etc/fonts/conf.d/10-hinting-slight.conf", line 4: unknown element "description"',
      `${'x'.repeat(300)}`,
      'Fontconfig error: Cannot load default config file',
      '',
    ].join('\n');
    expect(stderrTail(stderr, 3)).toBe(`first cause | title: evil?[31mred? | ${'x'.repeat(240)}…`);
    expect(stderrTail('only banner\r\n', 3)).toBe('only banner');
    expect(stderrTail('ffmpeg version 4\n  libavcodec     58. 42.100\n')).toBe('');
  });

  it('keep a bounded stderr: the head and the last part of a flood', () => {
    const log = new StderrLog();
    const line = new TextEncoder().encode(`${'e'.repeat(99)}\n`);
    for (let i = 0; i < 30_000; i++) log.push(line);
    log.push(new TextEncoder().encode('the real cause\n'));
    const text = log.text();
    expect(text.length).toBeLessThan((1 << 20) + (32 << 10));
    expect(text).toMatch(/\[\d+ bytes of stderr omitted\]/);
    expect(stderrTail(text, 1)).toBe('the real cause');
  });
});

describe('streams', () => {
  it('feeds stdin from an async iterable only as fast as the tool reads it', async () => {
    // 3 s of audio read in real time (-re): with backpressure the last chunk is pulled near the end of the
    // run; without it, everything would be pulled at once into the pipe's buffers.
    const audio = tone(3);
    const chunkBytes = audio.length / 30;
    const pulledAt: number[] = [];
    async function* chunks() {
      for (let offset = 0; offset < audio.length; offset += chunkBytes) {
        pulledAt.push(performance.now());
        yield audio.subarray(offset, offset + chunkBytes);
      }
    }
    const started = performance.now();
    const md5 = ['-f', 'md5', '-'];
    const streamed = await runToolOrThrow(ffmpeg, ['-v', 'error', '-re', ...rawInput, '-i', 'pipe:0', ...md5], { stdin: chunks() });
    const whole = await runToolOrThrow(ffmpeg, ['-v', 'error', ...rawInput, '-i', 'pipe:0', ...md5], { stdin: audio });
    expect(new TextDecoder().decode(streamed.stdout)).toMatch(/^MD5=[0-9a-f]{32}\n$/);
    expect(streamed.stdout).toEqual(whole.stdout);
    expect(pulledAt).toHaveLength(30);
    expect(pulledAt.at(-1)! - started).toBeGreaterThan(1500);
  });

  it('stops pulling and closes the source when the tool stops reading', async () => {
    let closed = false;
    let pulled = 0;
    const chunk = tone(0.1);
    async function* endless() {
      try {
        for (;;) {
          pulled++;
          yield chunk;
        }
      } finally {
        closed = true;
      }
    }
    // ffmpeg reads 0.5 s and exits; the endless source must not keep the call alive.
    const result = await runToolOrThrow(ffmpeg, ['-v', 'error', ...rawInput, '-i', 'pipe:0', '-t', '0.5', '-f', 'null', '-'], {
      stdin: endless(),
    });
    expect(result.code).toBe(0);
    expect(closed).toBe(true);
    expect(pulled).toBeLessThan(1000);
  });

  it('rejects with the source error and kills the tool when the stdin source fails', async () => {
    const marker = `aigc-source-${randomUUID()}`;
    async function* failing() {
      yield tone(0.1);
      await sleep(300);
      throw new Error('the source failed');
    }
    await expect(
      runTool(ffmpeg, ['-v', 'error', ...rawInput, '-i', 'pipe:0', ...tagged(marker), '-f', 'null', '-'], { stdin: failing() }),
    ).rejects.toThrow('the source failed');
    expect(processesWith(marker)).toEqual([]);
  });

  it('yields stdout as it comes, whole, in order', async () => {
    const chunks: Uint8Array[] = [];
    for await (const chunk of streamTool(ffmpeg, ['-v', 'error', ...rawInput, '-i', 'pipe:0', '-f', 'f32le', 'pipe:1'], {
      stdin: tone(2),
    })) {
      expect(chunk).toBeInstanceOf(Uint8Array);
      chunks.push(chunk);
    }
    const bytes = new Uint8Array(chunks.reduce((n, chunk) => n + chunk.length, 0));
    let offset = 0;
    for (const chunk of chunks) {
      bytes.set(chunk, offset);
      offset += chunk.length;
    }
    expect(Buffer.from(bytes).equals(Buffer.from(tone(2)))).toBe(true);
  });

  it('pauses the tool while the consumer is slow, and kills it when the consumer stops early', async () => {
    const marker = `aigc-consumer-${randomUUID()}`;
    // 60 s of audio is 11.5 MB of f32le, far more than the pipe and stream buffers hold.
    const args = ['-v', 'error', '-f', 'lavfi', '-i', 'sine=duration=60:sample_rate=48000', ...tagged(marker), '-f', 'f32le', 'pipe:1'];
    let received = 0;
    for await (const chunk of streamTool(ffmpeg, args)) {
      if (received === 0) {
        await sleep(700);
        // Still running, blocked on a full pipe; without backpressure it would have written everything and exited.
        expect(processesWith(marker)).toHaveLength(1);
      }
      received += chunk.length;
      if (received > 1 << 20) break;
    }
    expect(received).toBeLessThan(60 * 48_000 * 4);
    expect(processesWith(marker)).toEqual([]);
  });

  it('kills a tool waiting on its input when the consumer stops early', async () => {
    const marker = `aigc-waiting-${randomUUID()}`;
    // 30 s of audio (more than ffmpeg's 5 MB probe), then a source that never ends nor yields: once its
    // output is read, ffmpeg waits on stdin for good, and only a kill ends it.
    const audio = tone(30);
    async function* stalled() {
      yield audio;
      await new Promise(() => {});
    }
    const args = ['-v', 'error', ...rawInput, '-i', 'pipe:0', ...tagged(marker), '-f', 'f32le', 'pipe:1'];
    let received = 0;
    for await (const chunk of streamTool(ffmpeg, args, { stdin: stalled() })) {
      received += chunk.length;
      // ffmpeg keeps its last partial packet until the input ends; everything before it is out.
      if (received >= audio.length - 4096) break;
    }
    expect(processesWith(marker)).toEqual([]);
  });

  it('throws the failure after the last chunk when the tool exits with an error', async () => {
    const notMedia = join(dir, 'not-media-2.bin');
    writeFileSync(notMedia, 'still not media');
    const stream = streamTool(ffmpeg, ['-v', 'error', '-i', notMedia, '-f', 'f32le', 'pipe:1'], {
      failure: (tail, code) => new MalformedInputError('audio', `ffmpeg cannot decode the input (exit ${code}): ${tail}`),
    });
    await expect(
      (async () => {
        for await (const _ of stream);
      })(),
    ).rejects.toThrow(/^audio: ffmpeg cannot decode the input \(exit 1\): .*Invalid data found when processing input$/);
  });

  it('gives ffmpeg further inputs on pipe:3 and up', async () => {
    const wav = (await runToolOrThrow(ffmpeg, ['-v', 'error', '-f', 'lavfi', '-i', 'sine=duration=0.5', '-f', 'wav', 'pipe:1'])).stdout;
    const viaStdin = await runToolOrThrow(ffmpeg, ['-v', 'error', '-i', 'pipe:0', '-f', 'md5', '-'], { stdin: wav });
    const viaPipe3 = await runToolOrThrow(ffmpeg, ['-v', 'error', '-i', 'pipe:3', '-f', 'md5', '-'], { extraPipes: [wav] });
    expect(viaPipe3.stdout).toEqual(viaStdin.stdout);
    expect(viaPipe3.stdout.length).toBeGreaterThan(0);
  });
});

describe('no shell', () => {
  it('takes ;, $(...), backticks and quotes in a file name as part of the name', async () => {
    const canary = `aigc-canary-${randomUUID()}`;
    const name = join(dir, `a; touch ${canary}; $(touch ${canary}) \`touch ${canary}\` 'q" & b.wav`);
    await runToolOrThrow(ffmpeg, ['-v', 'error', '-f', 'lavfi', '-i', 'sine=duration=0.2', name]);
    expect(existsSync(name)).toBe(true);
    const probed = await ffprobeJson(ffprobe, ['-show_streams', '-show_format', name]);
    expect(probed.format.format_name).toBe('wav');
    expect(probed.streams[0]?.codec_type).toBe('audio');
    expect(probed.streams[0]?.sample_rate).toBe('44100');
    expect(probed.streams[0]?.channels).toBe(1);
    expect(existsSync(canary)).toBe(false);
    expect(existsSync(join(dir, canary))).toBe(false);
  });
});

describe('a binary installed without its exec bit', () => {
  it('is made executable once (chmod u+x), shared by calls in flight, and not again', async () => {
    const copy = join(dir, 'ffprobe-0644');
    copyFileSync(ffprobe, copy);
    chmodSync(copy, 0o644);
    const [first, second] = await Promise.all([runToolOrThrow(copy, ['-version']), runToolOrThrow(copy, ['-version'])]);
    expect(new TextDecoder().decode(first.stdout)).toMatch(/^ffprobe version/);
    expect(second.code).toBe(0);
    expect(statSync(copy).mode & 0o777).toBe(0o744);
    // Once per binary: a second EACCES is reported, not answered with another chmod.
    chmodSync(copy, 0o644);
    await expect(runTool(copy, ['-version'])).rejects.toThrow(ExternalToolError);
    await expect(runTool(copy, ['-version'])).rejects.toThrow(/ffprobe-0644 is not executable/);
  });
});
