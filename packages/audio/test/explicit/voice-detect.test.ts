import { writeFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodePcmWhole } from '../../src/pcm/ffmpeg.js';
import { floatWavBytes } from '../../src/pcm/wav.js';
import { applyRhythmLabel } from '../../src/rhythm/apply.js';
import { detectAudibleLabels } from '../../src/rhythm/audible.js';
import { detectVoicePrompt } from '../../src/voice/detect.js';
import { applyVoiceLabel, VOICE_PROMPTS } from '../../src/voice/prompt.js';
import { ffmpeg, tempDir } from './helpers.js';

const path = tempDir();
const programme = () => path('programme.wav');

beforeAll(() => {
  // 30 s of pink noise and a tone: something with level and spectrum everywhere, and no speech.
  ffmpeg([
    '-f',
    'lavfi',
    '-i',
    'anoisesrc=d=30:c=pink:a=0.1',
    '-f',
    'lavfi',
    '-i',
    'sine=f=330:d=30',
    '-filter_complex',
    'amix=inputs=2',
    '-ar',
    '44100',
    '-ac',
    '2',
    programme(),
  ]);
});

const found = (occurrences: readonly { position: string; similarity: number }[]) =>
  occurrences.map((o) => [o.position, o.similarity > 0.7] as const);

describe('detectVoicePrompt (the built-in prompts)', () => {
  it('finds the prompt at the start and at the end after MP3 and AAC coding', async () => {
    const labeled = path('both.wav');
    await applyVoiceLabel({ input: programme(), output: labeled, positions: ['start', 'end'] });
    for (const [codec, name] of [
      [['-c:a', 'libmp3lame', '-b:a', '64k'], 'both.mp3'],
      [['-c:a', 'aac', '-b:a', '96k'], 'both.m4a'],
    ] as const) {
      ffmpeg(['-i', labeled, ...codec, path(name)]);
      const { occurrences } = await detectVoicePrompt({ path: path(name) });
      expect(found(occurrences), name).toEqual([
        ['start', true],
        ['end', true],
      ]);
      expect(occurrences[0].startSeconds).toBeCloseTo(0.3, 0);
      expect(occurrences[1].endSeconds).toBeGreaterThan(33);
    }
  });

  it('finds both ends of a file shorter than the search windows', async () => {
    ffmpeg(['-f', 'lavfi', '-i', 'sine=f=500:d=3', '-ar', '22050', path('short.wav')]);
    await applyVoiceLabel({ input: path('short.wav'), output: path('short-labeled.wav'), positions: ['start', 'end'], voice: 'zh' });
    const { occurrences } = await detectVoicePrompt({ path: path('short-labeled.wav') });
    expect(occurrences.map((o) => o.position)).toEqual(['start', 'end']);
  });

  it('finds nothing in unlabeled audio, in the rhythm label, or in the prompt played backwards', async () => {
    expect((await detectVoicePrompt({ path: programme() })).occurrences).toEqual([]);
    await applyRhythmLabel({ input: programme(), output: path('rhythm.wav') });
    const both = await detectAudibleLabels({ path: path('rhythm.wav') });
    expect(both.voice.occurrences).toEqual([]);
    expect(both.rhythm.occurrences).toHaveLength(1);
    // Speech with the same spectrum and level, but not the prompt.
    const speech = await decodePcmWhole({ path: VOICE_PROMPTS.zh.path }, { sampleRate: 22050, channels: 1 });
    writeFileSync(path('backwards.wav'), floatWavBytes(speech.slice().reverse(), 22050));
    expect((await detectVoicePrompt({ path: path('backwards.wav') })).occurrences).toEqual([]);
  });
});
