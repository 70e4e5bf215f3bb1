import type { flacRules } from './flac/index.js';
import type { mp3Rules } from './mp3/index.js';
import type { oggRules } from './ogg/index.js';
import type { wavRules } from './wav/index.js';

/** Findings of the audio package's audible labels (GB 45438 §5.3), with their meaning. */
export const audioRules = {
  'explicit/audio-reencoded':
    'the whole audio stream was re-encoded for the audible label, the rest of the file kept; the reason is given (splicing covers PCM WAV, and MP3, Ogg Opus, FLAC and M4A (AAC-LC) with the label at the start or end) (info)',
  'explicit/rhythm-unavailable':
    'the search for audible labels (rhythm, voice prompts) could not run, e.g. no decodable audio; not the same as "no label" (info)',
} as const;

/** Evidence the audio package reports, with its meaning. */
export const audioEvidence = {
  'audio-rhythm-label': 'the ·−·· rhythm label heard in the audio (GB 45438 §5.3); a trace under Measures Art. 6(3)',
  'audio-voice-label': 'a built-in spoken prompt heard in the audio (GB 45438 §5.3); a trace under Measures Art. 6(3)',
} as const;

declare module '@aigc-label/core' {
  interface RuleIdsByPackage {
    audio: keyof typeof audioRules | keyof typeof flacRules | keyof typeof mp3Rules | keyof typeof oggRules | keyof typeof wavRules;
  }
  interface EvidenceKindsByPackage {
    audio: keyof typeof audioEvidence;
  }
}
