import { type AnalysisInput, analysisPcm } from '../pcm/analysis.js';
import { type VoicePromptDetection, VoicePromptDetector } from '../voice/detect.js';
import { RHYTHM_ANALYSIS_RATE, type RhythmDetection, type RhythmDetectOptions, RhythmDetector } from './detect.js';

export interface AudibleLabelDetection {
  readonly rhythm: RhythmDetection;
  readonly voice: VoicePromptDetection;
}

/**
 * Both audible label forms of GB 45438 §5.3 in one decode: the ·−·· rhythm anywhere, and the
 * built-in voice prompts at the start and end. Memory stays flat for any length of audio.
 */
export async function detectAudibleLabels(input: AnalysisInput, options: RhythmDetectOptions = {}): Promise<AudibleLabelDetection> {
  const rhythm = new RhythmDetector(options);
  const voice = new VoicePromptDetector();
  for await (const samples of analysisPcm(input, RHYTHM_ANALYSIS_RATE)) {
    rhythm.push(samples);
    voice.push(samples);
  }
  return { rhythm: rhythm.finish(), voice: await voice.finish() };
}
