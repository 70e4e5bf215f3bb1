import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, chmodSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bytesSource, encodeBare, FormatRegistry, labelBytes } from '@aigc-label/core';
import { afterAll, describe, expect, it } from 'vitest';
import { describeHandlerContract, sampleLabel } from '../../../../test/handler-contract.js';
import { m4a } from '../../src/m4a/index.js';

const require = createRequire(import.meta.url);
const ffmpegPath: string = require('@ffmpeg-installer/ffmpeg').path;
const ffprobePath: string = require('@ffprobe-installer/ffprobe').path;
// ffprobe's npm tarball lacks the exec bit when its postinstall did not run.
try {
  accessSync(ffprobePath, constants.X_OK);
} catch {
  chmodSync(ffprobePath, 0o755);
}

const directory = mkdtempSync(join(tmpdir(), 'aigc-m4a-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

let sample: Uint8Array | null = null;
/** One second of AAC in an .m4a (ffmpeg's ipod muxer: brand M4A) with a title and a comment. */
function makeSample(): Uint8Array {
  if (sample) return sample;
  const path = join(directory, 'sample.m4a');
  execFileSync(ffmpegPath, [
    '-v',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    'sine=frequency=440:sample_rate=8000',
    '-t',
    '1',
    '-c:a',
    'aac',
    '-metadata',
    'title=Hello',
    '-metadata',
    'comment=World',
    path,
  ]);
  sample = new Uint8Array(readFileSync(path));
  return sample;
}

function save(bytes: Uint8Array): string {
  const path = join(directory, `${Math.random().toString(36).slice(2)}.m4a`);
  writeFileSync(path, bytes);
  return path;
}

describe('m4a metadata carrier', () => {
  describeHandlerContract(m4a, makeSample);

  it('is chosen over MP4 by its brand and its extension', () => {
    const head = makeSample().subarray(0, 4096);
    expect(new TextDecoder().decode(head.subarray(8, 12))).toBe('M4A ');
    expect(m4a.sniff(head)).toBe(true);
    expect(new FormatRegistry([m4a]).resolve(head, 'song.m4a')).toEqual({ handler: m4a, findings: [], alsoFits: [] });
    const videoBrand = head.slice();
    videoBrand.set(new TextEncoder().encode('isom'), 8);
    videoBrand.fill(0x20, 16, 32);
    expect(m4a.sniff(videoBrand)).toBe(false);
  });

  it('writes a label ffprobe reads, keeps the title and decodes to the same samples', async () => {
    const input = makeSample();
    const label = sampleLabel();
    const { bytes } = await labelBytes(m4a, input, label);
    const path = save(bytes);
    const decode = spawnSync(ffmpegPath, ['-v', 'error', '-i', path, '-f', 'null', '-'], { encoding: 'utf8' });
    expect([decode.status, decode.stderr]).toEqual([0, '']);
    const md5 = (file: string) => execFileSync(ffmpegPath, ['-v', 'error', '-i', file, '-f', 'md5', '-'], { encoding: 'utf8' });
    expect(md5(path)).toBe(md5(save(input)));
    expect((await m4a.read(bytesSource(bytes))).carriers.map((c) => c.carrier)).toEqual(['mp4-mdta']);
    const out = execFileSync(ffprobePath, ['-v', 'error', '-show_entries', 'format_tags', '-of', 'json', path], { encoding: 'utf8' });
    expect(JSON.parse(out).format.tags).toMatchObject({ AIGC: encodeBare(label), title: 'Hello' });
  });
});
