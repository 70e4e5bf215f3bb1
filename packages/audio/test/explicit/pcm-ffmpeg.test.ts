import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { MalformedInputError } from '@aigc-label/core';
import { describe, expect, it } from 'vitest';
import { decodePcm, probeAudio } from '../../src/pcm/ffmpeg.js';
import { ffmpeg, tempDir } from './helpers.js';

const path = tempDir();

/** Live processes whose command line names `file` (Linux /proc). */
function processesReading(file: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => {
      try {
        return readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(file);
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe('the ffmpeg bridge', () => {
  it('reports input ffmpeg cannot decode as MalformedInputError, with its stderr tail', async () => {
    const notAudio = path('not-audio.mp3');
    writeFileSync(notAudio, 'not audio at all');
    const decode = async () => {
      for await (const _ of decodePcm({ path: notAudio }, { sampleRate: 8000, channels: 1 }));
    };
    await expect(decode()).rejects.toThrow(MalformedInputError);
    await expect(decode()).rejects.toThrow(/^audio: ffmpeg cannot decode the input: .*not-audio\.mp3: Invalid argument$/);
    await expect(probeAudio(notAudio)).rejects.toThrow(/^audio: ffprobe cannot read the input: .*not-audio\.mp3: Invalid argument$/);
  });

  it('probes the channel layout as ffprobe names it, e.g. "5.1"', async () => {
    const surround = path('surround.flac');
    ffmpeg(['-f', 'lavfi', '-i', 'sine=duration=0.5:sample_rate=48000', '-ac', '6', '-c:a', 'flac', surround]);
    const info = await probeAudio(surround);
    expect(info).toMatchObject({ container: 'flac', codec: 'flac', sampleRate: 48000, channels: 6, channelLayout: '5.1', hasVideo: false });
  });

  it('kills ffmpeg when the consumer stops reading early', async () => {
    const long = path('ten-minutes.wav');
    ffmpeg(['-f', 'lavfi', '-i', 'anullsrc=r=8000:cl=mono', '-t', '600', long]);
    let received = 0;
    for await (const samples of decodePcm({ path: long }, { sampleRate: 8000, channels: 1 })) {
      received += samples.length;
      expect(processesReading(long)).toHaveLength(1);
      break;
    }
    expect(received).toBeGreaterThan(0);
    expect(processesReading(long)).toEqual([]);
  });
});
