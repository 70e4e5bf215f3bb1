import type { LabelLevel } from '../pcm/level.js';
import { scaleToLevel } from '../pcm/level.js';
import { applyExplicitAudioLabel, type ExplicitLabelPaths, type ExplicitLabelResult, type PlacementOptions } from '../pcm/relabel.js';
import { type RhythmTiming, synthesizeRhythm } from './generate.js';

export interface RhythmLabelOptions extends ExplicitLabelPaths, PlacementOptions, RhythmTiming {
  /** Loudness relative to the programme; default: the programme's gated RMS, peak at most −1 dBFS. */
  readonly level?: LabelLevel;
}

/**
 * Adds the 短长短短 (·−··) rhythm label (GB 45438 §5.3 a), c), d)) to an audio file and writes
 * a copy in the same container, codec, sample rate and channel layout (lossy codecs at no
 * lower a bit rate), keeping the source's metadata. Inserted at the start by default.
 */
export function applyRhythmLabel(options: RhythmLabelOptions): Promise<ExplicitLabelResult> {
  const padded = (options.mode ?? 'insert') === 'insert';
  return applyExplicitAudioLabel(options, options, (sampleRate, programme) =>
    scaleToLevel(synthesizeRhythm(sampleRate, options, padded), sampleRate, programme, options.level),
  );
}
