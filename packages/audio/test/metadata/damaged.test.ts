/**
 * Damaged input never escapes as a crash: every handler either reads/writes or
 * throws one of the library's errors (a clear message, nothing written), for
 * truncations and byte flips of real files.
 */
import { AigcLabelError, bytesSource, type FormatHandler, labelBytes, WriteVerificationError } from '@aigc-label/core';
import { describe, expect, it } from 'vitest';
import { prng, sampleLabel } from '../../../../test/handler-contract.js';
import { flac } from '../../src/flac/index.js';
import { mp3 } from '../../src/mp3/index.js';
import { ogg } from '../../src/ogg/index.js';
import { wav } from '../../src/wav/index.js';
import { generateAudio } from './media.js';

const samples: [FormatHandler, Uint8Array][] = [
  [wav, generateAudio('d.wav', ['-c:a', 'pcm_s16le', '-metadata', 'title=Tone'])],
  [mp3, generateAudio('d.mp3', ['-c:a', 'libmp3lame', '-b:a', '32k', '-metadata', 'title=Tone'])],
  [flac, generateAudio('d.flac', ['-c:a', 'flac', '-metadata', 'title=Tone'])],
  [ogg, generateAudio('d.ogg', ['-c:a', 'libvorbis', '-metadata', 'title=Tone'])],
];

async function outcome(handler: FormatHandler, input: Uint8Array): Promise<string> {
  try {
    await handler.read(bytesSource(input));
    await labelBytes(handler, input, sampleLabel());
    return 'ok';
  } catch (error) {
    // A file that reads but whose write does not read back would be a writer bug, not damage.
    if (error instanceof WriteVerificationError) throw error;
    if (error instanceof AigcLabelError) return 'refused';
    throw new Error(`${handler.id}: ${(error as Error).name}: ${(error as Error).message}`);
  }
}

describe('damaged audio files', () => {
  for (const [handler, sample] of samples) {
    it(`${handler.id}: truncations and flipped header bytes give library errors only`, async () => {
      const random = prng(0x5eed + sample.length);
      const seen = new Set<string>();
      // The first 600 bytes hold every structure the handlers parse.
      for (let length = 0; length < Math.min(600, sample.length); length += 7) seen.add(await outcome(handler, sample.subarray(0, length)));
      for (let i = 0; i < 300; i++) {
        const damaged = sample.slice();
        const at = Math.floor(random() * Math.min(600, sample.length));
        damaged[at] = Math.floor(random() * 256);
        seen.add(await outcome(handler, damaged));
      }
      expect(seen.has('refused')).toBe(true);
    });
  }
});
