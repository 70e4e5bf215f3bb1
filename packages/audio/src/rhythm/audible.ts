import { type AnalysisInput, analysisPcm } from '../pcm/analysis.js';
import { type VoicePromptDetection, VoicePromptDetector } from '../voice/detect.js';
import { type WatermarkDetection, type WatermarkDetectOptions, WatermarkDetector } from '../watermark/detect.js';
import { RHYTHM_ANALYSIS_RATE, type RhythmDetection, type RhythmDetectOptions, RhythmDetector } from './detect.js';

export interface AudibleLabelDetection {
  readonly rhythm: RhythmDetection;
  readonly voice: VoicePromptDetection;
  /** The audio watermark, read in the same decode when `watermark` asked for it. */
  readonly watermark?: WatermarkDetection;
}

export interface AudibleSearchOptions extends RhythmDetectOptions {
  /** Also read the audio watermark under this key (its detector eats the same 8 kHz samples). */
  readonly watermark?: WatermarkDetectOptions | undefined;
}

/**
 * Both audible label forms of GB 45438 §5.3 in one decode: the ·−·· rhythm anywhere, and the
 * built-in voice prompts at the start and end. Memory stays flat for any length of audio.
 */
export async function detectAudibleLabels(input: AnalysisInput, options: AudibleSearchOptions = {}): Promise<AudibleLabelDetection> {
  const rhythm = new RhythmDetector(options);
  const voice = new VoicePromptDetector();
  const watermark = options.watermark ? new WatermarkDetector(options.watermark) : undefined;
  for await (const samples of analysisPcm(input, RHYTHM_ANALYSIS_RATE)) {
    rhythm.push(samples);
    voice.push(samples);
    watermark?.push(samples);
  }
  return { rhythm: rhythm.finish(), voice: await voice.finish(), ...(watermark ? { watermark: watermark.finish() } : {}) };
}
